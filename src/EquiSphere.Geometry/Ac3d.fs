namespace EquiSphere.Geometry

open System
open System.Globalization
open System.IO
open System.Numerics
open EquiSphere.Geometry.MeshFormat

/// AC3D (`.ac`) models, as FlightGear, CRRCSim and TORCS ship them: an `AC3Dx` header, `MATERIAL` lines and a tree
/// of `OBJECT`s, each with optional `rot` (a row-major 3 × 3 matrix R) and `loc` (a translation t) placing its
/// vertices in its parent's frame (v ↦ R v + t), `numvert` vertices, `numsurf` surfaces (`SURF` flags, `mat`,
/// `refs`) and `kids` children. All objects are flattened into one mesh in the root's frame.
[<RequireQualifiedAccess>]
module Ac3d =

    /// An affine map v ↦ R v + t with R row-major.
    [<Struct>]
    type private Affine = { R: float32[]; T: Vector3 }

    let private identity =
        {
            R = [| 1.0f; 0.0f; 0.0f; 0.0f; 1.0f; 0.0f; 0.0f; 0.0f; 1.0f |]
            T = Vector3.Zero
        }

    let private mul (r: float32[]) (v: Vector3) =
        Vector3(r[0] * v.X + r[1] * v.Y + r[2] * v.Z, r[3] * v.X + r[4] * v.Y + r[5] * v.Z, r[6] * v.X + r[7] * v.Y + r[8] * v.Z)

    let private apply (a: Affine) (v: Vector3) = mul a.R v + a.T

    /// parent ∘ local: v ↦ Rp (Rl v + tl) + tp.
    let private compose (parent: Affine) (local: Affine) =
        {
            R =
                Array.init 9 (fun k ->
                    let i, j = k / 3, k % 3 in (Array.init 3 (fun m -> parent.R[3 * i + m] * local.R[3 * m + j])) |> Array.sum)
            T = apply parent local.T
        }

    /// Object keywords whose line is read past.
    let private ignored =
        set
            [
                "name"
                "texture"
                "texrep"
                "texoff"
                "crease"
                "url"
                "subdiv"
                "hidden"
                "locked"
                "folded"
                "shader"
            ]

    let private parse (file: string) (text: string) : Mesh =
        let s = TextScanner(file, text, '\000', 1, false)
        let b = MeshBuilder()
        let head = s.Token()
        let struct (_, headLen) = head

        if headLen < 4 || not ((s.Str head).StartsWith("AC3D", StringComparison.Ordinal)) then
            s.Fail(sprintf "Expected the AC3D header 'AC3Db' (or another 'AC3D' version), got %s" (show (s.Str head)))

        s.NextLine()
        let mutable corners = Array.zeroCreate<int> 8

        /// Reads the body of one OBJECT (after its type word) and its kids, placing vertices by `parent`.
        let rec readObject (parent: Affine) (depth: int) =
            if depth > 200 then
                s.Fail "Expected objects nested at most 200 deep"

            let mutable local = identity
            let vertices = ResizeArray<Vector3>()
            let polygons = ResizeArray<int[] * int>()
            let mutable kids = -1

            while kids < 0 do
                let t = s.Token()
                let struct (_, len) = t

                if len = 0 then
                    s.Fail "Expected 'kids <n>' to close the object, got the end of the file"

                let word = s.Str t

                if word = "rot" then
                    let r = Array.init 9 (fun k -> s.FloatOnLine(sprintf "rot entry %d" (k + 1)))
                    local <- { local with R = r }
                    s.NextLine()
                elif word = "loc" then
                    let x = s.FloatOnLine "loc x"
                    let y = s.FloatOnLine "loc y"
                    let z = s.FloatOnLine "loc z"
                    local <- { local with T = Vector3(x, y, z) }
                    s.NextLine()
                elif word = "data" then
                    let n = s.IntOnLine "the data length"

                    if n < 0 || n > text.Length then
                        s.Fail(sprintf "Expected a data length in [0, %d], got %d" text.Length n)

                    s.NextLine()
                    s.SkipChars n
                    s.NextLine()
                elif word = "numvert" then
                    let n = s.IntOnLine "the vertex count"

                    if n < 0 || n > text.Length then
                        s.Fail(sprintf "Expected a vertex count in [0, %d] (bounded by the file size), got %d" text.Length n)

                    s.NextLine()

                    for i in 0 .. n - 1 do
                        let x = s.ReadFloat(sprintf "the x coordinate of vertex %d" i)
                        let y = s.FloatOnLine(sprintf "the y coordinate of vertex %d" i)
                        let z = s.FloatOnLine(sprintf "the z coordinate of vertex %d" i)
                        vertices.Add(Vector3(x, y, z))
                        s.NextLine()
                elif word = "numsurf" then
                    let n = s.IntOnLine "the surface count"

                    if n < 0 || n > text.Length then
                        s.Fail(sprintf "Expected a surface count in [0, %d] (bounded by the file size), got %d" text.Length n)

                    s.NextLine()

                    for k in 0 .. n - 1 do
                        let surf = s.Token()

                        if not (s.Is(surf, "SURF")) then
                            s.Fail(sprintf "Expected 'SURF <flags>' for surface %d of %d, got %s" k n (show (s.Str surf)))

                        let flags = s.TokenOnLine()
                        let struct (fs, fl) = flags
                        let flagText = s.Str flags
                        let mutable f = 0

                        let ok =
                            if flagText.StartsWith("0x", StringComparison.OrdinalIgnoreCase) then
                                Int32.TryParse(text.AsSpan(fs + 2, fl - 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, &f)
                            else
                                Int32.TryParse(text.AsSpan(fs, fl), NumberStyles.Integer, CultureInfo.InvariantCulture, &f)

                        if not ok then
                            s.Fail(sprintf "Expected the surface flags (e.g. 0x20), got %s" (show flagText))

                        s.NextLine()
                        let mutable refs = s.Token()

                        if s.Is(refs, "mat") then
                            s.IntOnLine "the material index" |> ignore
                            s.NextLine()
                            refs <- s.Token()

                        if not (s.Is(refs, "refs")) then
                            s.Fail(sprintf "Expected 'refs <n>' for surface %d, got %s" k (show (s.Str refs)))

                        let m = s.IntOnLine "the reference count"

                        if m < 0 || m > text.Length then
                            s.Fail(sprintf "Expected a reference count in [0, %d], got %d" text.Length m)

                        s.NextLine()
                        let idx = Array.zeroCreate m

                        for r in 0 .. m - 1 do
                            let i = s.ReadInt(sprintf "vertex index %d of surface %d" r k)

                            if i < 0 || i >= vertices.Count then
                                s.Fail(
                                    sprintf
                                        "Expected vertex index %d of surface %d in [0, %d) (this object's vertices), got %d"
                                        r
                                        k
                                        vertices.Count
                                        i
                                )

                            idx[r] <- i
                            s.NextLine()

                        // The low 4 bits are the type: 0 polygon, 1 closed line, 2 line (lines have no area).
                        match f &&& 0xF with
                        | 0 -> polygons.Add(idx, m)
                        | 1
                        | 2 -> ()
                        | other -> s.Fail(sprintf "Expected surface type 0 (polygon), 1 (closed line) or 2 (line), got %d" other)
                elif word = "kids" then
                    let n = s.IntOnLine "the number of kids"

                    if n < 0 || n > text.Length then
                        s.Fail(sprintf "Expected a kids count in [0, %d], got %d" text.Length n)

                    s.NextLine()
                    kids <- n
                elif ignored.Contains word then
                    s.NextLine()
                else
                    s.Fail(
                        sprintf
                            "Expected an object keyword (name, data, texture, texrep, rot, loc, url, crease, numvert, numsurf, kids), got %s"
                            (show word)
                    )

            let world = compose parent local
            let offset = b.VertexCount

            for v in vertices do
                b.AddVertex(apply world v)

            for idx, m in polygons do
                if m > corners.Length then
                    corners <- Array.zeroCreate m

                for r in 0 .. m - 1 do
                    corners[r] <- idx[r] + offset

                b.AddPolygon(corners, m)

            for _ in 1..kids do
                readChild world depth

        and readChild (parent: Affine) (depth: int) =
            let t = s.Token()
            let struct (_, len) = t

            if len = 0 || not (s.Is(t, "OBJECT")) then
                s.Fail(sprintf "Expected 'OBJECT <type>' for a kid, got %s" (if len = 0 then "the end of the file" else show (s.Str t)))

            s.NextLine()
            readObject parent (depth + 1)

        let mutable fin = false

        while not fin do
            let t = s.Token()
            let struct (_, len) = t

            if len = 0 then
                fin <- true
            elif s.Is(t, "MATERIAL") then
                s.NextLine()
            elif s.Is(t, "OBJECT") then
                s.NextLine()
                readObject identity 0
            else
                s.Fail(sprintf "Expected 'MATERIAL' or 'OBJECT' at the top level, got %s" (show (s.Str t)))

        b.Build file

    /// Reads an AC3D model from a stream; `source` names the stream in errors. Objects are flattened with their
    /// `rot`/`loc` transforms applied down the hierarchy (a kid's vertices map through its own transform, then its
    /// parent's); polygon surfaces are fan-triangulated, line surfaces (types 1 and 2) skipped; materials,
    /// textures, `data`, `crease`, `url` and texture coordinates are ignored. Throws `MeshFormatException` naming the
    /// line and what was expected.
    let read (source: string) (stream: Stream) : Mesh =
        let bytes = readAll stream
        parse source (decodeText bytes 0)
