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
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let s, modes = randomCase rng
        let f32 (a: float[]) = Array.map float32 a

        let x, w, dy =
            f32 (randomArray rng s.InputLength), f32 (randomArray rng s.WeightLength), f32 (randomArray rng s.OutputLength)

        for t in [ 1; 2; 3 ] do
            let ey, edx, edw = composed t s modes x w dy
            let y, dx, dw = padded t s modes x w dy
            Assert.Equal<float32[]>(ey, y)
            Assert.Equal<float32[]>(edx, dx)
            Assert.Equal<float32[]>(edw, dw))

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
