module ShtTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit
open Bandlimited

/// Tolerance table of the SHT (torch-harmonics style). Exact laws at float64 scale with √B-ish growth;
/// float32 Legendre sums accumulate rounding over B terms.
module private ShtTol =
    /// float64 round trips and oracles, relative L2 (the target is 1e-13 up to B = 256).
    let roundTrip64 = 1e-13
    /// float32 round trips, relative L2.
    let roundTrip32 = 2e-6
    /// float32 against float64 coefficients, relative L2.
    let batch32 = 2e-6

let private planCache = Collections.Concurrent.ConcurrentDictionary<int, ShtPlan>()
let private planOf (b: int) = planCache.GetOrAdd(b, Sht.plan)

[<Fact>]
let ``synthesis after analysis is identity on band-limited complex signals`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 65)
        let plan = planOf b
        let f = Sht.inverseComplex plan (coefficients rng b)
        let f2 = Sht.inverseComplex plan (Sht.forwardComplex plan f)
        let err = relativeL2 (flatComplex f) (flatComplex f2)

        if err > ShtTol.roundTrip64 then
            failwithf "B=%d relative L2 %.3e" b err)

[<Fact>]
let ``synthesis after analysis is identity on band-limited real signals`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 65)
        let plan = planOf b
        let f = Sht.inverse plan (realCoefficients rng b)
        let f2 = Sht.inverse plan (Sht.forward plan f)
        let err = relativeL2 (flat f) (flat f2)

        if err > ShtTol.roundTrip64 then
            failwithf "B=%d relative L2 %.3e" b err)

[<Fact>]
let ``analysis after synthesis is identity on coefficients`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 65)
        let plan = planOf b
        let a = coefficients rng b

        let err =
            relativeL2 (flatten a) (flatten (Sht.forwardComplex plan (Sht.inverseComplex plan a)))

        if err > ShtTol.roundTrip64 then
            failwithf "B=%d relative L2 %.3e" b err)

[<Fact>]
let ``repeated round trips do not drift`` () =
    let rng = Random 11
    let b = 48
    let plan = planOf b
    let f0 = Sht.inverse plan (realCoefficients rng b)
    let mutable f = f0

    for _ in 1..10 do
        f <- Sht.inverse plan (Sht.forward plan f)

    let err = relativeL2 (flat f0) (flat f)

    if err > ShtTol.roundTrip64 then
        failwithf "10 round trips: relative L2 %.3e" err

[<Fact>]
let ``synthesis after analysis is identity at bandwidth 256`` () =
    let rng = Random 256
    let b = 256
    let plan = Sht.plan b
    let a = realCoefficients rng b
    let f = Sht.inverse plan a
    let a2 = Sht.forward plan f
    let err = relativeL2 (flatten a) (flatten a2)

    if err > ShtTol.roundTrip64 then
        failwithf "B=256 relative L2 %.3e" err

[<Fact>]
let ``synthesis after analysis is identity at bandwidth 512 with recomputed legendre values`` () =
    // B = 512 exercises the fused recurrence with underflow-protected seeds near the poles (high m).
    let rng = Random 512
    let b = 512

    let plan =
        Sht.planWith
            { ShtOptions.Default with
                Tables = LegendreTables.Recomputed
            }
            b

    let a = realCoefficients rng b
    let err = relativeL2 (flatten a) (flatten (Sht.forward plan (Sht.inverse plan a)))

    if err > ShtTol.roundTrip64 then
        failwithf "B=512 relative L2 %.3e" err

[<Fact>]
let ``parseval holds for band-limited signals`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 40)
        let plan = planOf b
        let a = coefficients rng b
        let f = Sht.inverseComplex plan a
        let w = Grid.quadratureWeights b
        let mutable energy = 0.0

        for j in 0 .. 2 * b - 1 do
            for k in 0 .. 2 * b - 1 do
                energy <- energy + w[j] * (f[j, k].Magnitude ** 2.0)

        let spectral = a |> Array.sumBy (fun c -> c.Magnitude ** 2.0)
        close "sum |a|^2 = int |f|^2" 1e-12 spectral energy)

[<Fact>]
let ``cos theta has the single coefficient f_1^0 = sqrt(4 pi / 3)`` () =
    for b in [ 2; 5; 16; 33 ] do
        let th = Grid.colatitudes b
        let f = Array2D.init (2 * b) (2 * b) (fun j _ -> cos th[j])
        let expected = Array.zeroCreate (b * b)
        expected[SphericalHarmonics.index 1 0] <- Complex(sqrt (4.0 * Math.PI / 3.0), 0.0)
        closeTo (sprintf "cos theta, B=%d" b) 1e-14 (flatten expected) (flatten (Sht.forward (planOf b) f))

[<Fact>]
let ``real signals have conjugate-symmetric coefficients`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 40)
        // Arbitrary real samples, not band-limited: the symmetry holds for any real grid.
        let f = Array2D.init (2 * b) (2 * b) (fun _ _ -> rng.NextDouble() - 0.5)
        let a = Sht.forward (planOf b) f
        let ac = Sht.forwardComplex (planOf b) (Array2D.map (fun v -> Complex(v, 0.0)) f)
        closeTo "forward = forwardComplex on real data" 1e-13 (flatten ac) (flatten a)

        for l in 0 .. b - 1 do
            for m in 0..l do
                let sign = if m % 2 = 0 then 1.0 else -1.0
                let p = ac[l * l + l + m]
                let q = ac[l * l + l - m]
                closeTo "f_l^-m = (-1)^m conj f_l^m" 1e-13 [| sign * p.Real; -sign * p.Imaginary |] [| q.Real; q.Imaginary |])

[<Fact>]
let ``forward agrees with the naive quadrature oracle`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 9)

        let f =
            Array2D.init (2 * b) (2 * b) (fun _ _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

        closeTo (sprintf "B=%d" b) 1e-13 (flatten (naiveAnalysis b f)) (flatten (Sht.forwardComplex (planOf b) f)))

[<Fact>]
let ``inverse agrees with the naive synthesis oracle`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 9)
        let a = coefficients rng b
        let plan = planOf b
        closeTo (sprintf "complex B=%d" b) 1e-13 (flatComplex (naiveSynthesis b b a)) (flatComplex (Sht.inverseComplex plan a))
        // inverse keeps the real part of the synthesis, for any coefficients.
        let re = naiveSynthesis b b a |> Array2D.map (fun c -> c.Real)
        closeTo (sprintf "real part B=%d" b) 1e-13 (flat re) (flat (Sht.inverse plan a)))

[<Fact>]
let ``real transforms agree with the naive oracles at power-of-two bandwidths (paired SIMD ring FFTs)`` () =
    // B = 4..32 powers of two take the paired ring FFT path of forward/inverse (`ShtRingFft`) for SIMD widths
    // up to B; the oracles evaluate Y_l^m directly.
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let b = 1 <<< rng.Next(2, 6)
        let plan = planOf b
        let a = coefficients rng b
        let re = naiveSynthesis b b a |> Array2D.map (fun c -> c.Real)
        closeTo (sprintf "inverse B=%d" b) 1e-13 (flat re) (flat (Sht.inverse plan a))
        let f = Array2D.init (2 * b) (2 * b) (fun _ _ -> rng.NextDouble() - 0.5)
        let expected = naiveAnalysis b (f |> Array2D.map (fun x -> Complex(x, 0.0)))
        closeTo (sprintf "forward B=%d" b) 1e-13 (flatten expected) (flatten (Sht.forward plan f)))

[<Fact>]
let ``real-harmonic transforms invert each other and match the real basis`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 9)
        let plan = planOf b
        let r = Array.init (b * b) (fun _ -> rng.NextDouble() - 0.5)
        let f = Sht.inverseRealHarmonics plan r
        let th, ph = Grid.colatitudes b, Grid.longitudes b

        let naive =
            Array2D.init (2 * b) (2 * b) (fun j k ->
                Seq.sum (
                    seq {
                        for i in 0 .. b * b - 1 do
                            let l, m = SphericalHarmonics.degreeOrder i
                            r[i] * SphericalHarmonics.real l m th[j] ph[k]
                    }
                ))

        closeTo "synthesis" 1e-13 (flat naive) (flat f)
        closeTo "analysis" 1e-13 r (Sht.forwardRealHarmonics plan f))

[<Fact>]
let ``recomputed legendre values and sequential runs match the precomputed parallel plan`` () =
    let rng = Random 3
    let b = 70

    let fast =
        Sht.planWith
            { ShtOptions.Default with
                Tables = LegendreTables.Precomputed
            }
            b

    let slow =
        Sht.planWith
            {
                Tables = LegendreTables.Recomputed
                MaxDegreeOfParallelism = 1
            }
            b

    Assert.True(slow.MemoryBytes * 10L < fast.MemoryBytes, sprintf "memory %d vs %d" slow.MemoryBytes fast.MemoryBytes)
    Assert.True(fast.MemoryBytes >= int64 (b * (b + 1) / 2 * b) * 8L)
    let a = realCoefficients rng b
    // Two float64 evaluation orders (table vs fused recurrence): equal to rounding.
    closeTo "inverse" 1e-12 (flat (Sht.inverse fast a)) (flat (Sht.inverse slow a))
    let f = Sht.inverse fast a
    closeTo "forward" 1e-12 (flatten (Sht.forward fast f)) (flatten (Sht.forward slow f))
    let a32 = flatten a |> Array.map float32
    let s32 = Sht.inverseBatch32 slow 1 a32 |> Array.map float
    let f32 = Sht.inverseBatch32 fast 1 a32 |> Array.map float
    // One float32 path against another (shared float32 blocks vs the fused float64 path): single precision.
    let err = relativeL2 s32 f32

    if err > ShtTol.batch32 then
        failwithf "inverseBatch32 relative L2 %.3e" err

/// Batched float32 forward/inverse against float64 per channel for random real signals.
let private batchMatchesFloat64 (rng: Random) (b: int) (channels: int) =
    let plan = planOf b
    let coeffs = Array.init channels (fun _ -> realCoefficients rng b)
    let grids = coeffs |> Array.map (Sht.inverse plan)
    let signals = grids |> Array.collect (fun g -> flat g |> Array.map float32)
    let spec32 = Sht.forwardBatch32 plan channels signals |> Array.map float
    // The float64 reference sees the same float32-rounded samples.
    let rounded = grids |> Array.map (Array2D.map (fun v -> float (float32 v)))
    let spec64 = rounded |> Array.collect (Sht.forward plan >> flatten)
    let err = relativeL2 spec64 spec32

    if err > ShtTol.batch32 then
        failwithf "forwardBatch32 B=%d C=%d: relative L2 %.3e" b channels err

    let a32 = coeffs |> Array.collect (flatten >> Array.map float32)
    let back = Sht.inverseBatch32 plan channels a32 |> Array.map float
    let expected = grids |> Array.collect flat
    let err = relativeL2 expected back

    if err > ShtTol.batch32 then
        failwithf "inverseBatch32 B=%d C=%d: relative L2 %.3e" b channels err

[<Fact>]
let ``batched float32 transforms match float64 per channel`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        batchMatchesFloat64 rng (rng.Next(1, 65)) (rng.Next(1, 5)))

[<Fact>]
let ``batched float32 transforms match float64 at power-of-two bandwidths (paired SIMD ring FFTs)`` () =
    property 6 (fun (seed: int) ->
        let rng = Random seed
        batchMatchesFloat64 rng (1 <<< rng.Next(2, 7)) (rng.Next(1, 6)))

[<Fact>]
let ``batched float32 transforms match float64 with recomputed legendre blocks`` () =
    // B > 64 has no tables by default; 5 channels take the shared float32 block path, 1 channel the fused one.
    let rng = Random 70
    let b = 70
    let plan = planOf b

    for channels in [ 1; 5 ] do
        let coeffs = Array.init channels (fun _ -> realCoefficients rng b)
        let grids = coeffs |> Array.map (Sht.inverse plan)
        let signals = grids |> Array.collect (fun g -> flat g |> Array.map float32)
        let rounded = grids |> Array.map (Array2D.map (fun v -> float (float32 v)))
        let spec64 = rounded |> Array.collect (Sht.forward plan >> flatten)
        let spec32 = Sht.forwardBatch32 plan channels signals |> Array.map float
        let err = relativeL2 spec64 spec32

        if err > ShtTol.batch32 then
            failwithf "forwardBatch32 C=%d: relative L2 %.3e" channels err

        let back =
            Sht.inverseBatch32 plan channels (coeffs |> Array.collect (flatten >> Array.map float32))

        let err = relativeL2 (grids |> Array.collect flat) (Array.map float back)

        if err > ShtTol.batch32 then
            failwithf "inverseBatch32 C=%d: relative L2 %.3e" channels err

[<Fact>]
let ``float32 synthesis after analysis is identity to single precision`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 129)
        let plan = planOf b
        let channels = 2

        let signals =
            Array.init channels (fun _ -> Sht.inverse plan (realCoefficients rng b) |> flat)
            |> Array.concat
            |> Array.map float32

        let back =
            Sht.inverseBatch32 plan channels (Sht.forwardBatch32 plan channels signals)

        let err = relativeL2 (Array.map float signals) (Array.map float back)

        if err > ShtTol.roundTrip32 then
            failwithf "B=%d relative L2 %.3e" b err)

[<Fact>]
let ``in-place variants write what the allocating transforms return`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 40)
        let plan = planOf b
        let a = realCoefficients rng b
        let grid = Array2D.create (2 * b) (2 * b) nan
        Sht.inverseInto plan a grid
        closeTo "inverseInto" 0.0 (flat (Sht.inverse plan a)) (flat grid)
        let coeffs = Array.create (b * b) (Complex(nan, nan))
        Sht.forwardInto plan grid coeffs
        closeTo "forwardInto" 0.0 (flatten (Sht.forward plan grid)) (flatten coeffs))

[<Fact>]
let ``one plan is safe to share across threads`` () =
    // Concurrent callers share the plan's pooled scratch; each result must equal the sequential one.
    let b = 40
    let plan = Sht.plan b
    let inputs = Array.init 16 (fun i -> realCoefficients (Random i) b)
    let expected = inputs |> Array.map (fun a -> Sht.inverse plan a |> Sht.forward plan)

    let actual =
        inputs
        |> Array.map (fun a -> Threading.Tasks.Task.Run(fun () -> Sht.inverse plan a |> Sht.forward plan))
        |> Array.map (fun t -> t.Result)

    for i in 0 .. inputs.Length - 1 do
        closeTo (sprintf "call %d" i) 0.0 (flatten expected[i]) (flatten actual[i])

[<Fact>]
let ``transforms reject wrong shapes with clear messages`` () =
    let plan = planOf 4
    throwsWith<ArgumentException> [ "signal"; "[2B=8; 2B=8]"; "[8; 7]" ] (fun () -> Sht.forward plan (Array2D.zeroCreate 8 7) |> ignore)
    throwsWith<ArgumentException> [ "signal"; "[7; 8]" ] (fun () -> Sht.forwardComplex plan (Array2D.zeroCreate 7 8) |> ignore)
    throwsWith<ArgumentException> [ "coeffs"; "16"; "15" ] (fun () -> Sht.inverse plan (Array.zeroCreate 15) |> ignore)
    throwsWith<ArgumentException> [ "coeffs"; "16" ] (fun () -> Sht.inverseComplex plan (Array.zeroCreate 17) |> ignore)

    throwsWith<ArgumentException> [ "signals"; "[C, 2B=8, 2B=8]"; "128"; "100" ] (fun () ->
        Sht.forwardBatch32 plan 2 (Array.zeroCreate 100) |> ignore)

    throwsWith<ArgumentException> [ "coeffs"; "[C, B²=16, 2]" ] (fun () -> Sht.inverseBatch32 plan 1 (Array.zeroCreate 31) |> ignore)
    throwsWith<ArgumentException> [ "channels"; "0" ] (fun () -> Sht.inverseBatch32 plan 0 [||] |> ignore)
    throwsWith<ArgumentException> [ "b"; "0" ] (fun () -> Sht.plan 0 |> ignore)
    throwsWith<ArgumentNullException> [ "signal" ] (fun () -> Sht.forward plan null |> ignore)
    throwsWith<ArgumentException> [ "out"; "[8; 9]" ] (fun () -> Sht.inverseInto plan (Array.zeroCreate 16) (Array2D.zeroCreate 8 9))
    throwsWith<ArgumentException> [ "out"; "16"; "4" ] (fun () -> Sht.forwardInto plan (Array2D.zeroCreate 8 8) (Array.zeroCreate 4))
