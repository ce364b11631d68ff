namespace EquiSphere.Geometry

open System
open System.Collections.Generic
open System.Numerics

/// The 3D convex hull by Quickhull (Barber, Dobkin, Huhdanpaa 1996): start from a tetrahedron of extreme points,
/// give each remaining point to a face it lies above, and repeatedly add the farthest point of a face, replacing
/// the faces it sees by a fan over their horizon. Geometry in float64 with a tolerance relative to the extent.
[<RequireQualifiedAccess>]
module ConvexHull =

    [<Struct>]
    type internal Vector3d =
        {
            X: float
            Y: float
            Z: float
        }

        static member Sub(a: Vector3d, b: Vector3d) =
            {
                X = a.X - b.X
                Y = a.Y - b.Y
                Z = a.Z - b.Z
            }

        static member Dot(a: Vector3d, b: Vector3d) = a.X * b.X + a.Y * b.Y + a.Z * b.Z

        static member Cross(a: Vector3d, b: Vector3d) =
            {
                X = a.Y * b.Z - a.Z * b.Y
                Y = a.Z * b.X - a.X * b.Z
                Z = a.X * b.Y - a.Y * b.X
            }

        member v.Length = sqrt (v.X * v.X + v.Y * v.Y + v.Z * v.Z)

    type internal HullFace =
        {
            A: int
            B: int
            C: int
            Normal: Vector3d
            Offset: float
            Outside: List<int>
            mutable Alive: bool
        }

    /// The relative tolerance: a point counts as above a face when its distance exceeds this times the extent.
    [<Literal>]
    let RelativeTolerance = 1e-9

    /// The convex hull of `points` as a closed triangle mesh whose vertices are the hull's extreme points (a subset
    /// of the input) and whose faces are wound counter-clockwise seen from outside. Laws: every input point lies on
    /// or below the plane of every face (within the tolerance); every hull vertex is an input point; the surface is
    /// closed (each directed edge appears once and its reverse once). Throws if the points are fewer than 4 or all
    /// lie in one plane.
    let build (points: Vector3[]) : Mesh =
        if isNull points then
            nullArg (nameof points)

        if points.Length < 4 then
            invalidArg (nameof points) (sprintf "Expected at least 4 points for a 3D convex hull, got %d" points.Length)

        let p =
            points
            |> Array.map (fun v ->
                {
                    X = float v.X
                    Y = float v.Y
                    Z = float v.Z
                })

        let n = p.Length

        let extent =
            p |> Array.fold (fun m v -> max m (max (abs v.X) (max (abs v.Y) (abs v.Z)))) 0.0

        let eps = RelativeTolerance * max extent 1e-300

        let argBest (score: int -> float) =
            let mutable best = 0

            for i in 1 .. n - 1 do
                if score i > score best then
                    best <- i

            best

        let i0 = argBest (fun i -> p[i].X)
        let i1 = argBest (fun i -> (Vector3d.Sub(p[i], p[i0])).Length)

        let i2 =
            argBest (fun i -> (Vector3d.Cross(Vector3d.Sub(p[i1], p[i0]), Vector3d.Sub(p[i], p[i0]))).Length)

        let planeN = Vector3d.Cross(Vector3d.Sub(p[i1], p[i0]), Vector3d.Sub(p[i2], p[i0]))
        let i3 = argBest (fun i -> abs (Vector3d.Dot(planeN, Vector3d.Sub(p[i], p[i0]))))

        if
            (Vector3d.Sub(p[i1], p[i0])).Length <= eps
            || planeN.Length <= eps * (Vector3d.Sub(p[i1], p[i0])).Length
            || abs (Vector3d.Dot(planeN, Vector3d.Sub(p[i3], p[i0]))) <= eps * planeN.Length
        then
            invalidArg (nameof points) (sprintf "Expected points spanning 3D space, got %d points that are coplanar (or collinear)" n)

        let inside =
            let s = [ i0; i1; i2; i3 ] |> List.map (fun i -> p[i])

            {
                X = s |> List.averageBy (fun v -> v.X)
                Y = s |> List.averageBy (fun v -> v.Y)
                Z = s |> List.averageBy (fun v -> v.Z)
            }

        let faces = List<HullFace>()

        let makeFace (a: int) (b: int) (c: int) =
            let nrm = Vector3d.Cross(Vector3d.Sub(p[b], p[a]), Vector3d.Sub(p[c], p[a]))
            let len = nrm.Length

            let nrm =
                {
                    X = nrm.X / len
                    Y = nrm.Y / len
                    Z = nrm.Z / len
                }

            {
                A = a
                B = b
                C = c
                Normal = nrm
                Offset = Vector3d.Dot(nrm, p[a])
                Outside = List<int>()
                Alive = true
            }

        let height (f: HullFace) (i: int) = Vector3d.Dot(f.Normal, p[i]) - f.Offset

        for a, b, c in [ i0, i1, i2; i0, i1, i3; i0, i2, i3; i1, i2, i3 ] do
            let f = makeFace a b c

            let f =
                if Vector3d.Dot(f.Normal, inside) - f.Offset > 0.0 then
                    makeFace a c b
                else
                    f

            faces.Add f

        let assign (candidates: HullFace seq) (pointsToPlace: int seq) =
            let cs = Seq.toArray candidates

            for i in pointsToPlace do
                let mutable placed = false
                let mutable k = 0

                while not placed && k < cs.Length do
                    if height cs[k] i > eps then
                        cs[k].Outside.Add i
                        placed <- true

                    k <- k + 1

        let seed = HashSet<int>([ i0; i1; i2; i3 ])

        assign
            faces
            (seq {
                for i in 0 .. n - 1 do
                    if not (seed.Contains i) then
                        yield i
            })

        let mutable pending = faces |> Seq.tryFind (fun f -> f.Alive && f.Outside.Count > 0)

        while pending.IsSome do
            let f = pending.Value
            let eye = f.Outside |> Seq.maxBy (fun i -> height f i)

            let visible =
                faces |> Seq.filter (fun g -> g.Alive && height g eye > eps) |> Seq.toArray

            let edges = HashSet<struct (int * int)>()

            for g in visible do
                edges.Add(struct (g.A, g.B)) |> ignore
                edges.Add(struct (g.B, g.C)) |> ignore
                edges.Add(struct (g.C, g.A)) |> ignore

            let orphans = List<int>()

            for g in visible do
                g.Alive <- false

                for i in g.Outside do
                    if i <> eye then
                        orphans.Add i

                g.Outside.Clear()

            let created = List<HullFace>()

            for struct (a, b) in edges do
                if not (edges.Contains(struct (b, a))) then
                    let g = makeFace a b eye
                    faces.Add g
                    created.Add g

            assign created orphans
            pending <- faces |> Seq.tryFind (fun g -> g.Alive && g.Outside.Count > 0)

        let alive = faces |> Seq.filter (fun f -> f.Alive) |> Seq.toArray
        let remap = Dictionary<int, int>()
        let verts = List<Vector3>()

        let index (i: int) =
            match remap.TryGetValue i with
            | true, j -> j
            | _ ->
                let j = verts.Count
                remap[i] <- j
                verts.Add points[i]
                j

        let hullFaces =
            alive
            |> Array.map (fun f ->
                let a = index f.A
                let b = index f.B
                let c = index f.C
                ({ A = a; B = b; C = c }: Face))

        {
            Vertices = verts.ToArray()
            Faces = hullFaces
        }
