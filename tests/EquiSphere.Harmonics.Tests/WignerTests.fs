module WignerTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit

/// Wigner's explicit sum, the slow oracle for small l.
let private wignerFormula (j: int) (mp: int) (m: int) (beta: float) =
    let fact n =
        Seq.fold (fun acc k -> acc * float k) 1.0 (seq { 1..n })

    let c, s = cos (beta / 2.0), sin (beta / 2.0)
    let pre = sqrt (fact (j + mp) * fact (j - mp) * fact (j + m) * fact (j - m))
    let mutable sum = 0.0

    for k in 0 .. 2 * j do
        if j + m - k >= 0 && mp - m + k >= 0 && j - mp - k >= 0 then
            let sign = if (mp - m + k) % 2 = 0 then 1.0 else -1.0

            sum <-
                sum
                + sign * pre / (fact (j + m - k) * fact k * fact (mp - m + k) * fact (j - mp - k))
                  * c ** float (2 * j + m - mp - 2 * k)
                  * s ** float (mp - m + 2 * k)

    sum

[<Fact>]
let ``d^1_10 is minus sin beta over sqrt 2`` () =
    for beta in [ 0.0; 0.3; 1.2; Math.PI / 2.0; 2.9; Math.PI ] do
        close "d^1_10" 1e-15 (-sin beta / sqrt 2.0) (Wigner.smallD 1 1 0 beta)

[<Fact>]
let ``small d agrees with Wigner's formula`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 12)
        let mp, m = rng.Next(-l, l + 1), rng.Next(-l, l + 1)
        let beta = Math.PI * rng.NextDouble()
        close (sprintf "d^%d_%d,%d(%g)" l mp m beta) 1e-12 (wignerFormula l mp m beta) (Wigner.smallD l mp m beta))

[<Fact>]
let ``iterate agrees with single values`` () =
    let beta = 0.77

    Wigner.iterate 10 beta (fun l d ->
        for mp in -l .. l do
            for m in -l .. l do
                close "iterate" 1e-13 (Wigner.smallD l mp m beta) d[(mp + 10) * 21 + m + 10])

/// The worst |row_a · row_b − δ_ab| over all row norms and `pairs` random row pairs of every d^l, l ≤ lmax, at β.
let private orthogonalityError (lmax: int) (pairs: int) (seed: int) (beta: float) =
    let n = 2 * lmax + 1
    let rng = Random seed
    let mutable worst = 0.0, 0, 0, 0

    Wigner.iterate lmax beta (fun l d ->
        let dot a b =
            let ra, rb = (a + lmax) * n + lmax, (b + lmax) * n + lmax
            let mutable s = 0.0

            for m in -l .. l do
                s <- s + d[ra + m] * d[rb + m]

            s

        let record a b =
            let e = abs (dot a b - (if a = b then 1.0 else 0.0))
            let w, _, _, _ = worst

            if e > w || Double.IsNaN e then
                worst <- e, l, a, b

        for a in -l .. l do
            record a a

        for _ in 1..pairs do
            record (rng.Next(-l, l + 1)) (rng.Next(-l, l + 1)))

    worst

[<Fact>]
let ``small d matrices are orthogonal for every degree up to 1024`` () =
    // Every l ≤ 1024 at the B = 1024 grid angle nearest the pole and one next to the equator: all rows have unit norm
    // and 8 random row pairs per degree are orthogonal, to the 1e-12 of the issue.
    let b = 1024

    let betas =
        [| Math.PI / float (4 * b); Math.PI * float (2 * (b - 1) + 1) / float (4 * b) |]

    let results =
        betas
        |> Array.Parallel.mapi (fun i beta -> orthogonalityError 1024 8 (17 + i) beta)

    for beta, (e, l, a, b) in Array.zip betas results do
        if not (e <= 1e-12) then
            failwithf "d^%d(%g): |row %d · row %d − δ| = %.3e > 1e-12" l beta a b e

[<Fact>]
let ``small d matrices are orthogonal at arbitrary angles including outside 0..pi`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let beta = (rng.NextDouble() - 0.5) * 6.0 * Math.PI
        let e, l, a, b = orthogonalityError 40 4 seed beta
        close (sprintf "d^%d(%g) rows %d·%d" l beta a b) 1e-13 0.0 e)

[<Fact>]
let ``small d obeys its index symmetries`` () =
    // d^l_{m'm} = (−1)^{m'−m} d^l_{mm'} = d^l_{−m,−m'}, on matrices from the recursion and on single values.
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 40)
        let beta = Math.PI * rng.NextDouble()
        let d = Wigner.smallDMatrix l beta

        for mp in -l .. l do
            for m in -l .. l do
                let v = d[mp + l, m + l]
                let sign = if (mp - m) % 2 = 0 then 1.0 else -1.0
                close "d_{m'm} = (−1)^{m'−m} d_{mm'}" 1e-14 v (sign * d[m + l, mp + l])
                close "d_{m'm} = d_{−m,−m'}" 1e-14 v d[-m + l, -mp + l]

        let mp, m = rng.Next(-l, l + 1), rng.Next(-l, l + 1)
        let sign = if (mp - m) % 2 = 0 then 1.0 else -1.0
        close "single value symmetry" 1e-13 (Wigner.smallD l mp m beta) (sign * Wigner.smallD l m mp beta)
        close "matrix entry = single value" 1e-13 (Wigner.smallD l mp m beta) d[mp + l, m + l])

[<Fact>]
let ``small d at angles outside 0..pi agrees with Wigner's formula`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 10)
        let mp, m = rng.Next(-l, l + 1), rng.Next(-l, l + 1)
        let beta = (rng.NextDouble() - 0.5) * 8.0 * Math.PI
        close (sprintf "d^%d_%d,%d(%g)" l mp m beta) 1e-12 (wignerFormula l mp m beta) (Wigner.smallD l mp m beta)
        let d = Wigner.smallDMatrix l beta
        close "matrix" 1e-12 (wignerFormula l mp m beta) d[mp + l, m + l])

let private complexParts (a: Complex[,]) =
    [|
        for v in Seq.cast<Complex> a do
            yield v.Real
            yield v.Imaginary
    |]

[<Fact>]
let ``wigner D is unitary and D of the inverse is the adjoint`` () =
    property 50 (fun (seed: int) ->
        let r = Rotation.random seed
        let l = abs (seed % 12)
        let d = Wigner.bigDOfRotation l r
        let dInv = Wigner.bigDOfRotation l (Rotation.inverse r)
        let n = 2 * l + 1
        let adjoint = Array2D.init n n (fun i j -> Complex.Conjugate d[j, i])
        closeTo "D(R⁻¹) = D(R)ᴴ" 1e-12 (complexParts adjoint) (complexParts dInv)

        let product =
            Array2D.init n n (fun i j -> Seq.fold (fun acc k -> acc + d[i, k] * adjoint[k, j]) Complex.Zero (seq { 0 .. n - 1 }))

        let identity =
            Array2D.init n n (fun i j -> if i = j then Complex.One else Complex.Zero)

        closeTo "D Dᴴ = I" 1e-12 (complexParts identity) (complexParts product))

[<Fact>]
let ``wigner D is a homomorphism`` () =
    property 50 (fun (s1: int, s2: int) ->
        let r1, r2 = Rotation.random s1, Rotation.random s2
        let l = abs (s1 % 6)

        let d1, d2, d12 =
            Wigner.bigDOfRotation l r1, Wigner.bigDOfRotation l r2, Wigner.bigDOfRotation l (r1 * r2)

        let n = 2 * l + 1

        for i in 0 .. n - 1 do
            for j in 0 .. n - 1 do
                let mutable p = Complex.Zero

                for k in 0 .. n - 1 do
                    p <- p + d1[i, k] * d2[k, j]

                closeTo "D(R1 R2) = D(R1) D(R2)" 1e-12 [| d12[i, j].Real; d12[i, j].Imaginary |] [| p.Real; p.Imaginary |])
