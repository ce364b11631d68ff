/// Benchmarks of the tensor kernels: GEMM next to a measured FMA roof, and conv2d forward/backward for the
/// conv-net layer shapes.
[<RequireQualifiedAccess>]
module EquiSphere.Cli.TensorKernelsBench

open System
open System.Diagnostics
open System.Runtime.Intrinsics
open System.Threading.Tasks
open EquiSphere.Tensor.Kernels

/// A register-only loop of independent fused multiply-adds (12 accumulators hide the FMA latency); returns a sum
/// so the JIT keeps the work.
let private fmaLoop (iterations: int) =
    if Vector512.IsHardwareAccelerated then
        let m = Vector512.Create 0.999999f
        let a = Vector512.Create 1e-7f

        let mutable c0, c1, c2, c3 =
            Vector512.Create 1.0f, Vector512.Create 2.0f, Vector512.Create 3.0f, Vector512.Create 4.0f

        let mutable c4, c5, c6, c7 =
            Vector512.Create 5.0f, Vector512.Create 6.0f, Vector512.Create 7.0f, Vector512.Create 8.0f

        let mutable c8, c9, c10, c11 =
            Vector512.Create 9.0f, Vector512.Create 1.5f, Vector512.Create 2.5f, Vector512.Create 3.5f

        for _ in 1..iterations do
            c0 <- Vector512.FusedMultiplyAdd(c0, m, a)
            c1 <- Vector512.FusedMultiplyAdd(c1, m, a)
            c2 <- Vector512.FusedMultiplyAdd(c2, m, a)
            c3 <- Vector512.FusedMultiplyAdd(c3, m, a)
            c4 <- Vector512.FusedMultiplyAdd(c4, m, a)
            c5 <- Vector512.FusedMultiplyAdd(c5, m, a)
            c6 <- Vector512.FusedMultiplyAdd(c6, m, a)
            c7 <- Vector512.FusedMultiplyAdd(c7, m, a)
            c8 <- Vector512.FusedMultiplyAdd(c8, m, a)
            c9 <- Vector512.FusedMultiplyAdd(c9, m, a)
            c10 <- Vector512.FusedMultiplyAdd(c10, m, a)
            c11 <- Vector512.FusedMultiplyAdd(c11, m, a)

        let s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
        float (Vector512.Sum s), 12.0 * 16.0 * 2.0
    else
        let m = Vector256.Create 0.999999f
        let a = Vector256.Create 1e-7f

        let mutable c0, c1, c2, c3 =
            Vector256.Create 1.0f, Vector256.Create 2.0f, Vector256.Create 3.0f, Vector256.Create 4.0f

        let mutable c4, c5, c6, c7 =
            Vector256.Create 5.0f, Vector256.Create 6.0f, Vector256.Create 7.0f, Vector256.Create 8.0f

        let mutable c8, c9, c10, c11 =
            Vector256.Create 9.0f, Vector256.Create 1.5f, Vector256.Create 2.5f, Vector256.Create 3.5f

        for _ in 1..iterations do
            c0 <- Vector256.FusedMultiplyAdd(c0, m, a)
            c1 <- Vector256.FusedMultiplyAdd(c1, m, a)
            c2 <- Vector256.FusedMultiplyAdd(c2, m, a)
            c3 <- Vector256.FusedMultiplyAdd(c3, m, a)
            c4 <- Vector256.FusedMultiplyAdd(c4, m, a)
            c5 <- Vector256.FusedMultiplyAdd(c5, m, a)
            c6 <- Vector256.FusedMultiplyAdd(c6, m, a)
            c7 <- Vector256.FusedMultiplyAdd(c7, m, a)
            c8 <- Vector256.FusedMultiplyAdd(c8, m, a)
            c9 <- Vector256.FusedMultiplyAdd(c9, m, a)
            c10 <- Vector256.FusedMultiplyAdd(c10, m, a)
            c11 <- Vector256.FusedMultiplyAdd(c11, m, a)

        let s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
        float (Vector256.Sum s), 12.0 * 8.0 * 2.0

/// The float32 FMA roof on `cores` threads running the register-only loop side by side, in GF/s.
let private fmaRoof (cores: int) =
    let iterations = 2_000_000
    let _, flopsPerIteration = fmaLoop 1000
    let sink = Array.zeroCreate<float> cores

    let median, best =
        Bench.time 2 7 0.3 (fun () ->
            Parallel.For(0, cores, ParallelOptions(MaxDegreeOfParallelism = cores), (fun t -> sink[t] <- fst (fmaLoop iterations)))
            |> ignore)

    let flops = float cores * float iterations * flopsPerIteration

    {
        Group = "roof"
        Case = sprintf "FMA loop, %d core(s)" cores
        MedianSeconds = median
        MinSeconds = best
        Flops = flops
        Note = sprintf "best %.1f GF/s" (flops / best / 1e9)
    }

let private gemmRow (roofBest: float) (m: int) (n: int) (k: int) (threads: int) =
    let rng = Random 1
    let a = Array.init (m * k) (fun _ -> float32 (rng.NextDouble() - 0.5))
    let b = Array.init (k * n) (fun _ -> float32 (rng.NextDouble() - 0.5))
    let c = Array.zeroCreate<float32>(m * n)
    let flops = 2.0 * float m * float n * float k

    let row =
        Bench.measure "sgemm" (sprintf "%d×%d×%d, %d thread(s)" m n k threads) flops (fun () ->
            Gemm.sgemm threads MatOp.AsIs MatOp.AsIs m n k 1.0f a 0 k b 0 n 0.0f c 0 n)

    let best = flops / row.MinSeconds / 1e9
    let roof = roofBest * float threads

    { row with
        Note = sprintf "best %.0f GF/s = %.0f%% of the best %d-core roof %.0f GF/s" best (100.0 * best / roof) threads roof
    }

/// The conv-net layers (batch 32, 3×3, pad 1): 3→32 and 32→32 at 64×64, 32→64 and 64→64 at 32×32.
let private convLayers =
    [
        Conv.spec 32 3 32 (64, 64) (3, 3)
        Conv.spec 32 32 32 (64, 64) (3, 3)
        Conv.spec 32 32 64 (32, 32) (3, 3)
        Conv.spec 32 64 64 (32, 32) (3, 3)
    ]
    |> List.map (fun s -> { s with PadH = 1; PadW = 1 })

/// Encoder layers at batch 32 (DESIGN.md; reflect padding is applied before the kernel, so the 3 × 3 layers run
/// unpadded on inputs 2 larger): 3 × 3 at 16 × 16, 8 × 8, 4 × 4 and 2 × 2, the stride-2 3 × 3 into 8 × 8, the
/// stride-2 1 × 1 projection and the 7 × 7 stride-2 stem.
let private encoderLayers =
    [
        Conv.spec 32 128 128 (18, 18) (3, 3)
        Conv.spec 32 256 256 (10, 10) (3, 3)
        Conv.spec 32 256 256 (6, 6) (3, 3)
        Conv.spec 32 256 256 (4, 4) (3, 3)
        { Conv.spec 32 128 256 (18, 18) (3, 3) with
            StrideH = 2
            StrideW = 2
        }
        { Conv.spec 32 128 256 (16, 16) (1, 1) with
            StrideH = 2
            StrideW = 2
        }
        { Conv.spec 32 1 64 (70, 70) (7, 7) with
            StrideH = 2
            StrideW = 2
        }
    ]

let private convRows (threads: int) (s: Conv2dSpec) =
    let rng = Random 2
    let x = Array.init s.InputLength (fun _ -> float32 (rng.NextDouble() - 0.5))
    let w = Array.init s.WeightLength (fun _ -> float32 (rng.NextDouble() - 0.5))
    let y = Array.zeroCreate<float32> s.OutputLength
    let dx = Array.zeroCreate<float32> s.InputLength
    let dw = Array.zeroCreate<float32> s.WeightLength

    let flops =
        2.0
        * float s.OutputLength
        * float (s.InChannels * s.KernelHeight * s.KernelWidth)

    let case =
        sprintf
            "%d→%d %d×%d/%d at %d×%d pad %d, batch %d, %d thr"
            s.InChannels
            s.OutChannels
            s.KernelHeight
            s.KernelWidth
            s.StrideH
            s.Height
            s.Width
            s.PadH
            s.Batch
            threads

    let withBest (row: BenchRow) =
        { row with
            Note = sprintf "best %.0f GF/s" (flops / row.MinSeconds / 1e9)
        }

    [
        Bench.measure "conv2d forward" case flops (fun () -> Conv.forward threads s x 0 w 0 y 0)
        Bench.measure "conv2d backwardData" case flops (fun () -> Conv.backwardData threads s y 0 w 0 dx 0)
        Bench.measure "conv2d backwardWeight" case flops (fun () -> Conv.backwardWeight threads s x 0 y 0 dw 0)
    ]
    |> List.map withBest

/// Max pooling 2 × 2 / stride 2 forward and backward (float32) on the conv-net's two pooled activations,
/// [32, 32, 64, 64] and [32, 64, 32, 32]; "flops" counts one comparison per input element.
let private poolRows (planes: int) (side: int) =
    let s = Pool.spec planes (side, side) 2 2 0
    let rng = Random 3

    let x =
        Array.init (planes * side * side) (fun _ -> float32 (rng.NextDouble() - 0.5))

    let outLength = planes * s.OutHeight * s.OutWidth
    let y = Array.zeroCreate<float32> outLength
    let arg = Array.zeroCreate<int> outLength
    let dx = Array.zeroCreate<float32> x.Length
    let case = sprintf "2×2/2 on %d planes of %d×%d" planes side side

    [
        Bench.measure "maxpool forward" case (float x.Length) (fun () -> Pool.maxForward s x 0 y 0 arg 0)
        Bench.measure "maxpool backward" case (float x.Length) (fun () -> Pool.maxBackward s y 0 arg 0 dx 0)
    ]

/// Runs the suite and prints its table: measured FMA roof, sgemm 1024³ and 64 × 4096 × 576 on 1 and 2 threads,
/// conv2d forward / backwardData / backwardWeight for the conv-net and encoder layers on 2 threads, and 2 × 2 max pooling.
let run () =
    let roof1 = fmaRoof 1
    let roof2 = fmaRoof 2
    // Best runs, not medians: on a loaded machine the median roof mostly measures the other processes.
    let perCore = roof1.Flops / roof1.MinSeconds / 1e9

    let gemm =
        [
            for m, n, k in [ 1024, 1024, 1024; 64, 4096, 576 ] do
                for t in [ 1; 2 ] do
                    gemmRow perCore m n k t
        ]

    let conv = convLayers @ encoderLayers |> List.collect (convRows 2)
    let pool = poolRows (32 * 32) 64 @ poolRows (32 * 64) 32

    Bench.print (sprintf "tensor-kernels (float32; Vector512 micro-kernels: %b)" Gemm.usesVector512) ([ roof1; roof2 ] @ gemm @ conv @ pool)
