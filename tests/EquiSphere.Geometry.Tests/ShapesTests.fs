module ShapesTests

open System
open System.Numerics
open Xunit
open EquiSphere.Geometry
open TestKit

let private coords (m: Mesh) =
    m.Vertices |> Array.collect (fun v -> [| float v.X; float v.Y; float v.Z |])

[<Fact>]
let ``generate is a pure function of category seed and spread`` () =
    property 20 (fun (seed: int) ->
        let c = Shapes.all[abs (seed % 6)]
        let spread = float (abs (seed % 5)) / 4.0
        let a, b = Shapes.generate c seed spread, Shapes.generate c seed spread
        Assert.Equal<Face>(a.Faces, b.Faces)
        closeTo "vertices" 0.0 (coords a) (coords b))

[<Fact>]
let ``spread zero gives every seed the category template`` () =
    for c in Shapes.all do
        closeTo (Shapes.name c) 0.0 (coords (Shapes.generate c 1 0.0)) (coords (Shapes.generate c 12345 0.0))

[<Fact>]
let ``spread one gives different seeds different instances`` () =
    for c in Shapes.all do
        let a, b = Shapes.generate c 1 1.0, Shapes.generate c 2 1.0

        let same =
            a.Vertices.Length = b.Vertices.Length
            && Array.forall2 (fun (x: Vector3) y -> Vector3.Distance(x, y) < 1e-3f) a.Vertices b.Vertices

        Assert.False(same, sprintf "%s: seeds 1 and 2 gave the same mesh" (Shapes.name c))

[<Fact>]
let ``instances are valid centered and fill the unit ball`` () =
    property 12 (fun (seed: int) ->
        for c in Shapes.all do
            let m = Shapes.generate c seed 1.0
            let again = Mesh.create m.Vertices m.Faces
            Assert.Equal(m.Faces.Length, again.Faces.Length)
            let lo, hi = Mesh.bounds m
            let center = (lo + hi) / 2.0f
            Assert.True(center.Length() < 1e-5f, sprintf "%s: bounding box center %A" (Shapes.name c) center)
            close "farthest vertex" 1e-5 1.0 (m.Vertices |> Array.map (fun v -> float (v.Length())) |> Array.max))

[<Fact>]
let ``canonical frame is y up with the front toward plus z`` () =
    // Chairs: the backrest is at −z, so the upper half of the mesh lies mostly behind the center.
    let chair = Shapes.generate Chair 3 0.5
    let upper = chair.Vertices |> Array.filter (fun v -> v.Y > 0.3f)
    Assert.True((upper |> Array.averageBy (fun v -> v.Z)) < 0.0f, "the chair's backrest should be at −z")
    // Cars: the hood slopes down toward +z, so the top of the body is lower at the front than at the back.
    let car = Shapes.generate Car 3 0.5

    let front =
        car.Vertices
        |> Array.filter (fun v -> v.Z > 0.7f)
        |> Array.map (fun v -> v.Y)
        |> Array.max

    let back =
        car.Vertices
        |> Array.filter (fun v -> v.Z < -0.7f)
        |> Array.map (fun v -> v.Y)
        |> Array.max

    Assert.True(front < back, sprintf "the car's front (%g) should be lower than its back with the spoiler (%g)" front back)

[<Fact>]
let ``parse names every category and rejects unknown names`` () =
    for c in Shapes.all do
        Assert.Equal(c, Shapes.parse ((Shapes.name c).ToUpperInvariant()))
        Assert.Equal(Array.IndexOf(Shapes.all, c), Shapes.label c)

    throwsWith<ArgumentException> [ "airplane, car, chair, sofa, table, lamp"; "'boat'" ] (fun () -> Shapes.parse "boat" |> ignore)
    throwsWith<ArgumentException> [ "spread in [0, 1]"; "1.5" ] (fun () -> Shapes.generate Chair 0 1.5 |> ignore)
