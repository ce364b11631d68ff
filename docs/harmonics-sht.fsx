// Spherical harmonic transforms, convolution and resampling: a runnable tour.
// Run after a Release build:  dotnet build src/EquiSphere.Harmonics -c Release && dotnet fsi docs/harmonics-sht.fsx
#r "../src/EquiSphere.Harmonics/bin/Release/net10.0/EquiSphere.Harmonics.dll"

open System
open System.Numerics
open EquiSphere.Harmonics

// 1. A plan per bandwidth: B = 32 means a 64 × 64 Driscoll–Healy grid [θ, φ] and degrees l < 32.
let b = 32
let plan = Sht.plan b
printfn "plan B=%d holds %.1f MiB" plan.Bandwidth (float plan.MemoryBytes / 1048576.0)

// 2. A random band-limited real signal, made in the spectral domain: f_l^{-m} = (-1)^m conj f_l^m.
let rng = Random 1
let coeffs = Array.zeroCreate<Complex>(b * b)

for l in 0 .. b - 1 do
    coeffs[SphericalHarmonics.index l 0] <- Complex(rng.NextDouble() - 0.5, 0.0)

    for m in 1..l do
        let c = Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5) / float (l + 1)
        coeffs[SphericalHarmonics.index l m] <- c
        coeffs[SphericalHarmonics.index l -m] <- (if m % 2 = 0 then 1.0 else -1.0) * Complex.Conjugate c

// 3. Synthesis, then analysis: the round trip is exact to rounding for band-limited signals.
let signal = Sht.inverse plan coeffs
let back = Sht.forward plan signal

let roundTrip =
    Array.map2 (fun (x: Complex) (y: Complex) -> (x - y).Magnitude) coeffs back
    |> Array.max

printfn "max |f_lm - forward(inverse f)_lm| = %.2e" roundTrip

// 4. A known function: cos θ has the single coefficient f_1^0 = √(4π/3).
let thetas = Grid.colatitudes b
let cosTheta = Array2D.init (2 * b) (2 * b) (fun j _ -> cos thetas[j])
let f10 = (Sht.forward plan cosTheta).[SphericalHarmonics.index 1 0].Real
printfn "f_1^0 of cos θ = %.15f (√(4π/3) = %.15f)" f10 (sqrt (4.0 * Math.PI / 3.0))

// 5. Spherical convolution with a zonal filter given at 4 anchor degrees, linearly interpolated over l < B.
let filter = Convolution.interpolateAnchors b [| 1.0; 0.5; 0.1; 0.0 |]
let smoothed = Convolution.convolve plan filter signal

// It commutes with rotations: a rotation about z by 2π·5/(2B) is a shift by 5 longitude samples.
let shift (s: int) (f: float[,]) =
    Array2D.init (2 * b) (2 * b) (fun j k -> f[j, (k - s + 2 * b) % (2 * b)])

let commute =
    Seq.max (
        seq {
            let a = Convolution.convolve plan filter (shift 5 signal)
            let c = shift 5 smoothed

            for j in 0 .. 2 * b - 1 do
                for k in 0 .. 2 * b - 1 do
                    abs (a[j, k] - c[j, k])
        }
    )

printfn "max |conv(rotate f) - rotate(conv f)| = %.2e" commute

// 6. Batched float32 transforms over channels: [C, 2B, 2B] -> [C, B², 2] (interleaved re/im) and back.
let channels = 3

let batch =
    Array.init (channels * 4 * b * b) (fun i -> float32 signal[(i / (2 * b)) % (2 * b), i % (2 * b)])

let spectra = Sht.forwardBatch32 plan channels batch
let batchBack = Sht.inverseBatch32 plan channels spectra

let err32 =
    Array.map2 (fun (x: float32) (y: float32) -> abs (float x - float y)) batch batchBack
    |> Array.max

printfn "float32 batched round trip, max error %.2e" err32

// 7. Upsampling 4×: longitude-periodic bicubic, and exact spectral zero-padding.
let large = Sht.plan (4 * b)
let cubic = Resample.upsampleBicubic 4 signal
let spectral = Resample.upsampleSpectral plan large signal
printfn "upsampled to %d × %d (bicubic and spectral)" (Array2D.length1 cubic) (Array2D.length2 spectral)
