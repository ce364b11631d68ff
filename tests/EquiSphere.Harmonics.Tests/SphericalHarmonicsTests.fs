module SphericalHarmonicsTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit

let private closeC (what: string) (tol: float) (e: Complex) (a: Complex) =
    closeTo what tol [| e.Real; e.Imaginary |] [| a.Real; a.Imaginary |]

[<Fact>]
let ``Y_2^1 is the pinned closed form`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let theta, phi = Math.PI * rng.NextDouble(), 2.0 * Math.PI * rng.NextDouble()
        let r = -0.5 * sqrt (15.0 / (2.0 * Math.PI)) * sin theta * cos theta
        closeC "Y_2^1" 1e-14 (Complex.FromPolarCoordinates(1.0, phi) * r) (SphericalHarmonics.complex 2 1 theta phi))

[<Fact>]
let ``complex harmonics agree with the explicit legendre formula`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 11)
        let m = rng.Next(-l, l + 1)
        let theta, phi = Math.PI * rng.NextDouble(), 2.0 * Math.PI * rng.NextDouble()
        let am = abs m
        let lam = LegendreTests.naiveLegendre l am theta
        let lam = if m < 0 && am % 2 = 1 then -lam else lam
        closeC "Y" 1e-12 (lam * Complex.FromPolarCoordinates(1.0, float m * phi)) (SphericalHarmonics.complex l m theta phi))

[<Fact>]
let ``negative orders are conjugates with the Condon-Shortley sign`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 30)
        let m = rng.Next(0, l + 1)
        let theta, phi = Math.PI * rng.NextDouble(), 2.0 * Math.PI * rng.NextDouble()
        let sign = if m % 2 = 0 then 1.0 else -1.0
        let y = SphericalHarmonics.complex l m theta phi
        closeC "Y_l^-m" 1e-14 (sign * Complex.Conjugate y) (SphericalHarmonics.complex l -m theta phi))

/// Σ_{j,k} w_j Y_a conj Y_b over the DH grid of bandwidth b: exact for degrees below b.
let private gram (b: int) (eval: int -> int -> float -> float -> Complex) =
    let th = Grid.colatitudes b
    let ph = Grid.longitudes b
    let w = Grid.quadratureWeights b
    let n = 2 * b

    let values =
        Array.init (b * b) (fun i ->
            let l, m = SphericalHarmonics.degreeOrder i
            Array.init (n * n) (fun jk -> eval l m th[jk / n] ph[jk % n]))

    Array.init (b * b) (fun p ->
        Array.init (b * b) (fun q ->
            let mutable s = Complex.Zero

            for jk in 0 .. n * n - 1 do
                s <- s + w[jk / n] * values[p][jk] * Complex.Conjugate(values[q][jk])

            s))

[<Fact>]
let ``complex harmonics are orthonormal under the grid quadrature`` () =
    let b = 7
    let g = gram b SphericalHarmonics.complex

    for p in 0 .. b * b - 1 do
        for q in 0 .. b * b - 1 do
            closeC (sprintf "<%d,%d>" p q) 1e-13 (if p = q then Complex.One else Complex.Zero) (g[p][q])

[<Fact>]
let ``real harmonics are orthonormal under the grid quadrature`` () =
    let b = 7
    let g = gram b (fun l m t p -> Complex(SphericalHarmonics.real l m t p, 0.0))

    for p in 0 .. b * b - 1 do
        for q in 0 .. b * b - 1 do
            closeC (sprintf "<%d,%d>" p q) 1e-13 (if p = q then Complex.One else Complex.Zero) (g[p][q])

[<Fact>]
let ``real harmonics are the standard combinations of complex ones`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(1, 20)
        let m = rng.Next(1, l + 1)
        let theta, phi = Math.PI * rng.NextDouble(), 2.0 * Math.PI * rng.NextDouble()
        let y = SphericalHarmonics.complex l m theta phi
        let sign = if m % 2 = 0 then 1.0 else -1.0
        close "Y_lm" 1e-14 (sqrt 2.0 * sign * y.Real) (SphericalHarmonics.real l m theta phi)
        close "Y_l,-m" 1e-14 (sqrt 2.0 * sign * y.Imaginary) (SphericalHarmonics.real l -m theta phi)
        close "Y_l0" 1e-14 (SphericalHarmonics.complex l 0 theta phi).Real (SphericalHarmonics.real l 0 theta phi))

[<Fact>]
let ``real and complex coefficients describe the same function`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 8)
        let a = Bandlimited.realCoefficients rng b
        let r = SphericalHarmonics.toRealCoefficients a
        let theta, phi = Math.PI * rng.NextDouble(), 2.0 * Math.PI * rng.NextDouble()
        let mutable viaReal = 0.0

        for i in 0 .. b * b - 1 do
            let l, m = SphericalHarmonics.degreeOrder i
            viaReal <- viaReal + r[i] * SphericalHarmonics.real l m theta phi

        close "sum r Y_real = sum a Y" 1e-12 (Bandlimited.naiveEval b a theta phi).Real viaReal
        closeTo "ofReal after toReal" 1e-14 (Bandlimited.flatten a) (Bandlimited.flatten (SphericalHarmonics.ofRealCoefficients r)))

[<Fact>]
let ``degreeOrder inverts index`` () =
    for l in 0..200 do
        for m in -l .. l do
            Assert.Equal((l, m), SphericalHarmonics.degreeOrder (SphericalHarmonics.index l m))

[<Fact>]
let ``coefficient conversions reject non-square lengths`` () =
    throwsWith<ArgumentException> [ "coeffs"; "5" ] (fun () -> SphericalHarmonics.toRealCoefficients (Array.zeroCreate 5) |> ignore)
    throwsWith<ArgumentException> [ "coeffs"; "0" ] (fun () -> SphericalHarmonics.ofRealCoefficients [||] |> ignore)
    throwsWith<ArgumentException> [ "l" ] (fun () -> SphericalHarmonics.complex 1 2 0.1 0.2 |> ignore)
