module ModelTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit

type private Encoder(rng: Random) as this =
    inherit Model()

    let stage =
        this.AddChild(
            "stage1",
            Sequential(
                [
                    "conv", Conv2d(1, 2, 3, rng, dtype = Float64) :> Model
                    "bn", BatchNorm2d(2, dtype = Float64)
                ]
            )
        )

    override _.Forward(x) = stage.Forward x

type private Net(rng: Random) as this =
    inherit Model()
    let encoder = this.AddChild("encoder", Encoder(rng))
    override _.Forward(x) = encoder.Forward x

[<Fact>]
let ``parameters and buffers carry hierarchical names`` () =
    let net = Net(Random 1)
    let names = net.Parameters |> Array.map fst

    Assert.Equal<string[]>(
        [|
            "encoder.stage1.conv.weight"
            "encoder.stage1.conv.bias"
            "encoder.stage1.bn.weight"
            "encoder.stage1.bn.bias"
        |],
        names
    )

    Assert.Equal<string[]>([| "encoder.stage1.bn.runningMean"; "encoder.stage1.bn.runningVar" |], net.Buffers |> Array.map fst)
    Assert.Equal(2 * 9 + 2 + 2 + 2, net.ParameterCount)
    Assert.All(net.Parameters, (fun (_, p) -> Assert.True p.RequiresGrad))

[<Fact>]
let ``eval mode propagates to every descendant`` () =
    let net = Net(Random 1)
    net.Eval()
    Assert.False((net.Children[0] |> snd).Children[0] |> snd |> fun s -> s.Training)
    net.Train()
    Assert.True(net.Training)

[<Fact>]
let ``duplicate or dotted names are rejected`` () =
    let s = Sequential([]: Model list)
    s.AddParameter("w", Tensor.zeros Float32 [| 1 |]) |> ignore
    throwsWith<ArgumentException> [ "'w' twice" ] (fun () -> s.AddParameter("w", Tensor.zeros Float32 [| 1 |]) |> ignore)
    throwsWith<ArgumentException> [ "without '.'" ] (fun () -> s.AddBuffer("a.b", Tensor.zeros Float32 [| 1 |]) |> ignore)

[<Fact>]
let ``linear computes x times W transposed plus b`` () =
    let rng = Random 4
    let l = Linear(3, 2, rng, dtype = Float64)
    let x = Tensor.randn Float64 [| 5; 3 |] rng
    let w, b, xv = l.Weight.ToArray(), l.Bias.Value.ToArray(), x.ToArray()

    let expected =
        Array.init 10 (fun o ->
            b[o % 2]
            + Seq.sum (seq { for k in 0..2 -> xv[(o / 2) * 3 + k] * w[(o % 2) * 3 + k] }))

    closeTo "linear" Tol.f64 expected ((l.Forward x).ToArray())

[<Fact>]
let ``seeded initialization is reproducible and scaled by fan-in`` () =
    let a = Init.kaimingNormal Float64 [| 64; 32; 3; 3 |] (Random 5)
    let b = Init.kaimingNormal Float64 [| 64; 32; 3; 3 |] (Random 5)
    Assert.Equal<float[]>(a.ToArray(), b.ToArray())
    let sd = sqrt (a.ToArray() |> Array.averageBy (fun v -> v * v))
    // expected √(2/288) ≈ 0.0833; 18432 samples give a relative standard error of about 0.5 %
    Assert.InRange(sd, 0.0833 * 0.97, 0.0833 * 1.03)
    let x = Init.xavierUniform Float64 [| 10; 20 |] (Random 5)
    Assert.All(x.ToArray(), (fun v -> Assert.InRange(v, -sqrt(6.0 / 30.0), sqrt (6.0 / 30.0))))

[<Fact>]
let ``a pre-activation block keeps the shape or downsamples with a projection`` () =
    let rng = Random 2
    let same = PreActBlock(4, 4, 1, rng, PadMode.Reflect, Float64)
    let down = PreActBlock(4, 8, 2, rng, PadMode.Reflect, Float64)
    let x = Tensor.randn Float64 [| 2; 4; 8; 8 |] rng
    Assert.Equal<int[]>([| 2; 4; 8; 8 |], (same.Forward x).Shape)
    Assert.Equal<int[]>([| 2; 8; 4; 4 |], (down.Forward x).Shape)
    Assert.Contains("shortcut.weight", down.Parameters |> Array.map fst)

/// Seeded synthetic task: 12×12 images with a noisy bar that is horizontal, vertical, diagonal or anti-diagonal.
let barImages (rng: Random) (n: int) =
    let size = 12
    let labels = Array.init n (fun _ -> rng.Next 4)
    let pixels = Array.zeroCreate (n * size * size)

    for i in 0 .. n - 1 do
        let c = rng.Next(3, size - 3)

        for k in 0 .. size - 1 do
            let y, x =
                match labels[i] with
                | 0 -> c, k
                | 1 -> k, c
                | 2 -> k, k
                | _ -> k, size - 1 - k

            pixels[(i * size + y) * size + x] <- 1.0f

        for p in 0 .. size * size - 1 do
            pixels[i * size * size + p] <- pixels[i * size * size + p] + float32 (0.3 * (rng.NextDouble() - 0.5))

    Tensor.ofFloat32 [| n; 1; size; size |] pixels, labels

type private SmallConvNet(rng: Random) as this =
    inherit Model()
    let c1 = this.AddChild("conv1", Conv2d(1, 8, 3, rng, padding = 1))
    let c2 = this.AddChild("conv2", Conv2d(8, 16, 3, rng, padding = 1))
    let fc = this.AddChild("fc", Linear(16, 4, rng))

    override _.Forward(x) =
        x
        |> c1.Forward
        |> Activation.relu
        |> Pool.maxPool2d (2, 2) (2, 2) (0, 0)
        |> c2.Forward
        |> Activation.relu
        |> Tensor.meanDims [| 2; 3 |] false
        |> fc.Forward

[<Fact>]
let ``a small conv net learns a seeded synthetic image task`` () =
    let rng = Random 11
    let net = SmallConvNet(rng)
    let trainX, trainY = barImages rng 256
    let testX, testY = barImages rng 256
    let opt = Adam(net.Parameters, 0.01)
    let batch = 32

    for _ in 1..12 do
        for b in 0 .. 256 / batch - 1 do
            let x = Tensor.narrow 0 (b * batch) batch trainX
            let y = trainY[b * batch .. b * batch + batch - 1]
            opt.ZeroGrad()
            (Loss.crossEntropy y (net.Forward x)).Backward()
            opt.Step()

    net.Eval()

    let predicted =
        use _ = Tensor.noGrad ()
        Tensor.argmax 1 (net.Forward testX)

    let accuracy =
        Array.map2 (fun p t -> if p = t then 1.0 else 0.0) predicted testY
        |> Array.average

    Assert.True(accuracy >= 0.95, sprintf "Expected accuracy >= 95 %%, got %.1f %%" (100.0 * accuracy))

[<Fact>]
let ``a conv layer with reflect and circular padding equals explicit padding then convolution`` () =
    let rng = Random 6

    let layer =
        Conv2d(2, 3, 3, rng, padding = 1, rowMode = PadMode.Reflect, colMode = PadMode.Circular, dtype = Float64)

    let x = Tensor.randn Float64 [| 2; 2; 5; 6 |] rng
    let padded = Pad.pad2d (PadMode.Reflect, 1, 1) (PadMode.Circular, 1, 1) x
    let expected = Conv.conv2d Conv2dConfig.Default layer.Weight layer.Bias padded
    Assert.Equal<int[]>([| 2; 3; 5; 6 |], (layer.Forward x).Shape)
    closeTo "padded conv" Tol.f64 (expected.ToArray()) ((layer.Forward x).ToArray())

[<Fact>]
let ``training is deterministic for a seed and thread count`` () =
    let run () =
        let rng = Random 3
        let net = SmallConvNet(rng)
        let x, y = barImages rng 32
        let opt = SGD(net.Parameters, 0.05, momentum = 0.9)

        for _ in 1..3 do
            opt.ZeroGrad()
            (Loss.crossEntropy y (net.Forward x)).Backward()
            opt.Step()

        net.Parameters |> Array.collect (fun (_, p) -> p.ToArray())

    Assert.Equal<float[]>(run (), run ())
