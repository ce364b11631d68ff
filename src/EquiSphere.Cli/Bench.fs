namespace EquiSphere.Cli

open System
open System.Diagnostics
open Spectre.Console

/// One measured case of a benchmark table.
type BenchRow =
    {
        Group: string
        Case: string
        /// Median wall time of one call, in seconds.
        MedianSeconds: float
        /// Fastest call, in seconds.
        MinSeconds: float
        /// Floating-point operations of one call (0 when not meaningful).
        Flops: float
        /// Free text: a peer's time, a ratio, a target.
        Note: string
    }

/// The benchmark harness: warm-up, repeated timing, medians, and a table. Timings are medians of repeated calls
/// measured side by side in one process; compare ratios, not absolute numbers, on a noisy machine.
[<RequireQualifiedAccess>]
module Bench =

    /// Times `action` after `warmup` calls: repeats until `minSeconds` of total time and at least `minRuns` runs,
    /// and returns (median, min) in seconds per call.
    let time (warmup: int) (minRuns: int) (minSeconds: float) (action: unit -> unit) =
        for _ in 1..warmup do
            action ()

        let samples = ResizeArray()
        let total = Stopwatch.StartNew()

        while samples.Count < minRuns || total.Elapsed.TotalSeconds < minSeconds do
            let sw = Stopwatch.StartNew()
            action ()
            samples.Add sw.Elapsed.TotalSeconds

        let sorted = samples.ToArray() |> Array.sort
        sorted[sorted.Length / 2], sorted[0]

    /// Measures one case with the default policy (2 warm-up calls, at least 5 runs and 0.5 s).
    let measure (group: string) (case: string) (flops: float) (action: unit -> unit) =
        let median, best = time 2 5 0.5 action

        {
            Group = group
            Case = case
            MedianSeconds = median
            MinSeconds = best
            Flops = flops
            Note = ""
        }

    /// A duration in the unit that reads best (ns, µs, ms, s).
    let formatSeconds (s: float) =
        if s < 1e-6 then sprintf "%.0f ns" (s * 1e9)
        elif s < 1e-3 then sprintf "%.1f µs" (s * 1e6)
        elif s < 1.0 then sprintf "%.2f ms" (s * 1e3)
        else sprintf "%.2f s" s

    /// A file that `print` also appends its rows to as tab-separated lines (group, case, median ms, min ms, GF/s),
    /// for scripts that compare runs (`bench --tsv FILE`); null: none.
    let mutable tsvPath: string = null

    let private appendTsv (rows: BenchRow seq) =
        if not (isNull tsvPath) then
            let clean (s: string) = s.Replace('\t', ' ').Replace('\n', ' ')

            let lines =
                rows
                |> Seq.map (fun r ->
                    let gf =
                        if r.Flops > 0.0 then
                            r.Flops / r.MedianSeconds / 1e9
                        else
                            0.0

                    String.Join(
                        "\t",
                        [|
                            clean r.Group
                            clean r.Case
                            r.MedianSeconds * 1e3 |> sprintf "%.4f"
                            r.MinSeconds * 1e3 |> sprintf "%.4f"
                            sprintf "%.2f" gf
                        |]
                    ))

            IO.File.AppendAllLines(tsvPath, lines)

    /// Prints rows as a table: group, case, median, min, GF/s (from Flops and the median), note; with `tsvPath`
    /// set, also appends them there.
    let print (title: string) (rows: BenchRow seq) =
        let rows = Seq.toArray rows
        appendTsv rows
        let table = Table().Title(title)

        for c in [ "group"; "case"; "median"; "min"; "GF/s"; "note" ] do
            table.AddColumn(c) |> ignore

        for r in rows do
            let gf =
                if r.Flops > 0.0 then
                    sprintf "%.2f" (r.Flops / r.MedianSeconds / 1e9)
                else
                    ""

            table.AddRow(
                Markup.Escape r.Group,
                Markup.Escape r.Case,
                formatSeconds r.MedianSeconds,
                formatSeconds r.MinSeconds,
                gf,
                Markup.Escape r.Note
            )
            |> ignore

        AnsiConsole.Write table

    /// The machine the numbers come from: cores and SIMD width.
    let machine () =
        sprintf
            "%d cores, %s, Vector512 %b, Vector256 %b, .NET %s"
            Environment.ProcessorCount
            Runtime.InteropServices.RuntimeInformation.OSDescription
            Runtime.Intrinsics.Vector512.IsHardwareAccelerated
            Runtime.Intrinsics.Vector256.IsHardwareAccelerated
            (string Environment.Version)
