// Times the Wigner-d stage of the SO(3) FFT alone (the internal So3Pairs.forward/inverse, called by reflection) on
// random per-order spectra, after a Release build:
//   dotnet fsi scripts/so3-pairs-timing.fsx 16 32 64 128
// Prints median and min wall time per call and, on Linux, the calling thread's CPU time (with
// DOTNET_PROCESSOR_COUNT=1 the stage runs on the calling thread, so that is all of its work; the CPU time is less
// sensitive to other processes than wall time). Set SO3_HARMONICS_DLL to time another build of the assembly.

open System
open System.Diagnostics
open System.Reflection
open System.Runtime.InteropServices

[<Struct; StructLayout(LayoutKind.Sequential)>]
type Timespec =
    {
        mutable Seconds: int64
        mutable Nanoseconds: int64
    }

[<DllImport("libc", EntryPoint = "clock_gettime")>]
extern int clockGettime(int clock, Timespec& ts)

/// CPU time of the calling thread in ms (CLOCK_THREAD_CPUTIME_ID), or NaN off Linux.
let threadCpuMs () =
    if OperatingSystem.IsLinux() then
        let mutable ts = { Seconds = 0L; Nanoseconds = 0L }
        clockGettime (3, &ts) |> ignore
        float ts.Seconds * 1e3 + float ts.Nanoseconds * 1e-6
    else
        nan

let dll =
    match Environment.GetEnvironmentVariable "SO3_HARMONICS_DLL" with
    | null
    | "" -> IO.Path.Combine(__SOURCE_DIRECTORY__, "../src/EquiSphere.Harmonics/bin/Release/net10.0/EquiSphere.Harmonics.dll")
    | path -> path

let pairs = Assembly.LoadFrom(dll).GetType("EquiSphere.Harmonics.So3Pairs")

let method (name: string) =
    pairs.GetMethod(name, BindingFlags.Static ||| BindingFlags.Public ||| BindingFlags.NonPublic)

let setup, forward, inverse = method "setup", method "forward", method "inverse"

let bandwidths =
    match fsi.CommandLineArgs |> Array.skip 1 |> Array.map int with
    | [||] -> [| 16; 32; 64 |]
    | bs -> bs

/// (median wall, min wall, median thread CPU) in ms over `runs` calls after two warm-up calls.
let time (runs: int) (action: unit -> unit) =
    action ()
    action ()

    let samples =
        Array.init runs (fun _ ->
            let c0 = threadCpuMs ()
            let sw = Stopwatch.StartNew()
            action ()
            sw.Elapsed.TotalMilliseconds, threadCpuMs () - c0)

    let wall = samples |> Array.map fst |> Array.sort
    let cpu = samples |> Array.map snd |> Array.sort
    wall[runs / 2], wall[0], cpu[runs / 2]

for b in bandwidths do
    let s = setup.Invoke(null, [| box b |])
    let len = (2 * b - 1) * (2 * b - 1) * 2 * b
    let count = b * (4 * b * b - 1) / 3
    let rng = Random b

    let xRe, xIm =
        Array.init len (fun _ -> rng.NextDouble() - 0.5), Array.init len (fun _ -> rng.NextDouble() - 0.5)

    let fRe, fIm = Array.zeroCreate<float> count, Array.zeroCreate<float> count
    let tRe, tIm = Array.zeroCreate<float> len, Array.zeroCreate<float> len
    let scale = Array.create b 1.0

    let runs =
        if b >= 128 then 7
        elif b >= 64 then 21
        else 51

    let fm, fmin, fc =
        time runs (fun () ->
            forward.Invoke(null, [| s; box scale; box xRe; box xIm; box fRe; box fIm |])
            |> ignore)

    let im, imin, ic =
        time runs (fun () -> inverse.Invoke(null, [| s; box fRe; box fIm; box tRe; box tIm |]) |> ignore)

    printfn "B=%3d  forward %8.3f ms (min %8.3f, thread CPU %8.3f)   inverse %8.3f ms (min %8.3f, thread CPU %8.3f)" b fm fmin fc im imin ic
