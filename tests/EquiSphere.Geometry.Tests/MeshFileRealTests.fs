module MeshFileRealTests

open System
open System.Formats.Tar
open System.IO
open System.IO.Compression
open Xunit
open Xunit.Abstractions
open EquiSphere.Geometry

/// Folders and archives of real mesh files shipped by Debian packages (assimp-testmodels, openscad-testing-data,
/// libcgal-demo). Install them with `apt-get install assimp-testmodels openscad-testing-data libcgal-demo`.
let private folders = [ "/usr/share/assimp/models"; "/usr/share/openscad/testdata" ]

let private archives =
    [
        "/usr/share/doc/libcgal-demo/data.tar.gz"
        "/usr/share/doc/libcgal-dev/data.tar.gz"
    ]

/// Every mesh file (by extension) in the folders and archives present: (name, format, bytes).
let private realFiles () =
    let inFolders =
        folders
        |> Seq.filter Directory.Exists
        |> Seq.collect (fun d -> Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
        |> Seq.choose (fun f ->
            MeshFile.formatOfPath f
            |> Option.map (fun fmt -> f, fmt, lazy (File.ReadAllBytes f)))

    let inArchives =
        archives
        |> Seq.filter File.Exists
        |> Seq.truncate 1
        |> Seq.collect (fun a ->
            seq {
                use tar = new TarReader(new GZipStream(File.OpenRead a, CompressionMode.Decompress))
                let mutable e = tar.GetNextEntry()

                while not (isNull e) do
                    match MeshFile.formatOfPath e.Name with
                    | Some fmt when not (isNull e.DataStream) ->
                        use ms = new MemoryStream()
                        e.DataStream.CopyTo ms
                        let bytes = ms.ToArray()
                        yield a + "!" + e.Name, fmt, lazy bytes
                    | _ -> ()

                    e <- tar.GetNextEntry()
            })

    Seq.append inFolders inArchives |> Seq.toArray

/// Files these packages ship broken on purpose (truncated, invalid indices, malformed numbers); refusing them is right.
let private knownBad =
    [
        "invalid"
        "malformed"
        "OutOfMemory"
        "empty"
        "unparseable"
        "invalidvertex"
        "pond.0.ply"
        "issue623"
        "number_formats"
    ]

type MeshFileRealTests(output: ITestOutputHelper) =

    [<Fact>]
    member _.``every real mesh file from the Debian test packages is read or refused with a located error``() =
        let files = realFiles ()

        if files.Length = 0 then
            output.WriteLine(
                "SKIPPED: no real mesh files found; install the Debian packages assimp-testmodels, openscad-testing-data "
                + "and libcgal-demo to run this test"
            )
        else
            let mutable ok = 0
            let refusedGood = ResizeArray<string>()

            for name, format, bytes in files do
                try
                    use ms = new MemoryStream(bytes.Force(), false)
                    MeshFile.readStream format name ms |> ignore
                    ok <- ok + 1
                with
                | :? MeshFormatException as e ->
                    let expected = knownBad |> List.exists (fun k -> name.Contains k)
                    output.WriteLine(sprintf "refused%s: %s" (if expected then " (broken on purpose)" else "") e.Message)

                    if not expected then
                        refusedGood.Add e.Message
                | e -> failwithf "%s: %s escaped the reader: %s" name (e.GetType().Name) e.Message

            output.WriteLine(
                sprintf "read %d of %d real mesh files; %d refused that were not known to be broken" ok files.Length refusedGood.Count
            )
            // Refusals must stay rare: at most 2 % of the files not known to be broken.
            Assert.True(
                float refusedGood.Count <= 0.02 * float files.Length,
                sprintf "Too many refusals (%d of %d):\n%s" refusedGood.Count files.Length (String.concat "\n" refusedGood)
            )
