module CorrelationTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit
open So3Signals

let private degrees (a: Rotation) (b: Rotation) = Rotation.angleBetweenDegrees a b

[<Fact>]
let ``correlation of f with a rotated copy recovers the rotation`` () =
    // Random (off-grid) rotations, multi-channel band-limited signals, B = 8..32: the refined argmax is within 0.5°.
    for b, seeds in [ 8, [ 1; 2; 3 ]; 16, [ 4; 5 ]; 32, [ 6; 7 ] ] do
        let plan = Correlation.planFor b

        for seed in seeds do
            let rng = Random seed
            let f2 = Array.init 3 (fun _ -> realCoefficients rng b)
            let r = Rotation.randomWith rng
            let f1 = Rotate.channels r f2
            let a = Correlation.alignCoefficients plan 1 Correlation.DefaultMinSeparation f1 f2
            let err = degrees r a.Rotation

            if not (err <= 0.5) then
                failwithf "B=%d seed %d: recovered %O, true %O, error %.3f°" b seed a.Rotation r err

            close "score of an exact match" 1e-6 1.0 a.Score

[<Fact>]
let ``correlation equals the direct quadrature of its definition`` () =
    // G(R) = Σ_k ∫ f1_k(x) f2_k(R⁻¹x) dx by Driscoll–Healy quadrature at bandwidth 2B (exact for the product of two
    // band-limited functions), against the spectral value, and against the grid at grid rotations.
    let rng = Random 9
    let b = 5
    let f1 = Array.init 2 (fun _ -> realCoefficients rng b)
    let f2 = Array.init 2 (fun _ -> realCoefficients rng b)
    let g = Correlation.coefficients b f1 f2
    let values = Correlation.grid (Correlation.planFor b) f1 f2
    let q = 2 * b
    let w = Grid.quadratureWeights q

    let quadrature (r: Rotation) =
        let mutable s = 0.0

        for j in 0 .. 2 * q - 1 do
            for k in 0 .. 2 * q - 1 do
                let x = Grid.point q j k
                let y = Rotation.apply (Rotation.inverse r) x

                for c in 0..1 do
                    s <- s + w[j] * (Rotate.evaluateAt f1[c] x).Real * (Rotate.evaluateAt f2[c] y).Real

        s

    for _ in 1..3 do
        let r = Rotation.randomWith rng
        close "G(R) spectral vs quadrature" 1e-11 (quadrature r) (Correlation.value b g r)

    let n = 2 * b

    for _ in 1..3 do
        let i, j, k = rng.Next n, rng.Next n, rng.Next n
        close "G on the grid vs quadrature" 1e-11 (quadrature (So3Grid.rotation b i j k)) values[(i * n + j) * n + k]

[<Fact>]
let ``peaks of a symmetric signal are its symmetry copies`` () =
    // A signal with 4-fold symmetry about z (only orders m ≡ 0 mod 4) correlates equally at R Rz(2πk/4), k = 0..3.
    let b = 12
    let rng = Random 21
    let c = realCoefficients rng b

    let sym =
        c
        |> Array.mapi (fun i v -> let l = int (sqrt (float i)) in if (i - l * l - l) % 4 = 0 then v else Complex.Zero)

    let r = Rotation.randomWith rng
    let f1 = [| Rotate.coefficients r sym |]

    let a =
        Correlation.alignCoefficients (Correlation.planFor b) 4 (20.0 * Math.PI / 180.0) f1 [| sym |]

    Assert.Equal(4, a.Peaks.Length)

    for p in a.Peaks do
        close "score of a symmetry copy" 1e-6 1.0 p.Score

        let nearest =
            [ 0..3 ]
            |> List.map (fun k -> degrees p.Rotation (r * Rotation.aboutZ (float k * Math.PI / 2.0)))
            |> List.min

        Assert.InRange(nearest, 0.0, 0.5)

[<Fact>]
let ``scores are at most one and unrelated signals score lower`` () =
    property 5 (fun (seed: int) ->
        let rng = Random seed
        let b = 8
        let f1 = Array.init 2 (fun _ -> realCoefficients rng b)
        let f2 = Array.init 2 (fun _ -> realCoefficients rng b)

        let a =
            Correlation.alignCoefficients (Correlation.planFor b) 3 Correlation.DefaultMinSeparation f1 f2

        Assert.InRange(a.Score, -1.0, 1.0 + 1e-12)
        Assert.True(a.Score < 0.9, sprintf "unrelated signals scored %g" a.Score)

        for p in a.Peaks do
            Assert.True(p.Score <= a.Score + 1e-12))

[<Fact>]
let ``align from coarse grids recovers the rotation after upsampling`` () =
    // 16 × 16 grids (b = 8) of band-limited signals, upsampled spectrally to B = 24.
    property 3 (fun (seed: int) ->
        let rng = Random seed
        let plan8 = Sht.plan 8
        let c = Array.init 4 (fun _ -> realCoefficients rng 8)
        let r = Rotation.randomWith rng
        let g2 = c |> Array.map (Sht.inverse plan8)
        let g1 = Rotate.channels r c |> Array.map (Sht.inverse plan8)

        let a =
            Correlation.align (Correlation.planFor 24) Upsampling.Spectral 1 Correlation.DefaultMinSeparation g1 g2

        Assert.InRange(degrees r a.Rotation, 0.0, 0.5))

[<Fact>]
let ``align rejects mismatched shapes with clear messages`` () =
    let plan = Correlation.planFor 8
    let ok = [| Array2D.zeroCreate 16 16 |]

    throwsWith<ArgumentException> [ "signal1[0]"; "[16; 15]" ] (fun () ->
        Correlation.align plan Upsampling.Spectral 1 0.1 [| Array2D.zeroCreate 16 15 |] ok
        |> ignore)

    throwsWith<ArgumentException> [ "signal2"; "1"; "2" ] (fun () ->
        Correlation.align plan Upsampling.Spectral 1 0.1 ok [| Array2D.zeroCreate 16 16; Array2D.zeroCreate 16 16 |]
        |> ignore)

    throwsWith<ArgumentException> [ "signal2[1]"; "[8; 8]" ] (fun () ->
        Correlation.align plan Upsampling.Spectral 1 0.1 [| ok[0]; ok[0] |] [| Array2D.zeroCreate 16 16; Array2D.zeroCreate 8 8 |]
        |> ignore)

[<Fact>]
let ``align with bicubic upsampling recovers the rotation of smooth signals`` () =
    // Smooth signals (degrees l < 4) on 16 × 16 grids, bicubic-upsampled 4× to B = 32 as in the paper. Bicubic
    // interpolation is not band-limited, so this is approximate: a loose 2° bound.
    property 3 (fun (seed: int) ->
        let rng = Random seed
        let plan8 = Sht.plan 8

        let c =
            Array.init 3 (fun _ -> Array.append (realCoefficients rng 4) (Array.zeroCreate (64 - 16)))

        let r = Rotation.randomWith rng
        let g2 = c |> Array.map (Sht.inverse plan8)
        let g1 = Rotate.channels r c |> Array.map (Sht.inverse plan8)

        let a =
            Correlation.align (Correlation.planFor 32) Upsampling.Bicubic 1 Correlation.DefaultMinSeparation g1 g2

        Assert.InRange(degrees r a.Rotation, 0.0, 2.0))

[<Fact>]
let ``rotations near the gimbal poles are recovered too`` () =
    // β ≈ 0 and β ≈ π, where Euler coordinates degenerate and the refinement falls back to the tangent space.
    let b = 12
    let rng = Random 31
    let f2 = Array.init 2 (fun _ -> realCoefficients rng b)

    for r in
        [
            Rotation.ofEulerZyz 0.7 0.004 2.1
            Rotation.ofEulerZyz 4.0 (Math.PI - 0.01) 1.0
            Rotation.identity
        ] do
        let a =
            Correlation.alignCoefficients (Correlation.planFor b) 1 Correlation.DefaultMinSeparation (Rotate.channels r f2) f2

        Assert.InRange(degrees r a.Rotation, 0.0, 0.5)

[<Fact>]
let ``refine climbs from a perturbed start to the exact rotation`` () =
    property 5 (fun (seed: int) ->
        let rng = Random seed
        let b = 10
        let f2 = Array.init 2 (fun _ -> realCoefficients rng b)
        let r = Rotation.randomWith rng
        let g = Correlation.coefficients b (Rotate.channels r f2) f2

        let start =
            r
            * Rotation.ofAxisAngle (rng.NextDouble(), rng.NextDouble(), rng.NextDouble()) 0.05

        let found, v = Correlation.refine b g 0.05 start
        Assert.InRange(degrees r found, 0.0, 0.01)
        close "G at the maximum" 1e-9 (Correlation.value b g r) v)

[<Fact>]
let ``the correlation grid is the same with and without precomputed tables`` () =
    let rng = Random 17
    let b = 9
    let f1 = Array.init 2 (fun _ -> realCoefficients rng b)
    let f2 = Array.init 2 (fun _ -> realCoefficients rng 6)
    let a = Correlation.grid (So3Fft.planWith true b) f1 f2
    let c = Correlation.grid (So3Fft.planWith false b) f1 f2
    closeTo "G" 1e-12 a c
    // The grid of real signals equals the real part of the general complex inverse.
    let full = So3Fft.inverse (So3Fft.plan b) (Correlation.coefficients b f1 f2)
    closeTo "G = Re inverse" 1e-12 (full |> Array.map (fun z -> z.Real)) a

[<Fact>]
let ``the correlation grid equals the real part of the complex inverse at power-of-two bandwidths`` () =
    // 2B a power of two takes the column-batched radix-2 path of the real-output inverse.
    let rng = Random 23

    for b in [ 8; 16 ] do
        let f1 = Array.init 2 (fun _ -> realCoefficients rng b)
        let f2 = Array.init 2 (fun _ -> realCoefficients rng (b / 2 + 1))
        let a = Correlation.grid (So3Fft.plan b) f1 f2

        let full =
            So3Fft.inverse (So3Fft.planWith true b) (Correlation.coefficients b f1 f2)

        closeTo (sprintf "G = Re inverse at B=%d" b) 1e-12 (full |> Array.map (fun z -> z.Real)) a
