module KernelsConvTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

/// A random valid convolution: batch, groups, channels, sizes, kernel, stride, padding and dilation.
let private randomSpec (rng: Random) =
    let rec draw () =
        let groups = rng.Next(1, 4)

        let s =
            { Conv.spec
                  (rng.Next(1, 4))
                  (groups * rng.Next(1, 4))
                  (groups * rng.Next(1, 4))
                  (rng.Next(1, 10), rng.Next(1, 10))
                  (rng.Next(1, 5), rng.Next(1, 5)) with
                StrideH = rng.Next(1, 4)
                StrideW = rng.Next(1, 4)
                PadH = rng.Next(0, 3)
                PadW = rng.Next(0, 3)
                DilationH = rng.Next(1, 3)
                DilationW = rng.Next(1, 3)
                Groups = groups
            }

        if
            s.Height + 2 * s.PadH >= s.DilationH * (s.KernelHeight - 1) + 1
            && s.Width + 2 * s.PadW >= s.DilationW * (s.KernelWidth - 1) + 1
        then
            s
        else
            draw ()

    draw ()

let private forward64 threads (s: Conv2dSpec) (x: float[]) (w: float[]) =
    let y = Array.zeroCreate s.OutputLength
    Conv.forward threads s x 0 w 0 y 0
    y

let private forward32 threads (s: Conv2dSpec) (x: float[]) (w: float[]) =
    let y = Array.zeroCreate<float32> s.OutputLength
    Conv.forward threads s (Array.map float32 x) 0 (Array.map float32 w) 0 y 0
    Array.map float y

[<Fact>]
let ``conv forward equals the direct sum over strides, paddings, dilations and groups`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x, w = randomArray rng s.InputLength, randomArray rng s.WeightLength
        let e = conv s x w
        closeTo (sprintf "float64 %A" s) KTol.f64 e (forward64 2 s x w)
        closeTo (sprintf "float32 %A" s) KTol.f32 e (forward32 2 s x w))

[<Fact>]
let ``conv forward works at offsets and on 1x1 unpadded kernels`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed

        let s =
            { randomSpec rng with
                KernelHeight = 1
                KernelWidth = 1
                StrideH = 1
                StrideW = 1
                PadH = 0
                PadW = 0
            }

        let x, w = randomArray rng s.InputLength, randomArray rng s.WeightLength
        let y = Array.create (s.OutputLength + 5) 7.0
        Conv.forward 2 s (Array.append [| 1.0; 2.0 |] x) 2 (Array.append [| 3.0 |] w) 1 y 3
        closeTo "1×1 at offsets" KTol.f64 (conv s x w) y[3 .. 3 + s.OutputLength - 1]
        Assert.Equal<float[]>([| 7.0; 7.0; 7.0 |], y[0..2])
        Assert.Equal<float[]>([| 7.0; 7.0 |], y[3 + s.OutputLength ..]))

[<Fact>]
let ``conv backwardData is the adjoint of forward in x`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let dx = Array.create s.InputLength nan
        Conv.backwardData 2 s dy 0 w 0 dx 0
        adjointClose "⟨conv(x), dy⟩ = ⟨x, backwardData(dy)⟩" (dot (conv s x w) dy) (dot x dx)
        let dx32 = Array.create s.InputLength nanf
        Conv.backwardData 2 s (Array.map float32 dy) 0 (Array.map float32 w) 0 dx32 0
        closeTo "float32 backwardData" KTol.f32 dx (Array.map float dx32))

[<Fact>]
let ``conv backwardWeight is the adjoint of forward in w`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let dw = Array.create s.WeightLength nan
        Conv.backwardWeight 3 s x 0 dy 0 dw 0
        adjointClose "⟨conv(w), dy⟩ = ⟨w, backwardWeight(dy)⟩" (dot (conv s x w) dy) (dot w dw)
        let dw32 = Array.create s.WeightLength nanf
        Conv.backwardWeight 3 s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
        closeTo "float32 backwardWeight" KTol.f32 dw (Array.map float dw32))

[<Fact>]
let ``conv gradients match central differences of a loss`` () =
    // L(x, w) = Σ r ⊙ conv(x, w)²/2 is not linear, so the difference quotient tests the chain dL = conv(x, w) ⊙ r.
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng

        let x, w, r =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let loss (x: float[]) (w: float[]) =
            Array.fold2 (fun acc y r -> acc + 0.5 * r * y * y) 0.0 (conv s x w) r

        let dy = Array.map2 (*) (conv s x w) r
        let dx = Array.zeroCreate s.InputLength
        let dw = Array.zeroCreate s.WeightLength
        Conv.backwardData 1 s dy 0 w 0 dx 0
        Conv.backwardWeight 1 s x 0 dy 0 dw 0
        let h = 1e-5

        let central (v: float[]) i f =
            let p, m = Array.copy v, Array.copy v
            p[i] <- p[i] + h
            m[i] <- m[i] - h
            (f p - f m) / (2.0 * h)

        for _ in 1..4 do
            let i = rng.Next s.InputLength
            close "∂L/∂x" KTol.fd64 (central x i (fun x -> loss x w)) dx[i]
            let j = rng.Next s.WeightLength
            close "∂L/∂w" KTol.fd64 (central w j (fun w -> loss x w)) dw[j])

[<Fact>]
let ``conv is bit-identical across runs; forward and backwardData across thread counts`` () =
    property 6 (fun (seed: int) ->
        let rng = Random seed
        let s = { randomSpec rng with Batch = 5 }

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let x, w, dy = Array.map float32 x, Array.map float32 w, Array.map float32 dy

        let run f len =
            let out = Array.zeroCreate<float32> len
            f out
            out

        let fwd t =
            run (fun y -> Conv.forward t s x 0 w 0 y 0) s.OutputLength

        let bd t =
            run (fun dx -> Conv.backwardData t s dy 0 w 0 dx 0) s.InputLength

        let bw t =
            run (fun dw -> Conv.backwardWeight t s x 0 dy 0 dw 0) s.WeightLength

        Assert.Equal<float32[]>(fwd 1, fwd 2)
        Assert.Equal<float32[]>(fwd 2, fwd 3)
        Assert.Equal<float32[]>(bd 1, bd 2)
        Assert.Equal<float32[]>(bw 2, bw 2)
        Assert.Equal<float32[]>(bw 3, bw 3))

[<Fact>]
let ``conv rejects bad specs and short arrays with the expected and actual values`` () =
    let s = Conv.spec 1 4 6 (5, 5) (3, 3)

    let x, w, y =
        Array.zeroCreate<float> 100, Array.zeroCreate<float> 216, Array.zeroCreate<float> 54

    throwsWith<ArgumentException> [ "InChannels = 4"; "Groups = 3" ] (fun () -> Conv.forward 1 { s with Groups = 3 } x 0 w 0 y 0)
    throwsWith<ArgumentException> [ "kernel height 3"; "2 + 2·0 = 2" ] (fun () -> Conv.forward 1 { s with Height = 2 } x 0 w 0 y 0)
    throwsWith<ArgumentException> [ "StrideW"; "got 0" ] (fun () -> Conv.forward 1 { s with StrideW = 0 } x 0 w 0 y 0)
    throwsWith<ArgumentException> [ "y"; "54 elements"; "length 53" ] (fun () -> Conv.forward 1 s x 0 w 0 (Array.zeroCreate 53) 0)

let private randomTransposeSpec (rng: Random) =
    let rec draw () =
        let groups = rng.Next(1, 3)
        let strideH, strideW = rng.Next(1, 4), rng.Next(1, 4)

        let s =
            { ConvTranspose.spec
                  (rng.Next(1, 3))
                  (groups * rng.Next(1, 4))
                  (groups * rng.Next(1, 4))
                  (rng.Next(1, 7), rng.Next(1, 7))
                  (rng.Next(1, 5), rng.Next(1, 5)) with
                StrideH = strideH
                StrideW = strideW
                PadH = rng.Next(0, 2)
                PadW = rng.Next(0, 2)
                OutputPadH = rng.Next strideH
                OutputPadW = rng.Next strideW
                DilationH = rng.Next(1, 3)
                DilationW = rng.Next(1, 3)
                Groups = groups
            }

        if s.OutHeight >= 1 && s.OutWidth >= 1 then s else draw ()

    draw ()

[<Fact>]
let ``convTranspose forward equals the direct scatter sum`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let s = randomTransposeSpec rng
        let inLen = s.Batch * s.InChannels * s.Height * s.Width
        let outLen = s.Batch * s.OutChannels * s.OutHeight * s.OutWidth

        let wLen =
            s.InChannels * (s.OutChannels / s.Groups) * s.KernelHeight * s.KernelWidth

        let x, w = randomArray rng inLen, randomArray rng wLen
        let y = Array.zeroCreate outLen
        ConvTranspose.forward 2 s x 0 w 0 y 0
        closeTo (sprintf "%A" s) KTol.f64 (convTranspose s x w) y
        let y32 = Array.zeroCreate<float32> outLen
        ConvTranspose.forward 2 s (Array.map float32 x) 0 (Array.map float32 w) 0 y32 0
        closeTo "float32" KTol.f32 (convTranspose s x w) (Array.map float y32))

[<Fact>]
let ``convTranspose backwardData and backwardWeight are the adjoints of forward`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let s = randomTransposeSpec rng
        let inLen = s.Batch * s.InChannels * s.Height * s.Width
        let outLen = s.Batch * s.OutChannels * s.OutHeight * s.OutWidth

        let wLen =
            s.InChannels * (s.OutChannels / s.Groups) * s.KernelHeight * s.KernelWidth

        let x, w, dy = randomArray rng inLen, randomArray rng wLen, randomArray rng outLen
        let y = convTranspose s x w
        let dx, dw = Array.zeroCreate inLen, Array.zeroCreate wLen
        ConvTranspose.backwardData 2 s dy 0 w 0 dx 0
        ConvTranspose.backwardWeight 2 s x 0 dy 0 dw 0
        adjointClose "in x" (dot y dy) (dot x dx)
        adjointClose "in w" (dot y dy) (dot w dw))

[<Fact>]
let ``convTranspose rejects an output padding not below the stride`` () =
    let s =
        { ConvTranspose.spec 1 2 2 (4, 4) (3, 3) with
            StrideH = 2
            OutputPadH = 2
        }

    let a = Array.zeroCreate<float> 1000
    throwsWith<ArgumentException> [ "OutputPadH < StrideH = 2"; "got 2" ] (fun () -> ConvTranspose.forward 1 s a 0 a 0 a 0)

[<Fact>]
let ``conv and its adjoints equal the direct sums when im2col runs in chunks of output rows`` () =
    // Kg = 64·3·3 = 576 and OW = 20 (stride 2, so im2col is used): the column matrix exceeds the 512 KB chunk
    // budget (4 chunks in float64, 2 in float32), so these shapes cross chunk boundaries that the small random specs
    // never reach.
    let rng = Random 11

    let s =
        { Conv.spec 2 64 5 (40, 40) (3, 3) with
            PadH = 1
            PadW = 1
            StrideH = 2
            StrideW = 2
        }

    let x, w, dy =
        randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

    closeTo "forward float64" KTol.f64 (conv s x w) (forward64 2 s x w)
    closeTo "forward float32" KTol.f32 (conv s x w) (forward32 2 s x w)
    let dx, dw = Array.zeroCreate s.InputLength, Array.zeroCreate s.WeightLength
    Conv.backwardData 2 s dy 0 w 0 dx 0
    Conv.backwardWeight 2 s x 0 dy 0 dw 0
    adjointClose "in x" (dot (conv s x w) dy) (dot x dx)
    adjointClose "in w" (dot (conv s x w) dy) (dot w dw)

    let dx32, dw32 =
        Array.zeroCreate<float32> s.InputLength, Array.zeroCreate<float32> s.WeightLength

    Conv.backwardData 2 s (Array.map float32 dy) 0 (Array.map float32 w) 0 dx32 0
    Conv.backwardWeight 2 s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
    closeTo "backwardData float32" KTol.f32 dx (Array.map float dx32)
    closeTo "backwardWeight float32" KTol.f32 dw (Array.map float dw32)

[<Fact>]
let ``stride-1 convolutions (shifted rows of the padded image, no im2col) equal the direct sums and adjoints`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed

        let s =
            { randomSpec rng with
                StrideH = 1
                StrideW = 1
            }

        // At least 8 input channels per group in half the cases: backwardData then runs as a flipped forward.
        let s =
            if rng.Next 2 = 0 then
                { s with
                    InChannels = s.Groups * (8 + rng.Next 3)
                }
            else
                s

        let s =
            // Also padding beyond dilation·(K − 1), where backwardData cannot use the flipped forward.
            if rng.Next 4 = 0 then
                { s with
                    PadH = s.DilationH * (s.KernelHeight - 1) + 1
                }
            else
                s

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let e = conv s x w
        closeTo (sprintf "forward float64 %A" s) KTol.f64 e (forward64 2 s x w)
        closeTo "forward float32" KTol.f32 e (forward32 2 s x w)
        let dx, dw = Array.create s.InputLength nan, Array.create s.WeightLength nan
        Conv.backwardData 2 s dy 0 w 0 dx 0
        Conv.backwardWeight 2 s x 0 dy 0 dw 0
        adjointClose "in x" (dot e dy) (dot x dx)
        adjointClose "in w" (dot e dy) (dot w dw)
        let dx32, dw32 = Array.create s.InputLength nanf, Array.create s.WeightLength nanf
        Conv.backwardData 2 s (Array.map float32 dy) 0 (Array.map float32 w) 0 dx32 0
        Conv.backwardWeight 2 s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
        closeTo "backwardData float32" KTol.f32 dx (Array.map float dx32)
        closeTo "backwardWeight float32" KTol.f32 dw (Array.map float dw32))

[<Fact>]
let ``stride-1 convolutions of small images stacked into one GEMM equal the direct sums and adjoints`` () =
    // Batches of 4–11 small images: several images per GEMM, a partial last stack, 1 or 3 threads (different
    // stackings of the same batch); forward is also bit-identical across those thread counts.
    property 30 (fun (seed: int) ->
        let rng = Random seed

        let s =
            { randomSpec rng with
                Batch = rng.Next(4, 12)
                StrideH = 1
                StrideW = 1
                InChannels = rng.Next(1, 3) * (if rng.Next 2 = 0 then 8 else 1)
                Groups = 1
                OutChannels = rng.Next(1, 10)
            }

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let e = conv s x w

        for t in [ 1; 3 ] do
            closeTo (sprintf "forward float64 %d threads %A" t s) KTol.f64 e (forward64 t s x w)
            let dx, dw = Array.create s.InputLength nan, Array.create s.WeightLength nan
            Conv.backwardData t s dy 0 w 0 dx 0
            Conv.backwardWeight t s x 0 dy 0 dw 0
            adjointClose "in x" (dot e dy) (dot x dx)
            adjointClose "in w" (dot e dy) (dot w dw)
            let dw32 = Array.create s.WeightLength nanf
            Conv.backwardWeight t s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
            closeTo "backwardWeight float32" KTol.f32 dw (Array.map float dw32)

        Assert.Equal<float[]>(forward32 1 s x w, forward32 3 s x w))

[<Fact>]
let ``strided convolutions of small images stacked side by side in im2col equal the direct sums and adjoints`` () =
    // Batches of 4–11 small images with strides 2–3 and groups: the column matrices of several images side by side
    // in one GEMM, for 1 or 3 threads; forward and backwardData are also bit-identical across those thread counts.
    property 30 (fun (seed: int) ->
        let rng = Random seed

        let s =
            { randomSpec rng with
                Batch = rng.Next(4, 12)
                StrideH = rng.Next(2, 4)
                StrideW = rng.Next(1, 4)
            }

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let e = conv s x w

        let backData32 t =
            let dx = Array.create s.InputLength nanf
            Conv.backwardData t s (Array.map float32 dy) 0 (Array.map float32 w) 0 dx 0
            dx

        for t in [ 1; 3 ] do
            closeTo (sprintf "forward float64 %d threads %A" t s) KTol.f64 e (forward64 t s x w)
            let dx, dw = Array.create s.InputLength nan, Array.create s.WeightLength nan
            Conv.backwardData t s dy 0 w 0 dx 0
            Conv.backwardWeight t s x 0 dy 0 dw 0
            adjointClose "in x" (dot e dy) (dot x dx)
            adjointClose "in w" (dot e dy) (dot w dw)
            closeTo "backwardData float32" KTol.f32 dx (Array.map float (backData32 t))
            let dw32 = Array.create s.WeightLength nanf
            Conv.backwardWeight t s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
            closeTo "backwardWeight float32" KTol.f32 dw (Array.map float dw32)

        Assert.Equal<float[]>(forward32 1 s x w, forward32 3 s x w)
        Assert.Equal<float32[]>(backData32 1, backData32 3))

[<Fact>]
let ``strided convolutions whose GEMM gathers the taps from the padded images equal the direct sums and adjoints`` () =
    // Output rows of 8, 16 or 24 pixels (and 8–15 for the forward only): the forward reads its taps through the
    // packer's stride-2 runs (whole-vector loads compacted by AVX-512 where present) and, for rows of a multiple of
    // 8 pixels, the weight gradient through the transposing packer's stride-2 groups; batches of 1–9 images in
    // stacks, 1 or 3 threads, float32 and float64, strides (1 or 2) × 2 and 2 × 1, dilation 1–2, groups 1–2. The
    // backward kernels are checked as adjoints and against the float64 results.
    property 24 (fun (seed: int) ->
        let rng = Random seed
        let groups = rng.Next(1, 3)
        let k = rng.Next(1, 4)
        let strideH, strideW = if rng.Next 3 = 0 then 2, 1 else rng.Next(1, 3), 2

        let ow =
            if rng.Next 3 = 0 then
                rng.Next(8, 16)
            else
                8 * rng.Next(1, 4)

        let dil = rng.Next(1, 3)
        let pad = rng.Next(0, 3)
        let width = (ow - 1) * strideW + dil * (k - 1) + 1 - 2 * pad + rng.Next strideW

        let s =
            { Conv.spec
                  (rng.Next(1, 10))
                  (groups * rng.Next(1, 6))
                  (groups * rng.Next(1, 6))
                  (rng.Next(max 1 (k * dil), 12), max 1 width)
                  (k, k) with
                StrideH = strideH
                StrideW = strideW
                PadH = pad
                PadW = pad
                DilationH = dil
                DilationW = dil
                Groups = groups
            }

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let e = conv s x w
        let label = sprintf "%A" s

        for t in [ 1; 3 ] do
            closeTo ("forward float64 " + label) KTol.f64 e (forward64 t s x w)
            closeTo ("forward float32 " + label) KTol.f32 e (forward32 t s x w)
            let dw = Array.create s.WeightLength nan
            Conv.backwardWeight t s x 0 dy 0 dw 0
            adjointClose ("in w " + label) (dot e dy) (dot w dw)
            let dw32 = Array.create s.WeightLength nanf
            Conv.backwardWeight t s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
            closeTo ("backwardWeight float32 " + label) KTol.f32 dw (Array.map float dw32)

        Assert.Equal<float[]>(forward32 1 s x w, forward32 3 s x w))

[<Fact>]
let ``stride-1 convolutions of tiny images, whose output is at most half the padded input, equal the direct sums and adjoints`` () =
    // Inputs of 2–5 pixels per side with kernels that leave 1–2 output pixels per side (the encoder's 4 × 4 → 2 × 2
    // convolutions and its 2 × 2 → 1 × 1 head): these take the stacked im2col path instead of the wide grid, for
    // 1 or 3 threads; forward and backwardData are bit-identical across those thread counts.
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let h, w = rng.Next(2, 6), rng.Next(2, 6)
        let pad = rng.Next(0, 2)
        let oh, ow = rng.Next(1, 3), rng.Next(1, 3)

        let oh, ow =
            if 2 * oh * ow <= (h + 2 * pad) * (w + 2 * pad) then
                oh, ow
            else
                1, 1

        let kh, kw = max 1 (h + 2 * pad - oh + 1), max 1 (w + 2 * pad - ow + 1)

        let s =
            { Conv.spec (rng.Next(4, 12)) (rng.Next(1, 20)) (rng.Next(1, 12)) (h, w) (kh, kw) with
                PadH = pad
                PadW = pad
            }

        Assert.True(2 * s.OutHeight * s.OutWidth <= (h + 2 * pad) * (w + 2 * pad), sprintf "not tiny: %A" s)

        let x, wt, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let e = conv s x wt

        let backData32 t =
            let dx = Array.create s.InputLength nanf
            Conv.backwardData t s (Array.map float32 dy) 0 (Array.map float32 wt) 0 dx 0
            dx

        for t in [ 1; 3 ] do
            closeTo (sprintf "forward float64 %d threads %A" t s) KTol.f64 e (forward64 t s x wt)
            let dx, dw = Array.create s.InputLength nan, Array.create s.WeightLength nan
            Conv.backwardData t s dy 0 wt 0 dx 0
            Conv.backwardWeight t s x 0 dy 0 dw 0
            adjointClose "in x" (dot e dy) (dot x dx)
            adjointClose "in w" (dot e dy) (dot wt dw)
            closeTo "backwardData float32" KTol.f32 dx (Array.map float (backData32 t))
            let dw32 = Array.create s.WeightLength nanf
            Conv.backwardWeight t s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
            closeTo "backwardWeight float32" KTol.f32 dw (Array.map float dw32)

        Assert.Equal<float[]>(forward32 1 s x wt, forward32 3 s x wt)
        Assert.Equal<float32[]>(backData32 1, backData32 3))

[<Fact>]
let ``stride-1 convolutions whose output rows are multiples of 8 wide, with the exact-pixel weight gradient, equal the direct sums and adjoints``
    ()
    =
    // OW = 8 or 16 (the weight gradient's GEMM then runs over the output pixels only, read eight at a time), one
    // image or several per stack, groups and dilation, 1 or 3 threads.
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let k = rng.Next(1, 4)
        let dil = rng.Next(1, 3)
        let pad = rng.Next(0, 3)
        let ow = 8 * rng.Next(1, 3)
        let w = ow - 2 * pad + dil * (k - 1)
        let groups = rng.Next(1, 3)

        let s =
            { Conv.spec
                  (rng.Next(1, 10))
                  (groups * rng.Next(1, 4))
                  (groups * rng.Next(1, 5))
                  (rng.Next(max 1 (dil * (k - 1) + 1 - 2 * pad), 12), max 1 w)
                  (k, k) with
                PadH = pad
                PadW = pad
                DilationH = dil
                DilationW = dil
                Groups = groups
            }

        Assert.Equal(ow, s.OutWidth)

        let x, wt, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let e = conv s x wt

        for t in [ 1; 3 ] do
            closeTo (sprintf "forward float64 %d threads %A" t s) KTol.f64 e (forward64 t s x wt)
            let dw = Array.create s.WeightLength nan
            Conv.backwardWeight t s x 0 dy 0 dw 0
            adjointClose "in w" (dot e dy) (dot wt dw)
            let dw32 = Array.create s.WeightLength nanf
            Conv.backwardWeight t s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
            closeTo "backwardWeight float32" KTol.f32 dw (Array.map float dw32))

[<Fact>]
let ``stacked convolutions of tiny images equal the direct sums and their adjoints for every thread count`` () =
    // tiny outputs (the encoder's 4 × 4 and 2 × 2 stages): stacks of images dealt to the threads one at a time
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let stride = rng.Next(1, 3)
        let size = rng.Next(3, 8)

        let s =
            { Conv.spec (rng.Next(3, 9)) (rng.Next(2, 9)) (rng.Next(2, 9)) (size, size) (3, 3) with
                StrideH = stride
                StrideW = stride
                PadH = rng.Next(0, 2)
                PadW = rng.Next(0, 2)
            }

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let y1 = forward32 1 s x w
        closeTo (sprintf "forward %A" s) KTol.f32 (conv s x w) y1

        for threads in [ 2; 3 ] do
            Assert.Equal<float[]>(y1, forward32 threads s x w)
            let dx = Array.create s.InputLength nan
            Conv.backwardData threads s dy 0 w 0 dx 0
            adjointClose "⟨conv(x), dy⟩ = ⟨x, backwardData(dy)⟩" (dot (conv s x w) dy) (dot x dx)
            let dw = Array.create s.WeightLength nan
            Conv.backwardWeight threads s x 0 dy 0 dw 0
            adjointClose "⟨conv(w), dy⟩ = ⟨w, backwardWeight(dy)⟩" (dot (conv s x w) dy) (dot w dw))

[<Fact>]
let ``valid stride-1 convolutions of small images take the input gradient by col2im as the adjoint of forward`` () =
    // input over 3/2 the output's pixels (3 × 3 valid at 6 × 6 … 10 × 10, the unpadded form of a reflect-padded
    // 8 × 8 layer) with Cin ≥ 8: the exact im2col GEMM and col2im instead of the flipped forward
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let size = rng.Next(6, 11)

        let s =
            Conv.spec (rng.Next(1, 6)) (rng.Next(8, 17)) (rng.Next(2, 9)) (size, size) (3, 3)

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        let dx = Array.create s.InputLength nan
        Conv.backwardData 1 s dy 0 w 0 dx 0
        adjointClose "⟨conv(x), dy⟩ = ⟨x, backwardData(dy)⟩" (dot (conv s x w) dy) (dot x dx)

        let dx32 threads =
            let d = Array.create s.InputLength nanf
            Conv.backwardData threads s (Array.map float32 dy) 0 (Array.map float32 w) 0 d 0
            Array.map float d

        let one = dx32 1
        closeTo "float32 backwardData" KTol.f32 dx one

        for threads in [ 2; 3 ] do
            Assert.Equal<float[]>(one, dx32 threads))
