// The tensor engine in a few steps: tensors, reverse mode, a custom op through the extension point, a model,
// an optimizer and a checkpoint. Run after a Release build:  dotnet fsi docs/tensor.fsx
#r "../src/EquiSphere.Tensor/bin/Release/net10.0/System.Numerics.Tensors.dll"
#r "../src/EquiSphere.Tensor/bin/Release/net10.0/EquiSphere.Tensor.dll"

open System
open EquiSphere.Tensor

// Tensors: float32 for training, float64 for reference; broadcasting arithmetic.
let a = Tensor.ofArray Float64 [| 2; 3 |] [| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |]
let b = Tensor.ofArray Float64 [| 3 |] [| 10.0; 20.0; 30.0 |]
printfn "a + b = %A" ((a + b).ToArray())

// Reverse mode, functional style: ∂/∂x Σ x² = 2x.
let g = Tensor.grad (fun x -> Tensor.sum (x * x)) a
printfn "grad of sum(x^2) = %A" (g.ToArray())

// Reverse mode, PyTorch style: gradients accumulate into leaves marked RequiresGrad.
let w = Tensor.ofArray Float64 [| 3 |] [| 1.0; -1.0; 0.5 |] |> Tensor.requireGrad
(Tensor.sum (a * w)).Backward()
printfn "dL/dw = %A" (w.Grad.ToArray())

// The extension point: a forward function and a reverse rule (output adjoint -> input adjoint).
let cube =
    Op.defineUnary "cube" (fun x -> x * x * x) (fun x _ adjoint -> adjoint * x * x * 3.0)

printfn "d/dx x^3 at a = %A" ((Tensor.grad (cube >> Tensor.sum) a).ToArray())

// A model with hierarchical parameter names, trained by Adam on a tiny regression.
let rng = Random 1

let net =
    Sequential(
        [
            "hidden", Linear(2, 16, rng) :> Model
            "act", Lambda(Activation.relu) :> Model
            "out", Linear(16, 1, rng) :> Model
        ]
    )

printfn "parameters: %s" (net.Parameters |> Array.map fst |> String.concat ", ")
let x = Tensor.rand Float32 [| 64; 2 |] rng
let target = Tensor.sumDims [| 1 |] true x // learn y = x1 + x2
let opt = Adam(net.Parameters, 0.02)

for step in 1..200 do
    opt.ZeroGrad()
    let loss = Loss.mse (net.Forward x) target
    loss.Backward()
    opt.Step()

    if step % 50 = 0 then
        printfn "step %3d  mse %.5f" step (loss.ToScalar())

// Checkpoints: parameters, buffers and optimizer state in one safetensors file (written atomically).
let path =
    IO.Path.Combine(IO.Path.GetTempPath(), "equisphere-docs-tensor.safetensors")

Checkpoint.save path (Map [ ("example", "docs/tensor.fsx") ]) net (Some(opt :> Optimizer))
let meta = Checkpoint.load path net (Some(opt :> Optimizer))
printfn "checkpoint metadata: %A" meta
IO.File.Delete path

// Profiling: per-op forward and reverse wall time of one training step on this thread.
Profile.start ()
opt.ZeroGrad()
(Loss.mse (net.Forward x) target).Backward()
let timings = Profile.stop ()

for t in timings |> Array.truncate 4 do
    printfn
        "%-12s fwd %d calls %.3f ms   bwd %d calls %.3f ms"
        t.Op
        t.ForwardCalls
        (t.ForwardSeconds * 1e3)
        t.BackwardCalls
        (t.BackwardSeconds * 1e3)

// Fused ops of the encoder's pre-activation blocks: BN → ReLU as one op, and a convolution whose reflect padding
// is filled inside the kernel; both equal the unfused compositions bit for bit.
let feat = Tensor.randn Float32 [| 4; 8; 10; 10 |] (Random 3)
let rm, rv = Tensor.zeros Float32 [| 8 |], Tensor.ones Float32 [| 8 |]
let act = Norm.batchNormRelu true 0.1 1e-5 rm rv None None feat
let rm2, rv2 = Tensor.zeros Float32 [| 8 |], Tensor.ones Float32 [| 8 |]
let aRef = Activation.relu (Norm.batchNorm true 0.1 1e-5 rm2 rv2 None None feat)
printfn "batchNormRelu = relu ∘ batchNorm bit for bit: %b" (act.ToArray() = aRef.ToArray())

// The float32 statistics take one pass with a per-channel shift, so a mean of 1e3 × std costs no accuracy:
// compare with the float64 two-pass reference on the same values.
let far =
    let r = Random 5
    Array.init (4 * 2 * 100) (fun _ -> float32 (1000.0 + 2.0 * r.NextDouble() - 1.0))

let _, var32 = RawNorm.stats32 4 2 100 far
let _, var64 = RawNorm.stats 4 2 100 (Array.map float far)
printfn "variance at mean = 1e3·std, relative error: %.1e" (abs (var32[0] - var64[0]) / var64[0])

let k3 = Tensor.randn Float32 [| 8; 8; 3; 3 |] (Random 4)

let padded =
    Conv.conv2dPadded
        (PadMode.Reflect, PadMode.Circular)
        { Conv2dConfig.Default with
            Padding = (1, 1)
        }
        k3
        None
        act

let composed =
    Conv.conv2d Conv2dConfig.Default k3 None (Pad.pad2d (PadMode.Reflect, 1, 1) (PadMode.Circular, 1, 1) act)

printfn "conv2dPadded = conv2d ∘ pad2d bit for bit: %b, shape %A" (padded.ToArray() = composed.ToArray()) padded.Shape

// Memory: dead adjoints go back to the storage pool during the backward sweep; a step run inside a StorageScope
// also gives its activations back when the scope ends. Results are the same bit for bit as with the pool off.
let conv = Conv2d(8, 8, 3, Random 5, padding = 1)
let images = Tensor.randn Float32 [| 8; 8; 32; 32 |] (Random 6) // 65 536 elements per activation: pooled
let convOpt = SGD(conv.Parameters, 0.01)

let trainStep () =
    use _ = new StorageScope()
    convOpt.ZeroGrad()
    let loss = Tensor.sum (Activation.relu (conv.Forward images))
    loss.Backward()
    convOpt.Step()
    loss.ToScalar() // a one-element tensor: never recycled, readable after the scope too

StoragePool.resetStatistics ()
let losses = [ for _ in 1..3 -> trainStep () ]
let stats = StoragePool.statistics ()

printfn
    "losses %A; pool: %d hits, %d misses, %d returned, %d KB held"
    losses
    stats.Hits
    stats.Misses
    stats.Returned
    (stats.RetainedBytes / 1024L)

StoragePool.trim ()
