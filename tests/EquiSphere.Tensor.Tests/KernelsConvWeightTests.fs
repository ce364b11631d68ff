module KernelsConvWeightTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

/// The weight gradient straight from its definition, in float64: dw[co, ci, kh, kw] = Σ_{n, oh, ow} dy[n, co, oh, ow]
/// · x[n, g·Cin/G + ci, oh·s − p + kh·d, ow·s − p + kw·d] (zero outside the image).
let private weightGradient (s: Conv2dSpec) (x: float[]) (dy: float[]) =
    let oh, ow = s.OutHeight, s.OutWidth
    let cig, cog = s.InChannels / s.Groups, s.OutChannels / s.Groups
    let dw = Array.zeroCreate s.WeightLength

    for co in 0 .. s.OutChannels - 1 do
        let g = co / cog

        for ci in 0 .. cig - 1 do
            for kh in 0 .. s.KernelHeight - 1 do
                for kw in 0 .. s.KernelWidth - 1 do
                    let mutable acc = 0.0

                    for n in 0 .. s.Batch - 1 do
                        for i in 0 .. oh - 1 do
                            for j in 0 .. ow - 1 do
                                let ih = i * s.StrideH - s.PadH + kh * s.DilationH
                                let iw = j * s.StrideW - s.PadW + kw * s.DilationW

                                if ih >= 0 && ih < s.Height && iw >= 0 && iw < s.Width then
                                    acc <-
                                        acc
                                        + dy[((n * s.OutChannels + co) * oh + i) * ow + j]
                                          * x[((n * s.InChannels + g * cig + ci) * s.Height + ih) * s.Width + iw]

                    dw[((co * cig + ci) * s.KernelHeight + kh) * s.KernelWidth + kw] <- acc

    dw

/// A convolution whose weight gradient the channel-vector product computes on an AVX-512 machine: Cout/Groups = 64
/// or 128, 1–2 groups, 1–5 input channels per group, kernels of 1 to 9 taps (1 × 1 … 3 × 3, so tap counts that are
/// not a multiple of the tile's 6), stride 1–2 per axis, padding 0–2, dilation 1–2, 1–7 images; outputs of 4–64
/// pixels, or (one case in four) 20–34 pixels wide and 10–20 rows high, so that the batch spans several stacks.
let private weightCase (rng: Random) =
    let rec draw () =
        let groups = rng.Next(1, 3)
        let kh, kw = rng.Next(1, 4), rng.Next(1, 4)
        let sh, sw = rng.Next(1, 3), rng.Next(1, 3)
        let dil = rng.Next(1, 3)
        let pad = rng.Next(0, 3)
        let large = rng.Next 4 = 0
        let oh = if large then rng.Next(10, 21) else rng.Next(1, 9)
        let ow = if large then rng.Next(20, 35) else rng.Next(1, 9)

        let s =
            { Conv.spec
                  (if large then rng.Next(5, 8) else rng.Next(1, 8))
                  (groups * rng.Next(1, 6))
                  (groups * 64 * rng.Next(1, 3))
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

        if
            s.Height >= 1
            && s.Width >= 1
            && oh * ow >= 4
            && Conv.usesDirectWeight s = Gemm.usesVector512
        then
            s
        else
            draw ()

    draw ()

let private f32 (a: float[]) = Array.map float32 a
let private f64 (a: float32[]) = Array.map float a

/// float32 weight gradient with dw starting as NaN (every element must be written).
let private weight32 (t: int) (s: Conv2dSpec) (x: float32[]) (dy: float32[]) =
    let dw = Array.create s.WeightLength nanf
    Conv.backwardWeight t s x 0 dy 0 dw 0
    dw

[<Fact>]
let ``channel-vector weight gradients equal the direct sum, bit-identical for every thread count`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let s = weightCase rng
        let x, dy = randomArray rng s.InputLength, randomArray rng s.OutputLength
        let e = weightGradient s x dy
        let one = weight32 1 s (f32 x) (f32 dy)
        closeTo (sprintf "float32 weight gradient %A" s) KTol.f32 e (f64 one)
        Assert.Equal<float32[]>(one, weight32 2 s (f32 x) (f32 dy))
        Assert.Equal<float32[]>(one, weight32 3 s (f32 x) (f32 dy)))

[<Fact>]
let ``channel-vector weight gradients are the adjoint of forward`` () =
    // ⟨w, backwardWeight(x, dy)⟩ = ⟨forward(x, w), dy⟩, the weight gradient in float32 against the float64 forward
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let s = weightCase rng

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let lhs, lm = dot w (f64 (weight32 2 s (f32 x) (f32 dy)))
        let rhs, rm = dot (conv s x w) dy

        if abs (lhs - rhs) > KTol.f32 * max 1.0 (max lm rm) then
            failwithf "⟨w, backwardWeight(x, dy)⟩ = %g but ⟨conv(x, w), dy⟩ = %g (float32, %A)" lhs rhs s)

[<Fact>]
let ``channel-vector weight gradients with reflect and circular borders equal Pad then the unpadded one, bit for bit`` () =
    // the fill writes the border of the stacked padded buffer by the modes; the unpadded weight gradient of the padded
    // input takes the same path with the same stacks, so the results agree exactly, and both equal the direct sum
    property 16 (fun (seed: int) ->
        let rng = Random seed
        let s0 = weightCase rng

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
            Assert.Equal(Conv.usesDirectWeight s, Conv.usesDirectWeight u)
            let x, dy = randomArray rng s.InputLength, randomArray rng s.OutputLength
            let ps = ConvPadded.padSpec s modes (s.Batch * s.InChannels)
            let xp = pad ps x
            let e = weightGradient u xp dy

            for t in [ 1; 2 ] do
                let dw = Array.create s.WeightLength nanf
                ConvPadded.backwardWeight t s modes (f32 x) 0 (f32 dy) 0 dw 0
                closeTo (sprintf "padded %A %A" modes s) KTol.f32 e (f64 dw)
                Assert.Equal<float32[]>(weight32 t u (f32 xp) (f32 dy), dw))

[<Fact>]
let ``channel-vector weight gradients read and write only their ranges at offsets`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let s = weightCase rng
        let x, dy = randomArray rng s.InputLength, randomArray rng s.OutputLength
        let xs = Array.append [| 5.0f; 6.0f; 7.0f |] (f32 x)
        let dys = Array.append [| 1.0f |] (f32 dy)
        let dw = Array.create (s.WeightLength + 10) 42.0f
        Conv.backwardWeight 2 s xs 3 dys 1 dw 4
        closeTo "at offsets" KTol.f32 (weightGradient s x dy) (f64 dw[4 .. 4 + s.WeightLength - 1])
        Assert.Equal<float32[]>(Array.create 4 42.0f, dw[0..3])
        Assert.Equal<float32[]>(Array.create 6 42.0f, dw[4 + s.WeightLength ..]))

[<Fact>]
let ``float64 weight gradients of the same shapes keep the GEMM paths and equal the direct sum`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let s = weightCase rng
        let x, dy = randomArray rng s.InputLength, randomArray rng s.OutputLength
        let dw = Array.create s.WeightLength nan
        Conv.backwardWeight 2 s x 0 dy 0 dw 0
        closeTo (sprintf "float64 weight gradient %A" s) KTol.f64 (weightGradient s x dy) dw)

[<Fact>]
let ``the channel-vector weight gradient is chosen for the encoder's layers of 4 or more output pixels, not for its head`` () =
    let layer cin cout size k stride pad =
        { Conv.spec 32 cin cout (size, size) (k, k) with
            StrideH = stride
            StrideW = stride
            PadH = pad
            PadW = pad
        }

    let on = Gemm.usesVector512
    Assert.Equal(on, Conv.usesDirectWeight (layer 1 64 64 7 2 3))
    Assert.Equal(on, Conv.usesDirectWeight (layer 64 64 32 3 1 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 64 128 32 3 2 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 128 128 16 3 1 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 128 256 16 3 2 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 256 256 8 3 1 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 256 256 8 3 2 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 256 256 4 3 1 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 256 256 4 3 2 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 256 256 2 3 1 1))
    Assert.Equal(on, Conv.usesDirectWeight (layer 64 128 32 1 2 0))
    Assert.Equal(on, Conv.usesDirectWeight (layer 256 256 4 1 2 0))
    Assert.False(Conv.usesDirectWeight (layer 256 1024 2 2 1 0))
    Assert.False(Conv.usesDirectWeight (layer 64 48 32 3 1 1))
