namespace EquiSphere.Cli

open System
open System.Diagnostics
open System.Runtime
open Spectre.Console
open EquiSphere.Tensor

/// The "tensor-profile" benchmark: where a training step of the tensor-train networks spends its time. It
/// prints, per network, the per-op forward and backward wall time per step from `Profile` (the tape's
/// profiler), the step's phases (forward, backward, optimizer) and the garbage collector's work per step
/// (collections per generation and pause time from `GC.GetTotalPauseDuration`), then times the conv4 step
/// under the default GC latency mode and under `SustainedLowLatency`, side by side.
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
        printTotals "tensor-profile: encoder step, batch 32" (profileSteps 1 2 enc opte (fun y -> Loss.mse y target) xe)

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
