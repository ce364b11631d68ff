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
