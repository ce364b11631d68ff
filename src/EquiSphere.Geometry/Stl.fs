namespace EquiSphere.Geometry

open System
open System.Buffers.Binary
open System.IO
open System.Numerics
open System.Text
open EquiSphere.Geometry.MeshFormat

/// How an STL file is encoded.
[<RequireQualifiedAccess>]
type StlEncoding =
    /// `solid … facet normal … outer loop … vertex x y z … endloop endfacet … endsolid`.
    | Ascii
    /// An 80-byte header, a uint32 triangle count, then 50 bytes per triangle (normal, three vertices, attribute).
    | Binary

/// Stereolithography (STL) triangle soups. Reading merges vertices at exactly equal positions, so the mesh is
/// indexed (vertex order: first appearance); facet normals are ignored (faces keep the file's vertex order).
[<RequireQualifiedAccess>]
module Stl =

    let private startsWithSolid (bytes: byte[]) =
        let mutable i = 0

        while i < bytes.Length
              && (bytes[i] = 32uy || bytes[i] = 9uy || bytes[i] = 10uy || bytes[i] = 13uy) do
            i <- i + 1

        i + 5 <= bytes.Length
        && String.Equals(Encoding.ASCII.GetString(bytes, i, 5), "solid", StringComparison.OrdinalIgnoreCase)

    let private binarySizeMatches (bytes: byte[]) =
        bytes.Length >= 84
        && 84L
           + 50L
             * int64 (BinaryPrimitives.ReadUInt32LittleEndian(ReadOnlySpan<byte>(bytes, 80, 4)))
            =
            int64 bytes.Length

    /// Decides the encoding: binary when the size is exactly 84 + 50 n; ASCII when the file starts with "solid"
    /// and its first 512 bytes hold no NUL (binary headers that start with "solid" are followed by binary counts);
    /// binary otherwise.
    let private detect (bytes: byte[]) =
        if binarySizeMatches bytes then
            StlEncoding.Binary
        elif
            startsWithSolid bytes
            && not (Array.exists ((=) 0uy) (Array.sub bytes 0 (min 512 bytes.Length)))
        then
            StlEncoding.Ascii
        else
            StlEncoding.Binary

    let private readBinary (file: string) (bytes: byte[]) =
        if bytes.Length < 84 then
            failAt
                file
                (int64 bytes.Length)
                (sprintf "Expected a binary STL of at least 84 bytes (80-byte header, uint32 count), got %d bytes" bytes.Length)

        let n =
            int64 (BinaryPrimitives.ReadUInt32LittleEndian(ReadOnlySpan<byte>(bytes, 80, 4)))

        if 84L + 50L * n > int64 bytes.Length then
            failAt
                file
                80L
                (sprintf
                    "Expected %d triangles as the header says (84 + 50 × %d = %d bytes), got a file of %d bytes"
                    n
                    n
                    (84L + 50L * n)
                    bytes.Length)

        let b = MeshBuilder()
        let weld = VertexWelder b

        for t in 0 .. int n - 1 do
            let at = 84 + 50 * t

            let corner k =
                let o = at + 12 + 12 * k
                let s = ReadOnlySpan<byte>(bytes, o, 12)

                let v =
                    Vector3(
                        BinaryPrimitives.ReadSingleLittleEndian(s.Slice(0, 4)),
                        BinaryPrimitives.ReadSingleLittleEndian(s.Slice(4, 4)),
                        BinaryPrimitives.ReadSingleLittleEndian(s.Slice(8, 4))
                    )

                if not (isFinite v) then
                    failAt file (int64 o) (sprintf "Expected finite coordinates for corner %d of triangle %d, got %A" k t v)

                weld.Add v

            let a = corner 0
            let bb = corner 1
            let c = corner 2
            b.AddTriangle(a, bb, c)

        b.Build file

    let private readAscii (file: string) (bytes: byte[]) =
        let s = TextScanner(file, decodeText bytes 0, '\000', 1, false)
        let b = MeshBuilder()
        let weld = VertexWelder b
        let loop = ResizeArray<int>()
        let mutable inLoop = false
        let mutable fin = false

        while not fin do
            let t = s.Token()
            let struct (_, len) = t

            if len = 0 then
                if inLoop then
                    s.Fail "Expected 'endloop' before the end of the file"

                fin <- true
            elif s.Is(t, "vertex") then
                if not inLoop then
                    s.Fail "Expected 'vertex' only inside 'outer loop' … 'endloop'"

                let x = s.FloatOnLine "the vertex x coordinate"
                let y = s.FloatOnLine "the vertex y coordinate"
                let z = s.FloatOnLine "the vertex z coordinate"
                loop.Add(weld.Add(Vector3(x, y, z)))
            elif s.Is(t, "outer") then
                if inLoop then
                    s.Fail "Expected 'endloop' before the next 'outer loop'"

                let l = s.TokenOnLine()

                if not (s.Is(l, "loop")) then
                    s.Fail(sprintf "Expected 'loop' after 'outer', got %s" (show (s.Str l)))

                inLoop <- true
                loop.Clear()
            elif s.Is(t, "endloop") then
                if not inLoop then
                    s.Fail "Expected 'outer loop' before 'endloop'"

                b.AddPolygon(loop.ToArray(), loop.Count)
                inLoop <- false
            elif
                s.Is(t, "solid")
                || s.Is(t, "facet")
                || s.Is(t, "endfacet")
                || s.Is(t, "endsolid")
            then
                if inLoop then
                    s.Fail(sprintf "Expected 'vertex' or 'endloop', got %s" (show (s.Str t)))

                // Names after solid/endsolid and the facet normal are not needed.
                s.NextLine()
            else
                s.Fail(
                    sprintf
                        "Expected an STL keyword (solid, facet, outer loop, vertex, endloop, endfacet, endsolid), got %s"
                        (show (s.Str t))
                )

        b.Build file

    /// Reads an ASCII or binary STL from a stream; `source` names the stream in errors. The encoding is decided by
    /// content, not by the first word: a binary file whose 80-byte header starts with "solid" is recognized by its
    /// size (84 + 50 n bytes) or by NUL bytes near the start. Vertices at exactly equal positions are merged.
    /// Throws `MeshFormatException` naming the line (ASCII) or byte offset (binary) and what was expected.
    let read (source: string) (stream: Stream) : Mesh =
        let bytes = readAll stream

        match detect bytes with
        | StlEncoding.Ascii -> readAscii source bytes
        | StlEncoding.Binary -> readBinary source bytes

    /// Writes the mesh as STL in `encoding`, each facet with its unit normal (zero for a zero-area face); the binary
    /// header never starts with "solid". Law: `read` after `write` gives back the same triangles (same corner
    /// coordinates in the same order), with vertices merged by position.
    let write (encoding: StlEncoding) (stream: Stream) (mesh: Mesh) =
        checkMesh mesh

        let normal (f: Face) =
            let v = mesh.Vertices
            let n = Vector3.Cross(v[f.B] - v[f.A], v[f.C] - v[f.A])
            let l = n.Length()

            if l > 0.0f && Single.IsFinite l then
                n / l
            else
                Vector3.Zero

        match encoding with
        | StlEncoding.Ascii ->
            use w = textWriter stream
            w.WriteLine "solid equisphere"

            let vec (v: Vector3) =
                formatFloat v.X + " " + formatFloat v.Y + " " + formatFloat v.Z

            for f in mesh.Faces do
                w.WriteLine("  facet normal " + vec (normal f))
                w.WriteLine "    outer loop"
                w.WriteLine("      vertex " + vec mesh.Vertices[f.A])
                w.WriteLine("      vertex " + vec mesh.Vertices[f.B])
                w.WriteLine("      vertex " + vec mesh.Vertices[f.C])
                w.WriteLine "    endloop"
                w.WriteLine "  endfacet"

            w.WriteLine "endsolid equisphere"
        | StlEncoding.Binary ->
            let head = Array.create 80 (byte ' ')
            let title = Encoding.ASCII.GetBytes "binary STL written by EquiSphere"
            Array.blit title 0 head 0 title.Length
            stream.Write(head, 0, 80)
            let buf = Array.zeroCreate<byte> 50
            BinaryPrimitives.WriteUInt32LittleEndian(Span<byte>(buf, 0, 4), uint32 mesh.Faces.Length)
            stream.Write(buf, 0, 4)

            for f in mesh.Faces do
                let s = Span<byte>(buf)

                let put (k: int) (v: Vector3) =
                    BinaryPrimitives.WriteSingleLittleEndian(Span<byte>(buf, 12 * k, 4), v.X)
                    BinaryPrimitives.WriteSingleLittleEndian(Span<byte>(buf, 12 * k + 4, 4), v.Y)
                    BinaryPrimitives.WriteSingleLittleEndian(Span<byte>(buf, 12 * k + 8, 4), v.Z)

                put 0 (normal f)
                put 1 mesh.Vertices[f.A]
                put 2 mesh.Vertices[f.B]
                put 3 mesh.Vertices[f.C]
                BinaryPrimitives.WriteUInt16LittleEndian(s.Slice(48, 2), 0us)
                stream.Write(buf, 0, 50)
