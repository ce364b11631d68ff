// Forward time of each distinct convolution of the tensor-train encoder step, for two builds of EquiSphere.Tensor
// interleaved in one process (each loaded into its own AssemblyLoadContext), so both are measured in the same
// minutes of this machine's drifting speed. After a Release build of the tensor project:
//   dotnet build src/EquiSphere.Tensor -c Release
//   DOTNET_TC_QuickJitForLoops=0 dotnet fsi scripts/bench-conv-forward.fsx [rounds] [old dir] [new dir] [--data]
//       [--only=TEXT] [--weight] [--no-forward]
// Defaults: 3 rounds, old = $EQUISPHERE_BASE_BUILD (a frozen copy of an earlier build's bin/Release/net10.0, e.g.
// made with `cp -r src/EquiSphere.Tensor/bin/Release/net10.0 /tmp/base-build` before changing the kernels), new =
// src/EquiSphere.Tensor/bin/Release/net10.0.
// (DOTNET_TC_QuickJitForLoops=0 compiles methods with loops fully optimized at once, as the CLI does through its
// project setting; without it kernels may be timed in their tier-0 code.)
// The layers are `encoderLayers` of src/EquiSphere.Cli/TensorProfileBench.fs as the encoder runs them: the 3 × 3
// layers and the stem through `ConvPadded.forward` with reflect padding (the fill of the padded buffer included,
// as in a training step), the 1 × 1 shortcuts and the head through `Conv.forward`; batch 32, float32,
// `Environment.ProcessorCount` threads (DOTNET_PROCESSOR_COUNT=1 times one thread). --only=TEXT keeps the layers whose
// name contains TEXT. With --data the stride-1 3 × 3 layers' input gradients
// (`ConvPadded.backwardData`) are timed too; with --weight every layer's weight gradient
// (`ConvPadded.backwardWeight` for the padded layers, `Conv.backwardWeight` for the others) is timed too, and
// --no-forward leaves the forwards out. Each round times every layer with both builds (old, then new, each a
// median over ≥ 10 calls and ≥ 0.2 s); the table shows per-round medians, the new/old ratios, and the median
// milliseconds per encoder step (× count). scripts/peers/torch_conv_layers.py times PyTorch on the same layers.

open System
open System.Diagnostics
open System.IO
open System.Reflection
open System.Runtime.Loader

let args = fsi.CommandLineArgs |> Array.skip 1
let flags, positional = args |> Array.partition (fun a -> a.StartsWith "--")
let withData = flags |> Array.contains "--data"
let withWeight = flags |> Array.contains "--weight"
let withForward = not (flags |> Array.contains "--no-forward")

let only =
    flags
    |> Array.tryPick (fun f -> if f.StartsWith "--only=" then Some(f.Substring 7) else None)

let rounds = if positional.Length > 0 then int positional[0] else 3

let oldDir =
    if positional.Length > 1 then
        positional[1]
    else
        match Environment.GetEnvironmentVariable "EQUISPHERE_BASE_BUILD" with
        | null
        | "" ->
            failwith
                "Expected the old build's directory as the second argument or in EQUISPHERE_BASE_BUILD (a copy of an earlier src/EquiSphere.Tensor/bin/Release/net10.0), got neither"
        | dir -> dir

let newDir =
    if positional.Length > 2 then
        positional[2]
    else
        Path.Combine(__SOURCE_DIRECTORY__, "../src/EquiSphere.Tensor/bin/Release/net10.0")

/// Loads EquiSphere.Tensor.dll (and System.Numerics.Tensors.dll when present) from `dir`, everything else from
/// the default context.
type BuildContext(dir: string) =
    inherit AssemblyLoadContext(dir, false)

    override this.Load(name: AssemblyName) =
        let path = Path.Combine(dir, name.Name + ".dll")

        if
            (name.Name = "EquiSphere.Tensor" || name.Name = "System.Numerics.Tensors")
            && File.Exists path
        then
            this.LoadFromAssemblyPath(Path.GetFullPath path)
        else
            null

/// The kernels of one build, called through reflection.
type Build(dir: string) =
    let ctx = BuildContext(dir)

    let asm =
        ctx.LoadFromAssemblyPath(Path.GetFullPath(Path.Combine(dir, "EquiSphere.Tensor.dll")))

    let specType = asm.GetType("EquiSphere.Tensor.Kernels.Conv2dSpec", true)
    let modeType = asm.GetType("EquiSphere.Tensor.Kernels.PadMode", true)

    let generic (moduleName: string) (name: string) =
        asm
            .GetType("EquiSphere.Tensor.Kernels." + moduleName, true)
            .GetMethod(name, BindingFlags.Public ||| BindingFlags.Static)
            .MakeGenericMethod(typeof<float32>)

    let convForward = generic "Conv" "forward"
    let paddedForward = generic "ConvPadded" "forward"
    let paddedData = generic "ConvPadded" "backwardData"
    let convWeight = generic "Conv" "backwardWeight"
    let paddedWeight = generic "ConvPadded" "backwardWeight"
    let reflect = modeType.GetProperty("Reflect").GetValue(null)

    /// A Conv2dSpec of this build: batch, channels, size, kernel, stride, padding (dilation 1, one group).
    member _.Spec(n: int, cin: int, cout: int, size: int, k: int, stride: int, pad: int) =
        let values: obj[] =
            [| n; cin; cout; size; size; k; k; stride; stride; pad; pad; 1; 1; 1 |]
            |> Array.map box

        (specType.GetConstructors()[0]).Invoke(values)

    /// y ← conv(x, w), reflect-padded by the spec's padding when it has one.
    member _.Forward(threads: int, spec: obj, padded: bool, x: float32[], w: float32[], y: float32[]) =
        if padded then
            paddedForward.Invoke(
                null,
                [|
                    box threads
                    spec
                    reflect
                    reflect
                    box x
                    box 0
                    box w
                    box 0
                    box y
                    box 0
                |]
            )
            |> ignore
        else
            convForward.Invoke(null, [| box threads; spec; box x; box 0; box w; box 0; box y; box 0 |])
            |> ignore

    /// dx ← the reflect-padded convolution's input gradient.
    member _.BackwardData(threads: int, spec: obj, dy: float32[], w: float32[], dx: float32[]) =
        paddedData.Invoke(
            null,
            [|
                box threads
                spec
                reflect
                reflect
                box dy
                box 0
                box w
                box 0
                box dx
                box 0
            |]
        )
        |> ignore

    /// dw ← the weight gradient, of the reflect-padded convolution when the spec has padding.
    member _.BackwardWeight(threads: int, spec: obj, padded: bool, x: float32[], dy: float32[], dw: float32[]) =
        if padded then
            paddedWeight.Invoke(
                null,
                [|
                    box threads
                    spec
                    reflect
                    reflect
                    box x
                    box 0
                    box dy
                    box 0
                    box dw
                    box 0
                |]
            )
            |> ignore
        else
            convWeight.Invoke(null, [| box threads; spec; box x; box 0; box dy; box 0; box dw; box 0 |])
            |> ignore

// name, input channels, output channels, unpadded input size, kernel, stride, padding (reflect), count per step
let layers =
    [
        "stem 1→64 7×7 s2, 70² → 32²", 1, 64, 64, 7, 2, 3, 1
        "stage 1 64→64 3×3, 34² → 32²", 64, 64, 32, 3, 1, 1, 4
        "stage 2 64→128 3×3 s2, 34² → 16²", 64, 128, 32, 3, 2, 1, 1
        "stage 2 shortcut 64→128 1×1 s2", 64, 128, 32, 1, 2, 0, 1
        "stage 2 128→128 3×3, 18² → 16²", 128, 128, 16, 3, 1, 1, 3
        "stage 3 128→256 3×3 s2, 18² → 8²", 128, 256, 16, 3, 2, 1, 1
        "stage 3 shortcut 128→256 1×1 s2", 128, 256, 16, 1, 2, 0, 1
        "stage 3 256→256 3×3, 10² → 8²", 256, 256, 8, 3, 1, 1, 3
        "stage 4 256→256 3×3 s2, 10² → 4²", 256, 256, 8, 3, 2, 1, 1
        "stage 4 shortcut 256→256 1×1 s2", 256, 256, 8, 1, 2, 0, 1
        "stage 4 256→256 3×3, 6² → 4²", 256, 256, 4, 3, 1, 1, 3
        "stage 5 256→256 3×3 s2, 6² → 2²", 256, 256, 4, 3, 2, 1, 1
        "stage 5 shortcut 256→256 1×1 s2", 256, 256, 4, 1, 2, 0, 1
        "stage 5 256→256 3×3, 4² → 2²", 256, 256, 2, 3, 1, 1, 3
        "head 256→1024 2×2, 2² → 1²", 256, 1024, 2, 2, 1, 0, 1
    ]

let batch = 32
let threads = Environment.ProcessorCount

/// Median seconds per call of `action` after 2 warm-up calls, over ≥ 10 calls and ≥ 0.2 s.
let median (action: unit -> unit) =
    action ()
    action ()
    let samples = ResizeArray()
    let total = Stopwatch.StartNew()

    while samples.Count < 10 || total.Elapsed.TotalSeconds < 0.2 do
        let sw = Stopwatch.StartNew()
        action ()
        samples.Add sw.Elapsed.TotalSeconds

    let sorted = samples.ToArray() |> Array.sort
    sorted[sorted.Length / 2]

let builds = [| "old", Build oldDir; "new", Build newDir |]
let rng = Random 7

let rnd n =
    Array.init n (fun _ -> float32 (rng.NextDouble() - 0.5))

/// One case: name, count per step, and per build the action to time with the output array it writes.
let cases =
    [
        for name, cin, cout, size, k, stride, pad, count in layers do
            if only |> Option.forall (fun o -> name.Contains o) then
                let out = (size + 2 * pad - k) / stride + 1
                let x, w = rnd (batch * cin * size * size), rnd (cout * cin * k * k)

                let forward (b: Build) =
                    let spec = b.Spec(batch, cin, cout, size, k, stride, pad)
                    let y = Array.zeroCreate<float32>(batch * cout * out * out)
                    (fun () -> b.Forward(threads, spec, pad > 0, x, w, y)), y

                if withForward then
                    yield name + ", forward", count, builds |> Array.map (snd >> forward)

                if withWeight then
                    let dy = rnd (batch * cout * out * out)

                    let weight (b: Build) =
                        let spec = b.Spec(batch, cin, cout, size, k, stride, pad)
                        let dw = Array.zeroCreate<float32>(cout * cin * k * k)
                        (fun () -> b.BackwardWeight(threads, spec, pad > 0, x, dy, dw)), dw

                    yield name + ", weight gradient", count, builds |> Array.map (snd >> weight)

                if withData && stride = 1 && k = 3 then
                    let dy = rnd (batch * cout * out * out)

                    let data (b: Build) =
                        let spec = b.Spec(batch, cin, cout, size, k, stride, pad)
                        let dx = Array.zeroCreate<float32>(batch * cin * size * size)
                        (fun () -> b.BackwardData(threads, spec, dy, w, dx)), dx

                    yield name + ", input gradient", count, builds |> Array.map (snd >> data)
    ]

// Both builds must compute the same convolution up to float32 rounding: one call each, outputs compared.
for name, _, perBuild in cases do
    for action, _ in perBuild do
        action ()

    let a, b = snd perBuild[0], snd perBuild[1]
    let scale = a |> Array.fold (fun m v -> max m (abs v)) 1e-30f
    let diff = Array.fold2 (fun m u v -> max m (abs (u - v))) 0.0f a b

    if diff > 1e-4f * scale then
        failwithf "%s: the builds differ by %g (largest |value| %g)" name diff scale

let times =
    Array.init rounds (fun _ -> Array.zeroCreate<float * float> cases.Length)

printfn "threads %d, batch %d, float32; old = %s, new = %s" threads batch oldDir newDir

for r in 0 .. rounds - 1 do
    printfn "round %d at %s UTC" (r + 1) (DateTime.UtcNow.ToString "HH:mm:ss")

    cases
    |> List.iteri (fun i (name, _, perBuild) ->
        let o = median (fst perBuild[0])
        let n = median (fst perBuild[1])
        times[r][i] <- (o, n)
        printfn "  %-50s old %8.2f ms  new %8.2f ms  new/old %5.2f" name (o * 1e3) (n * 1e3) (n / o))

let med (xs: float[]) = (Array.sort xs)[xs.Length / 2]

printfn ""
printfn "%-50s %10s %10s %8s %6s %14s %14s" "case (median over rounds)" "old ms" "new ms" "new/old" "count" "old ms/step" "new ms/step"

let mutable totalOld, totalNew = 0.0, 0.0

cases
|> List.iteri (fun i (name, count, _) ->
    let o = med (Array.init rounds (fun r -> fst (times[r][i])))
    let n = med (Array.init rounds (fun r -> snd (times[r][i])))
    let ratio = med (Array.init rounds (fun r -> snd (times[r][i]) / fst (times[r][i])))
    totalOld <- totalOld + float count * o
    totalNew <- totalNew + float count * n

    printfn
        "%-50s %10.2f %10.2f %8.2f %6d %14.2f %14.2f"
        name
        (o * 1e3)
        (n * 1e3)
        ratio
        count
        (float count * o * 1e3)
        (float count * n * 1e3))

printfn
    "%-50s %10s %10s %8.2f %6s %14.2f %14.2f"
    "all cases, per encoder step"
    ""
    ""
    (totalNew / totalOld)
    ""
    (totalOld * 1e3)
    (totalNew * 1e3)
