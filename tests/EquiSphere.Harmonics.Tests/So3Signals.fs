/// Generators of band-limited test signals in the spectral domain (so rotations are exact) and slow oracles.
module So3Signals

open System
open System.Numerics
open EquiSphere.Harmonics

/// Random coefficients of a real band-limited signal (f_l^{−m} = (−1)^m conj f_l^m), packed at l² + l + m.
let realCoefficients (rng: Random) (b: int) =
    let c = Array.zeroCreate (b * b)

    for l in 0 .. b - 1 do
        c[l * l + l] <- Complex(rng.NextDouble() * 2.0 - 1.0, 0.0)

        for m in 1..l do
            let v = Complex(rng.NextDouble() * 2.0 - 1.0, rng.NextDouble() * 2.0 - 1.0)
            c[l * l + l + m] <- v
            c[l * l + l - m] <- (if m % 2 = 0 then 1.0 else -1.0) * Complex.Conjugate v

    c

/// Y_l^m(θ, φ) from the normalized Legendre function (the oracle for harmonics at arbitrary points).
let harmonic (l: int) (m: int) (theta: float) (phi: float) =
    Complex.FromPolarCoordinates(1.0, float m * phi) * Legendre.value l m theta

/// Σ_l Σ_m f_l^m Y_l^m(x), term by term.
let naiveValue (c: Complex[]) (x: float * float * float) =
    let b = int (round (sqrt (float c.Length)))
    let theta, phi = Grid.toSpherical x
    let mutable s = Complex.Zero

    for l in 0 .. b - 1 do
        for m in -l .. l do
            s <- s + c[l * l + l + m] * harmonic l m theta phi

    s

/// A random unit vector.
let randomPoint (rng: Random) =
    let z = rng.NextDouble() * 2.0 - 1.0
    let p = rng.NextDouble() * 2.0 * Math.PI
    let s = sqrt (1.0 - z * z)
    s * cos p, s * sin p, z

/// Real and imaginary parts, interleaved.
let parts (a: Complex[]) =
    [|
        for v in a do
            yield v.Real
            yield v.Imaginary
    |]
