/// Generators and slow oracles shared by the SHT, convolution and resampling tests: band-limited signals are
/// generated in the spectral domain, and the oracles evaluate Y_l^m pointwise (no FFT, no recurrence tables).
module Bandlimited

open System
open System.Numerics
open EquiSphere.Harmonics

/// Random complex coefficients for bandwidth b, packed at l² + l + m, entries uniform in [−½, ½]².
let coefficients (rng: Random) (b: int) =
    Array.init (b * b) (fun _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

/// Random coefficients of a real signal: a_l^{−m} = (−1)^m conj a_l^m, a_l^0 real.
let realCoefficients (rng: Random) (b: int) =
    let a = coefficients rng b

    for l in 0 .. b - 1 do
        let c = l * l + l
        a[c] <- Complex(a[c].Real, 0.0)

        for m in 1..l do
            let s = if m % 2 = 0 then 1.0 else -1.0
            a[c - m] <- s * Complex.Conjugate a[c + m]

    a

/// Σ_{l<b} Σ_m a_l^m Y_l^m(θ, φ) evaluated pointwise from `SphericalHarmonics.complex`.
let naiveEval (b: int) (a: Complex[]) (theta: float) (phi: float) =
    let mutable s = Complex.Zero

    for l in 0 .. b - 1 do
        for m in -l .. l do
            s <- s + a[l * l + l + m] * SphericalHarmonics.complex l m theta phi

    s

/// Naive synthesis on the [2B, 2B] grid of bandwidth `grid` (coefficients of bandwidth b ≤ grid).
let naiveSynthesis (grid: int) (b: int) (a: Complex[]) =
    let th = Grid.colatitudes grid
    let ph = Grid.longitudes grid
    Array2D.init (2 * grid) (2 * grid) (fun j k -> naiveEval b a th[j] ph[k])

/// Naive quadrature analysis f_l^m = Σ_{j,k} w_j f(θ_j, φ_k) conj Y_l^m(θ_j, φ_k).
let naiveAnalysis (b: int) (f: Complex[,]) =
    let th = Grid.colatitudes b
    let ph = Grid.longitudes b
    let w = Grid.quadratureWeights b

    Array.init (b * b) (fun i ->
        let l = int (sqrt (float i))
        let m = i - l * l - l
        let mutable s = Complex.Zero

        for j in 0 .. 2 * b - 1 do
            for k in 0 .. 2 * b - 1 do
                s <-
                    s
                    + w[j] * f[j, k] * Complex.Conjugate(SphericalHarmonics.complex l m th[j] ph[k])

        s)

/// Interleaved (re, im) pairs of a complex array.
let flatten (a: Complex[]) =
    a |> Array.collect (fun c -> [| c.Real; c.Imaginary |])

/// All entries of a real grid, row-major.
let flat (f: float[,]) =
    Array.init (f.Length) (fun i -> f[i / Array2D.length2 f, i % Array2D.length2 f])

/// All entries of a complex grid as interleaved (re, im), row-major.
let flatComplex (f: Complex[,]) =
    flatten (Array.init f.Length (fun i -> f[i / Array2D.length2 f, i % Array2D.length2 f]))

/// The relative L2 error ‖x − y‖ / ‖x‖.
let relativeL2 (x: float[]) (y: float[]) =
    let mutable d = 0.0
    let mutable s = 0.0

    for i in 0 .. x.Length - 1 do
        d <- d + (x[i] - y[i]) ** 2.0
        s <- s + x[i] ** 2.0

    sqrt (d / max s 1e-300)
