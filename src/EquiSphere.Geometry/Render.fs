namespace EquiSphere.Geometry

open System
open System.Buffers
open System.Numerics
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
        /// Skip triangles facing away from the camera (counter-clockwise winding seen from outside assumed). Exact
        /// for closed, consistently wound meshes such as the procedural shapes, and about twice as fast; leave it
        /// off for meshes from files, whose winding may be inconsistent or whose surfaces may be open.
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
/// rotates the image; a nearer surface hides a farther one; output is a pure function of its inputs.
[<RequireQualifiedAccess>]
module Render =

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

    /// Rasterizes into sample buffers of side s = Size·Supersampling: `shade` (gray) and `nearness` (the
    /// screen-linear depth key q: z for orthographic, 1/(d − z) for perspective; larger is nearer; −∞ = empty).
    let private rasterize (o: RenderOptions) (pose: Rotation) (mesh: Mesh) (shade: float32[]) (nearness: float32[]) =
        let s = o.Size * o.Supersampling
        let fs = float32 s
        let m = Rotation.toMatrix pose |> Array2D.map float32
        let light = Vector3.Normalize o.Light
        let nv = mesh.Vertices.Length
        let pos = ArrayPool<Vector3>.Shared.Rent nv
        let sx = ArrayPool<float32>.Shared.Rent nv
        let sy = ArrayPool<float32>.Shared.Rent nv
        let sq = ArrayPool<float32>.Shared.Rent nv

        let perspective, dist, scale =
            match o.Camera with
            | Orthographic h -> false, 0.0f, float32 (1.0 / h)
            | Perspective(d, fov) -> true, float32 d, float32 (1.0 / tan (fov / 2.0))

        for i in 0 .. nv - 1 do
            let v = mesh.Vertices[i]

            let w =
                Vector3(
                    m[0, 0] * v.X + m[0, 1] * v.Y + m[0, 2] * v.Z,
                    m[1, 0] * v.X + m[1, 1] * v.Y + m[1, 2] * v.Z,
                    m[2, 0] * v.X + m[2, 1] * v.Y + m[2, 2] * v.Z
                )

            pos[i] <- w

            if perspective then
                let zc = dist - w.Z
                let f = if zc > 0.01f then scale / zc else Single.NaN
                sx[i] <- (w.X * f + 1.0f) * 0.5f * fs
                sy[i] <- (1.0f - w.Y * f) * 0.5f * fs
                sq[i] <- if zc > 0.01f then 1.0f / zc else Single.NaN
            else
                sx[i] <- (w.X * scale + 1.0f) * 0.5f * fs
                sy[i] <- (1.0f - w.Y * scale) * 0.5f * fs
                sq[i] <- w.Z

        Array.Fill(shade, 0.0f, 0, s * s)
        Array.Fill(nearness, Single.NegativeInfinity, 0, s * s)
        let ambient = o.Ambient
        let cull = o.CullBackFaces

        for f in mesh.Faces do
            let ia = f.A
            let mutable ib = f.B
            let mutable ic = f.C
            let ax, ay = sx[ia], sy[ia]
            let mutable bx, by = sx[ib], sy[ib]
            let mutable cx, cy = sx[ic], sy[ic]
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

            // The sample centers (x + 0.5, y + 0.5) inside the triangle's bounding box; clamped in float first so
            // that far-away vertices cannot overflow the integer conversion.
            let lim = float32 s
            let x0 = int (ceil (Math.Clamp(min ax (min bx cx) - 0.5f, -1.0f, lim)))

            let x1 =
                min (s - 1) (int (floor (Math.Clamp(max ax (max bx cx) - 0.5f, -1.0f, lim))))

            let y0 = int (ceil (Math.Clamp(min ay (min by cy) - 0.5f, -1.0f, lim)))

            let y1 =
                min (s - 1) (int (floor (Math.Clamp(max ay (max by cy) - 0.5f, -1.0f, lim))))

            let x0 = max 0 x0
            let y0 = max 0 y0

            if area > 0.0f && x0 <= x1 && y0 <= y1 then
                let n = Vector3.Cross(pos[ib] - pos[ia], pos[ic] - pos[ia])
                let lit = abs (Vector3.Dot(n, light)) / n.Length()
                let gray = ambient + (1.0f - ambient) * lit
                let inv = 1.0f / area
                let qa, qb, qc = sq[ia], sq[ib], sq[ic]

                let struct (s0, u0x, u0y, d0x, d0y, own0) = edgeOf bx by cx cy
                let struct (s1, u1x, u1y, d1x, d1y, own1) = edgeOf cx cy ax ay
                let struct (s2, u2x, u2y, d2x, d2y, own2) = edgeOf ax ay bx by

                let wide = x1 - x0 >= 6
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

        ArrayPool<Vector3>.Shared.Return pos
        ArrayPool<float32>.Shared.Return sx
        ArrayPool<float32>.Shared.Return sy
        ArrayPool<float32>.Shared.Return sq

    let private renderChecked (o: RenderOptions) (pose: Rotation) (mesh: Mesh) : RenderOutput =
        let ss = o.Supersampling
        let s = o.Size * ss
        let shade = ArrayPool<float32>.Shared.Rent(s * s)
        let near = ArrayPool<float32>.Shared.Rent(s * s)
        rasterize o pose mesh shade near
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

        ArrayPool<float32>.Shared.Return shade
        ArrayPool<float32>.Shared.Return near

        {
            Shading = Image.ofPixels n n 1 gray
            Depth = Image.ofPixels n n 1 depth
            Silhouette = Image.ofPixels n n 1 cover
        }

    /// The gray shading alone (the box-filtered samples; what `renderChecked` returns as Shading).
    let private shadeChecked (o: RenderOptions) (pose: Rotation) (mesh: Mesh) : Image =
        let ss = o.Supersampling
        let s = o.Size * ss
        let shade = ArrayPool<float32>.Shared.Rent(s * s)
        let near = ArrayPool<float32>.Shared.Rent(s * s)
        rasterize o pose mesh shade near
        let n = o.Size
        let gray = Array.zeroCreate (n * n)
        let per = 1.0f / float32 (ss * ss)

        for y in 0 .. n - 1 do
            for x in 0 .. n - 1 do
                let mutable sum = 0.0f

                for dy in 0 .. ss - 1 do
                    let row = (y * ss + dy) * s + x * ss

                    for dx in 0 .. ss - 1 do
                        sum <- sum + shade[row + dx]

                gray[y * n + x] <- sum * per

        ArrayPool<float32>.Shared.Return shade
        ArrayPool<float32>.Shared.Return near
        Image.ofPixels n n 1 gray

    /// Shading, depth and silhouette of the mesh in pose R (the canonical mesh rotated by R).
    let renderAll (options: RenderOptions) (pose: Rotation) (mesh: Mesh) : RenderOutput =
        validate options
        renderChecked options pose mesh

    /// The gray shading of the mesh in pose R: Size × Size, one channel, values in [0, 1], background 0.
    let view (options: RenderOptions) (pose: Rotation) (mesh: Mesh) : Image =
        validate options
        shadeChecked options pose mesh

    /// The gray views of the mesh in each pose, rendered in parallel (one view per task); element i is
    /// `view options poses[i] mesh` exactly.
    let views (options: RenderOptions) (poses: Rotation[]) (mesh: Mesh) : Image[] =
        validate options

        if isNull poses then
            nullArg (nameof poses)

        let out = Array.zeroCreate poses.Length

        Parallel.For(0, poses.Length, fun i -> out[i] <- shadeChecked options poses[i] mesh)
        |> ignore

        out
