module LawsTests

open System
open Xunit
open EquiSphere.Harmonics
open TestKit
open So3Signals

[<Fact>]
let ``equivariance error is zero for an equivariant map and large for a non-equivariant one`` () =
    let b = 8
    let plan = Sht.plan b
    let rng = Random 4
    let x = Sht.inverse plan (realCoefficients rng b)
    let rotate = Rotate.grid plan
    // Scaling by a constant and zonal smoothing commute with rotations.
    let scale (s: float[,]) = Array2D.map (fun v -> 3.0 * v) s

    let smooth (s: float[,]) =
        Sht.forward plan s
        |> Array.mapi (fun i v -> v / (1.0 + float (int (sqrt (float i)))))
        |> Sht.inverse plan

    // Multiplying by cos θ (a fixed pattern) does not: it singles out the z axis.
    let weigh (s: float[,]) =
        Array2D.mapi (fun j _ v -> v * cos (Grid.colatitudes b).[j]) s

    let r = Rotation.randomWith rng
    close "scale" 1e-12 0.0 (Laws.equivarianceError rotate scale r x)
    close "zonal smoothing" 1e-12 0.0 (Laws.worstEquivarianceError rotate smooth 3 rng x)
    Assert.True(Laws.equivarianceError rotate weigh r x > 0.1)

[<Fact>]
let ``round trip error is zero for an inverse pair and large otherwise`` () =
    let b = 6
    let plan = Sht.plan b
    let x = Sht.inverse plan (realCoefficients (Random 8) b)
    let flat (s: float[,]) = Seq.cast<float> s |> Array.ofSeq
    close "SHT" 1e-12 0.0 (Laws.roundTripError (Sht.forward plan) (Sht.inverse plan >> flat) flat x)
    Assert.True(Laws.roundTripError (Sht.forward plan) (fun c -> flat (Sht.inverse plan (Array.map (fun v -> v * 2.0) c))) flat x > 0.5)

[<Fact>]
let ``homomorphism error is zero for the rotation matrix and large for a non-representation`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let r1, r2 = Rotation.randomWith rng, Rotation.randomWith rng
        close "R ↦ R" 1e-14 0.0 (Laws.homomorphismError Rotation.toMatrix r1 r2)
        let transposed (r: Rotation) = Rotation.toMatrix (Rotation.inverse r)

        let e =
            Laws.homomorphismError transposed (Rotation.aboutX 1.0) (Rotation.aboutY 1.0)

        Assert.True(e > 0.1, sprintf "R ↦ Rᵀ gave %g" e))

[<Fact>]
let ``relative L2 measures the scaled distance`` () =
    close "‖(2,0) − (1,0)‖/‖(1,0)‖" 1e-15 1.0 (Laws.relativeL2 [| 1.0; 0.0 |] [| 2.0; 0.0 |])
    close "zero expected" 1e-15 5.0 (Laws.relativeL2 [| 0.0; 0.0 |] [| 3.0; 4.0 |])
    throwsWith<ArgumentException> [ "2"; "3" ] (fun () -> Laws.relativeL2 [| 1.0; 2.0 |] [| 1.0; 2.0; 3.0 |] |> ignore)
