namespace EquiSphere.Geometry

open System
open System.Numerics
open System.Threading.Tasks
open EquiSphere.Harmonics

/// Settings of the spherical ray casting r(M) (DESIGN.md, "Spherical input").
type RayCastOptions =
    {
        /// Bandwidth B of the Driscoll–Healy grid: the signal has 2B × 2B samples [θ, φ].
        Bandwidth: int
        /// Radius ρ > 1 of the sphere the rays start from (the mesh lies in the unit ball).
        Radius: float
        /// Whether to append the three channels of the mesh's convex hull.
        ConvexHull: bool
    }

/// A mesh prepared for repeated ray casting: its BVH and face normals, and optionally those of its convex hull.
/// Immutable and safe to share across threads.
type RayCastScene =
    {
        /// The hierarchy over the mesh's faces.
        Bvh: Bvh
        /// The unit normal of each face of the mesh.
        Normals: Vector3[]
        /// The hierarchy and face normals of the convex hull, when requested.
        Hull: (Bvh * Vector3[]) option
    }

/// Default and derived ray casting settings.
[<RequireQualifiedAccess>]
module RayCastOptions =

    /// B = 32 (a 64 × 64 grid, as in the paper), ρ = 1.1, no convex-hull channels.
    let defaults =
        {
            Bandwidth = 32
            Radius = 1.1
            ConvexHull = false
        }

/// The spherical signal r(M) of a mesh in the unit ball: from each Driscoll–Healy grid point p (bandwidth B) on the
/// sphere of radius ρ a ray is cast toward the center. Channels, each [2B, 2B] (colatitude × longitude), stacked as
/// float32[] [C, 2B, 2B] row-major:
///   0. distance: t/ρ, where t is the distance from ρp to the first hit on the segment from ρp to the center;
///      1 where the segment hits nothing. Values in (0, 1].
///   1. cos α = |d · n| of the angle α between the ray direction d and the hit face's normal n (unsigned, so the
///      value does not depend on face winding); 0 where nothing is hit.
///   2. sin α = sqrt(1 − cos² α); 0 where nothing is hit.
///   3–5 (with `ConvexHull`): the same three channels for the mesh's convex hull.
/// Law (equivariance): r(R M)(x) = r(M)(R⁻¹x), exact on the grid for rotations about z by multiples of 2π/(2B)
/// (a shift along longitude), and up to sampling for other rotations.
[<RequireQualifiedAccess>]
module RayCast =

    /// The number of channels for the options: 3, or 6 with the convex hull.
    let channelCount (options: RayCastOptions) = if options.ConvexHull then 6 else 3

    /// The channel names in order: distance, cos, sin, then hull-distance, hull-cos, hull-sin with the hull.
    let channelNames (options: RayCastOptions) =
        let basic = [| "distance"; "cos"; "sin" |]

        if options.ConvexHull then
            Array.append basic (basic |> Array.map (fun s -> "hull-" + s))
        else
            basic

    let private validate (options: RayCastOptions) =
        Check.bandwidth "options.Bandwidth" options.Bandwidth

        if not (Double.IsFinite options.Radius && options.Radius > 1.0) then
            invalidArg "options" (sprintf "Expected a ray sphere radius ρ > 1 (the mesh lies in the unit ball), got %g" options.Radius)

    /// Prepares a mesh for casting: builds its BVH and normals, and its convex hull's when options.ConvexHull.
    let scene (options: RayCastOptions) (mesh: Mesh) : RayCastScene =
        validate options

        let hull =
            if options.ConvexHull then
                let h = ConvexHull.build mesh.Vertices
                Some(Bvh.build h, Mesh.faceNormals h)
            else
                None

        {
            Bvh = Bvh.build mesh
            Normals = Mesh.faceNormals mesh
            Hull = hull
        }

    let private castInto
        (out: float32[])
        (channel: int)
        (n: int)
        (j: int)
        (stack: BvhStack)
        (bvh: Bvh)
        (normals: Vector3[])
        (rays: Vector3[])
        (radius: float32)
        =
        let plane = n * n

        for k in 0 .. n - 1 do
            let d = rays[k]
            let origin = -radius * d
            let hit = Bvh.intersectWith stack bvh origin d radius
            let at = channel * plane + j * n + k

            if hit.Triangle < 0 then
                out[at] <- 1.0f
                out[at + plane] <- 0.0f
                out[at + 2 * plane] <- 0.0f
            else
                let c = min 1.0f (abs (Vector3.Dot(d, normals[hit.Triangle])))
                out[at] <- hit.Distance / radius
                out[at + plane] <- c
                out[at + 2 * plane] <- sqrt (max 0.0f (1.0f - c * c))

    /// r(R M) of the prepared mesh M in pose R, computed without moving the mesh: the ray of grid point p starts at
    /// ρR⁻¹p (r(R M)(p) = r(M)(R⁻¹p)). Output float32[] [C, 2B, 2B]; rows are cast in parallel. The scene must have
    /// hull data when options.ConvexHull.
    let castRotated (options: RayCastOptions) (rotation: Rotation) (scene: RayCastScene) : float32[] =
        validate options

        if options.ConvexHull && scene.Hull.IsNone then
            invalidArg (nameof scene) "Expected a scene prepared with ConvexHull = true (options ask for hull channels), got one without"

        let b = options.Bandwidth
        let n = 2 * b
        let out = Array.zeroCreate (channelCount options * n * n)
        let radius = float32 options.Radius
        let theta = Grid.colatitudes b
        let phi = Grid.longitudes b
        let inverse = Rotation.inverse rotation

        Parallel.For(
            0,
            n,
            fun j ->
                let rays =
                    Array.init n (fun k ->
                        let p = sin theta[j] * cos phi[k], sin theta[j] * sin phi[k], cos theta[j]
                        let x, y, z = Rotation.apply inverse p
                        -Vector3(float32 x, float32 y, float32 z))

                let stack = Bvh.stackFor scene.Bvh
                castInto out 0 n j stack scene.Bvh scene.Normals rays radius

                match scene.Hull with
                | Some(hb, hn) when options.ConvexHull ->
                    let hstack = Bvh.stackFor hb
                    castInto out 3 n j hstack hb hn rays radius
                | _ -> ()
        )
        |> ignore

        out

    /// r(M) of a prepared mesh (identity pose). Output float32[] [C, 2B, 2B].
    let castScene (options: RayCastOptions) (scene: RayCastScene) =
        castRotated options Rotation.identity scene

    /// r(M): builds the BVH (and hull) of `mesh` and casts. Output float32[] [C, 2B, 2B] (see the module comment).
    let signal (options: RayCastOptions) (mesh: Mesh) = castScene options (scene options mesh)
