namespace EquiSphere.Geometry

open System
open System.Numerics
open EquiSphere.Harmonics

/// A triangle of a mesh: three vertex indices, counter-clockwise seen from outside (right-hand normal).
[<Struct>]
type Face = { A: int; B: int; C: int }

/// A triangle mesh: vertex positions and triangles indexing them. Canonical object frame (DESIGN.md): y up,
/// front toward +z (toward the camera at identity pose). Create through `Mesh.create`, which validates.
type Mesh = { Vertices: Vector3[]; Faces: Face[] }

/// What `Mesh.create` dropped or found while validating.
type MeshReport =
    {
        DegenerateFacesDropped: int
        VertexCount: int
        FaceCount: int
    }

/// How `Mesh.normalize` centers a mesh before scaling it into the unit ball.
type CenterBy =
    /// The area-weighted centroid of the surface.
    | AreaCentroid
    /// The center of the axis-aligned bounding box.
    | BoundingBoxCenter

/// Construction, validation, measures and transforms of triangle meshes.
[<RequireQualifiedAccess>]
module Mesh =

    let private finite (v: Vector3) =
        Single.IsFinite v.X && Single.IsFinite v.Y && Single.IsFinite v.Z

    /// A validated mesh and a report: throws if a vertex is not finite or an index is out of range (naming the
    /// vertex or face); drops faces that repeat a vertex or have zero area, and counts them.
    let createWithReport (vertices: Vector3[]) (faces: Face[]) : Mesh * MeshReport =
        if isNull vertices then
            nullArg (nameof vertices)

        if isNull faces then
            nullArg (nameof faces)

        vertices
        |> Array.iteri (fun i v ->
            if not (finite v) then
                invalidArg (nameof vertices) (sprintf "Vertex %d is not finite: (%g, %g, %g)" i v.X v.Y v.Z))

        let n = vertices.Length

        faces
        |> Array.iteri (fun i f ->
            if f.A < 0 || f.A >= n || f.B < 0 || f.B >= n || f.C < 0 || f.C >= n then
                invalidArg (nameof faces) (sprintf "Face %d has indices (%d, %d, %d); expected each in [0, %d)" i f.A f.B f.C n))

        let keep (f: Face) =
            f.A <> f.B
            && f.B <> f.C
            && f.A <> f.C
            && (Vector3.Cross(vertices[f.B] - vertices[f.A], vertices[f.C] - vertices[f.A])).LengthSquared() > 0.0f

        let kept = faces |> Array.filter keep

        {
            Vertices = Array.copy vertices
            Faces = kept
        },
        {
            DegenerateFacesDropped = faces.Length - kept.Length
            VertexCount = n
            FaceCount = kept.Length
        }

    /// A validated mesh (see `createWithReport`).
    let create (vertices: Vector3[]) (faces: Face[]) = createWithReport vertices faces |> fst

    /// The unit normal of each face (right-hand rule over A, B, C).
    let faceNormals (mesh: Mesh) : Vector3[] =
        mesh.Faces
        |> Array.map (fun f ->
            let v = mesh.Vertices
            Vector3.Normalize(Vector3.Cross(v[f.B] - v[f.A], v[f.C] - v[f.A])))

    /// The area of each face.
    let faceAreas (mesh: Mesh) : float32[] =
        mesh.Faces
        |> Array.map (fun f ->
            let v = mesh.Vertices
            0.5f * Vector3.Cross(v[f.B] - v[f.A], v[f.C] - v[f.A]).Length())

    /// The total surface area.
    let area (mesh: Mesh) = faceAreas mesh |> Array.sumBy float

    /// The area-weighted centroid of the surface (the mean of the face centroids weighted by area).
    let areaCentroid (mesh: Mesh) : Vector3 =
        let areas = faceAreas mesh
        let mutable acc = Vector3.Zero
        let mutable total = 0.0f

        mesh.Faces
        |> Array.iteri (fun i f ->
            let c = (mesh.Vertices[f.A] + mesh.Vertices[f.B] + mesh.Vertices[f.C]) / 3.0f
            acc <- acc + areas[i] * c
            total <- total + areas[i])

        if total > 0.0f then acc / total else Vector3.Zero

    /// The axis-aligned bounding box (min corner, max corner); throws on a mesh without vertices.
    let bounds (mesh: Mesh) =
        if mesh.Vertices.Length = 0 then
            invalidArg (nameof mesh) "Expected a mesh with at least one vertex, got none"

        mesh.Vertices |> Array.reduce (fun a b -> Vector3.Min(a, b)), mesh.Vertices |> Array.reduce (fun a b -> Vector3.Max(a, b))

    /// The mesh with every vertex mapped by `f` (faces unchanged).
    let mapVertices (f: Vector3 -> Vector3) (mesh: Mesh) =
        { mesh with
            Vertices = Array.map f mesh.Vertices
        }

    /// Centers the mesh (by `center`) and scales it uniformly so its farthest vertex lies at distance `radius`.
    let normalize (center: CenterBy) (radius: float32) (mesh: Mesh) =
        let c =
            match center with
            | AreaCentroid -> areaCentroid mesh
            | BoundingBoxCenter ->
                let lo, hi = bounds mesh
                (lo + hi) / 2.0f

        let far =
            mesh.Vertices |> Array.fold (fun m v -> max m (Vector3.Distance(v, c))) 0.0f

        let s = if far > 0.0f then radius / far else 1.0f
        mesh |> mapVertices (fun v -> (v - c) * s)

    /// The mesh rotated by R (each vertex v ↦ R v), i.e. the object in pose R.
    let rotate (r: Rotation) (mesh: Mesh) =
        let m = Rotation.toMatrix r |> Array2D.map float32

        mesh
        |> mapVertices (fun v ->
            Vector3(
                m[0, 0] * v.X + m[0, 1] * v.Y + m[0, 2] * v.Z,
                m[1, 0] * v.X + m[1, 1] * v.Y + m[1, 2] * v.Z,
                m[2, 0] * v.X + m[2, 1] * v.Y + m[2, 2] * v.Z
            ))

    /// The mesh with every vertex mapped by the 3 × 3 matrix M given row-major (v ↦ M v); faces unchanged. Use a
    /// rotation to change frames (a reflection would turn the faces inside out). Throws unless M has 9 entries.
    let transformLinear (rowMajor: float32[]) (mesh: Mesh) =
        if isNull rowMajor then
            nullArg (nameof rowMajor)

        if rowMajor.Length <> 9 then
            invalidArg (nameof rowMajor) (sprintf "Expected a 3 × 3 matrix as 9 row-major entries, got %d entries" rowMajor.Length)

        let m = rowMajor

        mesh
        |> mapVertices (fun v ->
            Vector3(m[0] * v.X + m[1] * v.Y + m[2] * v.Z, m[3] * v.X + m[4] * v.Y + m[5] * v.Z, m[6] * v.X + m[7] * v.Y + m[8] * v.Z))
