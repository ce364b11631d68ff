module EquiSphere.Cli.Program

open System.CommandLine
open Spectre.Console

let private infoCommand () =
    let cmd =
        Command("info", "Print the toolkit's version and what this machine offers (cores, SIMD).")

    cmd.SetAction(fun (_: ParseResult) ->
        AnsiConsole.MarkupLine(
            sprintf "[bold]EquiSphere[/] %s" (string (typeof<EquiSphere.Harmonics.Rotation>.Assembly.GetName().Version))
        )

        AnsiConsole.WriteLine(Bench.machine ()))

    cmd

/// The benchmark suites by name: each area registers one function that measures and prints its table.
let private benchSuites: (string * string * (unit -> unit)) list =
    [
        "meshio", "Mesh file formats: read and write in memory, every format side by side", MeshesBench.run
        "png", "PNG decode/encode vs zlib alone, colormapped heat maps", GeometryImageBench.run
        "geometry", "BVH build, ray casting r(M) 64 × 64, rendering 64 × 64 views", GeometryBench.run
        "sht", "Spherical harmonic transforms f64/f32, own FFT vs MathNet, libsharp peer", HarmonicsShtBench.run
        "tensor-kernels", "GEMM GF/s next to the FMA roof; conv2d forward/backward for the conv-net layers", TensorKernelsBench.run
        "tensor-train", "Training steps of a 4-conv net and the image encoder (fwd + bwd + SGD)", TensorTrainBench.run
        "so3", "SO(3) FFT forward/inverse B = 16..128, correlation pairs/s, Wigner-d", HarmonicsSo3Bench.run
        "tensor-profile", "Per-op time, phases and GC work of the tensor-train steps; GC latency modes", TensorProfileBench.run
    ]

let private benchCommand () =
    let cmd =
        Command("bench", "Measure the kernels and print tables (medians of repeated runs, GF/s, peers side by side).")

    let only =
        Option<string>(
            "--only",
            [| "-o" |],
            Description =
                "Run one suite: "
                + (benchSuites |> List.map (fun (n, _, _) -> n) |> String.concat ", ")
        )

    cmd.Add only

    let tsv =
        Option<string>(
            "--tsv",
            Description = "Also append every measured row to this file as tab-separated values (group, case, median ms, min ms, GF/s)"
        )

    cmd.Add tsv

    cmd.SetAction(fun (p: ParseResult) ->
        let pick = p.GetValue only
        Bench.tsvPath <- p.GetValue tsv
        AnsiConsole.WriteLine(Bench.machine ())

        for name, _, run in benchSuites do
            if System.String.IsNullOrEmpty pick || pick = name then
                run ())

    cmd

[<EntryPoint>]
let main argv =
    let root =
        RootCommand("EquiSphere: rotation-equivariant learning on the sphere (Esteves et al., ICML 2019).")

    for c in [ infoCommand (); benchCommand () ] do
        root.Add c

    root.Add(MeshesConvert.command ())
    root.Add(GeometryImages.command ())
    root.Add(GeometryDataset.datasetCommand ())
    root.Add(GeometryDataset.renderCommand ())
    root.Add(HarmonicsDemo.command ())

    root.Parse(argv).Invoke()
