module LegendreTests

open System
open Xunit
open EquiSphere.Harmonics
open TestKit

/// λ_l^m(θ) from the explicit Legendre polynomial: P_l(x) = 2^{−l} Σ_k (−1)^k C(l,k) C(2l−2k, l) x^{l−2k},
/// P_l^m = (−1)^m (1 − x²)^{m/2} d^m P_l / dx^m, times √((2l+1)/(4π) (l−m)!/(l+m)!). Slow oracle for small l.
let naiveLegendre (l: int) (m: int) (theta: float) =
    let fact n =
        Seq.fold (fun acc k -> acc * float k) 1.0 (seq { 1..n })

    let choose n k = fact n / (fact k * fact (n - k))
    // coefficients of P_l by power of x
    let poly = Array.zeroCreate (l + 1)

    for k in 0 .. l / 2 do
        let sign = if k % 2 = 0 then 1.0 else -1.0
        poly[l - 2 * k] <- sign * choose l k * choose (2 * l - 2 * k) l / (2.0 ** float l)

    let x = cos theta
    let mutable d = 0.0

    for p in m..l do
        // d^m/dx^m x^p = p!/(p−m)! x^{p−m}
        d <- d + poly[p] * fact p / fact (p - m) * x ** float (p - m)

    let sign = if m % 2 = 0 then 1.0 else -1.0
    let norm = sqrt (float (2 * l + 1) / (4.0 * Math.PI) * fact (l - m) / fact (l + m))
    norm * sign * (sin theta ** float m) * d

[<Fact>]
let ``legendre values agree with the explicit polynomial for small degrees`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 13)
        let m = rng.Next(0, l + 1)
        let theta = Math.PI * rng.NextDouble()
        close (sprintf "lambda_%d^%d(%g)" l m theta) 1e-12 (naiveLegendre l m theta) (Legendre.value l m theta))

[<Fact>]
let ``all values agree with single values`` () =
    let theta = 1.1
    let table = Legendre.all 20 theta

    for l in 0..20 do
        for m in 0..l do
            close "all" 1e-14 (Legendre.value l m theta) table[Legendre.triangularIndex l m]

[<Fact>]
let ``negative orders follow the Condon-Shortley symmetry`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let l = rng.Next(0, 40)
        let m = rng.Next(0, l + 1)
        let theta = Math.PI * rng.NextDouble()
        let sign = if m % 2 = 0 then 1.0 else -1.0
        close "lambda_l^-m" 1e-14 (sign * Legendre.value l m theta) (Legendre.value l -m theta))

[<Fact>]
let ``legendre functions have ring parity under theta to pi minus theta`` () =
    let c = Legendre.coefficients 200

    property 50 (fun (seed: int) ->
        let rng = Random seed
        let m = rng.Next(0, 201)
        let theta = Math.PI / 2.0 * rng.NextDouble()
        let north = Legendre.column c m 200 theta
        let south = Legendre.column c m 200 (Math.PI - theta)
        let expected = north |> Array.mapi (fun i v -> if i % 2 = 0 then v else -v)
        closeTo "parity" 1e-12 expected south)

/// Orthonormality ∫ λ_l^m λ_{l'}^m dΩ = δ_{ll'} with the DH quadrature (exact for l + l' < 2B): all norms and
/// random pairs, for orders up to B − 1 = 1023, including seeds that underflow double precision near the poles.
[<Fact>]
let ``legendre functions are orthonormal up to degree 1023`` () =
    let b = 1024
    let n = 2 * b
    let thetas = Grid.colatitudes b
    let weights = Grid.quadratureWeights b
    let c = Legendre.coefficients (b - 1)
    let rng = Random 7

    for m in [ 0; 1; 257; 700; 1000; 1023 ] do
        let columns = thetas |> Array.map (fun t -> Legendre.column c m (b - 1) t)
        let count = b - m

        let inner (i: int) (k: int) =
            let mutable s = 0.0

            for j in 0 .. n - 1 do
                s <- s + weights[j] * float n * columns[j][i] * columns[j][k]

            s

        for i in 0 .. count - 1 do
            close (sprintf "norm l=%d m=%d" (m + i) m) 1e-11 1.0 (inner i i)

        for _ in 1..20 do
            let i, k = rng.Next count, rng.Next count

            if i <> k then
                close (sprintf "<l=%d, l'=%d> m=%d" (m + i) (m + k) m) 1e-11 0.0 (inner i k)

[<Fact>]
let ``legendre rejects invalid degrees and orders`` () =
    throwsWith<ArgumentException> [ "l"; "-1" ] (fun () -> Legendre.value -1 0 0.5 |> ignore)
    throwsWith<ArgumentException> [ "m"; "3" ] (fun () -> Legendre.value 2 3 0.5 |> ignore)
    throwsWith<ArgumentException> [ "lmax" ] (fun () -> Legendre.column (Legendre.coefficients 4) 0 5 0.5 |> ignore)
    throwsWith<ArgumentException> [ "theta" ] (fun () -> Legendre.value 2 1 nan |> ignore)
