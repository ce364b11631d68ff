module KernelsPoolTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

let private randomSpec (rng: Random) =
    let rec draw () =
        let kh, kw = rng.Next(1, 5), rng.Next(1, 5)

        let s =
            {
                Planes = rng.Next(1, 4)
                Height = rng.Next(1, 10)
                Width = rng.Next(1, 10)
                KernelHeight = kh
                KernelWidth = kw
                StrideH = rng.Next(1, 4)
                StrideW = rng.Next(1, 4)
                PadH = rng.Next(0, kh / 2 + 1)
                PadW = rng.Next(0, kw / 2 + 1)
            }

        if s.Height + 2 * s.PadH >= kh && s.Width + 2 * s.PadW >= kw then
            s
        else
            draw ()

    draw ()

let private inLen (s: Pool2dSpec) = s.Planes * s.Height * s.Width
let private outLen (s: Pool2dSpec) = s.Planes * s.OutHeight * s.OutWidth

[<Fact>]
let ``max pooling equals the window maximum and argmax points at it`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x = randomArray rng (inLen s)
        let y, arg = Array.zeroCreate (outLen s), Array.zeroCreate (outLen s)
        Pool.maxForward s x 0 y 0 arg 0
        Assert.Equal<float[]>(maxPool s x, y)
        let planeOut = s.OutHeight * s.OutWidth

        for k in 0 .. y.Length - 1 do
            Assert.Equal(y[k], x[(k / planeOut) * s.Height * s.Width + arg[k]])

        let y32, arg32 = Array.zeroCreate<float32>(outLen s), Array.zeroCreate (outLen s)
        Pool.maxForward s (Array.map float32 x) 0 y32 0 arg32 0
        Assert.Equal<float[]>(y, Array.map float y32))

[<Fact>]
let ``2 × 2 stride 2 max pooling of float32 picks the first maximum in window order, NaN first`` () =
    // The SIMD path (16 outputs per step) with a scalar tail: widths around multiples of 32, samples from a small
    // set of values (ties everywhere) with some NaNs, at an offset.
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let h, w = 2 * rng.Next(1, 5), rng.Next(32, 100)

        let s = Pool.spec (rng.Next(1, 4)) (h, w) 2 2 0

        let x =
            Array.init (inLen s) (fun _ -> if rng.Next 20 = 0 then nan else float (rng.Next 4))

        let off = rng.Next 5
        let x32 = Array.append (Array.zeroCreate off) (Array.map float32 x)
        let y32 = Array.zeroCreate<float32>(off + outLen s)
        let arg = Array.zeroCreate<int>(off + outLen s)
        Pool.maxForward s x32 off y32 off arg off
        let expectedArg = maxPoolArgmax s x
        Assert.Equal<int[]>(expectedArg, arg[off..])
        let planeOut = s.OutHeight * s.OutWidth

        let expected =
            expectedArg
            |> Array.mapi (fun k at -> x[(k / planeOut) * s.Height * s.Width + at])

        Assert.Equal<float[]>(expected, Array.map float y32[off..]))

[<Fact>]
let ``max pooling backward is the adjoint of gathering at argmax`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x, dy = randomArray rng (inLen s), randomArray rng (outLen s)
        let y, arg = Array.zeroCreate (outLen s), Array.zeroCreate (outLen s)
        Pool.maxForward s x 0 y 0 arg 0
        let dx = Array.create (inLen s) nan
        Pool.maxBackward s dy 0 arg 0 dx 0
        adjointClose "⟨maxpool(x), dy⟩ = ⟨x, maxBackward(dy)⟩" (dot y dy) (dot x dx))

[<Fact>]
let ``max pooling gradient matches central differences`` () =
    // Distinct random samples: the max is locally linear, so the difference quotient is exact up to rounding.
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x, r = randomArray rng (inLen s), randomArray rng (outLen s)

        let loss (x: float[]) =
            let y, arg = Array.zeroCreate (outLen s), Array.zeroCreate (outLen s)
            Pool.maxForward s x 0 y 0 arg 0
            Array.fold2 (fun acc a b -> acc + a * b) 0.0 y r

        let y, arg = Array.zeroCreate (outLen s), Array.zeroCreate (outLen s)
        Pool.maxForward s x 0 y 0 arg 0
        let dx = Array.zeroCreate (inLen s)
        Pool.maxBackward s r 0 arg 0 dx 0
        let i = rng.Next(inLen s)
        let h = 1e-7
        let p, m = Array.copy x, Array.copy x
        p[i] <- p[i] + h
        m[i] <- m[i] - h
        close "∂L/∂x" KTol.fd64 ((loss p - loss m) / (2.0 * h)) dx[i])

[<Fact>]
let ``average pooling equals the window mean with and without counted padding`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let countPad = rng.Next 2 = 0
        let x = randomArray rng (inLen s)
        let y = Array.zeroCreate (outLen s)
        Pool.avgForward s countPad x 0 y 0
        closeTo "float64" KTol.f64 (avgPool s countPad x) y
        let y32 = Array.zeroCreate<float32>(outLen s)
        Pool.avgForward s countPad (Array.map float32 x) 0 y32 0
        closeTo "float32" KTol.f32 y (Array.map float y32))

[<Fact>]
let ``average pooling backward is the adjoint of average pooling`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let countPad = rng.Next 2 = 0
        let x, dy = randomArray rng (inLen s), randomArray rng (outLen s)
        let dx = Array.create (inLen s) nan
        Pool.avgBackward s countPad dy 0 dx 0
        adjointClose "⟨avgpool(x), dy⟩ = ⟨x, avgBackward(dy)⟩" (dot (avgPool s countPad x) dy) (dot x dx))

[<Fact>]
let ``pooling rejects padding over half the window and bad argmax indices`` () =
    let a = Array.zeroCreate<float> 100

    throwsWith<ArgumentException> [ "2·pad ≤ kernel"; "pad 2 × 2"; "3 × 3 window" ] (fun () ->
        Pool.avgForward (Pool.spec 1 (5, 5) 3 1 2) true a 0 a 0)

    let s = Pool.spec 1 (4, 4) 2 2 0
    throwsWith<ArgumentException> [ "argmax"; "[0, H·W = 16)"; "got 16" ] (fun () -> Pool.maxBackward s a 0 (Array.create 4 16) 0 a 0)
