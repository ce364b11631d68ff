module MeshFileTests

open System
open System.Buffers.Binary
open System.IO
open System.Numerics
open System.Text
open Xunit
open EquiSphere.Geometry
open TestKit

/// A random valid mesh: 3–30 vertices at a random scale (10^-3 … 10^3), up to 40 triangles of distinct corners.
let randomMesh (rng: Random) =
    let nv = rng.Next(3, 30)
    let scale = 10.0 ** float (rng.Next(-3, 4))

    let coord () =
        float32 ((rng.NextDouble() * 2.0 - 1.0) * scale)

    let vertices = Array.init nv (fun _ -> Vector3(coord (), coord (), coord ()))

    let faces =
        Array.init (rng.Next(0, 40)) (fun _ ->
            let a = rng.Next nv
            let b = (a + 1 + rng.Next(nv - 1)) % nv
            let mutable c = rng.Next nv

            while c = a || c = b do
                c <- rng.Next nv

            { A = a; B = b; C = c })

    Mesh.create vertices faces

let bytesOf (write: Stream -> Mesh -> unit) (mesh: Mesh) =
    use ms = new MemoryStream()
    write ms mesh
    ms.ToArray()

let readBytes (read: string -> Stream -> Mesh) (bytes: byte[]) =
    use ms = new MemoryStream(bytes, false)
    read "test-input" ms

let text (s: string) = Encoding.UTF8.GetBytes s

let sameMesh (expected: Mesh) (actual: Mesh) =
    Assert.Equal<Vector3>(expected.Vertices, actual.Vertices)
    Assert.Equal<Face>(expected.Faces, actual.Faces)

/// The corner positions of every triangle, in order: what an STL round trip must keep.
let triangles (m: Mesh) =
    m.Faces
    |> Array.collect (fun f -> [| m.Vertices[f.A]; m.Vertices[f.B]; m.Vertices[f.C] |])

let formatError (f: unit -> unit) =
    let e = Assert.Throws<MeshFormatException>(Action f)
    e

// ---------------------------------------------------------------- round trips

[<Fact>]
let ``OFF read after write is identity`` () =
    property 60 (fun (seed: int) ->
        let m = randomMesh (Random seed)
        sameMesh m (readBytes Off.read (bytesOf Off.write m)))

[<Fact>]
let ``OBJ read after write is identity`` () =
    property 60 (fun (seed: int) ->
        let m = randomMesh (Random seed)
        sameMesh m (readBytes Obj.read (bytesOf Obj.write m)))

[<Fact>]
let ``PLY read after write is identity in every encoding`` () =
    property 60 (fun (seed: int) ->
        let m = randomMesh (Random seed)

        for enc in
            [
                PlyEncoding.Ascii
                PlyEncoding.BinaryLittleEndian
                PlyEncoding.BinaryBigEndian
            ] do
            sameMesh m (readBytes Ply.read (bytesOf (Ply.write enc) m)))

[<Fact>]
let ``STL read after write keeps every triangle and merges shared corners`` () =
    property 60 (fun (seed: int) ->
        let m = randomMesh (Random seed)

        for enc in [ StlEncoding.Ascii; StlEncoding.Binary ] do
            let back = readBytes Stl.read (bytesOf (Stl.write enc) m)
            Assert.Equal<Vector3>(triangles m, triangles back)
            let used = m.Faces |> Array.collect (fun f -> [| f.A; f.B; f.C |]) |> Array.distinct
            Assert.Equal(used.Length, back.Vertices.Length))

[<Fact>]
let ``MeshFile read after write is identity for every writable extension`` () =
    let dir = Directory.CreateTempSubdirectory "equisphere-meshfile"

    try
        property 15 (fun (seed: int) ->
            let m = randomMesh (Random seed)

            for ext in [ ".off"; ".OBJ"; ".ply"; ".Stl" ] do
                let path = Path.Combine(dir.FullName, "mesh" + ext)
                MeshFile.write path m
                let back = MeshFile.read path

                if ext = ".Stl" then
                    Assert.Equal<Vector3>(triangles m, triangles back)
                else
                    sameMesh m back

            // Atomic writes leave no temporary files behind.
            Assert.Equal(4, Directory.GetFiles(dir.FullName).Length))
    finally
        dir.Delete true

// ---------------------------------------------------------------- OFF variants

[<Fact>]
let ``OFF header glued to the counts is read (ModelNet)`` () =
    let m =
        readBytes Off.read (text "OFF4 2 0\n0 0 0\n1 0 0\n1 1 0\n0 1 0\n3 0 1 2\n3 0 2 3\n")

    Assert.Equal(4, m.Vertices.Length)
    Assert.Equal<Face>([| { A = 0; B = 1; C = 2 }; { A = 0; B = 2; C = 3 } |], m.Faces)

[<Fact>]
let ``OFF comments blank lines colors and polygons are handled`` () =
    let src =
        "# a comment\n\nCOFF\n# counts next\n5 2 0\n\n0 0 0 255 0 0 255\n1 0 0 255 0 0 255 # trailing\n1 1 0 0 255 0 255\n"
        + "0 1 0 0 0 255 255\n0 0 1 9 9 9 9\n4 0 1 2 3 0.5 0.5 0.5\n\n3 0 1 4 1 1 1\n"

    let m = readBytes Off.read (text src)
    Assert.Equal(Vector3(0.0f, 0.0f, 1.0f), m.Vertices[4])
    // The quad is fan-triangulated from its first corner.
    Assert.Equal<Face>([| { A = 0; B = 1; C = 2 }; { A = 0; B = 2; C = 3 }; { A = 0; B = 1; C = 4 } |], m.Faces)

[<Fact>]
let ``NOFF extra normal columns are ignored`` () =
    let m =
        readBytes Off.read (text "NOFF\n3 1\n0 0 0 0 0 1\n1 0 0 0 0 1\n0 1 0 0 0 1\n3 0 1 2\n")

    Assert.Equal<Vector3>(
        [|
            Vector3(0.0f, 0.0f, 0.0f)
            Vector3(1.0f, 0.0f, 0.0f)
            Vector3(0.0f, 1.0f, 0.0f)
        |],
        m.Vertices
    )

    Assert.Equal(1, m.Faces.Length)

[<Fact>]
let ``OFF errors name the source the line and what was expected`` () =
    let e =
        formatError (fun () -> readBytes Off.read (text "OFF\n3 1 0\n0 0 0\n1 x 0\n0 1 0\n3 0 1 2\n") |> ignore)

    Assert.Equal(Some 4, e.Line)
    Assert.Contains("test-input, line 4", e.Message)
    Assert.Contains("y coordinate of vertex 1", e.Message)

    let e =
        formatError (fun () -> readBytes Off.read (text "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n") |> ignore)

    Assert.Equal(Some 6, e.Line)
    Assert.Contains("[0, 3)", e.Message)

[<Fact>]
let ``OFF with a lying vertex count fails fast without allocating`` () =
    let e =
        formatError (fun () -> readBytes Off.read (text "OFF\n2000000000 2000000000 0\n0 0 0\n") |> ignore)

    Assert.Contains("bounded by the file size", e.Message)

    let e =
        formatError (fun () -> readBytes Off.read (text "OFF\n5 0 0\n0 0 0\n") |> ignore)

    Assert.Contains("end of the file", e.Message)

// ---------------------------------------------------------------- OBJ variants

let private objSample =
    "# comment\nmtllib foo.mtl\no thing\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\ng side\nusemtl red\n"
    + "f 1/1/1 2/1/1 3/1/1 4/1/1\nf -4//1 -2//1 \\\n  -1//1\ns off\nv 0 0 1 0.5 0.5 0.5\nf -5/1 -4/1 -1/1\nl 1 2\np 3\n"

let private objFaces =
    [|
        { A = 0; B = 1; C = 2 }
        { A = 0; B = 2; C = 3 }
        { A = 0; B = 2; C = 3 }
        { A = 0; B = 1; C = 4 }
    |]

[<Fact>]
let ``OBJ n-gons negative indices index forms groups and continuations are read`` () =
    let m = readBytes Obj.read (text objSample)
    Assert.Equal(5, m.Vertices.Length)
    Assert.Equal<Face>(objFaces, m.Faces)

[<Fact>]
let ``OBJ in UTF-8 with BOM and UTF-16 with BOM reads like plain UTF-8`` () =
    for enc in
        [
            UTF8Encoding(true) :> Encoding
            UnicodeEncoding(false, true)
            UnicodeEncoding(true, true)
        ] do
        let bytes = Array.append (enc.GetPreamble()) (enc.GetBytes objSample)
        let m = readBytes Obj.read bytes
        Assert.Equal<Face>(objFaces, m.Faces)

[<Fact>]
let ``OBJ errors after a continuation name the right line`` () =
    let e =
        formatError (fun () -> readBytes Obj.read (text "v 0 0 0\nf 1 \\\n 1 1\nv 1 0 0\nv 1 y 0\n") |> ignore)

    Assert.Equal(Some 5, e.Line)

    let e =
        formatError (fun () -> readBytes Obj.read (text "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n") |> ignore)

    Assert.Equal(Some 4, e.Line)

    let e =
        formatError (fun () -> readBytes Obj.read (text "v 0 0 0\nv 1 0 0\nf 1 2 -3\n") |> ignore)

    Assert.Contains("relative index", e.Message)

    let e =
        formatError (fun () -> readBytes Obj.read (text "v 0 0 0\nv 1 0 0\nf 1 2 9\nv 0 1 0\n") |> ignore)

    Assert.Equal(Some 3, e.Line)

// ---------------------------------------------------------------- PLY variants

/// Builds a big-endian byte body by hand, independent of the writer.
type private BigEndian() =
    let buf = ResizeArray<byte>()
    member _.U8(v: int) = buf.Add(byte v)

    member _.I16(v: int16) =
        let b = Array.zeroCreate 2
        BinaryPrimitives.WriteInt16BigEndian(Span b, v)
        buf.AddRange b

    member _.U16(v: uint16) =
        let b = Array.zeroCreate 2
        BinaryPrimitives.WriteUInt16BigEndian(Span b, v)
        buf.AddRange b

    member _.I32(v: int) =
        let b = Array.zeroCreate 4
        BinaryPrimitives.WriteInt32BigEndian(Span b, v)
        buf.AddRange b

    member _.U32(v: uint32) =
        let b = Array.zeroCreate 4
        BinaryPrimitives.WriteUInt32BigEndian(Span b, v)
        buf.AddRange b

    member _.F32(v: float32) =
        let b = Array.zeroCreate 4
        BinaryPrimitives.WriteSingleBigEndian(Span b, v)
        buf.AddRange b

    member _.F64(v: float) =
        let b = Array.zeroCreate 8
        BinaryPrimitives.WriteDoubleBigEndian(Span b, v)
        buf.AddRange b

    member _.Bytes = buf.ToArray()

let private bigEndianPly () =
    let header =
        "ply\nformat binary_big_endian 1.0\ncomment extra properties and elements\nelement material 2\nproperty uchar red\n"
        + "property list ushort float weights\nelement vertex 4\nproperty double x\nproperty short tag\nproperty float y\n"
        + "property float z\nproperty uchar red\nelement face 2\nproperty uchar flags\nproperty list uchar ushort vertex_index\n"
        + "property list int uint texnumbers\nelement edge 1\nproperty int vertex1\nproperty int vertex2\nend_header\n"

    let w = BigEndian()

    for m in 0..1 do
        w.U8(200 + m)
        w.U16 2us
        w.F32 0.25f
        w.F32 0.75f

    let corners =
        [| 0.0, 0.0f, 0.0f; 1.5, 0.0f, 0.0f; 1.5, 2.0f, 0.0f; 0.0, 2.0f, -3.0f |]

    for x, y, z in corners do
        w.F64 x
        w.I16 -7s
        w.F32 y
        w.F32 z
        w.U8 99

    w.U8 1
    w.U8 4

    for i in [ 0; 1; 2; 3 ] do
        w.U16(uint16 i)

    w.I32 1
    w.U32 5u
    w.U8 0
    w.U8 3

    for i in [ 1; 3; 2 ] do
        w.U16(uint16 i)

    w.I32 0
    w.I32 0
    w.I32 3
    Array.append (Encoding.ASCII.GetBytes header) w.Bytes

[<Fact>]
let ``PLY big-endian with extra properties lists and elements is read`` () =
    let m = readBytes Ply.read (bigEndianPly ())

    Assert.Equal<Vector3>(
        [|
            Vector3(0.0f, 0.0f, 0.0f)
            Vector3(1.5f, 0.0f, 0.0f)
            Vector3(1.5f, 2.0f, 0.0f)
            Vector3(0.0f, 2.0f, -3.0f)
        |],
        m.Vertices
    )

    Assert.Equal<Face>([| { A = 0; B = 1; C = 2 }; { A = 0; B = 2; C = 3 }; { A = 1; B = 3; C = 2 } |], m.Faces)

[<Fact>]
let ``PLY ascii with CRLF header extra element and int8 counts is read`` () =
    let src =
        "ply\r\nformat ascii 1.0\r\ncomment hi\r\nelement vertex 3\r\nproperty float32 x\r\nproperty float32 y\r\n"
        + "property float32 z\r\nproperty uint8 alpha\r\nelement face 1\r\nproperty list int8 int32 vertex_indices\r\n"
        + "element camera 1\r\nproperty float view\r\nend_header\r\n0 0 0 1\r\n1 0 0 1\r\n0 1 0 1\r\n3 0 1 2\r\n0.5\r\n"

    let m = readBytes Ply.read (text src)
    Assert.Equal(3, m.Vertices.Length)
    Assert.Equal<Face>([| { A = 0; B = 1; C = 2 } |], m.Faces)

[<Fact>]
let ``PLY errors name header lines and body offsets`` () =
    let good = bigEndianPly ()

    let e =
        formatError (fun () -> readBytes Ply.read (Array.sub good 0 (good.Length - 12)) |> ignore)

    Assert.True(e.ByteOffset.IsSome, e.Message)
    Assert.Contains("end of the file", e.Message)

    let e =
        formatError (fun () ->
            readBytes Ply.read (text "ply\nformat ascii 1.0\nelement vertex 1\nproperty quad x\nend_header\n")
            |> ignore)

    Assert.Equal(Some 4, e.Line)
    Assert.Contains("property type", e.Message)

    let e =
        formatError (fun () ->
            readBytes
                Ply.read
                (text
                    "ply\nformat binary_little_endian 1.0\nelement vertex 2000000000\nproperty float x\nproperty float y\nproperty float z\nend_header\n")
            |> ignore)

    Assert.Equal(Some 3, e.Line)
    Assert.Contains("need at least", e.Message)

// ---------------------------------------------------------------- STL variants

let private binaryStl (header: string) (tris: Vector3[][]) (trailing: byte[]) =
    let head = Array.create 80 0uy
    let hb = Encoding.ASCII.GetBytes header
    Array.blit hb 0 head 0 hb.Length
    let body = Array.zeroCreate (4 + 50 * tris.Length)
    BinaryPrimitives.WriteUInt32LittleEndian(Span(body, 0, 4), uint32 tris.Length)

    tris
    |> Array.iteri (fun t corners ->
        corners
        |> Array.iteri (fun k v ->
            let o = 4 + 50 * t + 12 + 12 * k
            BinaryPrimitives.WriteSingleLittleEndian(Span(body, o, 4), v.X)
            BinaryPrimitives.WriteSingleLittleEndian(Span(body, o + 4, 4), v.Y)
            BinaryPrimitives.WriteSingleLittleEndian(Span(body, o + 8, 4), v.Z)))

    Array.concat [ head; body; trailing ]

let private square =
    [|
        [|
            Vector3(0.0f, 0.0f, 0.0f)
            Vector3(1.0f, 0.0f, 0.0f)
            Vector3(1.0f, 1.0f, 0.0f)
        |]
        [|
            Vector3(0.0f, 0.0f, 0.0f)
            Vector3(1.0f, 1.0f, 0.0f)
            Vector3(-0.0f, 1.0f, 0.0f)
        |]
    |]

[<Fact>]
let ``binary STL whose header starts with solid is read as binary`` () =
    for trailing in [ [||]; [| 0uy; 0uy; 7uy |] ] do
        let m =
            readBytes Stl.read (binaryStl "solid exported by a tool that should know better" square trailing)
        // Shared corners (and -0 = +0) merge: 4 vertices, 2 faces.
        Assert.Equal(4, m.Vertices.Length)
        Assert.Equal<Face>([| { A = 0; B = 1; C = 2 }; { A = 0; B = 2; C = 3 } |], m.Faces)

[<Fact>]
let ``ASCII STL merges exactly equal vertices`` () =
    let src =
        "solid sq\n facet normal 0 0 1\n  outer loop\n   vertex 0 0 0\n   vertex 1 0 0\n   vertex 1 1 0\n  endloop\n endfacet\n"
        + " FACET NORMAL 0 0 1\n  OUTER LOOP\n   VERTEX 0 0 0\n   VERTEX 1 1 0\n   VERTEX 0 1 0\n  ENDLOOP\n ENDFACET\nendsolid sq\n"

    let m = readBytes Stl.read (text src)
    Assert.Equal(4, m.Vertices.Length)
    Assert.Equal<Face>([| { A = 0; B = 1; C = 2 }; { A = 0; B = 2; C = 3 } |], m.Faces)

[<Fact>]
let ``STL errors name byte offsets for binary and lines for ASCII`` () =
    let b = binaryStl "x" square [||]
    BinaryPrimitives.WriteUInt32LittleEndian(Span(b, 80, 4), UInt32.MaxValue)
    let e = formatError (fun () -> readBytes Stl.read b |> ignore)
    Assert.Equal(Some 80L, e.ByteOffset)

    let e =
        formatError (fun () ->
            readBytes Stl.read (text "solid a\nfacet normal 0 0 1\nouter loop\nvertex 0 0 zz\n")
            |> ignore)

    Assert.Equal(Some 4, e.Line)

// ---------------------------------------------------------------- AC3D

let private ac3dSample =
    "AC3Db\nMATERIAL \"red\" rgb 1 0 0  amb 0.2 0.2 0.2  emis 0 0 0  spec 0.5 0.5 0.5  shi 10  trans 0\nOBJECT world\nkids 1\n"
    + "OBJECT group\nname \"outer group\"\nloc 10 0 0\nkids 1\nOBJECT poly\nname \"inner\"\ndata 9\ntwo\nlines\n"
    + "texture \"skin file.png\"\ntexrep 1 1\ncrease 45.0\nrot 0 -1 0  1 0 0  0 0 1\nloc 0 5 0\nnumvert 4\n1 0 0\n0 1 0\n0 0 1\n2 0 0\n"
    + "numsurf 2\nSURF 0x20\nmat 0\nrefs 3\n0 0 0\n1 0 1\n2 1 1\nSURF 0x2\nmat 0\nrefs 2\n0 0 0\n3 0 0\nkids 0\n"

[<Fact>]
let ``AC3D applies nested loc and rot transforms and skips line surfaces`` () =
    let m = readBytes Ac3d.read (text ac3dSample)
    // Inner: v ↦ R v + (0, 5, 0) with R = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]; then the group's + (10, 0, 0).
    Assert.Equal<Vector3>(
        [|
            Vector3(10.0f, 6.0f, 0.0f)
            Vector3(9.0f, 5.0f, 0.0f)
            Vector3(10.0f, 5.0f, 1.0f)
            Vector3(10.0f, 7.0f, 0.0f)
        |],
        m.Vertices
    )

    Assert.Equal<Face>([| { A = 0; B = 1; C = 2 } |], m.Faces)

[<Fact>]
let ``AC3D parent rotation applies after the kid's translation`` () =
    let src =
        "AC3Db\nOBJECT world\nkids 1\nOBJECT group\nrot 0 -1 0  1 0 0  0 0 1\nloc 10 0 0\nkids 1\nOBJECT poly\nloc 0 5 0\n"
        + "numvert 3\n1 0 0\n0 0 0\n0 0 1\nnumsurf 1\nSURF 0x10\nrefs 3\n0 0 0\n1 0 0\n2 0 0\nkids 0\n"

    let m = readBytes Ac3d.read (text src)
    // (1, 0, 0) + (0, 5, 0) = (1, 5, 0); rotated: (-5, 1, 0); translated: (5, 1, 0).
    Assert.Equal(Vector3(5.0f, 1.0f, 0.0f), m.Vertices[0])
    Assert.Equal(Vector3(5.0f, 0.0f, 0.0f), m.Vertices[1])
    Assert.Equal(Vector3(5.0f, 0.0f, 1.0f), m.Vertices[2])

[<Fact>]
let ``AC3D errors name the line`` () =
    let bad = ac3dSample.Replace("2 1 1\n", "7 1 1\n")
    let e = formatError (fun () -> readBytes Ac3d.read (text bad) |> ignore)
    Assert.Contains("this object's vertices", e.Message)
    Assert.Equal(Some 30, e.Line)

    let e =
        formatError (fun () -> readBytes Ac3d.read (text (ac3dSample.Replace("kids 0\n", ""))) |> ignore)

    Assert.Contains("kids", e.Message)

// ---------------------------------------------------------------- MeshFile

[<Fact>]
let ``MeshFile dispatches on the extension in any case and sniffs unknown extensions`` () =
    let dir = Directory.CreateTempSubdirectory "equisphere-meshfile"

    try
        let m = randomMesh (Random 7)

        for name, bytes in
            [
                "a.OFF", bytesOf Off.write m
                "b.mesh", bytesOf Off.write m
                "c.dat", bytesOf (Ply.write PlyEncoding.BinaryBigEndian) m
                "d", bytesOf Obj.write m
            ] do
            let path = Path.Combine(dir.FullName, name)
            File.WriteAllBytes(path, bytes)
            sameMesh m (MeshFile.read path)

        let ac = Path.Combine(dir.FullName, "e.bin")
        File.WriteAllText(ac, ac3dSample)
        Assert.Equal(4, (MeshFile.read ac).Vertices.Length)

        let junk = Path.Combine(dir.FullName, "f.bin")
        File.WriteAllBytes(junk, [| 1uy; 2uy; 3uy |])
        let e = Assert.Throws<MeshFormatException>(fun () -> MeshFile.read junk |> ignore)
        Assert.Contains("f.bin", e.Message)
    finally
        dir.Delete true

[<Fact>]
let ``MeshFile tryRead returns errors for malformed and missing files`` () =
    let dir = Directory.CreateTempSubdirectory "equisphere-meshfile"

    try
        let bad = Path.Combine(dir.FullName, "bad.off")
        File.WriteAllText(bad, "OFF\n1 0 0\n0 zero 0\n")

        match MeshFile.tryRead bad with
        | Error e ->
            Assert.Equal(bad, e.File)
            Assert.Equal(MeshFileLocation.Line 3, e.Location)
        | Ok _ -> failwith "Expected an error for a malformed OFF"

        match MeshFile.tryRead (Path.Combine(dir.FullName, "missing.obj")) with
        | Error e -> Assert.Contains("Could not read the file", e.Message)
        | Ok _ -> failwith "Expected an error for a missing file"
    finally
        dir.Delete true

[<Fact>]
let ``MeshFile write refuses AC3D and unknown extensions`` () =
    let m = randomMesh (Random 3)
    throwsWith<ArgumentException> [ ".off" ] (fun () -> MeshFile.write "x.ac" m)
    throwsWith<ArgumentException> [ "x.txt" ] (fun () -> MeshFile.write "x.txt" m)

/// Samples of every format and variant, for the fuzz tests.
let samples () =
    let m = randomMesh (Random 11)

    [
        MeshFileFormat.Off, bytesOf Off.write m
        MeshFileFormat.Obj, text objSample
        MeshFileFormat.Ply, bytesOf (Ply.write PlyEncoding.Ascii) m
        MeshFileFormat.Ply, bytesOf (Ply.write PlyEncoding.BinaryLittleEndian) m
        MeshFileFormat.Ply, bigEndianPly ()
        MeshFileFormat.Stl, bytesOf (Stl.write StlEncoding.Ascii) m
        MeshFileFormat.Stl, binaryStl "solid x" square [||]
        MeshFileFormat.Ac3d, text ac3dSample
    ]
