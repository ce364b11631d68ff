module MeshTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open EquiSphere.Geometry
open TestKit

let private tetra =
    [|
        Vector3(0.0f, 0.0f, 0.0f)
        Vector3(1.0f, 0.0f, 0.0f)
        Vector3(0.0f, 1.0f, 0.0f)
        Vector3(0.0f, 0.0f, 1.0f)
    |],
    [|
        { A = 0; B = 2; C = 1 }
        { A = 0; B = 1; C = 3 }
        { A = 0; B = 3; C = 2 }
        { A = 1; B = 2; C = 3 }
    |]

[<Fact>]
let ``create drops degenerate faces and counts them`` () =
    let v, f = tetra

    let m, report =
        Mesh.createWithReport v (Array.append f [| { A = 1; B = 1; C = 2 } |])

    Assert.Equal(1, report.DegenerateFacesDropped)
    Assert.Equal(4, m.Faces.Length)

[<Fact>]
let ``create names a bad index and a bad vertex`` () =
    let v, f = tetra
    throwsWith<ArgumentException> [ "Face 4"; "[0, 4)" ] (fun () -> Mesh.create v (Array.append f [| { A = 0; B = 1; C = 9 } |]) |> ignore)

    throwsWith<ArgumentException> [ "Vertex 2" ] (fun () ->
        Mesh.create [| v[0]; v[1]; Vector3(nan |> float32, 0.0f, 0.0f) |] [||] |> ignore)

[<Fact>]
let ``area of the unit tetrahedron`` () =
    let v, f = tetra
    close "area" 1e-6 (1.5 + sqrt 3.0 / 2.0) (Mesh.area (Mesh.create v f))

[<Fact>]
let ``normalize puts the farthest vertex on the sphere and rotate preserves it`` () =
    property 50 (fun (seed: int) ->
        let v, f = tetra
        let m = Mesh.create v f |> Mesh.normalize AreaCentroid 1.0f
        let far = m.Vertices |> Array.map (fun p -> p.Length()) |> Array.max
        close "radius" 1e-6 1.0 (float far)
        close "centroid" 1e-6 0.0 (float ((Mesh.areaCentroid m).Length()))
        let r = Mesh.rotate (Rotation.random seed) m
        close "area kept" 1e-5 (Mesh.area m) (Mesh.area r)
        close "radius kept" 1e-5 1.0 (r.Vertices |> Array.map (fun p -> float (p.Length())) |> Array.max))
