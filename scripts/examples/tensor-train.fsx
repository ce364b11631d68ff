// Trains a small conv net on a seeded synthetic task (noisy bars: horizontal, vertical, diagonal,
// anti-diagonal) and prints the loss per epoch and the held-out accuracy.
// Run after a Release build:  dotnet fsi scripts/examples/tensor-train.fsx
#r "../../src/EquiSphere.Tensor/bin/Release/net10.0/System.Numerics.Tensors.dll"
#r "../../src/EquiSphere.Tensor/bin/Release/net10.0/EquiSphere.Tensor.dll"

open System
open EquiSphere.Tensor

let size = 12

/// n images [n; 1; 12; 12] of a bar in one of 4 orientations plus uniform noise, and their labels.
let images (rng: Random) (n: int) =
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

type SmallConvNet(rng: Random) as this =
    inherit Model()
    let c1 = this.AddChild("conv1", Conv2d(1, 8, 3, rng, padding = 1))
    let bn = this.AddChild("bn1", BatchNorm2d(8))
    let c2 = this.AddChild("conv2", Conv2d(8, 16, 3, rng, padding = 1))
    let fc = this.AddChild("fc", Linear(16, 4, rng))

    override _.Forward(x) =
        x
        |> c1.Forward
        |> bn.Forward
        |> Activation.relu
        |> Pool.maxPool2d (2, 2) (2, 2) (0, 0)
        |> c2.Forward
        |> Activation.relu
        |> Tensor.meanDims [| 2; 3 |] false
        |> fc.Forward

let rng = Random 7
let trainX, trainY = images rng 384
let testX, testY = images rng 256
let net = SmallConvNet(rng)
let epochs = 6
let opt = Adam(net.Parameters, 0.01)
let schedule = Schedule.cosine 0.01 0.001 epochs
let batch = 32

for epoch in 0 .. epochs - 1 do
    opt.LearningRate <- schedule epoch
    net.Train()
    let mutable total = 0.0

    for b in 0 .. 384 / batch - 1 do
        let x = Tensor.narrow 0 (b * batch) batch trainX
        let y = trainY[b * batch .. b * batch + batch - 1]
        opt.ZeroGrad()
        let loss = Loss.crossEntropy y (net.Forward x)
        loss.Backward()
        opt.Step()
        total <- total + loss.ToScalar()

    net.Eval()

    let predicted =
        use _ = Tensor.noGrad ()
        Tensor.argmax 1 (net.Forward testX)

    let accuracy =
        Array.map2 (fun p t -> if p = t then 1.0 else 0.0) predicted testY
        |> Array.average

    printfn
        "epoch %d  lr %.4f  loss %.4f  test accuracy %.1f %%"
        (epoch + 1)
        opt.LearningRate
        (total / float (384 / batch))
        (100.0 * accuracy)
