namespace EquiSphere.Geometry

open System
open System.Numerics

/// Deterministic mixing of integer seeds, so that every random stream of the geometry layer (shape instances,
/// dataset poses) is a pure function of the integers that name it, independent of order and threads.
[<RequireQualifiedAccess>]
module Seeds =

    /// A well-mixed 31-bit seed from two integers (SplitMix64 finalizer over both). Same inputs, same output, on
    /// every platform and .NET version (unlike `String.GetHashCode`).
    let mix (a: int) (b: int) : int =
        let mutable z = (uint64 (uint32 a) <<< 32) ||| uint64 (uint32 b)
        z <- z + 0x9E3779B97F4A7C15UL
        z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
        z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
        z <- z ^^^ (z >>> 31)
        int (z &&& 0x7FFFFFFFUL)

/// Primitive solids for procedural shapes, all built by one generator, `sweep`: a sequence of closed rings joined
/// by quads and capped at both ends. Every part is a closed triangle mesh; faces are wound counter-clockwise seen
/// from outside (outward right-hand normals) as long as each ring is star-shaped around its centroid. Parts are
/// combined by `merge` (overlapping parts are fine for ray casting and rendering). Lengths are in object units.
[<RequireQualifiedAccess>]
module Primitive =

    let private face a b c : Face = { A = a; B = b; C = c }

    /// Orders a triangle so its normal points away from `inside`.
    let private oriented (v: ResizeArray<Vector3>) (inside: Vector3) (a: int) (b: int) (c: int) : Face =
        let n = Vector3.Cross(v[b] - v[a], v[c] - v[a])
        let centroid = (v[a] + v[b] + v[c]) / 3.0f

        if Vector3.Dot(n, centroid - inside) >= 0.0f then
            face a b c
        else
            face a c b

    let private centroid (ring: Vector3[]) =
        let mutable s = Vector3.Zero

        for p in ring do
            s <- s + p

        s / float32 ring.Length

    /// The closed surface through `rings` (each a closed polygon of the same number n ≥ 3 of points, consecutive
    /// rings joined by quads, point k to point k), capped at the first and last ring by fans from their centroids.
    /// Rings may shrink to a point (a pole or a tip): the zero-area faces this creates are dropped by `Mesh.create`.
    let sweep (rings: Vector3[] list) : Mesh =
        let rings = List.toArray rings

        if rings.Length < 2 then
            invalidArg (nameof rings) (sprintf "Expected at least 2 rings, got %d" rings.Length)

        let n = rings[0].Length

        if n < 3 then
            invalidArg (nameof rings) (sprintf "Expected rings of at least 3 points, got %d" n)

        rings
        |> Array.iteri (fun i r ->
            if r.Length <> n then
                invalidArg (nameof rings) (sprintf "Expected every ring to have %d points like ring 0, ring %d has %d" n i r.Length))

        let v = ResizeArray<Vector3>()

        for r in rings do
            v.AddRange r

        let centers = rings |> Array.map centroid
        let first = v.Count
        v.Add centers[0]
        let last = v.Count
        v.Add centers[centers.Length - 1]
        let faces = ResizeArray<Face>()

        for i in 0 .. rings.Length - 2 do
            let inside = (centers[i] + centers[i + 1]) / 2.0f

            for k in 0 .. n - 1 do
                let a = i * n + k
                let b = i * n + (k + 1) % n
                let c = (i + 1) * n + (k + 1) % n
                let d = (i + 1) * n + k
                faces.Add(oriented v inside a b c)
                faces.Add(oriented v inside a c d)

        let m = rings.Length - 1

        for k in 0 .. n - 1 do
            faces.Add(oriented v centers[1] first k ((k + 1) % n))
            faces.Add(oriented v centers[m - 1] last (m * n + k) (m * n + (k + 1) % n))

        {
            Vertices = v.ToArray()
            Faces = faces.ToArray()
        }

    /// Two unit vectors perpendicular to `axis` and to each other (a right-handed frame u, v, axis).
    let private frame (axis: Vector3) =
        let d = Vector3.Normalize axis

        let helper = if abs d.Y < 0.9f then Vector3.UnitY else Vector3.UnitX

        let u = Vector3.Normalize(Vector3.Cross(helper, d))
        u, Vector3.Cross(d, u)

    /// An ellipse of `segments` points around `center` in the plane spanned by the unit vectors u and v, with
    /// semi-axes ru (along u) and rv (along v).
    let ellipse (segments: int) (center: Vector3) (u: Vector3) (v: Vector3) (ru: float32) (rv: float32) =
        Array.init segments (fun k ->
            let t = 2.0 * Math.PI * float k / float segments
            center + ru * float32 (cos t) * u + rv * float32 (sin t) * v)

    /// The axis-aligned box with opposite corners `lo` and `hi`.
    let box (lo: Vector3) (hi: Vector3) =
        let ring z =
            [|
                Vector3(lo.X, lo.Y, z)
                Vector3(hi.X, lo.Y, z)
                Vector3(hi.X, hi.Y, z)
                Vector3(lo.X, hi.Y, z)
            |]

        sweep [ ring lo.Z; ring hi.Z ]

    /// The box with center `center` and edge lengths `size`.
    let boxAt (center: Vector3) (size: Vector3) =
        box (center - size / 2.0f) (center + size / 2.0f)

    /// A truncated cone from `a` (radius ra) to `b` (radius rb) with `segments` sides; ra = rb gives a cylinder,
    /// a zero radius a cone.
    let frustum (segments: int) (a: Vector3) (b: Vector3) (ra: float32) (rb: float32) =
        let u, v = frame (b - a)
        sweep [ ellipse segments a u v ra ra; ellipse segments b u v rb rb ]

    /// A cylinder of radius r from `a` to `b` with `segments` sides.
    let cylinder (segments: int) (a: Vector3) (b: Vector3) (r: float32) = frustum segments a b r r

    /// An ellipsoid with semi-axes `radii` (along x, y, z) around `center`: `segments` points per ring, `segments`/2
    /// rings from pole (−y) to pole (+y).
    let ellipsoid (segments: int) (center: Vector3) (radii: Vector3) =
        let stacks = max 2 (segments / 2)

        sweep
            [
                for i in 0..stacks ->
                    let t = Math.PI * float i / float stacks
                    let y = -float32(cos t)
                    let s = float32 (sin t)
                    ellipse segments (center + Vector3(0.0f, radii.Y * y, 0.0f)) Vector3.UnitZ Vector3.UnitX (radii.Z * s) (radii.X * s)
            ]

    /// A prism: the convex polygon `profile` given in the (z, y) plane (Vector2(z, y)), extruded along x from x0 to
    /// x1. With a triangle profile it is a wedge.
    let prismX (profile: Vector2[]) (x0: float32) (x1: float32) =
        let ring x =
            profile |> Array.map (fun p -> Vector3(x, p.Y, p.X))

        sweep [ ring x0; ring x1 ]

    /// A tapered slab between two quadrilateral cross-sections, used for wings, fins and tails: the section at `a`
    /// has chord `chordA` (along z) and thickness `thickA` (along `thicknessAxis`), likewise at `b`. The chord runs
    /// along z, centered on each end point.
    let slab (a: Vector3) (chordA: float32) (thickA: float32) (b: Vector3) (chordB: float32) (thickB: float32) (thicknessAxis: Vector3) =
        let section (c: Vector3) (chord: float32) (thick: float32) =
            let z = Vector3(0.0f, 0.0f, chord / 2.0f)
            let t = thicknessAxis * (thick / 2.0f)
            [| c - z - t; c + z - t; c + z + t; c - z + t |]

        sweep [ section a chordA thickA; section b chordB thickB ]

    /// A surface of revolution about the vertical line through `center`: `profile` lists (radius, height above
    /// center.Y) from bottom to top; each becomes a ring of `segments` points.
    let lathe (segments: int) (center: Vector3) (profile: (float32 * float32) list) =
        sweep
            [
                for r, h in profile -> ellipse segments (center + Vector3(0.0f, h, 0.0f)) Vector3.UnitZ Vector3.UnitX r r
            ]

    /// The union of parts as one mesh: vertices concatenated, face indices shifted (no boolean operation).
    let merge (parts: Mesh seq) : Mesh =
        let verts = ResizeArray<Vector3>()
        let faces = ResizeArray<Face>()

        for p in parts do
            let off = verts.Count
            verts.AddRange p.Vertices

            for f in p.Faces do
                faces.Add(face (f.A + off) (f.B + off) (f.C + off))

        {
            Vertices = verts.ToArray()
            Faces = faces.ToArray()
        }

    /// The part moved by `offset`.
    let translate (offset: Vector3) (part: Mesh) =
        Mesh.mapVertices (fun v -> v + offset) part

    /// The part rotated by `angle` radians about the axis through `pivot` along `axis` (right-hand rule).
    let rotateAbout (pivot: Vector3) (axis: Vector3) (angle: float32) (part: Mesh) =
        let q = Quaternion.CreateFromAxisAngle(Vector3.Normalize axis, angle)
        Mesh.mapVertices (fun v -> pivot + Vector3.Transform(v - pivot, q)) part

    /// Splits every triangle into four at its edge midpoints, `levels` times (faces × 4^levels); the surface, its
    /// area and its ray-cast signal are unchanged. Used to make dense meshes for benchmarks and tests.
    let subdivide (levels: int) (mesh: Mesh) : Mesh =
        if levels < 0 || levels > 8 then
            invalidArg (nameof levels) (sprintf "Expected 0 to 8 subdivision levels, got %d" levels)

        let mutable current = mesh

        for _ in 1..levels do
            let verts = ResizeArray<Vector3>(current.Vertices)
            let mids = Collections.Generic.Dictionary<struct (int * int), int>()

            let mid (a: int) (b: int) =
                let key = if a < b then struct (a, b) else struct (b, a)

                match mids.TryGetValue key with
                | true, i -> i
                | _ ->
                    let i = verts.Count
                    verts.Add((current.Vertices[a] + current.Vertices[b]) * 0.5f)
                    mids[key] <- i
                    i

            let faces =
                [|
                    for f in current.Faces do
                        let ab, bc, ca = mid f.A f.B, mid f.B f.C, mid f.C f.A
                        yield face f.A ab ca
                        yield face ab f.B bc
                        yield face ca bc f.C
                        yield face ab bc ca
                |]

            current <-
                {
                    Vertices = verts.ToArray()
                    Faces = faces
                }

        current
