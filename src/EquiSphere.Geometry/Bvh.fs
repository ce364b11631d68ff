namespace EquiSphere.Geometry

open System
open System.Numerics

/// A node of a flat bounding volume hierarchy: an axis-aligned box and either a range of triangles (a leaf,
/// Count > 0: ordered triangles Start .. Start + Count − 1) or two children (Count = 0: nodes Start and Start + 1,
/// Start > 0). The root of a mesh without faces is an empty leaf (Count = 0, Start = 0).
[<Struct>]
type BvhNode =
    {
        /// The lower corner of the box.
        Min: Vector3
        /// The upper corner of the box.
        Max: Vector3
        /// The first ordered triangle (leaf) or the left child's index (internal node).
        Start: int
        /// The number of triangles (leaf), or 0 (internal node).
        Count: int
    }

/// The nearest intersection of a ray: distance t along the (unit or not) direction, the original index of the
/// triangle in the mesh's face array (−1 when nothing was hit), and the barycentric coordinates (u, v) of the hit
/// point p = (1 − u − v) A + u B + v C.
[<Struct>]
type RayHit =
    {
        /// The distance t along the ray direction; +∞ for a miss.
        Distance: float32
        /// The index of the hit triangle in the mesh's face array; −1 for a miss.
        Triangle: int
        /// The barycentric coordinate of vertex B.
        U: float32
        /// The barycentric coordinate of vertex C.
        V: float32
    }

/// A bounding volume hierarchy over the triangles of a mesh, built by binned SAH; triangles are stored in leaf
/// order as (A, B − A, C − A) for Möller–Trumbore. Immutable and safe to share across threads.
type Bvh =
    {
        /// The nodes, root at index 0.
        Nodes: BvhNode[]
        /// Vertex A of each triangle in leaf order.
        V0: Vector3[]
        /// B − A of each triangle in leaf order.
        E1: Vector3[]
        /// C − A of each triangle in leaf order.
        E2: Vector3[]
        /// The index in the mesh's face array of each triangle in leaf order.
        TriangleIds: int[]
        /// The depth of the deepest leaf (root = 1): the traversal stack needs at most this many entries.
        Depth: int
    }

/// A traversal stack of a BVH (see `Bvh.stackFor`): pending node indices and their ray entry distances.
type BvhStack =
    {
        /// Pending node indices.
        Nodes: int[]
        /// The entry distance of the ray into each pending node.
        Entries: float32[]
    }

/// Building and traversing the BVH; ray–triangle tests by Möller–Trumbore in float32, two-sided.
[<RequireQualifiedAccess>]
module Bvh =

    /// The number of SAH bins per axis.
    [<Literal>]
    let Bins = 12

    /// Leaves never hold more triangles than this.
    [<Literal>]
    let MaxLeafSize = 8

    /// A miss: distance +∞, triangle −1.
    let noHit =
        {
            Distance = Single.PositiveInfinity
            Triangle = -1
            U = 0.0f
            V = 0.0f
        }

    let private area (lo: Vector3) (hi: Vector3) =
        let d = Vector3.Max(hi - lo, Vector3.Zero)
        d.X * d.Y + d.Y * d.Z + d.Z * d.X

    let private axisOf (v: Vector3) (axis: int) =
        match axis with
        | 0 -> v.X
        | 1 -> v.Y
        | _ -> v.Z

    /// Builds the hierarchy over every face of `mesh` (binned SAH over the three axes, leaves of at most
    /// `MaxLeafSize` triangles). A mesh without faces gives a single empty leaf that nothing hits.
    let build (mesh: Mesh) : Bvh =
        let faces = mesh.Faces
        let verts = mesh.Vertices
        let n = faces.Length
        let order = Array.init n id
        let tmin = Array.zeroCreate<Vector3> n
        let tmax = Array.zeroCreate<Vector3> n
        let cent = Array.zeroCreate<Vector3> n

        for i in 0 .. n - 1 do
            let f = faces[i]
            let a, b, c = verts[f.A], verts[f.B], verts[f.C]
            tmin[i] <- Vector3.Min(a, Vector3.Min(b, c))
            tmax[i] <- Vector3.Max(a, Vector3.Max(b, c))
            cent[i] <- (tmin[i] + tmax[i]) * 0.5f

        let nodes = ResizeArray<BvhNode>(max 1 (2 * n / 2))

        nodes.Add
            {
                Min = Vector3.Zero
                Max = Vector3.Zero
                Start = 0
                Count = 0
            }

        let binCount = Array.zeroCreate<int> Bins
        let binMin = Array.zeroCreate<Vector3> Bins
        let binMax = Array.zeroCreate<Vector3> Bins
        let rightArea = Array.zeroCreate<float32> Bins
        let rightCount = Array.zeroCreate<int> Bins
        let maxDepth = ref 1

        let leaf (index: int) (lo: Vector3) (hi: Vector3) (start: int) (count: int) =
            nodes[index] <-
                {
                    Min = lo
                    Max = hi
                    Start = start
                    Count = count
                }

        let rec split (index: int) (start: int) (count: int) (depth: int) =
            maxDepth.Value <- max maxDepth.Value depth
            let mutable lo = Vector3(Single.PositiveInfinity)
            let mutable hi = Vector3(Single.NegativeInfinity)
            let mutable clo = lo
            let mutable chi = hi

            for i in start .. start + count - 1 do
                let t = order[i]
                lo <- Vector3.Min(lo, tmin[t])
                hi <- Vector3.Max(hi, tmax[t])
                clo <- Vector3.Min(clo, cent[t])
                chi <- Vector3.Max(chi, cent[t])

            if count = 0 then
                lo <- Vector3.Zero
                hi <- Vector3.Zero

            if count <= 2 then
                leaf index lo hi start count
            else
                let parentArea = max (area lo hi) 1e-30f
                let mutable bestCost = Single.PositiveInfinity
                let mutable bestAxis = -1
                let mutable bestBin = 0

                for axis in 0..2 do
                    let c0 = axisOf clo axis
                    let extent = axisOf chi axis - c0

                    if extent > 0.0f then
                        let scale = float32 Bins / extent

                        for b in 0 .. Bins - 1 do
                            binCount[b] <- 0
                            binMin[b] <- Vector3(Single.PositiveInfinity)
                            binMax[b] <- Vector3(Single.NegativeInfinity)

                        for i in start .. start + count - 1 do
                            let t = order[i]
                            let b = min (Bins - 1) (int ((axisOf cent[t] axis - c0) * scale))
                            binCount[b] <- binCount[b] + 1
                            binMin[b] <- Vector3.Min(binMin[b], tmin[t])
                            binMax[b] <- Vector3.Max(binMax[b], tmax[t])

                        let mutable rlo = Vector3(Single.PositiveInfinity)
                        let mutable rhi = Vector3(Single.NegativeInfinity)
                        let mutable rc = 0

                        for b in Bins - 1 .. -1 .. 1 do
                            rlo <- Vector3.Min(rlo, binMin[b])
                            rhi <- Vector3.Max(rhi, binMax[b])
                            rc <- rc + binCount[b]
                            rightArea[b] <- area rlo rhi
                            rightCount[b] <- rc

                        let mutable llo = Vector3(Single.PositiveInfinity)
                        let mutable lhi = Vector3(Single.NegativeInfinity)
                        let mutable lc = 0

                        for b in 0 .. Bins - 2 do
                            llo <- Vector3.Min(llo, binMin[b])
                            lhi <- Vector3.Max(lhi, binMax[b])
                            lc <- lc + binCount[b]

                            if lc > 0 && rightCount[b + 1] > 0 then
                                let cost =
                                    1.0f
                                    + (area llo lhi * float32 lc + rightArea[b + 1] * float32 rightCount[b + 1])
                                      / parentArea

                                if cost < bestCost then
                                    bestCost <- cost
                                    bestAxis <- axis
                                    bestBin <- b

                if bestAxis < 0 || (bestCost >= float32 count && count <= MaxLeafSize) then
                    leaf index lo hi start count
                else
                    let c0 = axisOf clo bestAxis
                    let scale = float32 Bins / (axisOf chi bestAxis - c0)
                    let mutable i = start
                    let mutable j = start + count - 1

                    while i <= j do
                        let t = order[i]

                        if min (Bins - 1) (int ((axisOf cent[t] bestAxis - c0) * scale)) <= bestBin then
                            i <- i + 1
                        else
                            order[i] <- order[j]
                            order[j] <- t
                            j <- j - 1

                    let leftCount =
                        if i = start || i = start + count then
                            let axis = bestAxis

                            Array.Sort(
                                order,
                                start,
                                count,
                                Collections.Generic.Comparer<int>.Create(fun a b -> compare (axisOf cent[a] axis) (axisOf cent[b] axis))
                            )

                            count / 2
                        else
                            i - start

                    let left = nodes.Count
                    nodes.Add nodes[index]
                    nodes.Add nodes[index]

                    nodes[index] <-
                        {
                            Min = lo
                            Max = hi
                            Start = left
                            Count = 0
                        }

                    split left start leftCount (depth + 1)
                    split (left + 1) (start + leftCount) (count - leftCount) (depth + 1)

        split 0 0 n 1

        let v0 = Array.zeroCreate n
        let e1 = Array.zeroCreate n
        let e2 = Array.zeroCreate n

        for i in 0 .. n - 1 do
            let f = faces[order[i]]
            v0[i] <- verts[f.A]
            e1[i] <- verts[f.B] - verts[f.A]
            e2[i] <- verts[f.C] - verts[f.A]

        {
            Nodes = nodes.ToArray()
            V0 = v0
            E1 = e1
            E2 = e2
            TriangleIds = order
            Depth = maxDepth.Value
        }

    /// Tolerance on the barycentric coordinates: triangles are grown by this fraction of their size, which closes the
    /// cracks that float32 rounding opens between adjacent triangles for rays through a shared edge.
    [<Literal>]
    let BarycentricTolerance = 1e-5f

    /// Möller–Trumbore: the distance t > 0 at which origin + t·dir meets the triangle (a, a + e1, a + e2), with
    /// its barycentrics (u, v), or t = +∞. Two-sided; a ray in the triangle's plane misses; u, v and 1 − u − v may
    /// be down to −`BarycentricTolerance`.
    let intersectTriangle (origin: Vector3) (dir: Vector3) (a: Vector3) (e1: Vector3) (e2: Vector3) : struct (float32 * float32 * float32) =
        let p = Vector3.Cross(dir, e2)
        let det = Vector3.Dot(e1, p)

        if det = 0.0f then
            struct (Single.PositiveInfinity, 0.0f, 0.0f)
        else
            let inv = 1.0f / det
            let s = origin - a
            let u = Vector3.Dot(s, p) * inv

            if u < -BarycentricTolerance || u > 1.0f + BarycentricTolerance then
                struct (Single.PositiveInfinity, 0.0f, 0.0f)
            else
                let q = Vector3.Cross(s, e1)
                let v = Vector3.Dot(dir, q) * inv

                if v < -BarycentricTolerance || u + v > 1.0f + BarycentricTolerance then
                    struct (Single.PositiveInfinity, 0.0f, 0.0f)
                else
                    let t = Vector3.Dot(e2, q) * inv

                    if t > 0.0f then
                        struct (t, u, v)
                    else
                        struct (Single.PositiveInfinity, 0.0f, 0.0f)

    let private safeInverse (d: float32) =
        if abs d < 1e-20f then
            (if d < 0.0f then -1e20f else 1e20f)
        else
            1.0f / d

    /// Relative slack of the box test, so that rounding never culls a box whose contents lie exactly on its faces.
    [<Literal>]
    let private Slack = 1.000001f

    /// The entry distance of the ray into the box [lo, hi] (conservative by `Slack`), or +∞ if it misses within
    /// [0, limit].
    let private boxEntry (lo: Vector3) (hi: Vector3) (origin: Vector3) (inv: Vector3) (limit: float32) =
        let t1 = (lo - origin) * inv
        let t2 = (hi - origin) * inv
        let near = Vector3.Min(t1, t2)
        let far = Vector3.Max(t1, t2)
        let a = if near.X > near.Y then near.X else near.Y
        let b = if near.Z > 0.0f then near.Z else 0.0f
        let tin = if a > b then a else b
        let c = if far.X < far.Y then far.X else far.Y
        let tout = (if c < far.Z then c else far.Z) * Slack

        if tin <= tout && tin <= limit * Slack then
            tin
        else
            Single.PositiveInfinity

    /// A traversal stack for `intersectWith`: node indices and their entry distances. One per thread.
    let stackFor (bvh: Bvh) =
        {
            Nodes = Array.zeroCreate (bvh.Depth + 1)
            Entries = Array.zeroCreate (bvh.Depth + 1)
        }

    /// The nearest hit of the ray origin + t·dir with 0 < t < tMax, using `stack` (from `stackFor` on this BVH;
    /// one per thread, no allocation). Children are visited nearest first and skipped once a hit is nearer than
    /// their entry distance. Returns `noHit` when nothing is hit.
    let intersectWith (stack: BvhStack) (bvh: Bvh) (origin: Vector3) (dir: Vector3) (tMax: float32) : RayHit =
        if stack.Nodes.Length < bvh.Depth + 1 then
            invalidArg
                (nameof stack)
                (sprintf "Expected a stack of at least %d entries for this BVH, got %d" (bvh.Depth + 1) stack.Nodes.Length)

        let nodes = bvh.Nodes
        let sn = stack.Nodes
        let se = stack.Entries
        let inv = Vector3(safeInverse dir.X, safeInverse dir.Y, safeInverse dir.Z)
        let mutable best = tMax
        let mutable bestTri = -1
        let mutable bu = 0.0f
        let mutable bv = 0.0f
        let mutable sp = 0

        if nodes.Length > 0 then
            let t0 = boxEntry nodes[0].Min nodes[0].Max origin inv best

            if t0 < Single.PositiveInfinity then
                sn[0] <- 0
                se[0] <- t0
                sp <- 1

        while sp > 0 do
            sp <- sp - 1

            if se[sp] <= best * Slack then
                let node = nodes[sn[sp]]

                if node.Count > 0 then
                    for i in node.Start .. node.Start + node.Count - 1 do
                        let struct (t, u, v) = intersectTriangle origin dir bvh.V0[i] bvh.E1[i] bvh.E2[i]

                        if t < best then
                            best <- t
                            bestTri <- i
                            bu <- u
                            bv <- v
                elif node.Start > 0 then
                    let l = node.Start
                    let left = nodes[l]
                    let right = nodes[l + 1]
                    let tl = boxEntry left.Min left.Max origin inv best
                    let tr = boxEntry right.Min right.Max origin inv best

                    if tl <= tr then
                        if tr < Single.PositiveInfinity then
                            sn[sp] <- l + 1
                            se[sp] <- tr
                            sp <- sp + 1

                        if tl < Single.PositiveInfinity then
                            sn[sp] <- l
                            se[sp] <- tl
                            sp <- sp + 1
                    else
                        if tl < Single.PositiveInfinity then
                            sn[sp] <- l
                            se[sp] <- tl
                            sp <- sp + 1

                        sn[sp] <- l + 1
                        se[sp] <- tr
                        sp <- sp + 1

        if bestTri < 0 then
            noHit
        else
            {
                Distance = best
                Triangle = bvh.TriangleIds[bestTri]
                U = bu
                V = bv
            }

    /// The nearest hit of the ray origin + t·dir with 0 < t < tMax (allocates a traversal stack; use
    /// `intersectWith` in loops).
    let intersect (bvh: Bvh) (origin: Vector3) (dir: Vector3) (tMax: float32) : RayHit =
        intersectWith (stackFor bvh) bvh origin dir tMax

    /// The nearest hit by testing every triangle of `mesh` (the slow, obviously correct oracle for `intersect`).
    let intersectBruteForce (mesh: Mesh) (origin: Vector3) (dir: Vector3) (tMax: float32) : RayHit =
        let mutable best = noHit
        let v = mesh.Vertices

        for i in 0 .. mesh.Faces.Length - 1 do
            let f = mesh.Faces[i]

            let struct (t, u, w) =
                intersectTriangle origin dir v[f.A] (v[f.B] - v[f.A]) (v[f.C] - v[f.A])

            if t < tMax && t < best.Distance then
                best <-
                    {
                        Distance = t
                        Triangle = i
                        U = u
                        V = w
                    }

        best
