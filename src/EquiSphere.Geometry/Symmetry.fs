namespace EquiSphere.Geometry

open System
open System.Numerics
open EquiSphere.Harmonics

/// The outcome of `Symmetry.check`: how far the mesh's ray-cast signal is from its rotations by each candidate
/// symmetry, as relative sin θ-weighted L2 differences (0 = the rotation maps the shape onto itself).
type SymmetryReport =
    {
        /// The smallest relative difference over all candidates.
        SmallestDifference: float
        /// The candidate with the smallest difference, e.g. "180° about principal axis 2 (0.00, 1.00, 0.00)".
        Closest: string
        /// Every candidate with its relative difference.
        Differences: (string * float)[]
    }

/// A check that a shape has no rotational symmetry, so that the relative pose of two views is unique.
[<RequireQualifiedAccess>]
module Symmetry =

    /// Eigenvectors of a symmetric 3 × 3 matrix by cyclic Jacobi rotations, as the columns of the returned matrix.
    let private eigenvectors (a: float[,]) =
        let a = Array2D.copy a
        let v = Array2D.init 3 3 (fun i j -> if i = j then 1.0 else 0.0)

        for _ in 1..50 do
            for p in 0..1 do
                for q in p + 1 .. 2 do
                    if abs a[p, q] > 1e-15 * (abs a[p, p] + abs a[q, q]) + 1e-300 then
                        let theta = (a[q, q] - a[p, p]) / (2.0 * a[p, q])
                        let t = float (sign theta) / (abs theta + sqrt (theta * theta + 1.0))
                        let t = if theta = 0.0 then 1.0 else t
                        let c = 1.0 / sqrt (t * t + 1.0)
                        let s = t * c

                        for k in 0..2 do
                            let akp, akq = a[k, p], a[k, q]
                            a[k, p] <- c * akp - s * akq
                            a[k, q] <- s * akp + c * akq

                        for k in 0..2 do
                            let apk, aqk = a[p, k], a[q, k]
                            a[p, k] <- c * apk - s * aqk
                            a[q, k] <- s * apk + c * aqk

                        for k in 0..2 do
                            let vkp, vkq = v[k, p], v[k, q]
                            v[k, p] <- c * vkp - s * vkq
                            v[k, q] <- s * vkp + c * vkq

        v

    /// The principal axes of the surface (unit eigenvectors of the area-weighted second moment of the face
    /// centroids about the area centroid), as three (x, y, z) triples.
    let principalAxes (mesh: Mesh) =
        let areas = Mesh.faceAreas mesh
        let c = Mesh.areaCentroid mesh
        let m = Array2D.zeroCreate 3 3

        mesh.Faces
        |> Array.iteri (fun i f ->
            let d = (mesh.Vertices[f.A] + mesh.Vertices[f.B] + mesh.Vertices[f.C]) / 3.0f - c
            let d = [| float d.X; float d.Y; float d.Z |]

            for r in 0..2 do
                for s in 0..2 do
                    m[r, s] <- m[r, s] + float areas[i] * d[r] * d[s])

        let v = eigenvectors m
        [| for k in 0..2 -> v[0, k], v[1, k], v[2, k] |]

    /// The relative sin θ-weighted L2 difference ‖a − b‖ / ‖a‖ of two signals [C, 2B, 2B].
    let relativeDifference (bandwidth: int) (a: float32[]) (b: float32[]) =
        let n = 2 * bandwidth
        let w = Grid.quadratureWeights bandwidth
        let mutable num = 0.0
        let mutable den = 0.0

        for i in 0 .. a.Length - 1 do
            let wt = w[(i / n) % n]
            let d = float a[i] - float b[i]
            num <- num + wt * d * d
            den <- den + wt * float a[i] * float a[i]

        sqrt (num / max den 1e-300)

    /// Compares the ray-cast signal (distance, cos, sin at bandwidth `bandwidth`) of the mesh, centered on its area
    /// centroid, with the signals of its rotations by 180°, 90° and 120° about its three principal axes and about
    /// the coordinate axes x, y, z. A rotational symmetry of the shape fixes its centroid and maps principal axes
    /// to principal axes, so a symmetric shape scores near 0 for some candidate (up to grid sampling); a shape
    /// without rotational symmetry scores clearly above 0 for all.
    let check (bandwidth: int) (mesh: Mesh) : SymmetryReport =
        let options =
            { RayCastOptions.defaults with
                Bandwidth = bandwidth
            }

        let centered = Mesh.normalize AreaCentroid 1.0f mesh
        let scene = RayCast.scene options centered
        let reference = RayCast.castScene options scene

        let axes =
            [
                for k, a in Array.indexed (principalAxes centered) do
                    let x, y, z = a
                    yield sprintf "principal axis %d (%.2f, %.2f, %.2f)" k x y z, a
                yield "x", (1.0, 0.0, 0.0)
                yield "y", (0.0, 1.0, 0.0)
                yield "z", (0.0, 0.0, 1.0)
            ]

        let differences =
            [|
                for name, axis in axes do
                    for degrees in [ 180.0; 90.0; 120.0 ] do
                        let r = Rotation.ofAxisAngle axis (degrees * Math.PI / 180.0)
                        let d = relativeDifference bandwidth reference (RayCast.castRotated options r scene)
                        yield sprintf "%g° about %s" degrees name, d
            |]

        let closest, smallest = differences |> Array.minBy snd

        {
            SmallestDifference = smallest
            Closest = closest
            Differences = differences
        }
