namespace EquiSphere.Geometry

open System
open System.IO
open System.Numerics
open EquiSphere.Geometry.MeshFormat

/// Wavefront OBJ geometry: `v` vertices and `f` faces; everything else (texture coordinates, normals, groups,
/// objects, smoothing groups, materials, lines, points, free-form surfaces) is read past and ignored.
[<RequireQualifiedAccess>]
module Obj =

    let private parse (file: string) (text: string) : Mesh =
        let s = TextScanner(file, text, '#', 1, true)
        let b = MeshBuilder()
        let mutable corners = Array.zeroCreate<int> 8
        let mutable worstIndex = -1
        let mutable worstLine = 0

        while not s.AtEnd do
            let t = s.TokenOnLine()
            let struct (_, len) = t

            if len > 0 then
                if s.Is(t, "v") then
                    let i = b.VertexCount
                    let x = s.FloatOnLine(sprintf "the x coordinate of vertex %d" (i + 1))
                    let y = s.FloatOnLine(sprintf "the y coordinate of vertex %d" (i + 1))
                    let z = s.FloatOnLine(sprintf "the z coordinate of vertex %d" (i + 1))
                    b.AddVertex(Vector3(x, y, z))
                elif s.Is(t, "f") || s.Is(t, "fo") then
                    let mutable n = 0
                    let mutable fin = false

                    while not fin do
                        let struct (start, l) as c = s.TokenOnLine()

                        if l = 0 then
                            fin <- true
                        else
                            let slash = s.Text.IndexOf('/', start, l)
                            let il = if slash < 0 then l else slash - start
                            let raw = s.Int(struct (start, il), "a vertex index (v, v/vt, v//vn or v/vt/vn)")

                            let i =
                                if raw > 0 then
                                    raw - 1
                                elif raw < 0 then
                                    b.VertexCount + raw
                                else
                                    s.Fail(
                                        sprintf "Expected a nonzero vertex index (1-based, or negative relative), got %s" (show (s.Str c))
                                    )

                            if i < 0 then
                                s.Fail(
                                    sprintf "Expected a relative index of one of the %d vertices defined so far, got %d" b.VertexCount raw
                                )

                            if i > worstIndex then
                                worstIndex <- i
                                worstLine <- s.Line

                            if n = corners.Length then
                                let grown = Array.zeroCreate (2 * n)
                                Array.blit corners 0 grown 0 n
                                corners <- grown

                            corners[n] <- i
                            n <- n + 1

                    b.AddPolygon(corners, n)

            s.NextLine()

        if worstIndex >= b.VertexCount then
            failLine file worstLine (sprintf "Expected vertex indices up to %d (the vertex count), got %d" b.VertexCount (worstIndex + 1))

        b.Build file

    /// Reads OBJ geometry from a stream (UTF-8 with or without BOM, UTF-16 with BOM); `source` names the stream in
    /// errors. Faces accept `v`, `v/vt`, `v//vn` and `v/vt/vn` corners with 1-based or negative (relative) indices,
    /// n-gons are fan-triangulated, backslash line continuations are joined. Throws `MeshFormatException` naming
    /// the line and what was expected.
    let read (source: string) (stream: Stream) : Mesh =
        let bytes = readAll stream
        parse source (decodeText bytes 0)

    /// Writes OBJ geometry (`v x y z` lines, then `f a b c` with 1-based indices; shortest round-trip floats).
    /// Law: `read` after `write` gives back the same vertices and faces.
    let write (stream: Stream) (mesh: Mesh) =
        checkMesh mesh
        use w = textWriter stream
        w.WriteLine "# written by EquiSphere"

        for v in mesh.Vertices do
            w.Write "v "
            w.Write(formatFloat v.X)
            w.Write ' '
            w.Write(formatFloat v.Y)
            w.Write ' '
            w.WriteLine(formatFloat v.Z)

        for f in mesh.Faces do
            w.Write "f "
            w.Write(f.A + 1)
            w.Write ' '
            w.Write(f.B + 1)
            w.Write ' '
            w.WriteLine(f.C + 1)
