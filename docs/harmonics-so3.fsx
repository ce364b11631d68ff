// Rotate a spherical signal, then recover the rotation by SO(3) correlation.
// Run after a Release build:  dotnet fsi docs/harmonics-so3.fsx
#r "../src/EquiSphere.Harmonics/bin/Release/net10.0/EquiSphere.Harmonics.dll"

open System
open System.Numerics
open EquiSphere.Harmonics

let rng = Random 7

/// Random coefficients of a real band-limited signal (f_l^{−m} = (−1)^m conj f_l^m), packed at l² + l + m.
let realCoefficients (b: int) =
    let c = Array.zeroCreate (b * b)

    for l in 0 .. b - 1 do
        c[l * l + l] <- Complex(rng.NextDouble() - 0.5, 0.0)

        for m in 1..l do
            let v = Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5)
            c[l * l + l + m] <- v
            c[l * l + l - m] <- (if m % 2 = 0 then 1.0 else -1.0) * Complex.Conjugate v

    c

// 1. Four channels of a band-limited signal on a coarse 16 × 16 grid (b = 8), like the paper's embeddings.
let b = 8
let sht = Sht.plan b
let coefficients = Array.init 4 (fun _ -> realCoefficients b)
let signal = coefficients |> Array.map (Sht.inverse sht)

// 2. Rotate it by a random rotation R: (Λ_R f)_l = D^l(R) f_l, exact for band-limited signals.
let truth = Rotation.random 2024
let rotated = Rotate.channels truth coefficients |> Array.map (Sht.inverse sht)

// The same thing pointwise: (Λ_R f)(x) = f(R⁻¹x).
let x = Grid.point b 3 5
let viaGrid = rotated[0][3, 5]

let viaPoint =
    (Rotate.evaluateAt coefficients[0] (Rotation.apply (Rotation.inverse truth) x)).Real

printfn "Λ_R f at a grid point: %.12f (grid) vs %.12f (f(R⁻¹x))" viaGrid viaPoint

// 3. Recover R by correlation at bandwidth B = 32: G on the (2B)³ SOFT grid, argmax, Newton refinement.
let plan = Correlation.planFor 32

let alignment =
    Correlation.align plan Upsampling.Spectral 3 Correlation.DefaultMinSeparation rotated signal

let euler (r: Rotation) =
    let a, be, g = Rotation.toEulerZyz r
    sprintf "(%.3f°, %.3f°, %.3f°)" (a * 180.0 / Math.PI) (be * 180.0 / Math.PI) (g * 180.0 / Math.PI)

printfn "true rotation      %s" (euler truth)
printfn "recovered rotation %s, score %.6f" (euler alignment.Rotation) alignment.Score
printfn "error %.2e°" (Rotation.angleBetweenDegrees truth alignment.Rotation)

for p in alignment.Peaks do
    printfn "  peak %s score %.4f" (euler p.Rotation) p.Score

// 4. The SO(3) FFT directly: a band-limited function on SO(3) round-trips through its coefficients.
let so3 = So3Fft.plan 8

let f =
    Array.init (So3Fft.count 8) (fun _ -> Complex(rng.NextDouble(), rng.NextDouble()))
    |> So3Fft.inverse so3

let back = So3Fft.inverse so3 (So3Fft.forward so3 f)

printfn
    "SO(3) FFT round trip, max error %.2e"
    (Array.map2 (fun (a: Complex) (c: Complex) -> (a - c).Magnitude) f back
     |> Array.max)

// The same without allocating: split re/im arrays in, preallocated arrays out; the plan pools its scratch, so repeated
// calls (from any number of threads) reuse it.
let samplesRe, samplesIm =
    f |> Array.map (fun z -> z.Real), f |> Array.map (fun z -> z.Imaginary)

let coeffsRe, coeffsIm =
    Array.zeroCreate (So3Fft.count 8), Array.zeroCreate (So3Fft.count 8)

let againRe, againIm =
    Array.zeroCreate samplesRe.Length, Array.zeroCreate samplesRe.Length

for _ in 1..3 do
    So3Fft.forwardInto so3 samplesRe samplesIm coeffsRe coeffsIm
    So3Fft.inverseInto so3 coeffsRe coeffsIm againRe againIm

printfn
    "forwardInto/inverseInto round trip, max error %.2e"
    (Array.init samplesRe.Length (fun i -> Complex(samplesRe[i] - againRe[i], samplesIm[i] - againIm[i]).Magnitude)
     |> Array.max)

// 5. Law checkers: spectral smoothing commutes with rotations, a fixed weighting does not.
let smooth (s: float[,]) =
    Sht.forward sht s
    |> Array.mapi (fun i v -> v / (1.0 + floor (sqrt (float i)))) // the gain depends on the degree l = ⌊√i⌋ only
    |> Sht.inverse sht

let weigh (s: float[,]) =
    Array2D.mapi (fun j _ v -> v * cos (Grid.colatitudes b).[j]) s

printfn
    "equivariance error of smoothing %.1e, of cos θ weighting %.2f"
    (Laws.equivarianceError (Rotate.grid sht) smooth truth signal[0])
    (Laws.equivarianceError (Rotate.grid sht) weigh truth signal[0])
