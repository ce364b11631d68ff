/// The `meshio` benchmark suite: reading and writing every mesh format from and to memory, side by side.
module EquiSphere.Cli.MeshesBench

open System
open System.IO
open System.Numerics
open EquiSphere.Geometry

/// A UV sphere with `rings` × `segments` quads (2 triangles each): a closed, indexed mesh of realistic shape.
let private sphere (rings: int) (segments: int) =
    let vertices =
        [|
            for i in 0..rings do
                let theta = Math.PI * float i / float rings

                for j in 0 .. segments - 1 do
                    let phi = 2.0 * Math.PI * float j / float segments
                    Vector3(float32 (sin theta * cos phi), float32 (cos theta), float32 (sin theta * sin phi))
        |]

    let at i j = i * segments + (j % segments)

    let faces =
        [|
            for i in 0 .. rings - 1 do
                for j in 0 .. segments - 1 do
                    {
                        A = at i j
                        B = at (i + 1) j
                        C = at (i + 1) (j + 1)
                    }

                    {
                        A = at i j
                        B = at (i + 1) (j + 1)
                        C = at i (j + 1)
                    }
        |]

    Mesh.create vertices faces

/// Measures read and write of a ~100k-triangle mesh in every format and encoding; notes give MB/s and
/// triangles/s of the median.
let run () =
    let mesh = sphere 250 200
    let tris = float mesh.Faces.Length

    let cases: (string * (Stream -> Mesh -> unit) * (string -> Stream -> Mesh)) list =
        [
            "OFF", Off.write, Off.read
            "OBJ", Obj.write, Obj.read
            "PLY ascii", Ply.write PlyEncoding.Ascii, Ply.read
            "PLY binary LE", Ply.write PlyEncoding.BinaryLittleEndian, Ply.read
            "PLY binary BE", Ply.write PlyEncoding.BinaryBigEndian, Ply.read
            "STL ascii", Stl.write StlEncoding.Ascii, Stl.read
            "STL binary", Stl.write StlEncoding.Binary, Stl.read
        ]

    let rows =
        [
            for name, write, read in cases do
                let bytes =
                    use ms = new MemoryStream()
                    write ms mesh
                    ms.ToArray()

                let note (row: BenchRow) =
                    { row with
                        Note =
                            sprintf
                                "%.1f MB, %.0f MB/s, %.2f M triangles/s"
                                (float bytes.Length / 1e6)
                                (float bytes.Length / 1e6 / row.MedianSeconds)
                                (tris / 1e6 / row.MedianSeconds)
                    }

                Bench.measure "read" name 0.0 (fun () ->
                    use ms = new MemoryStream(bytes, false)
                    read "bench" ms |> ignore)
                |> note

                Bench.measure "write" name 0.0 (fun () ->
                    use ms = new MemoryStream(bytes.Length)
                    write ms mesh)
                |> note
        ]

    Bench.print (sprintf "Mesh file I/O in memory (%d vertices, %d triangles)" mesh.Vertices.Length mesh.Faces.Length) rows
