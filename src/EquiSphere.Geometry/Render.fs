namespace EquiSphere.Geometry

open System
open System.Collections.Concurrent
open System.Collections.Generic
open System.Numerics
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Threading
open System.Threading.Tasks
open EquiSphere.Harmonics

/// The camera of the renderer. It sits on the +z axis looking at the origin (toward −z); image x runs right along
/// world x and image y up along world y (DESIGN.md).
type Camera =
    /// Parallel projection of the square [−h, h] × [−h, h] of the world xy plane onto the image.
    | Orthographic of halfExtent: float
    /// Pinhole camera at (0, 0, distance) with the given full field of view (radians) across the image.
    | Perspective of distance: float * fieldOfView: float

/// Settings of the renderer.
type RenderOptions =
    {
        /// Width and height of the square image in pixels: a power of two ≥ 4 (64 by default).
        Size: int
        /// The camera.
        Camera: Camera
        /// Supersampling factor s: s × s samples per pixel, averaged by a box filter (1 = no anti-aliasing).
        Supersampling: int
        /// Ambient term a in [0, 1]: a lit surface has gray value a + (1 − a)·|n · l|.
        Ambient: float32
        /// Direction toward the light in camera (world) coordinates; fixed, it does not turn with the object.
        Light: Vector3
        /// Always skip triangles facing away from the camera (counter-clockwise winding seen from outside
        /// assumed). With false, back faces are still skipped where that is exact: for meshes that
        /// `Render.isClosedOutward` accepts (closed, consistently and outward wound, such as the procedural
        /// shapes) when the camera is outside the mesh's bounding ball; leave it false for meshes from files, whose
        /// winding may be inconsistent or whose surfaces may be open.
        CullBackFaces: bool
    }

/// The outputs of one rendered view, each a one-channel `Image` of Size × Size, row 0 at the top.
type RenderOutput =
    {
        /// Gray shading in [0, 1] (background 0): ambient + Lambertian, flat per face, two-sided.
        Shading: Image
        /// Normalized depth (1 − z)/2 of the nearest surface point among a pixel's samples, where z is the world z
        /// of that point (the camera looks down −z); 0 at the front of the unit ball, 1 at its back; 1 on background.
        Depth: Image
        /// Coverage: the fraction of a pixel's samples that see the object, in [0, 1].
        Silhouette: Image
    }

/// A mesh prepared for rendering many views (`Render.prepare`): vertex coordinates, triangle indices and unit face
/// normals as flat arrays, and whether back faces may be culled automatically. Immutable and safe to share across
/// threads.
[<Sealed>]
type RenderScene
    internal
    (
        mesh: Mesh,
        x: float32[],
        y: float32[],
        z: float32[],
        faces: int[],
        nx: float32[],
        ny: float32[],
        nz: float32[],
        closedOutward: bool,
        radius: float32
    ) =
    /// The mesh the scene was prepared from.
    member _.Mesh = mesh

    /// Whether the renderer culls back faces of this scene without being asked (the mesh passed
    /// `Render.isClosedOutward` and the scene was made by `Render.prepare`); exact when the camera is outside the
    /// ball of radius `Radius`, and applied only then.
    member _.ClosedOutward = closedOutward

    /// The largest distance of a vertex from the origin (0 for a mesh without vertices).
    member _.Radius = radius

    /// The number of vertices.
    member _.VertexCount = x.Length

    /// The number of triangles.
    member _.FaceCount = nx.Length

    member internal _.X = x
    member internal _.Y = y
    member internal _.Z = z
    member internal _.Faces = faces
    member internal _.NormalX = nx
    member internal _.NormalY = ny
    member internal _.NormalZ = nz

/// Default renderer settings and camera helpers.
[<RequireQualifiedAccess>]
module RenderOptions =

    /// A perspective camera at `distance` > 1 whose field of view just contains the unit ball.
    let perspectiveFitting (distance: float) =
        if not (distance > 1.0 && Double.IsFinite distance) then
            invalidArg (nameof distance) (sprintf "Expected a camera distance > 1 (outside the unit ball), got %g" distance)

        Perspective(distance, 2.0 * asin (1.0 / distance))

    /// 64 × 64, orthographic over [−1, 1]², 2 × 2 supersampling, ambient 0.25, light from upper right front, no
    /// back-face culling.
    let defaults =
        {
            Size = 64
            Camera = Orthographic 1.0
            Supersampling = 2
            Ambient = 0.25f
            Light = Vector3.Normalize(Vector3(0.4f, 0.6f, 1.0f))
            CullBackFaces = false
        }

/// A z-buffer rasterizer of triangle meshes: the object in pose R (the canonical mesh rotated by R) seen by the
/// fixed camera. Edge functions with the top-left fill rule (a sample on an edge shared by two triangles belongs to
/// exactly one), flat Lambertian + ambient shading, supersampled anti-aliasing. Triangles that reach behind a
/// perspective camera's near plane (distance 0.01) are skipped. Laws: rotating the object about the camera axis
/// rotates the image; a nearer surface hides a farther one; output is a pure function of its inputs; automatic
/// back-face culling of closed outward-wound meshes leaves the image unchanged up to exact depth ties.
[<RequireQualifiedAccess>]
module Render =

    [<assembly: InternalsVisibleTo("EquiSphere.Geometry.Tests")>]
    do ()

    let private validate (o: RenderOptions) =
        if o.Size < 4 || o.Size > 8192 || (o.Size &&& (o.Size - 1)) <> 0 then
            invalidArg "options.Size" (sprintf "Expected a power-of-two image size in [4, 8192], got %d" o.Size)

        if o.Supersampling < 1 || o.Supersampling > 8 then
            invalidArg "options.Supersampling" (sprintf "Expected a supersampling factor in [1, 8], got %d" o.Supersampling)

        if not (o.Ambient >= 0.0f && o.Ambient <= 1.0f) then
            invalidArg "options.Ambient" (sprintf "Expected an ambient term in [0, 1], got %g" o.Ambient)

        if not (Single.IsFinite(o.Light.LengthSquared()) && o.Light.LengthSquared() > 0.0f) then
            invalidArg "options.Light" (sprintf "Expected a non-zero finite light direction, got %A" o.Light)

        match o.Camera with
        | Orthographic h when not (h > 0.0 && Double.IsFinite h) ->
            invalidArg "options.Camera" (sprintf "Expected an orthographic half extent > 0, got %g" h)
        | Perspective(d, fov) when not (d > 1.0 && Double.IsFinite d && fov > 0.0 && fov < Math.PI) ->
            invalidArg
                "options.Camera"
                (sprintf "Expected a perspective camera at distance > 1 with a field of view in (0, π), got distance %g, fov %g" d fov)
        | _ -> ()

    /// The edge u → v in a canonical endpoint order, so that the two triangles sharing it compute bit-identical
    /// edge values of opposite sign: (sign, origin x, origin y, dx, dy, owned), where `owned` is the top-left rule
    /// for samples exactly on the edge (screen y points down).
    let private edgeOf (ux: float32) (uy: float32) (vx: float32) (vy: float32) =
        let dy = vy - uy
        let dx = vx - ux
        let own = dy < 0.0f || (dy = 0.0f && dx > 0.0f)

        if ux < vx || (ux = vx && uy < vy) then
            struct (1.0f, ux, uy, dx, dy, own)
        else
            struct (-1.0f, vx, vy, -dx, -dy, own)

    /// Narrows the sample range [lo, hi] of a row at height py to where the edge value
    /// e(px) = sg·(dx·(py − uy) − dy·(px − ux)) can be ≥ 0, px = x + 0.5, keeping a one-sample margin (the exact
    /// per-sample test still decides). `invDy` is 1/dy (unused when dy = 0).
    let private narrow
        (sg: float32)
        (ux: float32)
        (uy: float32)
        (dx: float32)
        (dy: float32)
        (invDy: float32)
        (py: float32)
        (lo: int)
        (hi: int)
        =
        if dy = 0.0f then
            if sg * dx * (py - uy) < 0.0f then
                struct (lo, lo - 1)
            else
                struct (lo, hi)
        else
            // The crossing px* = ux + dx·(py − uy)/dy, as a sample index x = px* − 0.5, clamped to the range.
            let t =
                Math.Clamp(ux + dx * (py - uy) * invDy - 0.5f, float32 lo - 1.0f, float32 hi + 1.0f)

            if sg * dy < 0.0f then
                struct (max lo (int (MathF.Ceiling t) - 1), hi)
            else
                struct (lo, min hi (int (MathF.Floor t) + 1))

    /// Per-thread scratch buffers of the rasterizer, grown on demand and reused across views, so that rendering
    /// a view allocates only its output image.
    [<Sealed; AllowNullLiteral>]
    type private Workspace() =
        member val Sx: float32[] = Array.empty with get, set
        member val Sy: float32[] = Array.empty with get, set
        member val Sq: float32[] = Array.empty with get, set
        member val Shade: float32[] = Array.empty with get, set
        member val Nearness: float32[] = Array.empty with get, set

        member w.Ensure(vertices: int, samples: int) =
            if w.Sx.Length < vertices then
                w.Sx <- Array.zeroCreate vertices
                w.Sy <- Array.zeroCreate vertices
                w.Sq <- Array.zeroCreate vertices

            if w.Shade.Length < samples then
                w.Shade <- Array.zeroCreate samples
                w.Nearness <- Array.zeroCreate samples

        /// Drops sample buffers above 4 Mi samples (e.g. 1024 × 1024 at 2 × 2) so that one large render does not
        /// keep tens of megabytes alive per thread.
        member w.Trim() =
            if w.Shade.Length > (1 <<< 22) then
                w.Shade <- Array.empty
                w.Nearness <- Array.empty

    let private workspace = new ThreadLocal<Workspace>(fun () -> Workspace())

    /// Rasterizes into the workspace's sample buffers of side s = Size·Supersampling: `Shade` (gray) and
    /// `Nearness` (the screen-linear depth key q: z for orthographic, 1/(d − z) for perspective; larger is nearer;
    /// −∞ = empty).
    let private rasterize (useSimd: bool) (o: RenderOptions) (pose: Rotation) (scene: RenderScene) (ws: Workspace) =
        let s = o.Size * o.Supersampling
        let fs = float32 s
        let nv = scene.VertexCount
        ws.Ensure(nv, s * s + 8)
        let sx, sy, sq = ws.Sx, ws.Sy, ws.Sq
        let shade, nearness = ws.Shade, ws.Nearness
        let vx, vy, vz = scene.X, scene.Y, scene.Z
        let m00, m01, m02 = float32 pose[0, 0], float32 pose[0, 1], float32 pose[0, 2]
        let m10, m11, m12 = float32 pose[1, 0], float32 pose[1, 1], float32 pose[1, 2]
        let m20, m21, m22 = float32 pose[2, 0], float32 pose[2, 1], float32 pose[2, 2]

        let perspective, dist, scale =
            match o.Camera with
            | Orthographic h -> false, 0.0f, float32 (1.0 / h)
            | Perspective(d, fov) -> true, float32 d, float32 (1.0 / tan (fov / 2.0))

        let half = 0.5f * fs

        for i in 0 .. nv - 1 do
            let x, y, z = vx[i], vy[i], vz[i]
            let wx = m00 * x + m01 * y + m02 * z
            let wy = m10 * x + m11 * y + m12 * z
            let wz = m20 * x + m21 * y + m22 * z

            if perspective then
                let zc = dist - wz
                let f = if zc > 0.01f then scale / zc else Single.NaN
                sx[i] <- (wx * f + 1.0f) * half
                sy[i] <- (1.0f - wy * f) * half
                sq[i] <- if zc > 0.01f then 1.0f / zc else Single.NaN
            else
                sx[i] <- (wx * scale + 1.0f) * half
                sy[i] <- (1.0f - wy * scale) * half
                sq[i] <- wz

        Array.Fill(shade, 0.0f, 0, s * s)
        Array.Fill(nearness, Single.NegativeInfinity, 0, s * s)
        let ambient = o.Ambient
        let diffuse = 1.0f - ambient

        let cull =
            o.CullBackFaces
            || (scene.ClosedOutward
                && match o.Camera with
                   | Orthographic _ -> true
                   | Perspective(d, _) -> float32 d > scene.Radius + 0.0101f)

        // The light in the object frame: n · (R⁻¹ l) = (R n) · l for the canonical unit normal n.
        let l = Vector3.Normalize o.Light
        let lx = m00 * l.X + m10 * l.Y + m20 * l.Z
        let ly = m01 * l.X + m11 * l.Y + m21 * l.Z
        let lz = m02 * l.X + m12 * l.Y + m22 * l.Z
        let faces = scene.Faces
        let nx, ny, nz = scene.NormalX, scene.NormalY, scene.NormalZ
        let lim = fs
        let simd = useSimd && Vector256.IsHardwareAccelerated
        let zero = Vector256<float32>.Zero
        let allBits = Vector256<float32>.AllBitsSet
        let lanes = Vector256.Create(0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f)
        let laneIndex = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)

        for f in 0 .. scene.FaceCount - 1 do
            let ia = faces[3 * f]
            let mutable ib = faces[3 * f + 1]
            let mutable ic = faces[3 * f + 2]
            let ax, ay = sx[ia], sy[ia]
            let mutable bx = sx[ib]
            let mutable by = sy[ib]
            let mutable cx = sx[ic]
            let mutable cy = sy[ic]
            let mutable area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

            // Screen y points down, so a face wound counter-clockwise toward the camera has a negative area here.
            if cull && area > 0.0f then
                area <- 0.0f

            if area < 0.0f then
                let t = ib
                ib <- ic
                ic <- t
                bx <- sx[ib]
                by <- sy[ib]
                cx <- sx[ic]
                cy <- sy[ic]
                area <- -area

            if area > 0.0f then
                // The sample centers (x + 0.5, y + 0.5) inside the triangle's bounding box; clamped in float first
                // so that far-away vertices cannot overflow the integer conversion.
                let x0 =
                    max 0 (int (MathF.Ceiling(Math.Clamp(MathF.Min(ax, MathF.Min(bx, cx)) - 0.5f, -1.0f, lim))))

                let x1 =
                    min (s - 1) (int (MathF.Floor(Math.Clamp(MathF.Max(ax, MathF.Max(bx, cx)) - 0.5f, -1.0f, lim))))

                let y0 =
                    max 0 (int (MathF.Ceiling(Math.Clamp(MathF.Min(ay, MathF.Min(by, cy)) - 0.5f, -1.0f, lim))))

                let y1 =
                    min (s - 1) (int (MathF.Floor(Math.Clamp(MathF.Max(ay, MathF.Max(by, cy)) - 0.5f, -1.0f, lim))))

                if x0 <= x1 && y0 <= y1 then
                    let gray = ambient + diffuse * abs (nx[f] * lx + ny[f] * ly + nz[f] * lz)
                    let inv = 1.0f / area
                    let qa, qb, qc = sq[ia], sq[ib], sq[ic]

                    let struct (s0, u0x, u0y, d0x, d0y, own0) = edgeOf bx by cx cy
                    let struct (s1, u1x, u1y, d1x, d1y, own1) = edgeOf cx cy ax ay
                    let struct (s2, u2x, u2y, d2x, d2y, own2) = edgeOf ax ay bx by

                    let wide = x1 - x0 >= 6
                    let mask (b: bool) = if b then allBits else zero
                    let s0v, s1v, s2v = Vector256.Create s0, Vector256.Create s1, Vector256.Create s2

                    let u0xv, u1xv, u2xv =
                        Vector256.Create u0x, Vector256.Create u1x, Vector256.Create u2x

                    let d0yv, d1yv, d2yv =
                        Vector256.Create d0y, Vector256.Create d1y, Vector256.Create d2y

                    let own0v, own1v, own2v = mask own0, mask own1, mask own2
                    let qav, qbv, qcv = Vector256.Create qa, Vector256.Create qb, Vector256.Create qc
                    let invv = Vector256.Create inv
                    let grayv = Vector256.Create gray
                    let i0 = if d0y = 0.0f then 0.0f else 1.0f / d0y
                    let i1 = if d1y = 0.0f then 0.0f else 1.0f / d1y
                    let i2 = if d2y = 0.0f then 0.0f else 1.0f / d2y

                    for y in y0..y1 do
                        let py = float32 y + 0.5f
                        let r0 = d0x * (py - u0y)
                        let r1 = d1x * (py - u1y)
                        let r2 = d2x * (py - u2y)
                        let row = y * s
                        // Wide triangles: narrow [x0, x1] to where all three edge values can be ≥ 0, so that thin
                        // diagonal triangles do not pay for their whole bounding box.
                        let struct (lo, hi) =
                            if wide then
                                let struct (lo, hi) = narrow s0 u0x u0y d0x d0y i0 py x0 x1
                                let struct (lo, hi) = narrow s1 u1x u1y d1x d1y i1 py lo hi
                                narrow s2 u2x u2y d2x d2y i2 py lo hi
                            else
                                struct (x0, x1)

                        if simd then
                            // Eight samples of the row at a time, with the same arithmetic as the scalar loop below
                            // (no fused multiply-add), so both decide and interpolate identically. Lanes past `hi`
                            // are masked; the buffers have eight samples of padding.
                            let r0v = Vector256.Create r0
                            let r1v = Vector256.Create r1
                            let r2v = Vector256.Create r2
                            let mutable x = lo

                            while x <= hi do
                                let at = row + x
                                let px = Vector256.Create(float32 x) + lanes
                                let e0 = s0v * (r0v - d0yv * (px - u0xv))
                                let e1 = s1v * (r1v - d1yv * (px - u1xv))
                                let e2 = s2v * (r2v - d2yv * (px - u2xv))

                                let inside =
                                    (Vector256.GreaterThan(e0, zero) ||| (Vector256.Equals(e0, zero) &&& own0v))
                                    &&& (Vector256.GreaterThan(e1, zero) ||| (Vector256.Equals(e1, zero) &&& own1v))
                                    &&& (Vector256.GreaterThan(e2, zero) ||| (Vector256.Equals(e2, zero) &&& own2v))
                                    &&& Vector256.LessThan(laneIndex, Vector256.Create(hi - x + 1)).AsSingle()

                                if inside <> zero then
                                    let q = (e0 * qav + e1 * qbv + e2 * qcv) * invv
                                    let old = Vector256.Create<float32>(ReadOnlySpan<float32>(nearness, at, 8))
                                    let closer = inside &&& Vector256.GreaterThan(q, old)

                                    if closer <> zero then
                                        Vector256.ConditionalSelect(closer, q, old).CopyTo(Span(nearness, at, 8))

                                        Vector256
                                            .ConditionalSelect(
                                                closer,
                                                grayv,
                                                Vector256.Create<float32>(ReadOnlySpan<float32>(shade, at, 8))
                                            )
                                            .CopyTo(Span(shade, at, 8))

                                x <- x + 8
                        else
                            for x in lo..hi do
                                let px = float32 x + 0.5f
                                let e0 = s0 * (r0 - d0y * (px - u0x))
                                let e1 = s1 * (r1 - d1y * (px - u1x))
                                let e2 = s2 * (r2 - d2y * (px - u2x))

                                if
                                    (e0 > 0.0f || (e0 = 0.0f && own0))
                                    && (e1 > 0.0f || (e1 = 0.0f && own1))
                                    && (e2 > 0.0f || (e2 = 0.0f && own2))
                                then
                                    let q = (e0 * qa + e1 * qb + e2 * qc) * inv

                                    if q > nearness[row + x] then
                                        nearness[row + x] <- q
                                        shade[row + x] <- gray

    let private renderWith (simd: bool) (o: RenderOptions) (pose: Rotation) (scene: RenderScene) : RenderOutput =
        let ws = workspace.Value
        rasterize simd o pose scene ws
        let shade, near = ws.Shade, ws.Nearness
        let ss = o.Supersampling
        let s = o.Size * ss
        let n = o.Size
        let gray = Array.zeroCreate (n * n)
        let depth = Array.zeroCreate (n * n)
        let cover = Array.zeroCreate (n * n)
        let per = 1.0f / float32 (ss * ss)

        let toZ (q: float32) =
            match o.Camera with
            | Orthographic _ -> q
            | Perspective(d, _) -> float32 d - 1.0f / q

        for y in 0 .. n - 1 do
            for x in 0 .. n - 1 do
                let mutable sum = 0.0f
                let mutable count = 0
                let mutable best = Single.NegativeInfinity

                for dy in 0 .. ss - 1 do
                    let row = (y * ss + dy) * s + x * ss

                    for dx in 0 .. ss - 1 do
                        let q = near[row + dx]

                        if q > Single.NegativeInfinity then
                            sum <- sum + shade[row + dx]
                            count <- count + 1
                            best <- max best q

                let i = y * n + x
                gray[i] <- sum * per
                cover[i] <- float32 count * per

                depth[i] <-
                    if count = 0 then
                        1.0f
                    else
                        min 1.0f (max 0.0f ((1.0f - toZ best) / 2.0f))

        ws.Trim()

        {
            Shading = Image.ofPixels n n 1 gray
            Depth = Image.ofPixels n n 1 depth
            Silhouette = Image.ofPixels n n 1 cover
        }

    let private renderChecked = renderWith true

    /// All three outputs rendered with the scalar sample loop only (no Vector256): the reference that the
    /// vectorized loop is tested against.
    let internal renderScalar (options: RenderOptions) (pose: Rotation) (scene: RenderScene) =
        validate options
        renderWith false options pose scene

    /// The gray shading alone (the box-filtered samples; what `renderChecked` returns as Shading).
    let private shadeChecked (o: RenderOptions) (pose: Rotation) (scene: RenderScene) : Image =
        let ws = workspace.Value
        rasterize true o pose scene ws
        let shade = ws.Shade
        let ss = o.Supersampling
        let s = o.Size * ss
        let n = o.Size
        let gray = Array.zeroCreate (n * n)
        let per = 1.0f / float32 (ss * ss)

        if ss = 1 then
            Array.Copy(shade, gray, n * n)
        elif ss = 2 then
            for y in 0 .. n - 1 do
                let r0 = 2 * y * s
                let r1 = r0 + s

                for x in 0 .. n - 1 do
                    let c = 2 * x
                    gray[y * n + x] <- (shade[r0 + c] + shade[r0 + c + 1] + shade[r1 + c] + shade[r1 + c + 1]) * per
        else
            for y in 0 .. n - 1 do
                for x in 0 .. n - 1 do
                    let mutable sum = 0.0f

                    for dy in 0 .. ss - 1 do
                        let row = (y * ss + dy) * s + x * ss

                        for dx in 0 .. ss - 1 do
                            sum <- sum + shade[row + dx]

                    gray[y * n + x] <- sum * per

        ws.Trim()
        Image.ofPixels n n 1 gray

    /// Whether the mesh is a union of closed, outward-wound surfaces: within each connected part (triangles linked
    /// by shared vertex indices; vertices of a part at the same position count as one, which closes seams and
    /// collapsed rings of swept surfaces) every edge is shared by exactly two faces that run it in opposite
    /// directions, and the part encloses a positive signed volume Σ a · (b × c) / 6 (counter-clockwise seen from
    /// outside). If the parts do not intersect themselves (they may overlap each other), the first surface a ray
    /// from outside all parts meets always faces the ray, so culling back faces cannot change the image. An empty
    /// mesh is not closed.
    let isClosedOutward (mesh: Mesh) : bool =
        if isNull (box mesh) then
            nullArg (nameof mesh)

        let v = mesh.Vertices
        let nf = mesh.Faces.Length

        if nf = 0 then
            false
        else
            // Connected parts by union-find over vertex indices.
            let parent = Array.init v.Length id

            // Iterative, with path halving: no recursion depth however long the chains grow.
            let root (i: int) =
                let mutable x = i

                while parent[x] <> x do
                    parent[x] <- parent[parent[x]]
                    x <- parent[x]

                x

            let join a b =
                let ra, rb = root a, root b

                if ra <> rb then
                    parent[ra] <- rb

            for f in mesh.Faces do
                join f.A f.B
                join f.B f.C

            // Within a part, vertices at the same position are one vertex (−0 and +0 alike).
            let weld = Dictionary<struct (int * Vector3), int>()

            let canonical =
                v
                |> Array.mapi (fun i p ->
                    let k = struct (root i, Vector3(p.X + 0.0f, p.Y + 0.0f, p.Z + 0.0f))

                    match weld.TryGetValue k with
                    | true, j -> j
                    | _ ->
                        weld[k] <- i
                        i)

            let key (u: int) (w: int) =
                (int64 canonical[u] <<< 32) ||| int64 (uint32 canonical[w])

            let edges = Array.zeroCreate (3 * nf)

            for i in 0 .. nf - 1 do
                let f = mesh.Faces[i]
                edges[3 * i] <- key f.A f.B
                edges[3 * i + 1] <- key f.B f.C
                edges[3 * i + 2] <- key f.C f.A

            Array.Sort edges
            let mutable ok = true
            let mutable i = 0

            while ok && i < edges.Length do
                let e = edges[i]

                if i + 1 < edges.Length && edges[i + 1] = e then
                    ok <- false
                else
                    let reverse = (e <<< 32) ||| (e >>> 32)

                    if Array.BinarySearch(edges, reverse) < 0 then
                        ok <- false

                i <- i + 1

            if not ok then
                false
            else
                let volume = Array.zeroCreate v.Length

                for f in mesh.Faces do
                    let a, b, c = v[f.A], v[f.B], v[f.C]
                    let bx, by, bz = float b.X, float b.Y, float b.Z
                    let cx, cy, cz = float c.X, float c.Y, float c.Z
                    let r = root f.A

                    volume[r] <-
                        volume[r]
                        + float a.X * (by * cz - bz * cy)
                        + float a.Y * (bz * cx - bx * cz)
                        + float a.Z * (bx * cy - by * cx)

                mesh.Faces |> Array.forall (fun f -> volume[root f.A] > 0.0)

    let private prepareWith (closedOutward: bool) (mesh: Mesh) =
        let v = mesh.Vertices
        let nf = mesh.Faces.Length
        let faces = Array.zeroCreate (3 * nf)
        let nx = Array.zeroCreate nf
        let ny = Array.zeroCreate nf
        let nz = Array.zeroCreate nf

        for i in 0 .. nf - 1 do
            let f = mesh.Faces[i]
            faces[3 * i] <- f.A
            faces[3 * i + 1] <- f.B
            faces[3 * i + 2] <- f.C
            let n = Vector3.Cross(v[f.B] - v[f.A], v[f.C] - v[f.A])

            let len =
                float32 (sqrt (float n.X * float n.X + float n.Y * float n.Y + float n.Z * float n.Z))

            nx[i] <- n.X / len
            ny[i] <- n.Y / len
            nz[i] <- n.Z / len

        let radius =
            if v.Length = 0 then
                0.0f
            else
                v |> Array.map (fun p -> p.Length()) |> Array.max

        RenderScene(
            mesh,
            v |> Array.map (fun p -> p.X),
            v |> Array.map (fun p -> p.Y),
            v |> Array.map (fun p -> p.Z),
            faces,
            nx,
            ny,
            nz,
            closedOutward,
            radius
        )

    /// Prepares a mesh for rendering many views: flat vertex, index and unit face-normal arrays, and the
    /// `isClosedOutward` test, whose scene culls back faces automatically (the image is unchanged up to exact
    /// depth ties, and rendering is about twice as fast). Immutable and safe to share across threads.
    let prepare (mesh: Mesh) : RenderScene =
        if isNull (box mesh) then
            nullArg (nameof mesh)

        prepareWith (isClosedOutward mesh) mesh

    /// Like `prepare`, but the scene never culls back faces unless the options ask for it: for meshes seen from
    /// inside, and as the reference that automatic culling is checked against.
    let prepareAsOpen (mesh: Mesh) : RenderScene =
        if isNull (box mesh) then
            nullArg (nameof mesh)

        prepareWith false mesh

    let private scenes = ConditionalWeakTable<Mesh, RenderScene>()

    /// The prepared scene of a mesh, computed once per mesh object and kept while the mesh lives.
    let private sceneOf (mesh: Mesh) =
        if isNull (box mesh) then
            nullArg (nameof mesh)

        scenes.GetValue(mesh, ConditionalWeakTable.CreateValueCallback prepare)

    let private checkScene (scene: RenderScene) =
        if isNull (box scene) then
            nullArg (nameof scene)

    /// Shading, depth and silhouette of a prepared scene in pose R.
    let renderScene (options: RenderOptions) (pose: Rotation) (scene: RenderScene) : RenderOutput =
        validate options
        checkScene scene
        renderChecked options pose scene

    /// The gray shading of a prepared scene in pose R: Size × Size, one channel, values in [0, 1], background 0.
    let viewScene (options: RenderOptions) (pose: Rotation) (scene: RenderScene) : Image =
        validate options
        checkScene scene
        shadeChecked options pose scene

    /// The gray views of a prepared scene in each pose, spread over the cores in chunks of consecutive poses,
    /// each worker thread reusing its own scratch buffers; element i is `viewScene options poses[i] scene` exactly.
    let viewsScene (options: RenderOptions) (poses: Rotation[]) (scene: RenderScene) : Image[] =
        validate options
        checkScene scene

        if isNull poses then
            nullArg (nameof poses)

        let out = Array.zeroCreate poses.Length
        let workers = max 1 (min Environment.ProcessorCount poses.Length)
        let chunk = max 1 (min 8 (poses.Length / (4 * workers)))

        if workers = 1 then
            for i in 0 .. poses.Length - 1 do
                out[i] <- shadeChecked options poses[i] scene
        else
            let parallelism = ParallelOptions(MaxDegreeOfParallelism = workers)

            Parallel.ForEach(
                Partitioner.Create(0, poses.Length, chunk),
                parallelism,
                fun (lo: int, hi: int) ->
                    for i in lo .. hi - 1 do
                        out[i] <- shadeChecked options poses[i] scene
            )
            |> ignore

        out

    /// Shading, depth and silhouette of the mesh in pose R (the canonical mesh rotated by R). The mesh is prepared
    /// once (`prepare`) and the scene kept with the mesh object, so meshes are treated as immutable.
    let renderAll (options: RenderOptions) (pose: Rotation) (mesh: Mesh) : RenderOutput =
        validate options
        renderChecked options pose (sceneOf mesh)

    /// The gray shading of the mesh in pose R: Size × Size, one channel, values in [0, 1], background 0.
    let view (options: RenderOptions) (pose: Rotation) (mesh: Mesh) : Image =
        validate options
        shadeChecked options pose (sceneOf mesh)

    /// The gray views of the mesh in each pose, rendered in parallel (see `viewsScene`); element i is
    /// `view options poses[i] mesh` exactly.
    let views (options: RenderOptions) (poses: Rotation[]) (mesh: Mesh) : Image[] =
        validate options

        if isNull poses then
            nullArg (nameof poses)

        viewsScene options poses (sceneOf mesh)
