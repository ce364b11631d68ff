// The build script: a plain FSI script (FAKE does not restore here).
// Usage: dotnet fsi build.fsx [build|test|format|format-check|bench|docs|all] [-- extra args]
open System
open System.Diagnostics
open System.Text.RegularExpressions

let root = __SOURCE_DIRECTORY__

let run (file: string) (args: string) =
    printfn "> %s %s" file args

    let psi =
        ProcessStartInfo(file, args, WorkingDirectory = root, UseShellExecute = false)

    use p = Process.Start psi
    p.WaitForExit()
    p.ExitCode

/// Runs a command and echoes its output while keeping the lines.
let runCapture (file: string) (args: string) =
    printfn "> %s %s" file args

    let psi =
        ProcessStartInfo(
            file,
            args,
            WorkingDirectory = root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true
        )

    use p = new Process(StartInfo = psi)
    let lines = Collections.Concurrent.ConcurrentQueue<string>()

    let handler =
        DataReceivedEventHandler(fun _ e ->
            if not (isNull e.Data) then
                (Console.WriteLine e.Data
                 lines.Enqueue e.Data))

    p.OutputDataReceived.AddHandler handler
    p.ErrorDataReceived.AddHandler handler
    p.Start() |> ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p.WaitForExit()
    p.ExitCode, List.ofSeq lines

let check code what =
    if code <> 0 then
        failwithf "%s failed with exit code %d" what code

let restore () =
    check (run "dotnet" "tool restore") "dotnet tool restore"
    check (run "dotnet" "paket restore") "paket restore"

let build () =
    restore ()
    check (run "dotnet" "build Toolkit.sln -c Release") "build"

/// Runs every test project; prints the totals as a last line "N passed, N failed".
let test (extra: string) =
    build ()

    let code, lines =
        runCapture "dotnet" (sprintf "test Toolkit.sln -c Release --no-build %s" extra)

    let rx =
        Regex(@"(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)")

    let mutable passed, failed, skipped = 0, 0, 0

    for l in lines do
        let m = rx.Match l

        if m.Success then
            failed <- failed + int m.Groups[2].Value
            passed <- passed + int m.Groups[3].Value
            skipped <- skipped + int m.Groups[4].Value

    let failed = if code <> 0 && failed = 0 then 1 else failed
    printfn "%d passed, %d failed, %d skipped" passed failed skipped

    if failed > 0 || passed = 0 then
        exit 1

let fantomasTargets =
    [ "src"; "tests"; "scripts"; "docs"; "build.fsx" ]
    |> List.filter (fun p ->
        IO.Directory.Exists(IO.Path.Combine(root, p))
        || IO.File.Exists(IO.Path.Combine(root, p)))
    |> String.concat " "

let format () =
    check (run "dotnet" "tool restore") "dotnet tool restore"
    check (run "dotnet" (sprintf "fantomas %s" fantomasTargets)) "fantomas"

let formatCheck () =
    check (run "dotnet" "tool restore") "dotnet tool restore"

    if run "dotnet" (sprintf "fantomas --check %s" fantomasTargets) <> 0 then
        eprintfn "Some files are not formatted. Fix with:  dotnet fsi build.fsx format   (or: dotnet fantomas %s)" fantomasTargets
        exit 1

let bench (extra: string) =
    restore ()
    check (run "dotnet" (sprintf "run -c Release --project src/EquiSphere.Cli -- bench %s" extra)) "bench"

/// Runs every runnable example in docs/ and scripts/examples so they cannot rot.
let docs () =
    build ()

    for dir in [ "docs"; "scripts/examples" ] do
        let full = IO.Path.Combine(root, dir)

        if IO.Directory.Exists full then
            for f in IO.Directory.GetFiles(full, "*.fsx") |> Array.sort do
                check (run "dotnet" (sprintf "fsi --quiet \"%s\"" f)) f

let args = fsi.CommandLineArgs |> Array.skip 1 |> List.ofArray

let target, rest =
    match args with
    | t :: rest -> t, String.Join(" ", rest |> List.filter ((<>) "--"))
    | [] -> "build", ""

match target with
| "build" -> build ()
| "test" -> test rest
| "format" -> format ()
| "format-check" -> formatCheck ()
| "bench" -> bench rest
| "docs" -> docs ()
| "all" ->
    formatCheck ()
    test rest
    docs ()
| t ->
    eprintfn "Unknown target '%s'. Targets: build, test, format, format-check, bench, docs, all" t
    exit 2
