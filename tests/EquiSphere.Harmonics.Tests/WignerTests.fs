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

[<Fact>]
let ``small d matrices are orthogonal to high degree`` () =
    // Every l ≤ 128 at a grid angle near the pole and one near the equator: rows have unit norm and 8 random row
    // pairs per degree are orthogonal.
    let lmax = 128
    let n = 2 * lmax + 1
    let rng = Random 1

    for beta in [ Math.PI / (4.0 * 256.0); Math.PI * 255.0 / 512.0 ] do
        Wigner.iterate lmax beta (fun l d ->
            let dot a b =
                let mutable s = 0.0

                for m in -l .. l do
                    s <- s + d[(a + lmax) * n + m + lmax] * d[(b + lmax) * n + m + lmax]

                s

            for a in -l .. l do
                close (sprintf "row %d of d^%d" a l) 1e-12 1.0 (dot a a)

            for _ in 1..8 do
                let a, b = rng.Next(-l, l + 1), rng.Next(-l, l + 1)
                close (sprintf "rows %d·%d of d^%d" a b l) 1e-12 (if a = b then 1.0 else 0.0) (dot a b))

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
