module So3FftTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit

let private parts (a: Complex[]) =
    [|
        for v in a do
            yield v.Real
            yield v.Imaginary
    |]

let private randomCoefficients (rng: Random) (b: int) =
    Array.init (So3Fft.count b) (fun _ -> Complex(rng.NextDouble() * 2.0 - 1.0, rng.NextDouble() * 2.0 - 1.0))

/// Σ_l Σ f^l_{m'm} D^l_{m'm}(α, β, γ) entry by entry through Wigner.bigD: the slow oracle of the inverse.
let private naiveEvaluate (b: int) (c: Complex[]) (alpha: float) (beta: float) (gamma: float) =
    let mutable s = Complex.Zero

    for l in 0 .. b - 1 do
        for mp in -l .. l do
            for m in -l .. l do
                s <- s + c[So3Fft.index l mp m] * Wigner.bigD l mp m alpha beta gamma

    s

[<Fact>]
let ``coefficient layout is packed by degree then m' then m`` () =
    Assert.Equal(0, So3Fft.index 0 0 0)
    Assert.Equal(1, So3Fft.index 1 -1 -1)
    Assert.Equal(So3Fft.count 3 - 1, So3Fft.index 2 2 2)

    for b in 1..6 do
        Assert.Equal(Seq.sum (seq { for l in 0 .. b - 1 -> (2 * l + 1) * (2 * l + 1) }), So3Fft.count b)

[<Fact>]
let ``analysis after synthesis is identity on coefficients`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 11)
        let plan = So3Fft.plan b
        let c = randomCoefficients rng b
        closeTo (sprintf "forward (inverse c) at B=%d" b) 1e-12 (parts c) (parts (So3Fft.forward plan (So3Fft.inverse plan c))))

[<Fact>]
let ``synthesis after analysis is identity on band-limited samples`` () =
    let rng = Random 5

    for b in [ 2; 7; 16 ] do
        let plan = So3Fft.plan b
        let f = So3Fft.inverse plan (randomCoefficients rng b)
        closeTo (sprintf "inverse (forward f) at B=%d" b) 1e-11 (parts f) (parts (So3Fft.inverse plan (So3Fft.forward plan f)))

[<Fact>]
let ``inverse is the pointwise sum of coefficients times wigner D at grid rotations`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 7)
        let n = 2 * b
        let c = randomCoefficients rng b
        let f = So3Fft.inverse (So3Fft.plan b) c

        for _ in 1..5 do
            let i, j, k = rng.Next n, rng.Next n, rng.Next n
            let a, be, g = (So3Grid.alphas b)[i], (So3Grid.betas b)[j], (So3Grid.gammas b)[k]
            let expected = naiveEvaluate b c a be g
            let actual = f[(i * n + j) * n + k]

            closeTo
                (sprintf "f at (%d, %d, %d), B=%d" i j k b)
                1e-12
                [| expected.Real; expected.Imaginary |]
                [| actual.Real; actual.Imaginary |]

            let e = So3Fft.evaluate b c (So3Grid.rotation b i j k)
            closeTo "evaluate" 1e-12 [| expected.Real; expected.Imaginary |] [| e.Real; e.Imaginary |])

[<Fact>]
let ``forward agrees with naive quadrature of the definition`` () =
    // f^l_{m'm} = (2l+1)/(8π²) Σ_{i,j,k} (2π/2B)² v_j f(α_i, β_j, γ_k) conj D^l_{m'm}, with v_j = 2B w_j / 2π from the
    // Driscoll–Healy weights, on arbitrary (not band-limited) samples.
    let rng = Random 11

    for b in [ 1; 3; 4 ] do
        let n = 2 * b

        let f =
            Array.init (n * n * n) (fun _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

        let w = Grid.quadratureWeights b
        let h = 2.0 * Math.PI / float n

        let expected = Array.init (So3Fft.count b) (fun _ -> Complex.Zero)

        for l in 0 .. b - 1 do
            for mp in -l .. l do
                for m in -l .. l do
                    let mutable s = Complex.Zero

                    for i in 0 .. n - 1 do
                        for j in 0 .. n - 1 do
                            for k in 0 .. n - 1 do
                                let a, be, g = (So3Grid.alphas b)[i], (So3Grid.betas b)[j], (So3Grid.gammas b)[k]
                                let v = w[j] * float n / (2.0 * Math.PI)

                                s <- s + v * f[(i * n + j) * n + k] * Complex.Conjugate(Wigner.bigD l mp m a be g)

                    expected[So3Fft.index l mp m] <- s * (float (2 * l + 1) / (8.0 * Math.PI * Math.PI) * h * h)

        closeTo (sprintf "forward at B=%d" b) 1e-13 (parts expected) (parts (So3Fft.forward (So3Fft.plan b) f))

[<Fact>]
let ``plans reject wrong lengths with a clear message`` () =
    let plan = So3Fft.plan 4
    throwsWith<ArgumentException> [ "512"; "[8; 8; 8]"; "100" ] (fun () -> So3Fft.forward plan (Array.zeroCreate 100) |> ignore)
    throwsWith<ArgumentException> [ "84"; "B = 4"; "3" ] (fun () -> So3Fft.inverse plan (Array.zeroCreate 3) |> ignore)
    throwsWith<ArgumentException> [ "bandwidth" ] (fun () -> So3Fft.plan 0 |> ignore)

[<Fact>]
let ``plans without tables give the same transforms as plans with tables`` () =
    let rng = Random 13

    for b in [ 1; 5; 12 ] do
        let withTables, without = So3Fft.planWith true b, So3Fft.planWith false b
        Assert.True(withTables.HasTables)
        Assert.False(without.HasTables)
        Assert.True(withTables.UsesTableEngine)
        Assert.False(without.UsesTableEngine)
        Assert.False((So3Fft.plan b).UsesTableEngine)
        let c = randomCoefficients rng b
        let f = So3Fft.inverse withTables c
        closeTo (sprintf "inverse at B=%d" b) 1e-13 (parts f) (parts (So3Fft.inverse without c))
        closeTo (sprintf "forward at B=%d" b) 1e-13 (parts (So3Fft.forward withTables f)) (parts (So3Fft.forward without f))

/// Agreement of the table-free recurrence engine with the table reference, relative to the largest entry.
let private EngineTolerance = 1e-12

[<Fact>]
let ``the recurrence engine agrees with the table engine for random bandwidths`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let b = 1 + rng.Next 24
        let fast, reference = So3Fft.plan b, So3Fft.planWith true b
        let c = randomCoefficients rng b
        let f = So3Fft.inverse reference c
        closeTo (sprintf "inverse at B=%d" b) EngineTolerance (parts f) (parts (So3Fft.inverse fast c))

        let g =
            Array.init f.Length (fun _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

        closeTo (sprintf "forward at B=%d" b) EngineTolerance (parts (So3Fft.forward reference g)) (parts (So3Fft.forward fast g)))

[<Fact>]
let ``the recurrence engine inverts itself at B = 40`` () =
    let b = 40
    let plan = So3Fft.plan b
    let c = randomCoefficients (Random 40) b
    closeTo "forward (inverse c) at B=40" 1e-11 (parts c) (parts (So3Fft.forward plan (So3Fft.inverse plan c)))

[<Fact>]
let ``the recurrence engine matches Wigner-D sums at random grid points of B = 20`` () =
    let b = 20
    let rng = Random 20
    let c = randomCoefficients rng b
    let f = So3Fft.inverse (So3Fft.plan b) c
    let n = 2 * b

    for _ in 1..5 do
        let i, j, k = rng.Next n, rng.Next n, rng.Next n

        let alpha, beta, gamma =
            (So3Grid.alphas b)[i], (So3Grid.betas b)[j], (So3Grid.gammas b)[k]

        let expected = naiveEvaluate b c alpha beta gamma
        let got = f[(i * n + j) * n + k]
        closeTo "sample" 1e-11 [| expected.Real; expected.Imaginary |] [| got.Real; got.Imaginary |]

let private split (a: Complex[]) =
    a |> Array.map (fun z -> z.Real), a |> Array.map (fun z -> z.Imaginary)

/// Bandwidths for the split API: the strip path (2B a power of two ≥ 8) and the fallback (small or other B).
let private SplitBandwidths = [| 1; 2; 3; 4; 5; 8; 12; 16; 32 |]

[<Fact>]
let ``inverseInto after forwardInto is identity on band-limited samples`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = SplitBandwidths[rng.Next SplitBandwidths.Length]
        let plan = So3Fft.plan b
        let n = 2 * b
        let cRe, cIm = split (randomCoefficients rng b)
        let fRe, fIm = Array.zeroCreate (n * n * n), Array.zeroCreate (n * n * n)
        So3Fft.inverseInto plan cRe cIm fRe fIm
        let gRe, gIm = Array.zeroCreate cRe.Length, Array.zeroCreate cRe.Length
        So3Fft.forwardInto plan fRe fIm gRe gIm
        closeTo (sprintf "forwardInto (inverseInto c), re, B=%d" b) 1e-12 cRe gRe
        closeTo (sprintf "forwardInto (inverseInto c), im, B=%d" b) 1e-12 cIm gIm
        // Garbage in the outputs must not leak into the results: every entry is written.
        Array.fill fRe 0 fRe.Length nan
        Array.fill fIm 0 fIm.Length nan
        So3Fft.inverseInto plan gRe gIm fRe fIm
        let hRe, hIm = Array.create cRe.Length nan, Array.create cRe.Length nan
        So3Fft.forwardInto plan fRe fIm hRe hIm
        closeTo (sprintf "second round trip, B=%d" b) 1e-12 (Array.append cRe cIm) (Array.append hRe hIm))

[<Fact>]
let ``forwardInto and inverseInto agree with the Complex API and the table engine`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let b = SplitBandwidths[rng.Next SplitBandwidths.Length]
        let n = 2 * b
        let plan, tables = So3Fft.plan b, So3Fft.planWith true b
        let c = randomCoefficients rng b
        let cRe, cIm = split c
        let fRe, fIm = Array.zeroCreate (n * n * n), Array.zeroCreate (n * n * n)
        So3Fft.inverseInto plan cRe cIm fRe fIm
        let viaComplex = So3Fft.inverse plan c
        let viaTables = So3Fft.inverse tables c

        closeTo
            (sprintf "inverseInto = inverse, B=%d" b)
            0.0
            (parts viaComplex)
            (Array.init (2 * fRe.Length) (fun i -> if i % 2 = 0 then fRe[i / 2] else fIm[i / 2]))

        closeTo (sprintf "inverseInto = table inverse, B=%d" b) 1e-12 (parts viaTables) (parts viaComplex)

        let g =
            Array.init (n * n * n) (fun _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

        let gRe, gIm = split g
        let hRe, hIm = Array.zeroCreate cRe.Length, Array.zeroCreate cRe.Length
        So3Fft.forwardInto plan gRe gIm hRe hIm
        let tRe, tIm = Array.zeroCreate cRe.Length, Array.zeroCreate cRe.Length
        So3Fft.forwardInto tables gRe gIm tRe tIm
        let viaComplexF = So3Fft.forward plan g

        closeTo
            (sprintf "forwardInto = forward, B=%d" b)
            0.0
            (parts viaComplexF)
            (Array.init (2 * hRe.Length) (fun i -> if i % 2 = 0 then hRe[i / 2] else hIm[i / 2]))

        closeTo (sprintf "forwardInto = table forwardInto, B=%d" b) 1e-12 (Array.append tRe tIm) (Array.append hRe hIm))

[<Fact>]
let ``at B = 64 the streaming path matches Wigner-D sums and inverts itself`` () =
    // At B = 64 the spectra (33 MB) and samples (2 × 32 MB) are written with non-temporal stores; random sparse
    // coefficients keep the oracle cheap.
    let b = 64
    let n = 2 * b
    let plan = So3Fft.plan b
    let rng = Random 64
    let cRe, cIm = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)

    let support =
        [
            for _ in 1..12 ->
                let l = rng.Next b
                So3Fft.index l (rng.Next(-l, l + 1)) (rng.Next(-l, l + 1)), l
        ]

    for i, _ in support do
        cRe[i] <- rng.NextDouble() - 0.5
        cIm[i] <- rng.NextDouble() - 0.5

    let fRe, fIm = Array.create (n * n * n) nan, Array.create (n * n * n) nan
    So3Fft.inverseInto plan cRe cIm fRe fIm

    for _ in 1..6 do
        let i, j, k = rng.Next n, rng.Next n, rng.Next n

        let alpha, beta, gamma =
            (So3Grid.alphas b)[i], (So3Grid.betas b)[j], (So3Grid.gammas b)[k]

        let mutable expected = Complex.Zero

        for l in 0 .. b - 1 do
            for mp in -l .. l do
                for m in -l .. l do
                    let at = So3Fft.index l mp m

                    if cRe[at] <> 0.0 || cIm[at] <> 0.0 then
                        expected <- expected + Complex(cRe[at], cIm[at]) * Wigner.bigD l mp m alpha beta gamma

        closeTo
            (sprintf "sample (%d, %d, %d)" i j k)
            1e-12
            [| expected.Real; expected.Imaginary |]
            [| fRe[(i * n + j) * n + k]; fIm[(i * n + j) * n + k] |]

    let gRe, gIm = Array.create cRe.Length nan, Array.create cRe.Length nan
    So3Fft.forwardInto plan fRe fIm gRe gIm
    closeTo "forwardInto (inverseInto c) at B = 64" 1e-12 (Array.append cRe cIm) (Array.append gRe gIm)

[<Fact>]
let ``forwardInto and inverseInto reject wrong lengths and nulls with clear messages`` () =
    let plan = So3Fft.plan 4
    let samples () = Array.zeroCreate<float> 512
    let coeffs () = Array.zeroCreate<float> 84

    throwsWith<ArgumentException> [ "samplesIm"; "512"; "[8; 8; 8]"; "511" ] (fun () ->
        So3Fft.forwardInto plan (samples ()) (Array.zeroCreate 511) (coeffs ()) (coeffs ()))

    throwsWith<ArgumentException> [ "coeffsRe"; "84"; "B = 4"; "85" ] (fun () ->
        So3Fft.forwardInto plan (samples ()) (samples ()) (Array.zeroCreate 85) (coeffs ()))

    throwsWith<ArgumentException> [ "coeffsIm"; "84"; "83" ] (fun () ->
        So3Fft.inverseInto plan (coeffs ()) (Array.zeroCreate 83) (samples ()) (samples ()))

    throwsWith<ArgumentException> [ "samplesRe"; "512"; "1000" ] (fun () ->
        So3Fft.inverseInto plan (coeffs ()) (coeffs ()) (Array.zeroCreate 1000) (samples ()))

    throwsWith<ArgumentNullException> [ "samplesRe" ] (fun () -> So3Fft.forwardInto plan null (samples ()) (coeffs ()) (coeffs ()))
    throwsWith<ArgumentNullException> [ "samplesIm" ] (fun () -> So3Fft.inverseInto plan (coeffs ()) (coeffs ()) (samples ()) null)

    throwsWith<ArgumentNullException> [ "plan" ] (fun () ->
        So3Fft.forwardInto (Unchecked.defaultof<So3FftPlan>) (samples ()) (samples ()) (coeffs ()) (coeffs ()))

[<Fact>]
let ``a plan used from two threads at once gives the same results as serial calls`` () =
    for b in [ 16; 12 ] do
        let plan = So3Fft.plan b
        let n = 2 * b
        let rng = Random b
        let inputs = Array.init 6 (fun _ -> split (randomCoefficients rng b))

        let run (cRe: float[], cIm: float[]) =
            let fRe, fIm = Array.zeroCreate (n * n * n), Array.zeroCreate (n * n * n)
            So3Fft.inverseInto plan cRe cIm fRe fIm
            let gRe, gIm = Array.zeroCreate cRe.Length, Array.zeroCreate cRe.Length
            So3Fft.forwardInto plan fRe fIm gRe gIm
            Array.concat [ fRe; fIm; gRe; gIm ]

        let serial = inputs |> Array.map run

        let concurrent =
            [| 0..1 |]
            |> Array.map (fun t -> Threading.Tasks.Task.Run(fun () -> [| for i in t..2 .. inputs.Length - 1 -> i, run inputs[i] |]))
            |> Array.collect (fun task -> task.Result)

        Assert.Equal(inputs.Length, concurrent.Length)

        for i, result in concurrent do
            closeTo (sprintf "input %d, B=%d" i b) 0.0 serial[i] result
