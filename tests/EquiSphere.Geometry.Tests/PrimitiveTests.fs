module PrimitiveTests

open System
open System.Numerics
open Xunit
open EquiSphere.Geometry
open TestKit

/// The signed volume enclosed by a closed mesh (divergence theorem over origin tetrahedra): positive iff the faces
/// are wound outward.
let signedVolume (m: Mesh) =
    m.Faces
    |> Array.sumBy (fun f ->
        let a, b, c = m.Vertices[f.A], m.Vertices[f.B], m.Vertices[f.C]
        float (Vector3.Dot(a, Vector3.Cross(b, c))) / 6.0)

let private valid (m: Mesh) = Mesh.create m.Vertices m.Faces

[<Fact>]
let ``signed volume of a box equals its analytic volume`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let r () = float32 (rng.NextDouble())
        let lo = Vector3(r () - 1.0f, r () - 1.0f, r () - 1.0f)
        let size = Vector3(r () + 0.1f, r () + 0.1f, r () + 0.1f)
        close "box volume" 1e-5 (float size.X * float size.Y * float size.Z) (signedVolume (valid (Primitive.box lo (lo + size)))))

[<Fact>]
let ``signed volume of a cylinder equals the volume of its polygonal prism`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let n = 3 + rng.Next 30
        let r = 0.1 + rng.NextDouble()

        let a =
            Vector3(float32 (rng.NextDouble()), float32 (rng.NextDouble()), float32 (rng.NextDouble()))

        let b =
            Vector3(float32 (rng.NextDouble()), float32 (rng.NextDouble()), float32 (rng.NextDouble()))
            + Vector3.UnitY

        let h = float (Vector3.Distance(a, b))
        let expected = 0.5 * float n * r * r * sin (2.0 * Math.PI / float n) * h
        close "cylinder volume" 1e-4 expected (signedVolume (valid (Primitive.cylinder n a b (float32 r)))))

[<Fact>]
let ``signed volume of a prism equals profile area times length`` () =
    let profile = [| Vector2(0.0f, 0.0f); Vector2(1.0f, 0.0f); Vector2(0.5f, 0.8f) |]
    close "wedge volume" 1e-5 (0.4 * 2.0) (signedVolume (valid (Primitive.prismX profile -1.0f 1.0f)))

[<Fact>]
let ``ellipsoid is outward wound and close to the analytic volume`` () =
    let m =
        valid (Primitive.ellipsoid 64 (Vector3(0.3f, -0.2f, 0.1f)) (Vector3(0.5f, 0.3f, 0.2f)))

    let exact = 4.0 / 3.0 * Math.PI * 0.5 * 0.3 * 0.2
    // A polyhedral approximation with 64 segments: inscribed, so slightly smaller; within 1 %.
    let v = signedVolume m
    Assert.InRange(v, 0.98 * exact, exact)

[<Fact>]
let ``subdivide preserves area and multiplies faces by four per level`` () =
    property 10 (fun (seed: int) ->
        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let s = Primitive.subdivide 2 m
        Assert.Equal(16 * m.Faces.Length, s.Faces.Length)
        close "area" 1e-4 (Mesh.area m) (Mesh.area s))

[<Fact>]
let ``merge keeps every part`` () =
    let a = Primitive.box Vector3.Zero Vector3.One
    let b = Primitive.box (Vector3(2.0f)) (Vector3(3.0f))
    let m = Primitive.merge [ a; b ]
    Assert.Equal(a.Faces.Length + b.Faces.Length, m.Faces.Length)
    close "merged volume" 1e-5 2.0 (signedVolume m)

[<Fact>]
let ``sweep names a ring of the wrong length`` () =
    throwsWith<ArgumentException> [ "ring 1"; "3 points" ] (fun () ->
        Primitive.sweep
            [
                [| Vector3.Zero; Vector3.UnitX; Vector3.UnitY |]
                [| Vector3.Zero; Vector3.UnitX |]
            ]
        |> ignore)
