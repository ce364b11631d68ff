module ConvolutionTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit
open Bandlimited

/// Rotation about z by s grid steps (α = 2πs/(2B)) is an exact shift of samples: (Λ f)(θ, φ) = f(θ, φ − α).
let private rotateZ (s: int) (f: float[,]) =
    let n = Array2D.length2 f
    Array2D.init (Array2D.length1 f) n (fun j k -> f[j, ((k - s) % n + n) % n])

let private randomFilter (rng: Random) (b: int) =
    Array.init b (fun _ -> rng.NextDouble() - 0.5)

[<Fact>]
let ``convolution commutes with rotations about z`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(2, 33)
        let plan = Sht.plan b
        let f = Sht.inverse plan (realCoefficients rng b)
        let h = randomFilter rng b
        let s = rng.Next(0, 2 * b)
        let lhs = Convolution.convolve plan h (rotateZ s f)
        let rhs = rotateZ s (Convolution.convolve plan h f)
        closeTo (sprintf "B=%d shift %d" b s) 1e-12 (flat rhs) (flat lhs))

/// The direct oracle: (f ⋆ h)(x) = 2π ∫ f(y) h(angle(x, y)) dy with h(t) = Σ_l h_l^0 Y_l^0(t), by the grid
/// quadrature (exact: the integrand is band-limited to degree 2B − 2).
[<Fact>]
let ``convolution matches the direct spatial integral`` () =
    property 5 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 7)
        let plan = Sht.plan b
        let n = 2 * b
        let f = Sht.inverse plan (realCoefficients rng b)
        let h = randomFilter rng b
        let w = Grid.quadratureWeights b

        let zonal (t: float) =
            Seq.sum (seq { for l in 0 .. b - 1 -> h[l] * (SphericalHarmonics.complex l 0 t 0.0).Real })

        let direct =
            Array2D.init n n (fun j k ->
                let x, y, z = Grid.point b j k
                let mutable s = 0.0

                for jj in 0 .. n - 1 do
                    for kk in 0 .. n - 1 do
                        let x2, y2, z2 = Grid.point b jj kk
                        let c = max -1.0 (min 1.0 (x * x2 + y * y2 + z * z2))
                        s <- s + w[jj] * f[jj, kk] * zonal (acos c)

                2.0 * Math.PI * s)

        closeTo (sprintf "B=%d" b) 1e-11 (flat direct) (flat (Convolution.convolve plan h f)))

[<Fact>]
let ``multi-channel convolution sums single-channel convolutions`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 17)
        let cin, cout = rng.Next(1, 4), rng.Next(1, 4)
        let plan = Sht.plan b
        let signals = Array.init cin (fun _ -> Sht.inverse plan (realCoefficients rng b))
        let weights = Array.init (cout * cin * b) (fun _ -> rng.NextDouble() - 0.5)
        let outs = Convolution.convolveMulti plan cout weights signals

        for o in 0 .. cout - 1 do
            let expected = Array2D.zeroCreate (2 * b) (2 * b)

            for i in 0 .. cin - 1 do
                let single =
                    Convolution.convolve plan weights[(o * cin + i) * b .. (o * cin + i + 1) * b - 1] signals[i]

                Array2D.iteri (fun j k v -> expected[j, k] <- expected[j, k] + v) single

            closeTo (sprintf "out %d" o) 1e-12 (flat expected) (flat outs[o])

        let batch =
            Convolution.convolveBatch32 plan cin cout (Array.map float32 weights) (signals |> Array.collect (flat >> Array.map float32))

        let err = relativeL2 (outs |> Array.collect flat) (Array.map float batch)

        if err > 1e-5 then
            failwithf "convolveBatch32 relative L2 %.3e" err)

[<Fact>]
let ``anchor interpolation is exact at anchors and linear between`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let p = rng.Next(2, 9)
        // B − 1 a multiple of P − 1 puts every anchor on an integer degree.
        let b = (p - 1) * rng.Next(1, 6) + 1
        let anchors = Array.init p (fun _ -> rng.NextDouble() - 0.5)
        let h = Convolution.interpolateAnchors b anchors
        let step = (b - 1) / (p - 1)

        for i in 0 .. p - 1 do
            close "at anchor" 1e-15 anchors[i] h[i * step]

        for l in 0 .. b - 2 do
            // Second differences vanish inside each segment.
            if l > 0 && l % step <> 0 then
                close "linear" 1e-14 0.0 (h[l - 1] - 2.0 * h[l] + h[l + 1]))

[<Fact>]
let ``a single anchor gives a constant filter`` () =
    Assert.Equal<float[]>(Array.create 9 0.25, Convolution.interpolateAnchors 9 [| 0.25 |])

[<Fact>]
let ``convolution rejects wrong shapes`` () =
    let plan = Sht.plan 4

    throwsWith<ArgumentException> [ "filter"; "B = 4"; "3" ] (fun () ->
        Convolution.convolve plan [| 1.0; 2.0; 3.0 |] (Array2D.zeroCreate 8 8) |> ignore)

    throwsWith<ArgumentException> [ "weights"; "[Cout=2, Cin=1, B=4]" ] (fun () ->
        Convolution.spectralMulti 2 (Array.zeroCreate 5) [| Array.zeroCreate 16 |]
        |> ignore)

    throwsWith<ArgumentException> [ "anchors" ] (fun () -> Convolution.interpolateAnchors 4 [||] |> ignore)

    throwsWith<ArgumentException> [ "coeffs"; "16"; "9" ] (fun () ->
        Convolution.spectral (Array.zeroCreate 4) (Array.zeroCreate 9) |> ignore)
