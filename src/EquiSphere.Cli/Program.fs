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

[<EntryPoint>]
let main argv =
    let root =
        RootCommand("EquiSphere: rotation-equivariant learning on the sphere (Esteves et al., ICML 2019).")

    for c in [ infoCommand () ] do
        root.Add c

    root.Parse(argv).Invoke()
