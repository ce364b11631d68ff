namespace EquiSphere.Cli

open System
open System.Numerics
open EquiSphere.Harmonics

/// The "so3" benchmark suite: SO(3) FFT forward and inverse at B = 16..128 — `forwardInto`/`inverseInto` on
/// preallocated split arrays (the headline rows), the Complex[] API with the recurrence engine, and with the table
/// engine for B ≤ 64, side by side (GF/s from ≈ 10.7 B⁴ flops of the Wigner step), Wigner-d tables, and correlation pairs per second for two 32-channel 16 × 16 maps at B = 32.
[<RequireQualifiedAccess>]
module HarmonicsSo3Bench =

    let private randomCoefficients (rng: Random) (b: int) =
        Array.init (So3Fft.count b) (fun _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

    /// Random real band-limited coefficients (f_l^{−m} = (−1)^m conj f_l^m), packed at l² + l + m.
    let private realCoefficients (rng: Random) (b: int) =
        let c = Array.zeroCreate (b * b)

        for l in 0 .. b - 1 do
            c[l * l + l] <- Complex(rng.NextDouble() - 0.5, 0.0)

            for m in 1..l do
                let v = Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5)
                c[l * l + l + m] <- v
                c[l * l + l - m] <- (if m % 2 = 0 then 1.0 else -1.0) * Complex.Conjugate v

        c

    /// The main-memory traffic of one SO(3) FFT of bandwidth B, on all cores: reads `samples` and `spectra` (vector
    /// loads, summed into `sums`, one slot per worker) and clears `written` (memset: whole lines, no read for
    /// ownership), the way the transform reads its samples and the spectra and streams the spectra out.
    let private memoryTraffic (samples: float[]) (spectra: float[]) (written: float[]) (sums: float[]) =
        let workers = sums.Length

        Threading.Tasks.Parallel.For(
            0,
            workers,
            fun w ->
                let mutable acc = Runtime.Intrinsics.Vector256<float>.Zero

                for a in [ samples; spectra ] do
                    let lo, hi = a.Length / 4 * w / workers * 4, a.Length / 4 * (w + 1) / workers * 4
                    let mutable i = lo

                    while i < hi do
                        acc <- acc + Runtime.Intrinsics.Vector256.Create<float>(ReadOnlySpan(a, i, 4))
                        i <- i + 4

                sums[w] <- Runtime.Intrinsics.Vector256.Sum acc
                let lo, hi = written.Length * w / workers, written.Length * (w + 1) / workers
                Array.Clear(written, lo, hi - lo)
        )
        |> ignore

    /// Measures and prints the suite.
    let run () =
        let rng = Random 1
        let rows = ResizeArray()

        for b in [ 16; 32; 64; 128 ] do
            let sw = Diagnostics.Stopwatch.StartNew()
            let plan = So3Fft.plan b
            let c = randomCoefficients rng b
            let f = So3Fft.inverse plan c
            let build = sw.Elapsed.TotalSeconds
            let flops = 10.7 * float b ** 4.0

            // B ≥ 64: three warm-up calls, so the first engine measured does not pay the JIT tiers and the first
            // touches of the pooled workspaces; B = 128: one warm-up, three runs.
            let policy (action: unit -> unit) =
                if b >= 128 then Bench.time 1 3 0.0 action
                elif b >= 64 then Bench.time 3 5 0.5 action
                else Bench.time 2 5 0.5 action

            // The allocation-free API on preallocated split arrays: the headline rows.
            let sRe, sIm =
                f |> Array.map (fun z -> z.Real), f |> Array.map (fun z -> z.Imaginary)

            let cRe, cIm =
                c |> Array.map (fun z -> z.Real), c |> Array.map (fun z -> z.Imaginary)

            let outRe, outIm = Array.zeroCreate f.Length, Array.zeroCreate f.Length
            let fRe, fIm = Array.zeroCreate c.Length, Array.zeroCreate c.Length

            for name, action in
                [
                    "forwardInto", (fun () -> So3Fft.forwardInto plan sRe sIm fRe fIm)
                    "inverseInto", (fun () -> So3Fft.inverseInto plan cRe cIm outRe outIm)
                ] do
                let median, best = policy action

                rows.Add
                    {
                        Group = "SO(3) FFT"
                        Case = sprintf "%s B=%d (split, preallocated)" name b
                        MedianSeconds = median
                        MinSeconds = best
                        Flops = flops
                        Note = sprintf "headline%s" (if b = 64 then "; target ≤ 8 ms" else "")
                    }

            // The memory floor: the transform's main-memory traffic alone (the samples and the spectra read, the
            // spectra written), measured after the headline rows so that both see the same phase of the machine.
            if b = 64 then
                let n = 2 * b
                let spectra = 2 * (2 * b - 1) * (2 * b - 1) * n
                let samples = Array.create (2 * n * n * n) 1.0
                let read, written = Array.create spectra 1.0, Array.zeroCreate spectra
                let sums = Array.zeroCreate Environment.ProcessorCount
                let median, best = policy (fun () -> memoryTraffic samples read written sums)
                let mb = float (8 * (samples.Length + 2 * spectra)) / 1e6

                let headline =
                    rows
                    |> Seq.filter (fun r -> r.Case.EndsWith "B=64 (split, preallocated)")
                    |> Seq.toArray

                rows.Add
                    {
                        Group = "SO(3) FFT"
                        Case =
                            sprintf
                                "memory floor B=64: read %.0f MB, write %.0f MB"
                                (mb - float (8 * spectra) / 1e6)
                                (float (8 * spectra) / 1e6)
                        MedianSeconds = median
                        MinSeconds = best
                        Flops = 0.0
                        Note =
                            sprintf
                                "%.1f GB/s; forwardInto / inverseInto = %s × this"
                                (mb / 1e3 / median)
                                (headline
                                 |> Array.map (fun r -> sprintf "%.1f" (r.MedianSeconds / median))
                                 |> String.concat " / ")
                    }

            // The table engine (previous default; `planWith true`) side by side with the recurrence engine, B ≤ 64.
            let reference =
                if b <= 64 then
                    let t = So3Fft.planWith true b
                    So3Fft.inverse t c |> ignore
                    Some t
                else
                    None

            let engines =
                [
                    yield "", plan, sprintf "d by l-recurrence, no tables; plan+first call %s" (Bench.formatSeconds build)
                    match reference with
                    | Some t -> yield " (tables)", t, sprintf "tables %d MB" (t.MemoryBytes / 1048576L)
                    | None -> ()
                ]

            for suffix, p, note in engines do
                for name, action in
                    [
                        "forward (Complex[])", (fun () -> So3Fft.forward p f |> ignore)
                        "inverse (Complex[])", (fun () -> So3Fft.inverse p c |> ignore)
                    ] do
                    let median, best = policy action

                    rows.Add
                        {
                            Group = "SO(3) FFT"
                            Case = sprintf "%s B=%d%s" name b suffix
                            MedianSeconds = median
                            MinSeconds = best
                            Flops = flops
                            Note = note
                        }

        // Correlation: two 32-channel 16 × 16 maps upsampled to B = 32, grid argmax and sub-cell refinement.
        let channels = 32
        let plan8 = Sht.plan 8
        let plan = Correlation.planFor 32

        let signal () =
            Array.init channels (fun _ -> realCoefficients rng 8)

        let s2 = signal ()
        let r = Rotation.randomWith rng
        let g1 = Rotate.channels r s2 |> Array.map (Sht.inverse plan8)
        let g2 = s2 |> Array.map (Sht.inverse plan8)

        let f1 = Correlation.analyzeGrids Upsampling.Spectral 32 "g1" g1
        let f2 = Correlation.analyzeGrids Upsampling.Spectral 32 "g2" g2

        let pairRow case (note: string) (action: unit -> unit) =
            let row = Bench.measure "correlation" case 0.0 action

            { row with
                Note = sprintf "%.0f pairs/s%s" (1.0 / row.MedianSeconds) note
            }

        rows.Add(
            pairRow "grid G, 32 ch, B=32 (coefficients in)" "" (fun () ->
                let values = Correlation.grid plan f1 f2
                Correlation.gridPeaks 32 1 0.1 values |> ignore)
        )

        rows.Add(
            pairRow "align 16×16 → B=32, spectral, refined" "; target ≥ 500" (fun () ->
                Correlation.align plan Upsampling.Spectral 1 Correlation.DefaultMinSeparation g1 g2
                |> ignore)
        )

        rows.Add(
            pairRow "align 16×16 → B=32, bicubic, refined" "" (fun () ->
                Correlation.align plan Upsampling.Bicubic 1 Correlation.DefaultMinSeparation g1 g2
                |> ignore)
        )

        // Several pairs at once: the throughput when a caller correlates a batch (parallel over pairs).
        let batch = 16

        let batchRow =
            Bench.measure "correlation" (sprintf "align ×%d in parallel, spectral" batch) 0.0 (fun () ->
                Array.Parallel.init batch (fun _ -> Correlation.align plan Upsampling.Spectral 1 Correlation.DefaultMinSeparation g1 g2)
                |> ignore)

        rows.Add
            { batchRow with
                Note = sprintf "%.0f pairs/s" (float batch / batchRow.MedianSeconds)
            }

        let lmax = 1023

        let wig =
            Bench.measure "Wigner d" "all d^l(β), l ≤ 1023, one β" 0.0 (fun () -> Wigner.iterate lmax 0.7 (fun _ _ -> ()))

        rows.Add { wig with Note = "Risbo recursion" }
        Bench.print "so3: SO(3) FFT and correlation (medians; GF/s from 10.7 B⁴)" rows
