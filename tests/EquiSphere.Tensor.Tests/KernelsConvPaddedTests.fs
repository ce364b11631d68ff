module KernelsConvPaddedTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

/// A random convolution with padding 1–3 and a mode per axis (reflect only where the pad is smaller than the
/// axis): stride 1 or 2, batches of 1–11 images (stacked small images on the stride-1 path), groups 1–2.
let private randomCase (rng: Random) =
    let rec draw () =
        let groups = rng.Next(1, 3)
        let k = rng.Next(1, 4)

        let s =
            { Conv.spec (rng.Next(1, 12)) (groups * rng.Next(1, 5)) (groups * rng.Next(1, 5)) (rng.Next(2, 11), rng.Next(2, 11)) (k, k) with
                StrideH = rng.Next(1, 3)
                StrideW = rng.Next(1, 3)
                PadH = rng.Next(1, 4)
                PadW = rng.Next(1, 4)
                DilationH = rng.Next(1, 3)
                Groups = groups
            }

        let mode (pad: int) (size: int) =
            match rng.Next 3 with
            | 0 -> PadMode.Zeros
            | 1 when pad < size -> PadMode.Reflect
            | _ -> PadMode.Circular

        let modes = mode s.PadH s.Height, mode s.PadW s.Width
        let u = ConvPadded.unpadded s

        if u.Height >= s.DilationH * (s.KernelHeight - 1) + 1 && u.Width >= s.KernelWidth then
            s, modes
        else
            draw ()

    draw ()

/// The composition the padded kernels replace, in float32: Pad.forward into a buffer, then the unpadded kernels,
/// the input gradient folded back by Pad.adjoint; with both modes Zeros the zero-padded kernels themselves, as
/// documented.
let private composed (t: int) (s: Conv2dSpec) modes (x: float32[]) (w: float32[]) (dy: float32[]) =
    let y = Array.zeroCreate<float32> s.OutputLength
    let dx = Array.zeroCreate<float32> s.InputLength
    let dw = Array.zeroCreate<float32> s.WeightLength

    if modes = (PadMode.Zeros, PadMode.Zeros) then
        Conv.forward t s x 0 w 0 y 0
        Conv.backwardData t s dy 0 w 0 dx 0
        Conv.backwardWeight t s x 0 dy 0 dw 0
    else
        let u = ConvPadded.unpadded s
        let ps = ConvPadded.padSpec s modes (s.Batch * s.InChannels)
        let xp = Array.zeroCreate<float32> u.InputLength
        Pad.forward ps x 0 xp 0
        Conv.forward t u xp 0 w 0 y 0
        let dxp = Array.zeroCreate<float32> u.InputLength
        Conv.backwardData t u dy 0 w 0 dxp 0
        Pad.adjoint ps dxp 0 dx 0
        Conv.backwardWeight t u xp 0 dy 0 dw 0

    y, dx, dw

/// The three padded kernels in float32 (outputs start as NaN: every element must be written).
let private padded (t: int) (s: Conv2dSpec) modes (x: float32[]) (w: float32[]) (dy: float32[]) =
    let y = Array.create s.OutputLength nanf
    ConvPadded.forward t s modes x 0 w 0 y 0
    let dx = Array.create s.InputLength nanf
    ConvPadded.backwardData t s modes dy 0 w 0 dx 0
    let dw = Array.create s.WeightLength nanf
    ConvPadded.backwardWeight t s modes x 0 dy 0 dw 0
    y, dx, dw

[<Fact>]
let ``convolution with mode padding equals Pad then the unpadded convolution, bit for bit, in all three kernels`` () =
    // except the input gradient of the interior-plus-ring path (`ConvPadded.usesRing`), which sums in another
    // grouping: equal up to float32 rounding there (the next test checks that path against the fold in float64)
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let s, modes = randomCase rng
        let f32 (a: float[]) = Array.map float32 a
        let f64 (a: float32[]) = Array.map float a

        let x, w, dy =
            f32 (randomArray rng s.InputLength), f32 (randomArray rng s.WeightLength), f32 (randomArray rng s.OutputLength)

        for t in [ 1; 2; 3 ] do
            let ey, edx, edw = composed t s modes x w dy
            let y, dx, dw = padded t s modes x w dy
            Assert.Equal<float32[]>(ey, y)

            if ConvPadded.usesRing s modes then
                closeTo (sprintf "input gradient %A %A" modes s) KTol.f32 (f64 edx) (f64 dx)
            else
                Assert.Equal<float32[]>(edx, dx)

            Assert.Equal<float32[]>(edw, dw))

/// A stride-1 convolution padded by one row and column of an input of 8 × 8 to 11 × 11 (the interior-plus-ring
/// input gradient takes inputs of at least 8 × 8 and at most 128 samples): 1–5 images, 1–6 channels in and out,
/// kernels 1 × 1 to 3 × 3 (not square), modes per axis not both zeros.
let private ringCase (rng: Random) =
    let s =
        { Conv.spec (rng.Next(1, 6)) (rng.Next(1, 7)) (rng.Next(1, 7)) (rng.Next(8, 12), rng.Next(8, 12)) (rng.Next(1, 4), rng.Next(1, 4)) with
            PadH = 1
            PadW = 1
        }

    let all = [| PadMode.Zeros; PadMode.Reflect; PadMode.Circular |]

    let modes =
        match rng.Next 3 with
        | 0 -> PadMode.Zeros, all[1 + rng.Next 2]
        | 1 -> all[1 + rng.Next 2], PadMode.Zeros
        | _ -> all[1 + rng.Next 2], all[1 + rng.Next 2]

    s, modes

[<Fact>]
let ``strided convolutions that gather through the padded buffer equal Pad then the unpadded convolution, bit for bit`` () =
    // Stride 2 with output rows of 8 or 16 pixels: the forward and the weight gradient fill the border of their
    // padded buffers by the modes instead of padding the whole input first, and must give the same bits.
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let ow = 8 * rng.Next(1, 3)
        let k = rng.Next(1, 4)
        let pad = rng.Next(1, 3)
        let width = 2 * (ow - 1) + k - 2 * pad + rng.Next 2

        let s =
            { Conv.spec (rng.Next(1, 8)) (rng.Next(1, 6)) (rng.Next(1, 6)) (rng.Next(max 3 k, 12), max 3 width) (k, k) with
                StrideH = 2
                StrideW = 2
                PadH = pad
                PadW = pad
            }

        let modes =
            (if rng.Next 2 = 0 then PadMode.Reflect else PadMode.Circular), (if rng.Next 2 = 0 then PadMode.Reflect else PadMode.Circular)

        let x, w, dy =
            Array.map float32 (randomArray rng s.InputLength),
            Array.map float32 (randomArray rng s.WeightLength),
            Array.map float32 (randomArray rng s.OutputLength)

        let t = rng.Next(1, 4)
        let y0, dx0, dw0 = composed t s modes x w dy
        let y1, dx1, dw1 = padded t s modes x w dy
        Assert.Equal<float32[]>(y0, y1)
        Assert.Equal<float32[]>(dx0, dx1)
        Assert.Equal<float32[]>(dw0, dw1))

[<Fact>]
let ``the interior-plus-ring input gradient equals the folded padded-grid gradient and is bit-identical across thread counts`` () =
    property 24 (fun (seed: int) ->
        let rng = Random seed
        let s, modes = ringCase rng
        Assert.True(ConvPadded.usesRing s modes, sprintf "%A %A takes the ring path" s modes)
        let w, dy = randomArray rng s.WeightLength, randomArray rng s.OutputLength
        // oracle in float64: the unpadded convolution's input gradient on the padded grid, folded by Pad.adjoint
        let u = ConvPadded.unpadded s
        let dxp = Array.zeroCreate u.InputLength
        Conv.backwardData 1 u dy 0 w 0 dxp 0
        let expected = Array.zeroCreate s.InputLength
        Pad.adjoint (ConvPadded.padSpec s modes (s.Batch * s.InChannels)) dxp 0 expected 0

        let run (t: int) =
            let dx = Array.create s.InputLength nan
            ConvPadded.backwardData t s modes dy 0 w 0 dx 0
            dx

        let one = run 1
        closeTo (sprintf "input gradient %A %A" modes s) KTol.f64 expected one

        for t in [ 2; 3 ] do
            bitEqual (sprintf "input gradient with %d threads" t) one (run t)

        let f32 (a: float[]) = Array.map float32 a
        let dx32 = Array.create s.InputLength nanf
        ConvPadded.backwardData 2 s modes (f32 dy) 0 (f32 w) 0 dx32 0
        closeTo "float32 input gradient" KTol.f32 expected (Array.map float dx32))

[<Fact>]
let ``convolution with mode padding equals the direct sum over the padded input and its backward kernels are its adjoints`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let s, modes = randomCase rng
        let u = ConvPadded.unpadded s

        let x, w, dy =
            randomArray rng s.InputLength, randomArray rng s.WeightLength, randomArray rng s.OutputLength

        // the oracle pads by the definition of each mode (Pad.source), then sums directly
        let src (mode: PadMode) (n: int) (pad: int) (i: int) =
            let j = i - pad

            if j >= 0 && j < n then
                j
            else
                match mode with
                | PadMode.Zeros -> -1
                | PadMode.Reflect -> if j < 0 then -j else 2 * (n - 1) - j
                | _ -> ((j % n) + n) % n

        let xp =
            Array.init u.InputLength (fun idx ->
                let plane, r = idx / (u.Height * u.Width), idx % (u.Height * u.Width)

                let i, j =
                    src (fst modes) s.Height s.PadH (r / u.Width), src (snd modes) s.Width s.PadW (r % u.Width)

                if i < 0 || j < 0 then
                    0.0
                else
                    x[(plane * s.Height + i) * s.Width + j])

        let e = conv u xp w
        let y = Array.zeroCreate s.OutputLength
        ConvPadded.forward 2 s modes x 0 w 0 y 0
        closeTo (sprintf "forward %A %A" modes s) KTol.f64 e y
        let dx, dw = Array.create s.InputLength nan, Array.create s.WeightLength nan
        ConvPadded.backwardData 2 s modes dy 0 w 0 dx 0
        ConvPadded.backwardWeight 2 s modes x 0 dy 0 dw 0
        adjointClose "in x" (dot e dy) (dot x dx)
        adjointClose "in w" (dot e dy) (dot w dw))
