/// Laws of the engine around the kernels: parallel elementwise splits, in-place adjoint accumulation
/// (ownership) and the tape profiler.
module EngineTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

/// float32 values as exact float64 (no rounding: every float32 is a float64).
let private values32 (rng: Random) (n: int) =
    Array.init n (fun _ -> float (float32 (rng.NextDouble() * 4.0 - 2.0)))

/// A length that exercises the single-thread path, the split path and ragged last chunks.
let private randomLength (rng: Random) =
    if rng.Next 2 = 0 then
        rng.Next(1, 5000)
    else
        rng.Next(2 * RawSplit.MinChunk, 3 * RawSplit.MinChunk + 777)

[<Fact>]
let ``split elementwise float32 ops are bit-identical to scalar float32 arithmetic`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let n = randomLength rng
        let a, b = values32 rng n, values32 rng n
        let ta, tb = Tensor.ofArray Float32 [| n |] a, Tensor.ofArray Float32 [| n |] b

        let f32 (f: float32 -> float32 -> float32) =
            Array.map2 (fun x y -> float (f (float32 x) (float32 y))) a b

        bitEqual "add" (f32 (+)) ((ta + tb).ToArray())
        bitEqual "sub" (f32 (-)) ((ta - tb).ToArray())
        bitEqual "mul" (f32 (*)) ((ta * tb).ToArray())
        bitEqual "div" (f32 (/)) ((ta / tb).ToArray())
        bitEqual "mulScalar" (a |> Array.map (fun x -> float (float32 x * 1.5f))) ((ta * 1.5).ToArray())
        bitEqual "addScalar" (a |> Array.map (fun x -> float (float32 x + 0.25f))) ((ta + 0.25).ToArray())
        bitEqual "relu" (a |> Array.map (fun x -> max x 0.0)) ((Activation.relu ta).ToArray())

        bitEqual
            "leakyRelu"
            (a |> Array.map (fun x -> if x > 0.0 then x else float (float32 x * 0.1f)))
            ((Activation.leakyRelu 0.1 ta).ToArray())

        // the relu adjoint: g where x > 0, else g·0
        let g = Tensor.ofArray Float32 [| n |] b
        let x = ta.Detach()
        x.RequiresGrad <- true
        (Activation.relu x).Backward g

        bitEqual "relu adjoint" (Array.map2 (fun xv gv -> if xv > 0.0 then gv else float (float32 gv * 0.0f)) a b) (x.Grad.ToArray()))

[<Fact>]
let ``conv2d bias and its adjoint match an explicit broadcast add at split sizes`` () =
    property 4 (fun (seed: int) ->
        let rng = Random seed
        // [N; O; H; W] outputs above 2·MinChunk elements so the bias add and its channel sum run split
        let n, c, o, h = rng.Next(2, 4), rng.Next(1, 3), rng.Next(3, 6), rng.Next(150, 170)
        let x = Tensor.convert Float32 (random rng [| n; c; h; h |])
        let w = Tensor.convert Float32 (random rng [| o; c; 1; 1 |])
        let b = Tensor.convert Float32 (random rng [| o |])
        let cfg = Conv2dConfig.Default
        let plain = Conv.conv2d cfg w None x
        let expected = plain + Tensor.reshape [| 1; o; 1; 1 |] b
        bitEqual "bias add" (expected.ToArray()) ((Conv.conv2d cfg w (Some b) x).ToArray())
        let gy = random rng [| n; o; h; h |]
        let gv = gy.ToArray()

        let oracle =
            Array.init o (fun ch ->
                let mutable s = 0.0

                for i in 0 .. n - 1 do
                    for j in 0 .. h * h - 1 do
                        s <- s + float (float32 gv[(i * o + ch) * h * h + j])

                s)

        let bt = b.Detach()
        bt.RequiresGrad <- true
        (Conv.conv2d cfg w (Some bt) x).Backward(Tensor.convert Float32 gy)
        // float32 summation of n·h² terms of magnitude ≤ 1: rounding grows up to ε₃₂ per term (a worst-case bound)
        let sumTol = 6e-8 * float (n * h * h)
        closeTo "bias adjoint" sumTol oracle (bt.Grad.ToArray()))

[<Fact>]
let ``adjoints of reused tensors sum correctly when a rule passes one adjoint to several inputs`` () =
    property 25 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng [| rng.Next(1, 6); rng.Next(1, 6) |]
        let w = random rng x.Shape
        // add passes its adjoint through unchanged to both inputs, so (x + x) hands one buffer to x twice,
        // then x*x and x add more; h is reused three times
        let f (x: Tensor) =
            let h = x * 2.0
            Tensor.sum (w * ((x + x) + x * x + x + (h + h + h)))

        let xv, wv = x.ToArray(), w.ToArray()
        let expected = Array.map2 (fun xi wi -> wi * (3.0 + 2.0 * xi + 6.0)) xv wv
        closeTo "gradient" Tol.f64 expected ((Tensor.grad f x).ToArray())
        check1 "finite differences" rng (fun x -> (x + x) * x + x) x)

[<Fact>]
let ``backward never mutates tensors the user holds`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng [| rng.Next(1, 5); rng.Next(1, 5) |]
        x.RequiresGrad <- true
        let h = x * x + x
        let y = h + h
        let hBefore, yBefore = h.ToArray(), y.ToArray()
        let seed1 = random rng x.Shape
        let seedBefore = seed1.ToArray()
        y.Backward seed1
        let firstGrad = x.Grad
        let firstValues = firstGrad.ToArray()
        // a second pass accumulates into x.Grad: a new tensor, the first one keeps its values
        y.Backward seed1
        bitEqual "intermediate" hBefore (h.ToArray())
        bitEqual "output" yBefore (y.ToArray())
        bitEqual "seed" seedBefore (seed1.ToArray())
        bitEqual "first gradient" firstValues (firstGrad.ToArray())
        closeTo "accumulated" Tol.f64 (firstValues |> Array.map ((*) 2.0)) (x.Grad.ToArray())

        let expected =
            Array.map2 (fun xi si -> 2.0 * si * (2.0 * xi + 1.0)) (x.ToArray()) seedBefore

        closeTo "first gradient value" Tol.f64 expected firstValues)

[<Fact>]
let ``the profiler counts one forward and one reverse call per recorded op`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let k = rng.Next(1, 4)
        let x = random rng [| 3; 4 |]
        x.RequiresGrad <- true
        Profile.start ()
        let mutable h = x

        for _ in 1..k do
            h <- Activation.relu (h * x)

        (Tensor.sum h).Backward()
        let t = Profile.stop () |> Array.map (fun t -> t.Op, t) |> dict
        Assert.Equal(k, t["relu"].ForwardCalls)
        Assert.Equal(k, t["relu"].BackwardCalls)
        Assert.Equal(k, t["mul"].ForwardCalls)
        Assert.Equal(k, t["mul"].BackwardCalls)
        Assert.Equal(1, t["(graph order)"].BackwardCalls)

        Assert.True(
            t.Values
            |> Seq.forall (fun o -> o.ForwardSeconds >= 0.0 && o.BackwardSeconds >= 0.0)
        )
        // nothing is recorded outside a session
        Activation.relu x |> ignore
        Assert.Empty(Profile.stop ()))

[<Fact>]
let ``pad2d split over planes equals padding each plane alone, forward and adjoint`` () =
    property 4 (fun (seed: int) ->
        let rng = Random seed
        let modes = [| PadMode.Zeros; PadMode.Reflect; PadMode.Circular |]
        let rowMode, colMode = modes[rng.Next 3], modes[rng.Next 3]
        let planes, h, w = rng.Next(7, 12), rng.Next(110, 130), rng.Next(110, 130)
        let t, b, l, r = rng.Next(0, 4), rng.Next(0, 4), rng.Next(0, 4), rng.Next(0, 4)
        let pad = Pad.pad2d (rowMode, t, b) (colMode, l, r)
        // [1; planes; h; w] pads as one call (split when large); each [1; 1; h; w] plane alone is below the split size
        let x = Tensor.convert Float32 (random rng [| 1; planes; h; w |])
        let y = pad x
        let dy = Tensor.convert Float32 (random rng y.Shape)
        let whole = Tensor.valueAndGrad (fun x -> Tensor.sum (pad x * dy)) x |> snd

        for p in 0 .. planes - 1 do
            let xp = Tensor.narrow 1 p 1 x
            let dyp = Tensor.narrow 1 p 1 dy
            bitEqual (sprintf "forward plane %d" p) ((pad xp).ToArray()) ((Tensor.narrow 1 p 1 y).ToArray())
            let gp = Tensor.grad (fun xp -> Tensor.sum (pad xp * dyp)) xp
            bitEqual (sprintf "adjoint plane %d" p) (gp.ToArray()) ((Tensor.narrow 1 p 1 whole).ToArray()))

/// Values and the input, weight and bias gradients of `f input weight bias` against the seed adjoint `dy`.
let private convAndGrads (f: Tensor -> Tensor -> Tensor -> Tensor) (x: Tensor) (w: Tensor) (b: Tensor) (dy: Tensor) =
    let xs = [| x.Detach(); w.Detach(); b.Detach() |]

    for t in xs do
        t.RequiresGrad <- true

    let y = f xs[0] xs[1] xs[2]
    y.Backward dy
    y.ToArray(), xs |> Array.map (fun t -> t.Grad.ToArray())

[<Fact>]
let ``fused conv2dRelu equals relu of conv2d bit for bit in values and all gradients`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let big = seed % 4 = 0
        let groups = if rng.Next 3 = 0 then 2 else 1

        let cfg =
            {
                Stride = (rng.Next(1, 3), rng.Next(1, 3))
                Padding = (rng.Next(0, 3), rng.Next(0, 2))
                Dilation = (rng.Next(1, 3), 1)
                Groups = groups
            }

        // big cases make the output exceed the split size, so the fused pass runs on several chunks
        let n, hw =
            (if big then
                 4, rng.Next(100, 110)
             else
                 rng.Next(1, 3), rng.Next(6, 11))

        let x = Tensor.convert Float32 (random rng [| n; groups * rng.Next(1, 3); hw; hw |])
        let o = groups * rng.Next(2, 4)

        let w =
            Tensor.convert Float32 (random rng [| o; x.Shape[1] / groups; rng.Next(1, 4); rng.Next(1, 4) |])

        let b = Tensor.convert Float32 (random rng [| o |])
        let yShape = (Conv.conv2d cfg w (Some b) x).Shape
        let dy = Tensor.convert Float32 (random rng yShape)

        let y1, g1 =
            convAndGrads (fun x w b -> Activation.relu (Conv.conv2d cfg w (Some b) x)) x w b dy

        let y2, g2 = convAndGrads (fun x w b -> Conv.conv2dRelu cfg w (Some b) x) x w b dy
        bitEqual "values" y1 y2

        for i, name in [ 0, "input"; 1, "weight"; 2, "bias" ] do
            bitEqual (name + " gradient") g1[i] g2[i]

        // without bias
        let y3 = Activation.relu (Conv.conv2d cfg w None x)
        bitEqual "values without bias" (y3.ToArray()) ((Conv.conv2dRelu cfg w None x).ToArray()))

[<Fact>]
let ``reverse rule of fused conv2dRelu matches finite differences`` () =
    property 15 (fun (seed: int) ->
        let rng = Random seed

        let cfg =
            { Conv2dConfig.Default with
                Padding = (1, 1)
            }

        let x =
            random rng [| rng.Next(1, 3); rng.Next(1, 3); rng.Next(4, 7); rng.Next(4, 7) |]

        let w = random rng [| rng.Next(1, 3); x.Shape[1]; 3; 3 |]
        let b = random rng [| w.Shape[0] |]
        check "conv2dRelu" rng (fun xs -> Conv.conv2dRelu cfg xs[1] (Some xs[2]) xs[0]) [| x; w; b |])

[<Fact>]
let ``Conv2d ForwardRelu equals relu of Forward for every padding mode`` () =
    property 6 (fun (seed: int) ->
        let rng = Random seed
        let mode = [| PadMode.Zeros; PadMode.Reflect |][rng.Next 2]

        let layer =
            Conv2d(2, 3, 3, Random seed, padding = 1, rowMode = mode, colMode = mode)

        let x = Tensor.convert Float32 (random rng [| 2; 2; 6; 7 |])
        bitEqual "layer" ((Activation.relu (layer.Forward x)).ToArray()) ((layer.ForwardRelu x).ToArray()))
