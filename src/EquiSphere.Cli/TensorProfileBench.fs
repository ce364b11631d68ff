namespace EquiSphere.Cli

open System
open System.Diagnostics
open System.Runtime
open Spectre.Console
open EquiSphere.Tensor

/// The "tensor-profile" benchmark: where a training step of the tensor-train networks spends its time. It
/// prints, per network, the per-op forward and backward wall time per step from `Profile` (the tape's
/// profiler), the step's phases (forward, backward, optimizer) and the garbage collector's work per step
/// (collections per generation and pause time from `GC.GetTotalPauseDuration`), the kernels of every encoder
/// convolution and the reflect-padded input gradients both ways, then times the conv4 step under the default GC
/// latency mode and under `SustainedLowLatency`, side by side.
[<RequireQualifiedAccess>]
module TensorProfileBench =

    /// The conv4 network of `TensorTrainBench.Conv4` with each conv + bias + ReLU as one fused op
    /// (`Conv2d.ForwardRelu`); the same parameters for the same `rng`.
    type Conv4Fused(rng: Random) as this =
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
            |> c1.ForwardRelu
            |> c2.ForwardRelu
            |> pool
            |> c3.ForwardRelu
            |> c4.ForwardRelu
            |> pool
            |> Tensor.flatten 1
            |> fc.Forward

    /// A pre-activation block as `PreActBlock` computes it, written with the unfused ops: BN then ReLU as two ops,
    /// reflect padding as its own `Pad.pad2d` op before an unpadded convolution. The same parameters as
    /// `PreActBlock` for the same `rng`.
    type UnfusedBlock(inChannels: int, outChannels: int, stride: int, rng: Random) as this =
        inherit Model()
        let bn1 = this.AddChild("bn1", BatchNorm2d(inChannels))

        let conv1 =
            this.AddChild("conv1", Conv2d(inChannels, outChannels, 3, rng, stride = stride, bias = false))

        let bn2 = this.AddChild("bn2", BatchNorm2d(outChannels))

        let conv2 =
            this.AddChild("conv2", Conv2d(outChannels, outChannels, 3, rng, bias = false))

        let shortcut =
            if stride <> 1 || inChannels <> outChannels then
                Some(this.AddChild("shortcut", Conv2d(inChannels, outChannels, 1, rng, stride = stride, bias = false)))
            else
                None

        let pad = Pad.uniform PadMode.Reflect 1

        /// h(x) + skip(x), as `PreActBlock.Forward`.
        override _.Forward(x) =
            let a = Activation.relu (bn1.Forward x)
            let h = conv2.Forward(pad (Activation.relu (bn2.Forward(conv1.Forward(pad a)))))

            let skip =
                match shortcut with
                | Some s -> s.Forward a
                | None -> x

            h + skip

    /// `TensorTrainBench.Encoder` built from `UnfusedBlock`s, its stem padded by a separate `Pad.pad2d` op and its
    /// head's BN and ReLU as two ops: the network before the fused ops, for side-by-side timing.
    type EncoderUnfused(rng: Random) as this =
        inherit Model()
        let stem = this.AddChild("stem", Conv2d(1, 64, 7, rng, stride = 2, bias = false))

        let stages =
            [|
                let mutable inC = 64

                for i in 0..4 do
                    let c = min (64 <<< i) 256
                    let stride = if i = 0 then 1 else 2

                    let blocks =
                        Sequential(
                            [
                                "block1", UnfusedBlock(inC, c, stride, rng) :> Model
                                "block2", UnfusedBlock(c, c, 1, rng) :> Model
                            ]
                        )

                    inC <- c
                    yield this.AddChild(sprintf "stage%d" (i + 1), blocks)
            |]

        let bn = this.AddChild("bn", BatchNorm2d(256))
        let head = this.AddChild("head", Conv2d(256, 1024, 2, rng))

        /// Embeddings [N; 1024; 1; 1] of images [N; 1; 64; 64].
        override _.Forward(x) =
            let h =
                stages
                |> Array.fold (fun acc s -> s.Forward acc) (stem.Forward(Pad.uniform PadMode.Reflect 3 x))

            head.Forward(Activation.relu (bn.Forward h))

    /// Totals of profiled steps: per-op timings, phase seconds and GC work, all summed over `Steps`.
    type private Totals =
        {
            Steps: int
            Ops: OpTiming[]
            Forward: float
            Backward: float
            Optimizer: float
            Gen0: int
            Gen1: int
            Gen2: int
            PauseSeconds: float
            AllocatedBytes: int64
        }

    /// Runs `warmup` unprofiled steps, then `steps` profiled ones, and returns the totals.
    let private profileSteps (warmup: int) (steps: int) (model: Model) (opt: Optimizer) (loss: Tensor -> Tensor) (x: Tensor) =
        let step () =
            opt.ZeroGrad()
            let l = loss (model.Forward x)
            l.Backward()
            opt.Step()

        for _ in 1..warmup do
            step ()

        let g0, g1, g2 = GC.CollectionCount 0, GC.CollectionCount 1, GC.CollectionCount 2
        let pause0 = GC.GetTotalPauseDuration()
        let alloc0 = GC.GetTotalAllocatedBytes false
        let mutable fwd, bwd, optT = 0.0, 0.0, 0.0
        let ops = Collections.Generic.Dictionary<string, OpTiming>()

        for _ in 1..steps do
            opt.ZeroGrad()
            Profile.start ()
            let sw = Stopwatch.StartNew()
            let l = loss (model.Forward x)
            let t1 = sw.Elapsed.TotalSeconds
            l.Backward()
            let t2 = sw.Elapsed.TotalSeconds
            let timings = Profile.stop ()
            opt.Step()
            let t3 = sw.Elapsed.TotalSeconds
            fwd <- fwd + t1
            bwd <- bwd + (t2 - t1)
            optT <- optT + (t3 - t2)

            for t in timings do
                match ops.TryGetValue t.Op with
                | true, prev ->
                    ops[t.Op] <-
                        { prev with
                            ForwardCalls = prev.ForwardCalls + t.ForwardCalls
                            ForwardSeconds = prev.ForwardSeconds + t.ForwardSeconds
                            BackwardCalls = prev.BackwardCalls + t.BackwardCalls
                            BackwardSeconds = prev.BackwardSeconds + t.BackwardSeconds
                        }
                | _ -> ops[t.Op] <- t

        {
            Steps = steps
            Ops =
                ops.Values
                |> Seq.sortByDescending (fun t -> t.ForwardSeconds + t.BackwardSeconds)
                |> Seq.toArray
            Forward = fwd
            Backward = bwd
            Optimizer = optT
            Gen0 = GC.CollectionCount 0 - g0
            Gen1 = GC.CollectionCount 1 - g1
            Gen2 = GC.CollectionCount 2 - g2
            PauseSeconds = (GC.GetTotalPauseDuration() - pause0).TotalSeconds
            AllocatedBytes = GC.GetTotalAllocatedBytes false - alloc0
        }

    let private ms (s: float) = sprintf "%.1f" (s * 1e3)

    /// Prints the per-op table and the phase/GC summary of one network.
    let private printTotals (title: string) (t: Totals) =
        let n = float t.Steps
        let total = t.Forward + t.Backward + t.Optimizer
        let table = Table().Title(title)

        for c in [ "op"; "fwd calls"; "fwd ms"; "bwd calls"; "bwd ms"; "% of step" ] do
            table.AddColumn(c) |> ignore

        for o in t.Ops do
            table.AddRow(
                Markup.Escape o.Op,
                sprintf "%.0f" (float o.ForwardCalls / n),
                ms (o.ForwardSeconds / n),
                sprintf "%.0f" (float o.BackwardCalls / n),
                ms (o.BackwardSeconds / n),
                sprintf "%.1f" (100.0 * (o.ForwardSeconds + o.BackwardSeconds) / total)
            )
            |> ignore

        let row (name: string) (s: float) =
            table.AddRow(Markup.Escape name, "", "", "", ms (s / n), sprintf "%.1f" (100.0 * s / total))
            |> ignore

        row "[phase] forward (incl. loss)" t.Forward
        row "[phase] backward" t.Backward
        row "[phase] optimizer step" t.Optimizer
        row "[phase] whole step" total
        row "[gc] pause" t.PauseSeconds

        table.AddRow(
            Markup.Escape "[gc] collections gen0/gen1/gen2",
            sprintf "%.1f/%.1f/%.1f" (float t.Gen0 / n) (float t.Gen1 / n) (float t.Gen2 / n),
            "",
            "",
            "",
            ""
        )
        |> ignore

        table.AddRow(Markup.Escape "[gc] allocated MB", sprintf "%.0f" (float t.AllocatedBytes / n / 1048576.0), "", "", "", "")
        |> ignore

        table.Caption(sprintf "per step, mean of %d profiled steps; wall ms (times include waiting for the loaded machine)" t.Steps)
        |> ignore

        AnsiConsole.Write table

    /// The distinct convolutions of one encoder step (batch 32, reflect padding already applied, as the kernels
    /// see them) with how often each runs per step.
    let private encoderLayers =
        let s2 (s: Kernels.Conv2dSpec) = { s with StrideH = 2; StrideW = 2 }

        [
            "stem 1→64 7×7 s2, 70² → 32²", s2 (Kernels.Conv.spec 32 1 64 (70, 70) (7, 7)), 1
            "stage 1 64→64 3×3, 34² → 32²", Kernels.Conv.spec 32 64 64 (34, 34) (3, 3), 4
            "stage 2 64→128 3×3 s2, 34² → 16²", s2 (Kernels.Conv.spec 32 64 128 (34, 34) (3, 3)), 1
            "stage 2 shortcut 64→128 1×1 s2", s2 (Kernels.Conv.spec 32 64 128 (32, 32) (1, 1)), 1
            "stage 2 128→128 3×3, 18² → 16²", Kernels.Conv.spec 32 128 128 (18, 18) (3, 3), 3
            "stage 3 128→256 3×3 s2, 18² → 8²", s2 (Kernels.Conv.spec 32 128 256 (18, 18) (3, 3)), 1
            "stage 3 shortcut 128→256 1×1 s2", s2 (Kernels.Conv.spec 32 128 256 (16, 16) (1, 1)), 1
            "stage 3 256→256 3×3, 10² → 8²", Kernels.Conv.spec 32 256 256 (10, 10) (3, 3), 3
            "stage 4 256→256 3×3 s2, 10² → 4²", s2 (Kernels.Conv.spec 32 256 256 (10, 10) (3, 3)), 1
            "stage 4 shortcut 256→256 1×1 s2", s2 (Kernels.Conv.spec 32 256 256 (8, 8) (1, 1)), 1
            "stage 4 256→256 3×3, 6² → 4²", Kernels.Conv.spec 32 256 256 (6, 6) (3, 3), 3
            "stage 5 256→256 3×3 s2, 6² → 2²", s2 (Kernels.Conv.spec 32 256 256 (6, 6) (3, 3)), 1
            "stage 5 shortcut 256→256 1×1 s2", s2 (Kernels.Conv.spec 32 256 256 (4, 4) (1, 1)), 1
            "stage 5 256→256 3×3, 4² → 2²", Kernels.Conv.spec 32 256 256 (4, 4) (3, 3), 3
            "head 256→1024 2×2, 2² → 1²", Kernels.Conv.spec 32 256 1024 (2, 2) (2, 2), 1
        ]

    /// Times the forward, input-gradient and weight-gradient kernels of every encoder convolution (float32,
    /// `Gemm.defaultThreads` threads) and prints medians, GF/s and each layer's share of the per-step total.
    let private encoderConvLayers () =
        let rng = Random 7
        let t = Kernels.Gemm.defaultThreads

        let rnd n =
            Array.init n (fun _ -> float32 (rng.NextDouble() - 0.5))

        let rows =
            [
                for name, s, count in encoderLayers do
                    let x, w, dy = rnd s.InputLength, rnd s.WeightLength, rnd s.OutputLength

                    let y, dx, dw =
                        Array.zeroCreate s.OutputLength, Array.zeroCreate s.InputLength, Array.zeroCreate s.WeightLength

                    let flops =
                        2.0
                        * float s.OutputLength
                        * float (s.InChannels * s.KernelHeight * s.KernelWidth)

                    let case what =
                        sprintf "%s, %s (×%d per step)" name what count

                    yield Bench.measure "tensor-profile" (case "forward") flops (fun () -> Kernels.Conv.forward t s x 0 w 0 y 0)

                    if s.InChannels > 1 then
                        yield
                            Bench.measure "tensor-profile" (case "backwardData") flops (fun () ->
                                Kernels.Conv.backwardData t s dy 0 w 0 dx 0)

                    yield
                        Bench.measure "tensor-profile" (case "backwardWeight") flops (fun () ->
                            Kernels.Conv.backwardWeight t s x 0 dy 0 dw 0)
            ]

        Bench.print "tensor-profile: the encoder's convolution kernels (float32, batch 32; the stem needs no input gradient)" rows

    /// Times the input gradient of the encoder's reflect-padded stride-1 layers both ways, interleaved in this
    /// process: the unpadded convolution's input gradient on the padded grid folded back by `Pad.adjoint` (the
    /// path before round 5) and `ConvPadded.backwardData`, which takes the interior-plus-ring path where
    /// `ConvPadded.usesRing` holds (the 8 × 8 stage) and is the same fold elsewhere.
    let private reflectInputGradients () =
        let rng = Random 11
        let t = Kernels.Gemm.defaultThreads
        let modes = PadMode.Reflect, PadMode.Reflect

        let rnd n =
            Array.init n (fun _ -> float32 (rng.NextDouble() - 0.5))

        let rows =
            [
                for name, c, size in
                    [
                        "stage 1 64→64 at 32²", 64, 32
                        "stage 2 128→128 at 16²", 128, 16
                        "stage 3 256→256 at 8²", 256, 8
                    ] do
                    let s =
                        { Kernels.Conv.spec 32 c c (size, size) (3, 3) with
                            PadH = 1
                            PadW = 1
                        }

                    let u = Kernels.ConvPadded.unpadded s
                    let ps = Kernels.ConvPadded.padSpec s modes (s.Batch * s.InChannels)
                    let w, dy = rnd s.WeightLength, rnd s.OutputLength
                    let dx, dxp = Array.zeroCreate s.InputLength, Array.zeroCreate u.InputLength
                    let flops = 2.0 * float s.OutputLength * float (c * 9)

                    let folded () =
                        Kernels.Conv.backwardData t u dy 0 w 0 dxp 0
                        Kernels.Pad.adjoint ps dxp 0 dx 0

                    let padded () =
                        Kernels.ConvPadded.backwardData t s modes dy 0 w 0 dx 0

                    let path =
                        if Kernels.ConvPadded.usesRing s modes then
                            "interior + ring"
                        else
                            "padded grid + fold"

                    for round in [ ""; " (again)" ] do
                        yield Bench.measure "tensor-profile" (sprintf "%s, padded grid + fold%s" name round) flops folded

                        yield Bench.measure "tensor-profile" (sprintf "%s, ConvPadded.backwardData (%s)%s" name path round) flops padded
            ]

        Bench.print "tensor-profile: input gradients of the reflect-padded 3×3 layers (float32, batch 32, interleaved)" rows

    /// Profiles both networks and compares GC latency modes on the conv4 step.
    let run () =
        AnsiConsole.WriteLine(
            sprintf
                "GC: server %b, concurrent %O, latency mode %O"
                GCSettings.IsServerGC
                (AppContext.GetData "System.GC.Concurrent")
                GCSettings.LatencyMode
        )

        let rng = Random 1
        let conv4 = TensorTrainBench.Conv4(rng)
        let x4 = Tensor.randn Float32 [| 32; 3; 64; 64 |] rng
        let loss4 = Loss.crossEntropy (Array.init 32 (fun i -> i % 10))
        let opt4 = SGD(conv4.Parameters, 0.01)
        printTotals "tensor-profile: conv4 step, batch 32" (profileSteps 2 5 conv4 opt4 loss4 x4)

        let enc = TensorTrainBench.Encoder(rng)
        let xe = Tensor.randn Float32 [| 32; 1; 64; 64 |] rng
        let target = Tensor.randn Float32 [| 32; 1024; 1; 1 |] rng
        let opte = SGD(enc.Parameters, 0.01)
        printTotals "tensor-profile: encoder step, batch 32" (profileSteps 6 5 enc opte (fun y -> Loss.mse y target) xe)

        let encU = EncoderUnfused(Random 1)
        let optU = SGD(encU.Parameters, 0.01)

        printTotals
            "tensor-profile: encoder step with unfused BN, ReLU and padding ops"
            (profileSteps 6 5 encU optU (fun y -> Loss.mse y target) xe)

        let encStep (m: Model) (o: Optimizer) () =
            o.ZeroGrad()
            (Loss.mse (m.Forward xe) target).Backward()
            o.Step()

        let eflops = 3.0 * TensorTrainBench.encoderFlops 32

        Bench.print
            "tensor-profile: encoder step, fused vs unfused ops (same process, interleaved)"
            [
                Bench.measure "tensor-profile" "encoder step, unfused BN/ReLU/pad ops" eflops (encStep encU optU)
                Bench.measure "tensor-profile" "encoder step, fused (batchNormRelu, conv2dPadded)" eflops (encStep enc opte)
                Bench.measure "tensor-profile" "encoder step, unfused (again)" eflops (encStep encU optU)
                Bench.measure "tensor-profile" "encoder step, fused (again)" eflops (encStep enc opte)
            ]

        encoderConvLayers ()
        reflectInputGradients ()

        let step () =
            opt4.ZeroGrad()
            (loss4 (conv4.Forward x4)).Backward()
            opt4.Step()

        let withMode (mode: GCLatencyMode) () =
            let saved = GCSettings.LatencyMode
            GCSettings.LatencyMode <- mode

            try
                step ()
            finally
                GCSettings.LatencyMode <- saved

        let a =
            Bench.measure "tensor-profile" "conv4 step, default GC latency mode" 0.0 step

        let b =
            Bench.measure
                "tensor-profile"
                "conv4 step, SustainedLowLatency during the step"
                0.0
                (withMode GCLatencyMode.SustainedLowLatency)

        let c =
            Bench.measure "tensor-profile" "conv4 step, default GC latency mode (again)" 0.0 step

        Bench.print "tensor-profile: GC latency mode (same process, interleaved)" [ a; b; c ]

        let fused = Conv4Fused(Random 1)
        let optF = SGD(fused.Parameters, 0.01)

        let stepFused () =
            optF.ZeroGrad()
            (loss4 (fused.Forward x4)).Backward()
            optF.Step()

        printTotals "tensor-profile: conv4 step with fused conv + bias + ReLU" (profileSteps 2 5 fused optF loss4 x4)
        let flops = 3.0 * TensorTrainBench.conv4Flops 32
        let u1 = Bench.measure "tensor-profile" "conv4 step, conv2d then relu" flops step

        let f1 =
            Bench.measure "tensor-profile" "conv4 step, fused conv2dRelu" flops stepFused

        let u2 =
            Bench.measure "tensor-profile" "conv4 step, conv2d then relu (again)" flops step

        let f2 =
            Bench.measure "tensor-profile" "conv4 step, fused conv2dRelu (again)" flops stepFused

        Bench.print "tensor-profile: fused conv + bias + ReLU (same process, interleaved)" [ u1; f1; u2; f2 ]
