module RotateTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit
open So3Signals

[<Fact>]
let ``spherical harmonics transform under rotation by wigner D`` () =
    // Y_l^m(R⁻¹x) = Σ_{m'} D^l_{m'm}(R) Y_l^{m'}(x), the law that defines the convention.
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 12)
        let m = rng.Next(-l, l + 1)
        let r = Rotation.randomWith rng
        let x = randomPoint rng
        let t, p = Grid.toSpherical x
        let ti, pi = Grid.toSpherical (Rotation.apply (Rotation.inverse r) x)
        let d = Wigner.bigDOfRotation l r
        let mutable s = Complex.Zero

        for mp in -l .. l do
            s <- s + d[mp + l, m + l] * harmonic l mp t p

        let lhs = harmonic l m ti pi
        closeTo (sprintf "Y_%d^%d(R⁻¹x)" l m) 1e-12 [| lhs.Real; lhs.Imaginary |] [| s.Real; s.Imaginary |])

[<Fact>]
let ``evaluate agrees with the naive sum of harmonics`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 16)
        let c = realCoefficients rng b
        let x = randomPoint rng
        let e, a = naiveValue c x, Rotate.evaluateAt c x
        closeTo "f(x)" 1e-12 [| e.Real; e.Imaginary |] [| a.Real; a.Imaginary |]
        close "imaginary part of a real signal" 1e-12 0.0 a.Imaginary)

[<Fact>]
let ``spectral rotation agrees with pointwise evaluation at the inverse-rotated point`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 16)
        let c = realCoefficients rng b
        let r = Rotation.randomWith rng
        let rotated = Rotate.coefficients r c

        for _ in 1..5 do
            let x = randomPoint rng
            let e = Rotate.evaluateAt c (Rotation.apply (Rotation.inverse r) x)
            let a = Rotate.evaluateAt rotated x
            closeTo "(Λ_R f)(x) = f(R⁻¹x)" 1e-11 [| e.Real; e.Imaginary |] [| a.Real; a.Imaginary |])

[<Fact>]
let ``rotation is a homomorphism on functions`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 14)
        let c = realCoefficients rng b
        let r1, r2 = Rotation.randomWith rng, Rotation.randomWith rng
        let twice = Rotate.coefficients r1 (Rotate.coefficients r2 c)
        let once = Rotate.coefficients (r1 * r2) c
        closeTo "Λ_R1 Λ_R2 f = Λ_(R1 R2) f" 1e-12 (parts once) (parts twice)
        closeTo "Λ_I f = f" 1e-13 (parts c) (parts (Rotate.coefficients Rotation.identity c)))

[<Fact>]
let ``rotation preserves the L2 norm`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 20)
        let c = realCoefficients rng b

        let norm (v: Complex[]) =
            v |> Array.sumBy (fun z -> z.Magnitude * z.Magnitude)

        close "‖Λ_R f‖² = ‖f‖²" 1e-12 (norm c) (norm (Rotate.coefficients (Rotation.randomWith rng) c)))

[<Fact>]
let ``grid rotation is exact on band-limited samples`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(2, 12)
        let plan = Sht.plan b
        let c = realCoefficients rng b
        let r = Rotation.randomWith rng
        let rotated = Rotate.grid plan r (Sht.inverse plan c)

        let expected =
            Array.init (4 * b * b) (fun i ->
                (Rotate.evaluateAt c (Rotation.apply (Rotation.inverse r) (Grid.point b (i / (2 * b)) (i % (2 * b))))).Real)

        closeTo "Λ_R f on the grid" 1e-11 expected (Seq.cast<float> rotated |> Array.ofSeq))

[<Fact>]
let ``multi-channel rotation equals rotating each channel`` () =
    let rng = Random 3
    let cs = Array.init 4 (fun _ -> realCoefficients rng 9)
    let r = Rotation.randomWith rng
    let all = Rotate.channels r cs

    for i in 0..3 do
        closeTo (sprintf "channel %d" i) 1e-14 (parts (Rotate.coefficients r cs[i])) (parts all[i])

[<Fact>]
let ``rotation rejects malformed coefficient vectors`` () =
    throwsWith<ArgumentException> [ "square"; "5" ] (fun () -> Rotate.coefficients Rotation.identity (Array.zeroCreate 5) |> ignore)

    throwsWith<ArgumentException> [ "coeffs[1]"; "16"; "9" ] (fun () ->
        Rotate.channels Rotation.identity [| Array.zeroCreate 16; Array.zeroCreate 9 |]
        |> ignore)

[<Fact>]
let ``convolution commutes with arbitrary rotations`` () =
    // (Λ_R f) ⋆ h = Λ_R (f ⋆ h) for zonal filters h, spectrally (exact) and on grids.
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 14)
        let f = realCoefficients rng b
        let h = Array.init b (fun _ -> rng.NextDouble() - 0.5)
        let r = Rotation.randomWith rng
        let a = Convolution.spectral h (Rotate.coefficients r f)
        let c = Rotate.coefficients r (Convolution.spectral h f)
        closeTo "(Λ_R f) ⋆ h = Λ_R (f ⋆ h)" 1e-12 (parts c) (parts a))

    let b = 8
    let plan = Sht.plan b
    let h = Array.init b (fun l -> 1.0 / float (l + 1))
    let x = Sht.inverse plan (realCoefficients (Random 2) b)

    let e =
        Laws.worstEquivarianceError (Rotate.grid plan) (Convolution.convolve plan h) 4 (Random 3) x

    close "grid convolution equivariance" 1e-12 0.0 e
