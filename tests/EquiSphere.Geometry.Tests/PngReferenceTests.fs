/// The PNG decoder against outside references, used when present on the machine and skipped (with a message) when
/// not: files written by an independent Python writer (scripts/peers/write_pngs.py, standard library only) with the
/// pixels it encoded, and netpbm's `pngtopnm` (libpng) decoding real PNG files that Debian packages ship.
module PngReferenceTests

open System
open System.Diagnostics
open System.IO
open System.Text.Json
open Xunit
open Xunit.Abstractions
open EquiSphere.Geometry

/// Runs a program; None when it cannot be started or fails.
let private runTool (file: string) (args: string list) (stdout: Stream) =
    try
        let psi =
            ProcessStartInfo(file, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false)

        for a in args do
            psi.ArgumentList.Add a

        use p = Process.Start psi
        let copy = p.StandardOutput.BaseStream.CopyToAsync stdout
        p.StandardError.ReadToEnd() |> ignore
        copy.Wait()
        p.WaitForExit()
        if p.ExitCode = 0 then Some() else None
    with _ ->
        None

let private findRepoRoot () =
    let mutable d = DirectoryInfo(AppContext.BaseDirectory)

    while not (isNull d) && not (File.Exists(Path.Combine(d.FullName, "Toolkit.sln"))) do
        d <- d.Parent

    if isNull d then None else Some d.FullName

/// The conformance set written by the Python peer into a fresh folder, or None (with the reason) when unavailable.
let private pythonSet =
    lazy
        (match findRepoRoot () with
         | None -> Error "the repository root (Toolkit.sln) was not found above the test binaries"
         | Some root ->
             let script = Path.Combine(root, "scripts", "peers", "write_pngs.py")
             let dir = Directory.CreateTempSubdirectory("equisphere-pngsuite").FullName

             match runTool "python3" [ script; dir ] Stream.Null with
             | Some() -> Ok dir
             | None -> Error "python3 is not available (or the writer failed)")

type PngReferenceTests(output: ITestOutputHelper) =

    [<Fact>]
    member _.``files from the independent Python writer decode to the pixels it encoded``() =
        match pythonSet.Value with
        | Error why -> output.WriteLine(sprintf "SKIPPED: %s" why)
        | Ok dir ->
            let files = Directory.GetFiles(dir, "*.png") |> Array.sort
            Assert.True(files.Length >= 100, sprintf "Expected the full set, got %d files" files.Length)

            for f in files do
                use doc = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(f, ".json")))
                let j = doc.RootElement
                let maxval = j.GetProperty("maxval").GetInt32()

                let expected =
                    [| for v in j.GetProperty("levels").EnumerateArray() -> v.GetInt32() |]

                let img = Png.read f
                Assert.Equal(j.GetProperty("width").GetInt32(), img.Width)
                Assert.Equal(j.GetProperty("height").GetInt32(), img.Height)
                Assert.True(j.GetProperty("channels").GetInt32() = img.Channels, sprintf "%s: channels %d" f img.Channels)
                let actual = Image.toLevels maxval img

                if expected <> actual then
                    let i = Array.findIndex id (Array.map2 (<>) expected actual)
                    failwithf "%s: first difference at value %d: expected %d, got %d" f i expected[i] actual[i]

            output.WriteLine(sprintf "%d files from write_pngs.py matched" files.Length)

    [<Fact>]
    member _.``real PNG files decode like libpng's pngtopnm``() =
        let probe = runTool "pngtopnm" [ "-version" ] Stream.Null

        if probe.IsNone then
            output.WriteLine "SKIPPED: netpbm's pngtopnm is not installed (apt-get install netpbm)"
        else
            let shipped =
                if Directory.Exists "/usr/share" then
                    Directory.EnumerateFiles("/usr/share", "*.png", SearchOption.AllDirectories)
                    |> Seq.filter (fun f -> FileInfo(f).Length < 200_000L)
                    |> Seq.sort
                    |> Seq.truncate 4000
                    |> Seq.toArray
                else
                    [||]

            // A spread of the shipped files (every 40th) plus the Python set, to keep the test short.
            let picked =
                shipped
                |> Array.indexed
                |> Array.filter (fun (i, _) -> i % 40 = 0)
                |> Array.map snd

            let generated =
                match pythonSet.Value with
                | Ok dir -> Directory.GetFiles(dir, "*.png") |> Array.sort
                | Error _ -> [||]

            let mutable compared = 0

            for f in Array.append picked generated do
                use color = new MemoryStream()
                use alpha = new MemoryStream()

                match runTool "pngtopnm" [ f ] color with
                | None -> output.WriteLine(sprintf "pngtopnm refused %s; not compared" f)
                | Some() ->
                    let img = Png.read f
                    let reference = Pnm.decode (f + " via pngtopnm") (color.ToArray())
                    // netpbm 11.01's pngtopnm -alpha marks no pixel transparent for an RGB color key in tRNS (gray
                    // keys work), against the specification and pypng; those files are checked by the Python set.
                    let rgbKey =
                        match Png.tryHeader f (File.ReadAllBytes f) with
                        | Ok h -> h.ColorType = 2
                        | Error _ -> false

                    let hasAlpha = (img.Channels = 2 || img.Channels = 4) && not rgbKey
                    let colorOnly = Image.withChannels (if img.Channels <= 2 then 1 else 3) img
                    // pngtopnm writes 1-channel PBM/PGM for gray files; compare on the reference's channel count.
                    let ours = Image.withChannels reference.Channels colorOnly
                    Assert.Equal(reference.Width, img.Width)
                    Assert.Equal(reference.Height, img.Height)
                    TestKit.closeTo (f + " color") 1e-6 (ImageTests.pixels reference) (ImageTests.pixels ours)

                    if hasAlpha && (runTool "pngtopnm" [ "-alpha"; f ] alpha).IsSome then
                        let a = Pnm.decode (f + " alpha via pngtopnm") (alpha.ToArray())

                        let oursAlpha =
                            Array.init (img.Width * img.Height) (fun i -> float img.Pixels[i * img.Channels + img.Channels - 1])

                        TestKit.closeTo (f + " alpha") 1e-6 (ImageTests.pixels a) oursAlpha

                    compared <- compared + 1

            output.WriteLine(sprintf "%d files compared with pngtopnm (%d shipped under /usr/share)" compared picked.Length)
