// Old vs new float32 batch-norm + ReLU kernels (RawNorm), interleaved in one process, on the encoder's batch-norm
// shapes [N; C; P]. After a Release build of the tensor project:
//   dotnet build src/EquiSphere.Tensor -c Release && DOTNET_TC_QuickJitForLoops=0 dotnet fsi scripts/bench-batchnorm.fsx
// (DOTNET_TC_QuickJitForLoops=0 compiles methods with loops fully optimized at once, as the CLI does through
// its project setting; without it kernels may be timed in their tier-0 code.)
// Forward = statistics + normalize-and-ReLU (stats32 + affineRelu32); backward = the training-mode reverse of the
// fused op with dx (reluBackward32). "old" is the previous implementation (two-pass statistics, TensorPrimitives
// calls per plane, a masked temporary in the reverse, one task per channel), kept here only as a timing reference.
// Each round times every variant once (a batch of calls), rounds alternate, the table shows medians per call.
// Optional arguments: rounds (default 15) and a minimum batch time in ms (default 20).
#r "../src/EquiSphere.Tensor/bin/Release/net10.0/EquiSphere.Tensor.dll"
#r "../src/EquiSphere.Tensor/bin/Release/net10.0/System.Numerics.Tensors.dll"

open System
open System.Diagnostics
open System.Numerics.Tensors
open System.Threading.Tasks
open EquiSphere.Tensor

/// The previous float32 kernels, writing into caller-owned outputs (as the pool's recycled buffers would be).
module Old =

    let stats32 (n: int) (c: int) (p: int) (x: float32[]) =
        let mean = Array.zeroCreate c
        let var = Array.zeroCreate c

        Parallel.For(
            0,
            c,
            fun ch ->
                let mutable s = 0.0

                for i in 0 .. n - 1 do
                    s <- s + float (TensorPrimitives.Sum(ReadOnlySpan(x, (i * c + ch) * p, p)))

                let m = s / float (n * p)
                let tmp = Array.zeroCreate<float32> p
                let mutable q = 0.0

                for i in 0 .. n - 1 do
                    TensorPrimitives.Subtract(ReadOnlySpan(x, (i * c + ch) * p, p), float32 m, Span tmp)
                    q <- q + float (TensorPrimitives.SumOfSquares(ReadOnlySpan tmp))

                mean[ch] <- m
                var[ch] <- q / float (n * p)
        )
        |> ignore

        mean, var

    let affineRelu32 (n: int) (c: int) (p: int) (scale: float[]) (shift: float[]) (x: float32[]) (y: float32[]) =
        let planes = n * c

        let parts =
            min planes (max 1 (min (min Environment.ProcessorCount 8) (x.Length / 65536)))

        let per = (planes + parts - 1) / parts

        let body (k0: int) (k1: int) =
            for k in k0 .. k1 - 1 do
                let dst = Span(y, k * p, p)
                TensorPrimitives.Multiply(ReadOnlySpan(x, k * p, p), float32 scale[k % c], dst)
                TensorPrimitives.Add(ReadOnlySpan(y, k * p, p), float32 shift[k % c], dst)
                TensorPrimitives.Max(ReadOnlySpan(y, k * p, p), 0.0f, dst)

        if parts <= 1 then
            body 0 planes
        else
            Parallel.For(0, parts, fun t -> body (t * per) (min planes ((t + 1) * per)))
            |> ignore

    let private reluMask (y: float32[]) (g: float32[]) (off: int) (count: int) (gm: float32[]) =
        let w = Numerics.Vector<float32>.Count
        let zero = Numerics.Vector<float32>.Zero
        let mutable i = 0

        while i <= count - w do
            let yv = Numerics.Vector<float32>(y, off + i)
            let gv = Numerics.Vector<float32>(g, off + i)
            Numerics.Vector.ConditionalSelect(Numerics.Vector.GreaterThan(yv, zero), gv, gv * zero).CopyTo(gm, i)
            i <- i + w

        while i < count do
            gm[i] <- (if y[off + i] > 0.0f then g[off + i] else g[off + i] * 0.0f)
            i <- i + 1

    let reluBackward32 n c p (mean: float[]) (invStd: float[]) (gamma: float[]) (x: float32[]) (y: float32[]) g (dx: float32[]) =
        let sg = Array.zeroCreate c
        let sgx = Array.zeroCreate c
        let m = float (n * p)

        Parallel.For(
            0,
            c,
            (fun () -> Array.zeroCreate<float32> p),
            (fun ch _ (gm: float32[]) ->
                let gms = ReadOnlySpan(gm, 0, p)
                let mutable a = 0.0
                let mutable b = 0.0

                for i in 0 .. n - 1 do
                    let off = (i * c + ch) * p
                    reluMask y g off p gm
                    a <- a + float (TensorPrimitives.Sum gms)
                    b <- b + float (TensorPrimitives.Dot(gms, ReadOnlySpan(x, off, p)))

                sg[ch] <- a
                sgx[ch] <- invStd[ch] * (b - mean[ch] * a)
                let k1 = gamma[ch] * invStd[ch]
                let mg, mgx = sg[ch] / m, sgx[ch] / m
                let bx = -k1 * mgx * invStd[ch]
                let c0 = k1 * (-mg + mgx * invStd[ch] * mean[ch])

                for i in 0 .. n - 1 do
                    let off = (i * c + ch) * p
                    reluMask y g off p gm
                    let dst = Span(dx, off, p)
                    TensorPrimitives.Multiply(ReadOnlySpan(x, off, p), float32 bx, dst)
                    TensorPrimitives.Add(ReadOnlySpan(dx, off, p), float32 c0, dst)
                    TensorPrimitives.MultiplyAdd(gms, float32 k1, ReadOnlySpan(dx, off, p), dst)

                gm),
            (fun _ -> ())
        )
        |> ignore

        sg, sgx

let args = fsi.CommandLineArgs |> Array.skip 1
let rounds = if args.Length > 0 then int args[0] else 15
let minBatchMs = if args.Length > 1 then float args[1] else 20.0

/// Calls per batch so that one batch takes about minBatchMs.
let calibrate (action: unit -> unit) =
    for _ in 1..3 do
        action ()

    let sw = Stopwatch.StartNew()
    action ()
    max 1 (int (minBatchMs / max 1e-3 sw.Elapsed.TotalMilliseconds))

/// Mean ms per call over one batch of `reps` calls.
let batch (reps: int) (action: unit -> unit) =
    let sw = Stopwatch.StartNew()

    for _ in 1..reps do
        action ()

    sw.Elapsed.TotalMilliseconds / float reps

let median (xs: float[]) =
    let s = Array.sort xs
    let k = s.Length / 2
    if s.Length % 2 = 1 then s[k] else 0.5 * (s[k - 1] + s[k])

let shapes = [ 32, 64, 1024; 32, 128, 256; 32, 256, 64; 32, 256, 16; 32, 256, 4 ]

printfn
    "float32 batch norm + ReLU kernels, old vs new, %d interleaved rounds, %d cores, SIMD width %d"
    rounds
    Environment.ProcessorCount
    (Numerics.Vector<float32>.Count)

printfn
    "%-16s %11s %11s %7s %11s %11s %7s %12s"
    "shape [N,C,P]"
    "fwd old ms"
    "fwd new ms"
    "speedup"
    "bwd old ms"
    "bwd new ms"
    "speedup"
    "max |Δdx|"

for n, c, p in shapes do
    let rng = Random 7
    let len = n * c * p
    let x = Array.init len (fun _ -> float32 (rng.NextDouble() * 4.0 - 1.0))
    let g = Array.init len (fun _ -> float32 (rng.NextDouble() - 0.5))
    let gamma = Array.init c (fun _ -> 0.5 + rng.NextDouble())
    let beta = Array.init c (fun _ -> rng.NextDouble() - 0.5)
    let mean, var = RawNorm.stats32 n c p x
    let invStd = var |> Array.map (fun v -> 1.0 / sqrt (v + 1e-5))
    let scale = Array.init c (fun i -> gamma[i] * invStd[i])
    let shift = Array.init c (fun i -> beta[i] - mean[i] * scale[i])
    let yOld = Array.zeroCreate<float32> len
    let dxOld = Array.zeroCreate<float32> len
    Old.affineRelu32 n c p scale shift x yOld

    // the new kernels rent their outputs from StoragePool; a scope per call hands them back, so calls reuse them
    let scoped (f: unit -> 'a) () =
        use _ = new StorageScope()
        f () |> ignore

    let fwdOld () =
        Old.stats32 n c p x |> ignore
        Old.affineRelu32 n c p scale shift x yOld

    let fwdNew =
        scoped (fun () ->
            RawNorm.stats32 n c p x |> ignore
            RawNorm.affineRelu32 n c p scale shift x)

    let bwdOld () =
        Old.reluBackward32 n c p mean invStd gamma x yOld g dxOld |> ignore

    let bwdNew =
        scoped (fun () -> RawNorm.reluBackward32 true true n c p mean invStd gamma scale x yOld g)

    let dxNew =
        let _, _, dx =
            RawNorm.reluBackward32 true true n c p mean invStd gamma scale x yOld g

        dx

    bwdOld ()

    let maxDiff =
        Array.fold2 (fun acc (a: float32) b -> max acc (abs (float a - float b))) 0.0 dxOld dxNew

    let variants = [| fwdOld; fwdNew; bwdOld; bwdNew |]
    let reps = variants |> Array.map calibrate
    let samples = Array.init 4 (fun _ -> ResizeArray<float>())

    for _ in 1..rounds do
        for v in 0..3 do
            samples[v].Add(batch reps[v] variants[v])

    let med = samples |> Array.map (fun s -> median (s.ToArray()))

    printfn
        "%-16s %11.3f %11.3f %6.2fx %11.3f %11.3f %6.2fx %12.2e"
        (sprintf "[%d,%d,%d]" n c p)
        med[0]
        med[1]
        (med[0] / med[1])
        med[2]
        med[3]
        (med[2] / med[3])
        maxDiff
