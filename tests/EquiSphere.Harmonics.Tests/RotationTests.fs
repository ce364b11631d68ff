module RotationTests

open System
open Xunit
open EquiSphere.Harmonics
open TestKit

let private elems (r: Rotation) = [| for i in 0..8 -> r[i / 3, i % 3] |]

[<Fact>]
let ``euler ZYZ round-trips through the matrix`` () =
    property 300 (fun (seed: int) ->
        let r = Rotation.random seed
        let a, b, g = Rotation.toEulerZyz r
        closeTo "R(toEuler R)" 1e-12 (elems r) (elems (Rotation.ofEulerZyz a b g)))

[<Fact>]
let ``quaternion and axis-angle round-trip`` () =
    property 300 (fun (seed: int) ->
        let r = Rotation.random seed
        closeTo "quaternion" 1e-13 (elems r) (elems (Rotation.ofQuaternion (Rotation.toQuaternion r)))
        let axis, angle = Rotation.toAxisAngle r
        closeTo "axis-angle" 1e-12 (elems r) (elems (Rotation.ofAxisAngle axis angle))
        closeTo "matrix" 1e-13 (elems r) (elems (Rotation.ofMatrix (Rotation.toMatrix r))))

[<Fact>]
let ``ZYZ convention is pinned`` () =
    let a, b, g = 0.3, 1.1, -0.7
    let r = Rotation.ofEulerZyz a b g
    // Third column of Rz(α) Ry(β) Rz(γ) is (cos α sin β, sin α sin β, cos β).
    closeTo "column 3" 1e-15 [| cos a * sin b; sin a * sin b; cos b |] [| r[0, 2]; r[1, 2]; r[2, 2] |]
    // Rz(α) maps x to (cos α, sin α, 0): counter-clockwise seen from +z.
    let x, y, z = Rotation.apply (Rotation.aboutZ a) (1.0, 0.0, 0.0)
    closeTo "Rz x" 1e-15 [| cos a; sin a; 0.0 |] [| x; y; z |]

[<Fact>]
let ``inverse composes to identity and angle is a metric`` () =
    property 200 (fun (s1: int, s2: int) ->
        let a, b = Rotation.random s1, Rotation.random s2
        closeTo "R R⁻¹" 1e-14 (elems Rotation.identity) (elems (a * Rotation.inverse a))
        close "d(a,b) = d(b,a)" 1e-12 (Rotation.angleBetween a b) (Rotation.angleBetween b a)

        close
            "d(a,b) = arccos((tr(aᵀb) − 1)/2)"
            1e-6
            (acos (
                ((Rotation.inverse a * b) |> fun m -> m[0, 0] + m[1, 1] + m[2, 2]) / 2.0 - 0.5
                |> max -1.0
                |> min 1.0
            ))
            (Rotation.angleBetween a b))

[<Fact>]
let ``axis-angle gives the stated angle`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed
        let angle = Math.PI * rng.NextDouble()

        let r =
            Rotation.ofAxisAngle (rng.NextDouble() - 0.5, rng.NextDouble() - 0.5, rng.NextDouble() + 0.1) angle

        close "angle" 1e-12 angle (Rotation.angle r))

[<Fact>]
let ``random rotations are deterministic and uniform in trace`` () =
    Assert.Equal(Rotation.random 42, Rotation.random 42)
    // Under the Haar measure, E[tr R] = 0 and E[angle] = π/2 + 2/π.
    let rng = Random 7
    let rs = Array.init 20000 (fun _ -> Rotation.randomWith rng)
    let meanTrace = rs |> Array.averageBy (fun r -> r[0, 0] + r[1, 1] + r[2, 2])
    let meanAngle = rs |> Array.averageBy Rotation.angle
    Assert.InRange(meanTrace, -0.03, 0.03)
    Assert.InRange(meanAngle, Math.PI / 2.0 + 2.0 / Math.PI - 0.02, Math.PI / 2.0 + 2.0 / Math.PI + 0.02)

[<Fact>]
let ``ofMatrix rejects a non-rotation with a clear message`` () =
    throwsWith<ArgumentException> [ "det" ] (fun () ->
        Rotation.ofMatrix (array2D [ [ 1.0; 0.0; 0.0 ]; [ 0.0; 1.0; 0.0 ]; [ 0.0; 0.0; -1.0 ] ])
        |> ignore)

    throwsWith<ArgumentException> [ "3 × 3"; "2 × 3" ] (fun () -> Rotation.ofMatrix (Array2D.zeroCreate 2 3) |> ignore)

[<Fact>]
let ``2DOF poses have no roll`` () =
    property 100 (fun (seed: int) ->
        let r = Rotation.random2DofWith -0.5 0.5 (Random seed)
        // The object's up axis (y) stays in the camera's y-z plane: it is never rolled sideways in the image.
        let x, _, _ = Rotation.apply r (0.0, 1.0, 0.0)
        Assert.InRange(x, -1e-12, 1e-12))
