module KernelsConvDirectTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

/// A stride-1 convolution that the direct product reads as exact columns on an AVX-512 machine: output rows of 16
/// or 32 pixels, Cout/Groups = 8 or 16, 1–6 input channels per group, kernels 1 × 1 (padded, so not pointwise) to
/// 3 × 3 (not square), padding 0–2, dilation 1–2, 1–5 images (one image, odd batches, stacks of several).
let private exactCase (rng: Random) =
    let rec draw () =
        let groups = rng.Next(1, 3)
        let kh, kw = rng.Next(1, 4), rng.Next(1, 4)
        let dil = rng.Next(1, 3)
        let pad = rng.Next(0, 3)
        let ow = 16 * rng.Next(1, 3)
        let oh = rng.Next(1, 7)

        let s =
            { Conv.spec
                  (rng.Next(1, 6))
                  (groups * rng.Next(1, 7))
                  (groups * 8 * rng.Next(1, 3))
                  (oh - 2 * pad + dil * (kh - 1), ow - 2 * pad + dil * (kw - 1))
                  (kh, kw) with
                PadH = pad
                PadW = pad
                DilationH = dil
                DilationW = dil
                Groups = groups
            }

        if s.Height >= 1 && s.Width >= 1 && Conv.usesDirect s = Gemm.usesVector512 then
            s
        else
            draw ()

    draw ()

/// A stride-1 convolution that the direct product reads on the wide grid on an AVX-512 machine: output rows of 33–47
/// pixels (not a multiple of 16), padding 0–1 so that at least 3/4 of each padded row is output, Cout/Groups = 8 or
/// 16, 1–4 images of 1–5 rows.
let private wideCase (rng: Random) =
    let rec draw () =
        let groups = rng.Next(1, 3)
        let k = rng.Next(1, 4)
        let pad = rng.Next(0, 2)
        let ow = rng.Next(33, 48)
        let oh = rng.Next(1, 6)

        let s =
            { Conv.spec
                  (rng.Next(1, 5))
                  (groups * rng.Next(1, 5))
                  (groups * 8 * rng.Next(1, 3))
                  (oh - 2 * pad + k - 1, ow - 2 * pad + k - 1)
                  (k, k) with
                PadH = pad
                PadW = pad
                Groups = groups
            }

        if ow % 16 <> 0 && s.Height >= 1 && Conv.usesDirect s = Gemm.usesVector512 then
            s
        else
            draw ()

    draw ()

/// A convolution that the channel-vector direct product computes on an AVX-512 machine: Cout/Groups = 64, kernels of
/// 2 × 2 to 3 × 3 with Cin/Groups·KH·KW ≥ 128, output rows of 1–8 pixels (never the 8 × 48 tile's 16k or ≥ 32),
/// 2–8 rows, 4–64 pixels, stride 1–2 per axis, padding 0–2, dilation 1–2, 1–7 images.
let private channelCase (rng: Random) =
    let rec draw () =
        let groups = rng.Next(1, 3)
        let kh, kw = rng.Next(2, 4), rng.Next(2, 4)
        let sh, sw = rng.Next(1, 3), rng.Next(1, 3)
        let dil = rng.Next(1, 3)
        let pad = rng.Next(0, 3)
        let oh = rng.Next(2, 9)
        let ow = rng.Next((3 + oh) / oh, 9)

        let s =
            { Conv.spec
                  (rng.Next(1, 8))
                  (groups * ((127 + kh * kw) / (kh * kw) + rng.Next(0, 3)))
                  (groups * 64)
                  ((oh - 1) * sh + dil * (kh - 1) + 1 - 2 * pad, (ow - 1) * sw + dil * (kw - 1) + 1 - 2 * pad)
                  (kh, kw) with
                StrideH = sh
                StrideW = sw
                PadH = pad
                PadW = pad
                DilationH = dil
                DilationW = dil
                Groups = groups
            }

        if s.Height >= 1 && s.Width >= 1 && Conv.usesDirect s = Gemm.usesVector512 then
            s
        else
            draw ()

    draw ()

let private f32 (a: float[]) = Array.map float32 a
let private f64 (a: float32[]) = Array.map float a

/// float32 forward with the output starting as NaN (every element must be written).
let private forward32 (t: int) (s: Conv2dSpec) (x: float32[]) (w: float32[]) =
    let y = Array.create s.OutputLength nanf
    Conv.forward t s x 0 w 0 y 0
    y

/// The direct forward against the float64 direct sum, bit-identical for 1, 2 and 3 threads; the input gradient
/// (the flipped forward, direct when Cin/Groups is a multiple of 8) as its adjoint in float32.
let private checkAgainstDirectSum (what: string) (rng: Random) (s: Conv2dSpec) =
    let x, w, dy =
        randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

    let e = conv s x w
    let y1 = forward32 1 s (f32 x) (f32 w)
    closeTo (sprintf "%s forward float32 %A" what s) KTol.f32 e (f64 y1)
    Assert.Equal<float32[]>(y1, forward32 2 s (f32 x) (f32 w))
    Assert.Equal<float32[]>(y1, forward32 3 s (f32 x) (f32 w))
    let dx = Array.create s.InputLength nanf
    Conv.backwardData 2 s (f32 dy) 0 (f32 w) 0 dx 0
    let lhs, lm = dot e dy
    let rhs, rm = dot x (f64 dx)

    if abs (lhs - rhs) > KTol.f32 * max 1.0 (max lm rm) then
        failwithf "%s: ⟨conv(x), dy⟩ = %g but ⟨x, backwardData(dy)⟩ = %g (float32, %A)" what lhs rhs s

[<Fact>]
let ``direct stride-1 convolutions on exact columns equal the direct sum for every thread count`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        checkAgainstDirectSum "exact columns" rng (exactCase rng))

[<Fact>]
let ``direct stride-1 convolutions on the wide grid equal the direct sum for every thread count`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        checkAgainstDirectSum "wide grid" rng (wideCase rng))

[<Fact>]
let ``channel-vector direct convolutions equal the direct sum for every thread count`` () =
    property 16 (fun (seed: int) ->
        let rng = Random seed
        checkAgainstDirectSum "channel vectors" rng (channelCase rng))

[<Fact>]
let ``input gradients through the direct flipped forward are the adjoint of forward`` () =
    // Cin/Groups a multiple of 8: backwardData is the forward of dy with the flipped kernel, and that forward
    // takes the direct product (exact columns when the input rows hold 16k pixels, the wide grid for 34 × 34)
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let groups = rng.Next(1, 3)
        let width = if rng.Next 2 = 0 then 16 * rng.Next(1, 3) else 34

        let s =
            { Conv.spec (rng.Next(1, 4)) (groups * 8 * rng.Next(1, 3)) (groups * rng.Next(2, 9)) (rng.Next(3, 7), width) (3, 3) with
                PadH = 1
                PadW = 1
                Groups = groups
            }

        let flipped =
            { s with
                InChannels = s.OutChannels
                OutChannels = s.InChannels
                Height = s.OutHeight
                Width = s.OutWidth
            }

        Assert.Equal(Gemm.usesVector512 && 2 * s.Height * s.Width > (s.Height + 2) * (s.Width + 2), Conv.usesDirect flipped)

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let dx = Array.create s.InputLength nan
        Conv.backwardData 1 s dy 0 w 0 dx 0
        adjointClose "float64 ⟨conv(x), dy⟩ = ⟨x, backwardData(dy)⟩" (dot (conv s x w) dy) (dot x dx)

        let dx32 t =
            let d = Array.create s.InputLength nanf
            Conv.backwardData t s (f32 dy) 0 (f32 w) 0 d 0
            d

        let one = dx32 1
        closeTo "float32 backwardData against float64" KTol.f32 dx (f64 one)
        Assert.Equal<float32[]>(one, dx32 3))

[<Fact>]
let ``input gradients through the channel-vector flipped forward are the adjoint of forward`` () =
    // Cin = 64 and Cout·9 ≥ 128 taps: the flipped forward of an 8 × 8 or 4 × 4 stride-1 layer has 64 output channels
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let size = 4 * rng.Next(1, 3)

        let s =
            { Conv.spec (rng.Next(1, 5)) 64 (rng.Next(15, 20)) (size, size) (3, 3) with
                PadH = 1
                PadW = 1
            }

        let flipped =
            { s with
                InChannels = s.OutChannels
                OutChannels = s.InChannels
                Height = s.OutHeight
                Width = s.OutWidth
            }

        Assert.Equal(Gemm.usesVector512, Conv.usesDirect flipped)

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let dx = Array.create s.InputLength nan
        Conv.backwardData 1 s dy 0 w 0 dx 0
        adjointClose "float64 ⟨conv(x), dy⟩ = ⟨x, backwardData(dy)⟩" (dot (conv s x w) dy) (dot x dx)

        let dx32 t =
            let d = Array.create s.InputLength nanf
            Conv.backwardData t s (f32 dy) 0 (f32 w) 0 d 0
            d

        let one = dx32 1
        closeTo "float32 backwardData against float64" KTol.f32 dx (f64 one)
        Assert.Equal<float32[]>(one, dx32 2))

[<Fact>]
let ``direct convolutions with reflect and circular borders equal Pad then the unpadded convolution, bit for bit`` () =
    // the fill writes the border of the stacked padded buffer by the modes; the unpadded convolution of the padded
    // input takes the same direct path, so the results agree exactly, and both equal the direct sum of the padded input
    property 24 (fun (seed: int) ->
        let rng = Random seed

        let s0 =
            match rng.Next 3 with
            | 0 -> exactCase rng
            | 1 -> wideCase rng
            | _ -> channelCase rng

        let s =
            { s0 with
                PadH = max 1 s0.PadH
                PadW = max 1 s0.PadW
                Height = s0.Height - 2 * (max 1 s0.PadH - s0.PadH)
                Width = s0.Width - 2 * (max 1 s0.PadW - s0.PadW)
            }

        if s.Height > s.PadH && s.Width > s.PadW then
            let all = [| PadMode.Reflect; PadMode.Circular; PadMode.Zeros |]
            let modes = all[rng.Next 2], all[rng.Next 3]
            let u = ConvPadded.unpadded s
            // (a 1 × 1 kernel pads into a buffer first and runs the pointwise product of the unpadded spec)
            if s.KernelHeight * s.KernelWidth > 1 then
                Assert.Equal(Conv.usesDirect s, Conv.usesDirect u)

            let x, w = randomArray rng s.InputLength, randomArray rng s.WeightLength
            let ps = ConvPadded.padSpec s modes (s.Batch * s.InChannels)
            let xp = pad ps x
            let e = conv u xp w

            for t in [ 1; 2 ] do
                let y = Array.create s.OutputLength nanf
                ConvPadded.forward t s modes (f32 x) 0 (f32 w) 0 y 0
                closeTo (sprintf "padded %A %A" modes s) KTol.f32 e (f64 y)
                Assert.Equal<float32[]>(forward32 t u (f32 xp) (f32 w), y))

[<Fact>]
let ``direct convolutions write only their output range at an offset`` () =
    // y and x at offsets inside larger arrays: the elements around the output keep their values
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let s = exactCase rng
        let x, w = randomArray rng s.InputLength, randomArray rng s.WeightLength
        let xs = Array.append [| 5.0f; 6.0f; 7.0f |] (f32 x)
        let ws = Array.append [| 1.0f |] (f32 w)
        let y = Array.create (s.OutputLength + 10) 42.0f
        Conv.forward 2 s xs 3 ws 1 y 4
        closeTo "at offsets" KTol.f32 (conv s x w) (f64 y[4 .. 4 + s.OutputLength - 1])
        Assert.Equal<float32[]>(Array.create 4 42.0f, y[0..3])
        Assert.Equal<float32[]>(Array.create 6 42.0f, y[4 + s.OutputLength ..]))

[<Fact>]
let ``the direct products are chosen for the encoder's 3 x 3 layers, not for its stem, head, shortcuts or narrow ones`` () =
    let layer c size =
        { Conv.spec 32 c c (size, size) (3, 3) with
            PadH = 1
            PadW = 1
        }

    Assert.Equal(Gemm.usesVector512, Conv.usesDirect (layer 64 32))
    Assert.Equal(Gemm.usesVector512, Conv.usesDirect (layer 128 16))

    Assert.False(
        Conv.usesDirect
            { layer 64 32 with
                StrideH = 2
                StrideW = 2
            }
    )

    Assert.False(Conv.usesDirect { layer 64 32 with OutChannels = 12 })
    Assert.False(Conv.usesDirect (Conv.spec 4 8 8 (16, 16) (1, 1)))
    Assert.Equal(Gemm.usesVector512, Conv.usesDirect (layer 256 8))
    Assert.Equal(Gemm.usesVector512, Conv.usesDirect (layer 256 4))

    Assert.Equal(
        Gemm.usesVector512,
        Conv.usesDirect
            { layer 256 8 with
                StrideH = 2
                StrideW = 2
            }
    )

    Assert.False(
        Conv.usesDirect
            { Conv.spec 32 1 64 (64, 64) (7, 7) with
                StrideH = 2
                StrideW = 2
                PadH = 3
                PadW = 3
            }
    )

    Assert.False(Conv.usesDirect (Conv.spec 32 256 1024 (2, 2) (2, 2)))

    Assert.False(
        Conv.usesDirect
            { Conv.spec 32 128 256 (16, 16) (1, 1) with
                StrideH = 2
                StrideW = 2
            }
    )
