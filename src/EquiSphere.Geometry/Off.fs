namespace EquiSphere.Geometry

open System
open System.IO
open System.Numerics
open EquiSphere.Geometry.MeshFormat

/// The Object File Format (OFF) of Geomview, Princeton and ModelNet: an `OFF` header (or `COFF`, `NOFF`, `CNOFF`,
/// `STOFF` …), the counts `nv nf [ne]`, nv vertex lines and nf face lines `n i1 … in`.
[<RequireQualifiedAccess>]
module Off =

    let private parse (file: string) (text: string) : Mesh =
        let s = TextScanner(file, text, '#', 1, false)
        let head = s.Token()
        let struct (_, headLen) = head

        if headLen = 0 then
            s.Fail "Expected the OFF header ('OFF', 'COFF', 'NOFF', …), got an empty file"

        let word = s.Str head
        let at = word.IndexOf("OFF", StringComparison.Ordinal)

        let prefix = if at >= 0 then word.Substring(0, at) else word

        if at < 0 || prefix |> Seq.exists (fun c -> not ("STCN4n".Contains c)) then
            s.Fail(sprintf "Expected the OFF header ('OFF', 'COFF', 'NOFF', …), got %s" (show word))

        if prefix.Contains '4' || prefix.Contains 'n' then
            s.Fail(sprintf "Expected a 3D OFF file, got the header %s (4D and n-dimensional OFF are not supported)" (show word))

        // ModelNet glues the vertex count to the header: "OFF3514 3546 0".
        let glued = word.Substring(at + 3)

        let nv =
            if glued.Length = 0 then
                let t = s.Token()
                let struct (_, len) = t

                if len > 0 && s.Is(t, "BINARY") then
                    s.Fail "Expected an ASCII OFF file, got 'OFF BINARY' (binary OFF is not supported)"

                if len = 0 then
                    s.Fail "Expected the vertex count after the OFF header, got the end of the file"

                s.Int(t, "the vertex count")
            else
                s.Int(struct (s.Position - glued.Length, glued.Length), "the vertex count glued to the OFF header")

        let nf = s.ReadInt "the face count"

        if not s.AtLineEnd then
            s.IntOnLine "the edge count" |> ignore

        if nv < 0 || nv > text.Length then
            s.Fail(sprintf "Expected a vertex count in [0, %d] (bounded by the file size), got %d" text.Length nv)

        if nf < 0 || nf > text.Length then
            s.Fail(sprintf "Expected a face count in [0, %d] (bounded by the file size), got %d" text.Length nf)

        s.NextLine()
        let b = MeshBuilder()

        for i in 0 .. nv - 1 do
            let x = s.ReadFloat(sprintf "the x coordinate of vertex %d" i)
            let y = s.FloatOnLine(sprintf "the y coordinate of vertex %d" i)
            let z = s.FloatOnLine(sprintf "the z coordinate of vertex %d" i)
            b.AddVertex(Vector3(x, y, z))
            s.NextLine()

        let mutable corners = Array.zeroCreate<int> 8

        for f in 0 .. nf - 1 do
            let n = s.ReadInt(sprintf "the corner count of face %d" f)

            if n < 0 || n > text.Length then
                s.Fail(sprintf "Expected the corner count of face %d to be in [0, %d], got %d" f text.Length n)

            if n > corners.Length then
                corners <- Array.zeroCreate n

            for k in 0 .. n - 1 do
                let i = s.IntOnLine(sprintf "vertex index %d of %d of face %d" (k + 1) n f)

                if i < 0 || i >= nv then
                    s.Fail(sprintf "Expected vertex index %d of face %d in [0, %d), got %d" (k + 1) f nv i)

                corners[k] <- i

            b.AddPolygon(corners, n)
            s.NextLine()

        b.Build file

    /// Reads an OFF mesh from a stream (UTF-8/UTF-16 with BOM or plain ASCII); `source` names the stream in errors.
    /// Accepts the header glued to the counts (ModelNet's `OFF3514 3546 0`), `#` comments, blank lines, the
    /// `COFF`/`NOFF`/`STOFF` variants (extra vertex columns ignored), faces with extra color columns (ignored) and
    /// n-gons (fan-triangulated: (i1, ik, ik+1)). Faces with fewer than 3 corners are skipped; degenerate triangles
    /// are dropped by `Mesh.create`. Throws `MeshFormatException` naming the line and what was expected.
    let read (source: string) (stream: Stream) : Mesh =
        let bytes = readAll stream
        parse source (decodeText bytes 0)

    /// Writes an OFF mesh (ASCII, `OFF` header, counts `nv nf 0`, shortest round-trip floats). Law: `read` after
    /// `write` gives back the same vertices and faces.
    let write (stream: Stream) (mesh: Mesh) =
        checkMesh mesh
        use w = textWriter stream
        w.WriteLine "OFF"
        w.WriteLine(sprintf "%d %d 0" mesh.Vertices.Length mesh.Faces.Length)

        for v in mesh.Vertices do
            w.Write(formatFloat v.X)
            w.Write ' '
            w.Write(formatFloat v.Y)
            w.Write ' '
            w.WriteLine(formatFloat v.Z)

        for f in mesh.Faces do
            w.Write "3 "
            w.Write f.A
            w.Write ' '
            w.Write f.B
            w.Write ' '
            w.WriteLine f.C
