module AtomicFileTests

open System
open System.IO
open Xunit
open EquiSphere.Tensor

let private freshFolder () =
    let d =
        Path.Combine(Path.GetTempPath(), sprintf "es-atomic-%s" (Guid.NewGuid().ToString "N"))

    Directory.CreateDirectory d |> ignore
    d

[<Fact>]
let ``a failed write leaves the old file untouched and no temporary file behind`` () =
    let dir = freshFolder ()

    try
        let path = Path.Combine(dir, "out.bin")
        AtomicFile.writeAllBytes path [| 1uy; 2uy; 3uy |]

        let fails () =
            AtomicFile.writeWith path (fun s ->
                s.Write([| 9uy; 9uy |], 0, 2)
                invalidOp "disk full")

        Assert.Throws<InvalidOperationException>(Action fails) |> ignore
        Assert.Equal<byte[]>([| 1uy; 2uy; 3uy |], File.ReadAllBytes path)
        Assert.Equal<string[]>([| path |], Directory.GetFiles dir)
    finally
        Directory.Delete(dir, true)

[<Fact>]
let ``a write replaces the file and creates missing folders`` () =
    let dir = freshFolder ()

    try
        let path = Path.Combine(dir, "a", "b", "note.txt")
        AtomicFile.writeAllText path "first"
        AtomicFile.writeAllText path "second, longer"
        Assert.Equal("second, longer", File.ReadAllText path)
        Assert.Equal<string[]>([| path |], Directory.GetFiles(Path.GetDirectoryName path))
    finally
        Directory.Delete(dir, true)
