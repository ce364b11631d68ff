namespace EquiSphere.Cli

open System
open EquiSphere.Tensor

/// The "tensor-train" benchmark: one training step (forward, backward, SGD update) of two float32 networks at
/// batch 32, timed by the bench harness. Both architectures are specified in docs/tensor.md, which the PyTorch
/// peer `scripts/peers/torch_bench.py` mirrors. GF/s counts a step as 3× the forward FLOPs (forward, input and
/// weight gradients). Each step row notes the managed MB allocated and the minor page faults per step; after the
/// default rows, both steps are timed again inside a `StorageScope` and with the storage pool off.
///
/// conv4 (input [32; 3; 64; 64], 10 classes):
///   conv3×3 3→32 (pad 1, bias) → ReLU → conv3×3 32→32 (pad 1, bias) → ReLU → maxpool 2×2 (→ 32×32) →
///   conv3×3 32→64 (pad 1, bias) → ReLU → conv3×3 64→64 (pad 1, bias) → ReLU → maxpool 2×2 (→ 16×16) →
///   flatten (16384) → linear 16384→10 (bias) → cross-entropy; SGD lr 0.01, no momentum.
///
/// encoder (DESIGN.md, input [32; 1; 64; 64]): reflect-pad 3 → conv7×7 1→64 stride 2 (no bias) (→ 32×32) →
///   5 stages of 2 pre-activation residual blocks (BN → ReLU → conv3×3 → BN → ReLU → conv3×3, reflect padding 1,
///   no conv bias; 1×1 strided projection on the pre-activated input when the shape changes) with channels
///   64, 128, 256, 256, 256 and stride 1, 2, 2, 2, 2 in the first block of each stage (→ 32, 16, 8, 4, 2) →
///   BN → ReLU → conv2×2 256→1024 valid (bias) (→ 1×1) → MSE against a fixed random target; SGD lr 0.01,
///   no momentum.
[<RequireQualifiedAccess>]
module TensorTrainBench =

    /// The conv4 network of the doc comment above.
    type Conv4(rng: Random) as this =
        inherit Model()
        let c1 = this.AddChild("conv1", Conv2d(3, 32, 3, rng, padding = 1))
        let c2 = this.AddChild("conv2", Conv2d(32, 32, 3, rng, padding = 1))
        let c3 = this.AddChild("conv3", Conv2d(32, 64, 3, rng, padding = 1))
        let c4 = this.AddChild("conv4", Conv2d(64, 64, 3, rng, padding = 1))
        let fc = this.AddChild("fc", Linear(64 * 16 * 16, 10, rng))

        /// Logits [N; 10] of images [N; 3; 64; 64].
        override _.Forward(x) =
            let pool = Pool.maxPool2d (2, 2) (2, 2) (0, 0)

            x
            |> c1.Forward
            |> Activation.relu
            |> c2.Forward
            |> Activation.relu
            |> pool
            |> c3.Forward
            |> Activation.relu
            |> c4.Forward
            |> Activation.relu
            |> pool
            |> Tensor.flatten 1
            |> fc.Forward

    /// The image encoder of DESIGN.md, as in the doc comment above.
    type Encoder(rng: Random) as this =
        inherit Model()
        let reflect = PadMode.Reflect

        let stem =
            this.AddChild("stem", Conv2d(1, 64, 7, rng, stride = 2, padding = 3, rowMode = reflect, colMode = reflect, bias = false))

        let stages =
            [|
                let mutable inC = 64

                for i in 0..4 do
                    let c = min (64 <<< i) 256
                    let stride = if i = 0 then 1 else 2

                    let blocks =
                        Sequential(
                            [
                                "block1", PreActBlock(inC, c, stride, rng, reflect) :> Model
                                "block2", PreActBlock(c, c, 1, rng, reflect) :> Model
                            ]
                        )

                    inC <- c
                    yield this.AddChild(sprintf "stage%d" (i + 1), blocks)
            |]

        let bn = this.AddChild("bn", BatchNorm2d(256))
        let head = this.AddChild("head", Conv2d(256, 1024, 2, rng))

        /// Embeddings [N; 1024; 1; 1] of images [N; 1; 64; 64].
        override _.Forward(x) =
            let h = stages |> Array.fold (fun acc s -> s.Forward acc) (stem.Forward x)
            head.Forward(bn.ForwardRelu h)

    /// Multiply-adds ×2 of a convolution producing [n; o; h; w] from c channels with a k×k kernel.
    let private convFlops (n: int) (c: int) (o: int) (k: int) (h: int) (w: int) =
        2.0 * float n * float o * float h * float w * float c * float (k * k)

    /// Forward FLOPs of conv4 at batch n (convolutions and the classifier).
    let conv4Flops (n: int) =
        convFlops n 3 32 3 64 64
        + convFlops n 32 32 3 64 64
        + convFlops n 32 64 3 32 32
        + convFlops n 64 64 3 32 32
        + 2.0 * float n * 10.0 * 16384.0

    /// Forward FLOPs of the encoder at batch n (convolutions only).
    let encoderFlops (n: int) =
        let mutable total = convFlops n 1 64 7 32 32
        let mutable inC, size = 64, 32

        for i in 0..4 do
            let c = min (64 <<< i) 256
            let s = if i = 0 then 1 else 2
            let outSize = size / s
            // block 1: conv(stride) + conv, plus the projection when the shape changes; block 2: two convs
            total <-
                total
                + convFlops n inC c 3 outSize outSize
                + 3.0 * convFlops n c c 3 outSize outSize

            if s <> 1 || inC <> c then
                total <- total + convFlops n inC c 1 outSize outSize

            inC <- c
            size <- outSize

        total + convFlops n 256 1024 2 1 1

    /// Minor page faults of this process so far (field 10 of /proc/self/stat; 0 where there is no procfs).
    let minorFaults () =
        try
            let stat = IO.File.ReadAllText "/proc/self/stat"
            // the command name (field 2) is in parentheses and may contain spaces: count fields after it
            let rest = stat.Substring(stat.LastIndexOf ')' + 2).Split ' '
            int64 rest[7]
        with _ ->
            0L

    /// Measures one case like `Bench.measure` with more warm-up and more runs (10 warm-up calls: the first ten or
    /// so encoder steps run 20–50 % slower while the JIT promotes the methods called once per step; then at least
    /// 15 runs and 3 s), and notes the managed bytes allocated and the minor page faults per call over the timed
    /// runs, and the time the garbage collector paused the process per call.
    let measureStep (group: string) (case: string) (flops: float) (action: unit -> unit) =
        for _ in 1..10 do
            action ()

        let alloc0 = GC.GetTotalAllocatedBytes false
        let faults0 = minorFaults ()
        let pause0 = GC.GetTotalPauseDuration()
        let calls = ref 0

        let median, best =
            Bench.time 0 15 3.0 (fun () ->
                calls.Value <- calls.Value + 1
                action ())

        let n = float calls.Value

        {
            Group = group
            Case = case
            MedianSeconds = median
            MinSeconds = best
            Flops = flops
            Note =
                sprintf
                    "%.0f MB allocated, %.0f minor faults, %.1f ms GC pause per step"
                    (float (GC.GetTotalAllocatedBytes false - alloc0) / n / 1048576.0)
                    (float (minorFaults () - faults0) / n)
                    ((GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / n)
        }

    let private step (model: Model) (opt: Optimizer) (loss: Tensor -> Tensor) (x: Tensor) () =
        opt.ZeroGrad()
        let l = loss (model.Forward x)
        l.Backward()
        opt.Step()

    /// `step` inside a `StorageScope`: the step's activations go back to the pool at its end.
    let private scopedStep (model: Model) (opt: Optimizer) (loss: Tensor -> Tensor) (x: Tensor) () =
        use _ = new StorageScope()
        step model opt loss x ()

    /// Measures both training steps and prints the table.
    let run () =
        let rng = Random 1
        let conv4 = Conv4(rng)
        let x4 = Tensor.randn Float32 [| 32; 3; 64; 64 |] rng
        let y4 = Array.init 32 (fun i -> i % 10)
        let opt4 = SGD(conv4.Parameters, 0.01)

        let r4 =
            measureStep "tensor-train" "conv4 step, batch 32, 3×64×64" (3.0 * conv4Flops 32) (step conv4 opt4 (Loss.crossEntropy y4) x4)

        let enc = Encoder(rng)
        let xe = Tensor.randn Float32 [| 32; 1; 64; 64 |] rng
        let target = Tensor.randn Float32 [| 32; 1024; 1; 1 |] rng
        let opte = SGD(enc.Parameters, 0.01)

        let re =
            measureStep
                "tensor-train"
                "encoder step, batch 32, 1×64×64"
                (3.0 * encoderFlops 32)
                (step enc opte (fun y -> Loss.mse y target) xe)

        let fwd =
            Bench.measure "tensor-train" "conv4 forward (no grad), batch 32" (conv4Flops 32) (fun () ->
                use _ = Tensor.noGrad ()
                conv4.Forward x4 |> ignore)

        // Both steps run by a given step function (plain, scoped), named "<step><suffix>".
        let bothSteps (suffix: string) (run: Model -> Optimizer -> (Tensor -> Tensor) -> Tensor -> unit -> unit) =
            [
                measureStep
                    "tensor-train"
                    ("conv4 step" + suffix)
                    (3.0 * conv4Flops 32)
                    (run (conv4 :> Model) opt4 (Loss.crossEntropy y4) x4)
                measureStep
                    "tensor-train"
                    ("encoder step" + suffix)
                    (3.0 * encoderFlops 32)
                    (run (enc :> Model) opte (fun y -> Loss.mse y target) xe)
            ]

        let scoped = bothSteps " in a StorageScope" scopedStep

        // the same steps with the engine's storage pool off (every array allocated fresh), after the pooled runs
        StoragePool.setEnabled false

        let off =
            try
                bothSteps ", storage pool off" step
            finally
                StoragePool.setEnabled true

        Bench.print
            "tensor-train (float32; torch peer: scripts/peers/torch_bench.py)"
            [
                { r4 with
                    Note = r4.Note + "; goal <= torch's step"
                }
                { re with
                    Note = re.Note + sprintf "; %d parameters" enc.ParameterCount
                }
                fwd
                yield! scoped
                yield! off
            ]
