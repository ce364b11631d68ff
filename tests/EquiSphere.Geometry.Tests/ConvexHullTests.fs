module ConvexHullTests

open System
open System.Numerics
open Xunit
open EquiSphere.Geometry
open TestKit

let private closedAndEuler (h: Mesh) =
    let edges =
        h.Faces |> Array.collect (fun f -> [| (f.A, f.B); (f.B, f.C); (f.C, f.A) |])

    let set = Collections.Generic.HashSet(edges)
    Assert.Equal(edges.Length, set.Count)

    for a, b in edges do
        Assert.True(set.Contains((b, a)), sprintf "edge (%d, %d) has no reverse: the hull is not closed" a b)

    // Euler's formula for a sphere: V − E + F = 2, with E = 3F/2 undirected edges.
    let used = h.Faces |> Array.collect (fun f -> [| f.A; f.B; f.C |]) |> Array.distinct
    Assert.Equal(2, used.Length - edges.Length / 2 + h.Faces.Length)

[<Fact>]
let ``hull contains every input point and its vertices are input points`` () =
    property 25 (fun (seed: int) ->
        let rng = Random seed
        let r () = float32 (rng.NextDouble() * 2.0 - 1.0)
        let pts = Array.init (4 + rng.Next 300) (fun _ -> Vector3(r (), r (), r ()))
        let h = ConvexHull.build pts
        let normals = Mesh.faceNormals h

        for i in 0 .. h.Faces.Length - 1 do
            let a = h.Vertices[h.Faces[i].A]

            for p in pts do
                let height = Vector3.Dot(normals[i], p - a)
                Assert.True(height < 1e-5f, sprintf "point %A is %g above hull face %d" p height i)

        for v in h.Vertices do
            Assert.Contains(v, pts)

        closedAndEuler h)

[<Fact>]
let ``hull of a cube with interior points is the cube`` () =
    let rng = Random 3

    let corners =
        [|
            for i in 0..7 -> Vector3(float32 (i &&& 1), float32 ((i >>> 1) &&& 1), float32 ((i >>> 2) &&& 1))
        |]

    let inner =
        Array.init 200 (fun _ -> Vector3(float32 (rng.NextDouble()), float32 (rng.NextDouble()), float32 (rng.NextDouble())))

    let h = ConvexHull.build (Array.append inner corners)
    Assert.Equal(8, h.Vertices.Length)
    Assert.Equal(12, h.Faces.Length)
    close "area" 1e-6 6.0 (Mesh.area h)
    closedAndEuler h

[<Fact>]
let ``coplanar points are rejected`` () =
    throwsWith<ArgumentException> [ "coplanar" ] (fun () ->
        ConvexHull.build [| Vector3.Zero; Vector3.UnitX; Vector3.UnitY; Vector3(1.0f, 1.0f, 0.0f) |]
        |> ignore)

    throwsWith<ArgumentException> [ "at least 4 points"; "got 3" ] (fun () ->
        ConvexHull.build [| Vector3.Zero; Vector3.UnitX; Vector3.UnitY |] |> ignore)
