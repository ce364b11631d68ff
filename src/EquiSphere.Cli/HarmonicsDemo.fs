namespace EquiSphere.Cli

open System
open System.CommandLine
open System.Diagnostics
open System.Numerics
open Spectre.Console
open EquiSphere.Harmonics

/// The `demo` command: the toolkit's main job on built-in data. Builds seeded multi-channel spherical signals of two
/// kinds — band-limited ones on coarse grids (as the paper's 16 × 16 embeddings) and smooth sums of bumps on the full
/// grid — rotates each by a random rotation, recovers the rotation by SO(3) correlation, and prints true vs
/// recovered rotations (ZYZ Euler angles in degrees), geodesic errors and timings.
[<RequireQualifiedAccess>]
module HarmonicsDemo =

    /// Random real band-limited coefficients (f_l^{−m} = (−1)^m conj f_l^m) of bandwidth b, packed at l² + l + m.
    let private realCoefficients (rng: Random) (b: int) =
        let c = Array.zeroCreate (b * b)

        for l in 0 .. b - 1 do
            c[l * l + l] <- Complex(rng.NextDouble() - 0.5, 0.0)

            for m in 1..l do
                let v = Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5)
                c[l * l + l + m] <- v
                c[l * l + l - m] <- (if m % 2 = 0 then 1.0 else -1.0) * Complex.Conjugate v

        c

    /// A smooth signal on the [2B, 2B] grid: a sum of von Mises–Fisher bumps exp(κ (x·μ − 1)) with random signed
    /// weights, centres and concentrations κ in [4, 12]; `rotate` moves the centres (μ ↦ R μ), which samples Λ_R f.
    let private bumps (rng: Random) (count: int) =
        Array.init count (fun _ ->
            let z = rng.NextDouble() * 2.0 - 1.0
            let p = rng.NextDouble() * 2.0 * Math.PI
            let s = sqrt (1.0 - z * z)
            (s * cos p, s * sin p, z), 4.0 + 8.0 * rng.NextDouble(), rng.NextDouble() * 2.0 - 1.0)

    let private sampleBumps (b: int) (r: Rotation) (bs: ((float * float * float) * float * float)[]) =
        let moved = bs |> Array.map (fun (mu, k, w) -> Rotation.apply r mu, k, w)

        Array2D.init (2 * b) (2 * b) (fun j k ->
            let x, y, z = Grid.point b j k

            moved
            |> Array.sumBy (fun ((mx, my, mz), kappa, w) -> w * exp (kappa * (x * mx + y * my + z * mz - 1.0))))

    let private degrees (a: float) = a * 180.0 / Math.PI

    let private euler (r: Rotation) =
        let a, b, g = Rotation.toEulerZyz r
        sprintf "%.1f, %.1f, %.1f" (degrees a) (degrees b) (degrees g)

    /// One trial's outcome.
    type private Trial =
        {
            Kind: string
            Truth: Rotation
            Found: Rotation
            Score: float
            Seconds: float
        }

    /// Runs the demo: `trials` random rotations at correlation bandwidth `b` with `channels` channels per signal.
    let run (b: int) (channels: int) (trials: int) (seed: int) =
        if b < 4 || b > 128 then
            invalidArg "--bandwidth" (sprintf "Expected a bandwidth in [4, 128], got %d" b)

        if channels < 1 then
            invalidArg "--channels" (sprintf "Expected at least one channel, got %d" channels)

        if trials < 1 then
            invalidArg "--trials" (sprintf "Expected at least one trial, got %d" trials)

        let rng = Random seed
        let coarse = max 2 (b / 4)
        let coarsePlan = Sht.plan coarse

        AnsiConsole.MarkupLine(
            sprintf
                "[bold]EquiSphere demo[/]: recover random rotations by SO(3) correlation at B = %d ((2B)³ = %d grid rotations), %d channels, seed %d"
                b
                (8 * b * b * b)
                channels
                seed
        )

        let sw = Stopwatch.StartNew()
        let plan = Correlation.planFor b
        AnsiConsole.MarkupLine(sprintf "SO(3) FFT plan built in %s" (Bench.formatSeconds sw.Elapsed.TotalSeconds))
        let results = ResizeArray<Trial>()

        AnsiConsole
            .Progress()
            .Start(fun ctx ->
                let task = ctx.AddTask("correlating", maxValue = float trials)

                for t in 0 .. trials - 1 do
                    let truth = Rotation.randomWith rng

                    let kind, g1, g2 =
                        if t % 2 = 0 then
                            // Band-limited channels on a coarse [2b, 2b] grid, rotated exactly in the spectral domain.
                            let c = Array.init channels (fun _ -> realCoefficients rng coarse)
                            let g2 = c |> Array.map (Sht.inverse coarsePlan)
                            let g1 = Rotate.channels truth c |> Array.map (Sht.inverse coarsePlan)
                            sprintf "band-limited %d×%d" (2 * coarse) (2 * coarse), g1, g2
                        else
                            // Smooth bumps sampled on the full grid, the rotated copy sampled from moved bumps.
                            let bs = Array.init channels (fun _ -> bumps rng 6)
                            let g2 = bs |> Array.map (sampleBumps b Rotation.identity)
                            let g1 = bs |> Array.map (sampleBumps b truth)
                            sprintf "smooth bumps %d×%d" (2 * b) (2 * b), g1, g2

                    let watch = Stopwatch.StartNew()

                    let a =
                        Correlation.align plan Upsampling.Spectral 1 Correlation.DefaultMinSeparation g1 g2

                    results.Add
                        {
                            Kind = kind
                            Truth = truth
                            Found = a.Rotation
                            Score = a.Score
                            Seconds = watch.Elapsed.TotalSeconds
                        }

                    task.Increment 1.0)

        let table =
            Table().Title(sprintf "True vs recovered rotations (ZYZ Euler angles α, β, γ in degrees), B = %d" b)

        for c in
            [
                "#"
                "signal"
                "true (α, β, γ)"
                "recovered (α, β, γ)"
                "error °"
                "score"
                "time"
            ] do
            table.AddColumn(c) |> ignore

        let errors =
            results
            |> Seq.mapi (fun i r ->
                let err = Rotation.angleBetweenDegrees r.Truth r.Found

                table.AddRow(
                    string (i + 1),
                    Markup.Escape r.Kind,
                    Markup.Escape(euler r.Truth),
                    Markup.Escape(euler r.Found),
                    sprintf "%.4f" err,
                    sprintf "%.4f" r.Score,
                    Bench.formatSeconds r.Seconds
                )
                |> ignore

                err)
            |> Array.ofSeq

        AnsiConsole.Write table
        let sorted = Array.sort errors

        AnsiConsole.MarkupLine(
            sprintf
                "median error [bold]%.3f°[/], max %.3f°, grid cell %.2f°; mean time per pair %s; total %s"
                sorted[sorted.Length / 2]
                (Array.max errors)
                (180.0 / float (2 * b))
                (Bench.formatSeconds (results |> Seq.averageBy (fun r -> r.Seconds)))
                (Bench.formatSeconds sw.Elapsed.TotalSeconds)
        )

    /// The `demo` command with its options.
    let command () =
        let bandwidth =
            Option<int>(
                "--bandwidth",
                [| "-b" |],
                Description = "Correlation bandwidth B (SO(3) grid (2B)³)",
                DefaultValueFactory = (fun _ -> 32)
            )

        let channels =
            Option<int>("--channels", [| "-c" |], Description = "Channels per signal", DefaultValueFactory = (fun _ -> 8))

        let trials =
            Option<int>("--trials", [| "-t" |], Description = "Number of random rotations", DefaultValueFactory = (fun _ -> 8))

        let seed =
            Option<int>("--seed", [| "-s" |], Description = "Random seed", DefaultValueFactory = (fun _ -> 1))

        let cmd =
            Command("demo", "Rotate seeded spherical signals by random rotations and recover them by SO(3) correlation.")

        for o in [ bandwidth; channels; trials; seed ] do
            cmd.Add o

        cmd.SetAction(fun (p: ParseResult) ->
            try
                run (p.GetValue bandwidth) (p.GetValue channels) (p.GetValue trials) (p.GetValue seed)
                0
            with :? ArgumentException as e ->
                AnsiConsole.MarkupLine(sprintf "[red]error:[/] %s" (Markup.Escape e.Message))
                1)

        cmd
