namespace EquiSphere.Cli

open System
open System.Diagnostics
open System.IO
open System.Numerics
open EquiSphere.Harmonics
open MathNet.Numerics.IntegralTransforms
open Spectre.Console

/// The "sht" benchmark suite: spherical harmonic transforms (float64 one thread and all cores, batched float32
/// per channel) for B = 32..512 with GF/s from the nominal real-SHT count 4B³ + 10B² log2(2B); the own FFT
/// against MathNet's side by side; and libsharp (Debian libsharp-dev, one thread) as the peer when its
/// benchmark binary scripts/peers/libsharp_bench has been built (see the header of libsharp_bench.c).
[<RequireQualifiedAccess>]
module HarmonicsShtBench =

    /// Bandwidths measured.
    let bandwidths = [ 32; 64; 128; 256; 512 ]

    /// Nominal flops of one real SHT of bandwidth b: 4B³ + 10B² log2(2B).
    let flops (b: int) =
        let fb = float b
        4.0 * fb ** 3.0 + 10.0 * fb * fb * Math.Log2(2.0 * fb)

    /// Channels of the batched float32 cases (smaller batches at large B keep the suite short).
    let private channelsFor (b: int) =
        if b <= 64 then 16
        elif b <= 128 then 4
        elif b <= 256 then 2
        else 1

    /// The peer binary, searched from the current directory upwards.
    let private findPeer () =
        let rec up (dir: DirectoryInfo) =
            if isNull dir then
                None
            else
                let candidate = Path.Combine(dir.FullName, "scripts", "peers", "libsharp_bench")

                if File.Exists candidate then
                    Some candidate
                else
                    up dir.Parent

        up (DirectoryInfo(Directory.GetCurrentDirectory()))

    /// libsharp medians (alm2map, map2alm) in seconds by bandwidth, one thread; empty when the peer is absent.
    let private runPeer (bs: int list) : Map<int, float * float> =
        match findPeer () with
        | None -> Map.empty
        | Some exe ->
            try
                let psi =
                    ProcessStartInfo(exe, String.Join(" ", bs), RedirectStandardOutput = true, UseShellExecute = false)

                psi.Environment["OMP_NUM_THREADS"] <- "1"
                use p = Process.Start psi
                let text = p.StandardOutput.ReadToEnd()
                p.WaitForExit()

                text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                |> Array.choose (fun line ->
                    match line.Split(' ') with
                    | [| b; s; a |] ->
                        Some(
                            int b,
                            (Double.Parse(s, Globalization.CultureInfo.InvariantCulture),
                             Double.Parse(a, Globalization.CultureInfo.InvariantCulture))
                        )
                    | _ -> None)
                |> Map.ofArray
            with :? ComponentModel.Win32Exception ->
                Map.empty

    let private randomRealCoefficients (rng: Random) (b: int) =
        let a =
            Array.init (b * b) (fun _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

        for l in 0 .. b - 1 do
            let c = l * l + l
            a[c] <- Complex(a[c].Real, 0.0)

            for m in 1..l do
                let s = if m % 2 = 0 then 1.0 else -1.0
                a[c - m] <- s * Complex.Conjugate a[c + m]

        a

    /// The SHT rows of one bandwidth.
    let private shtRows (peer: Map<int, float * float>) (b: int) =
        let rng = Random b

        let single =
            Sht.planWith
                { ShtOptions.Default with
                    MaxDegreeOfParallelism = 1
                }
                b

        let sw = Stopwatch.StartNew()
        let all = Sht.plan b
        let planSeconds = sw.Elapsed.TotalSeconds
        let a = randomRealCoefficients rng b
        let f = Sht.inverse single a
        let fl = flops b
        let case (name: string) = sprintf "B=%d %s" b name

        let peerNote (pick: float * float -> float) (ours: BenchRow) =
            match Map.tryFind b peer with
            | Some t ->
                { ours with
                    Note =
                        sprintf "libsharp 1 thread %s (ours / libsharp %.2f)" (Bench.formatSeconds (pick t)) (ours.MedianSeconds / pick t)
                }
            | None ->
                { ours with
                    Note = "libsharp: build scripts/peers/libsharp_bench (see its header)"
                }

        let c = channelsFor b
        let n = 2 * b
        let signals = Array.init (c * n * n) (fun i -> float32 f[(i % (n * n)) / n, i % n])
        let spec = Sht.forwardBatch32 all c signals

        let perChannel (r: BenchRow) =
            { r with
                MedianSeconds = r.MedianSeconds / float c
                MinSeconds = r.MinSeconds / float c
                Note = sprintf "batch of C=%d, time per channel" c
            }

        let grid = Array2D.zeroCreate n n
        let spectrum = Array.zeroCreate (b * b)

        [
            Bench.measure "sht f64" (case "inverse, 1 thread") fl (fun () -> Sht.inverse single a |> ignore)
            Bench.measure "sht f64" (case "inverseInto, 1 thread") fl (fun () -> Sht.inverseInto single a grid)
            |> peerNote fst
            Bench.measure "sht f64" (case "forward, 1 thread") fl (fun () -> Sht.forward single f |> ignore)
            Bench.measure "sht f64" (case "forwardInto, 1 thread") fl (fun () -> Sht.forwardInto single f spectrum)
            |> peerNote snd
            Bench.measure "sht f64" (case "inverse, all cores") fl (fun () -> Sht.inverse all a |> ignore)
            Bench.measure "sht f64" (case "forward, all cores") fl (fun () -> Sht.forward all f |> ignore)
            Bench.measure "sht f32" (case "inverseBatch32, all cores") fl (fun () -> Sht.inverseBatch32 all c spec |> ignore)
            |> perChannel
            Bench.measure "sht f32" (case "forwardBatch32, all cores") fl (fun () -> Sht.forwardBatch32 all c signals |> ignore)
            |> perChannel
            {
                Group = "sht plan"
                Case = case "plan (default options)"
                MedianSeconds = planSeconds
                MinSeconds = planSeconds
                Flops = 0.0
                Note =
                    sprintf
                        "%.1f MiB after the float32 path ran (%s tables)"
                        (float all.MemoryBytes / 1048576.0)
                        (if all.HasTables then "precomputed" else "recomputed")
            }
        ]

    /// Own FFT against MathNet's for the ring length n = 2B, complex and real input.
    let private fftRows (b: int) =
        let n = 2 * b
        let rng = Random n
        let plan = Fft.plan n
        let rplan = Fft.planReal n
        let re = Array.init n (fun _ -> rng.NextDouble())
        let im = Array.init n (fun _ -> rng.NextDouble())
        let wr, wi = Array.zeroCreate n, Array.zeroCreate n
        let x = Array.init n (fun i -> Complex(re[i], im[i]))
        let s = Fft.realScratchLength rplan
        let z = Array.init 4 (fun _ -> Array.zeroCreate s)
        let outRe, outIm = Array.zeroCreate (n / 2 + 1), Array.zeroCreate (n / 2 + 1)
        let mathnetReal = Array.zeroCreate (n + 2)
        let cflops = 5.0 * float n * Math.Log2(float n)
        let case (name: string) = sprintf "n=%d %s" n name

        [
            Bench.measure "fft" (case "complex, own") cflops (fun () ->
                let r, i = Array.copy re, Array.copy im
                Fft.forwardSplit plan r i wr wi)
            Bench.measure "fft" (case "complex, MathNet") cflops (fun () ->
                let y = Array.copy x
                Fourier.Forward(y, FourierOptions.NoScaling))
            Bench.measure "fft" (case "real, own") (cflops / 2.0) (fun () ->
                Fft.forwardRealSplit rplan (ReadOnlySpan re) (Span outRe) (Span outIm) z[0] z[1] z[2] z[3])
            Bench.measure "fft" (case "real, MathNet") (cflops / 2.0) (fun () ->
                Array.blit re 0 mathnetReal 0 n
                Fourier.ForwardReal(mathnetReal, n, FourierOptions.NoScaling))
        ]

    /// Runs the suite and prints its tables.
    let run () =
        let peer = runPeer bandwidths

        if peer.IsEmpty then
            AnsiConsole.MarkupLine(
                "[yellow]libsharp peer not found[/]: cc -O2 -o scripts/peers/libsharp_bench scripts/peers/libsharp_bench.c -lsharp -lm"
            )

        Bench.print "Spherical harmonic transforms (medians; GF/s from 4B³ + 10B² log2(2B))" (bandwidths |> List.collect (shtRows peer))

        Bench.print
            "FFT over one ring, n = 2B (own vs MathNet; GF/s from 5 n log2 n, halved for real input)"
            (bandwidths |> List.collect fftRows)
