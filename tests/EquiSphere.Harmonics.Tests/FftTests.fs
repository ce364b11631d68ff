module FftTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit

/// The O(n²) DFT X_m = Σ_k x_k e^{−2πimk/n}, the oracle.
let private naiveDft (x: Complex[]) =
    let n = x.Length

    Array.init n (fun m ->
        let mutable s = Complex.Zero

        for k in 0 .. n - 1 do
            s <-
                s
                + x[k]
                  * Complex.FromPolarCoordinates(1.0, -2.0 * Math.PI * float ((int64 m * int64 k) % int64 n) / float n)

        s)

let private randomComplex (rng: Random) (n: int) =
    Array.init n (fun _ -> Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5))

/// Lengths covering radix 4, 2, 3, 5, small generic primes and Bluestein (primes above 31).
let private lengths =
    [|
        1
        2
        3
        4
        5
        6
        7
        8
        12
        30
        37
        49
        64
        74
        97
        100
        128
        210
        256
        382
        1000
    |]

[<Fact>]
let ``fft agrees with the naive DFT`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed

        let n =
            if seed % 2 = 0 then
                lengths[rng.Next lengths.Length]
            else
                rng.Next(1, 300)

        let x = randomComplex rng n
        let expected = naiveDft x
        let actual = Fft.forward (Fft.plan n) x
        closeTo (sprintf "fft n=%d" n) (1e-12 * sqrt (float n)) (Bandlimited.flatten expected) (Bandlimited.flatten actual))

[<Fact>]
let ``inverse fft after fft is identity`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let n = rng.Next(1, 600)
        let plan = Fft.plan n
        let x = randomComplex rng n
        closeTo (sprintf "n=%d" n) 1e-13 (Bandlimited.flatten x) (Bandlimited.flatten (Fft.inverse plan (Fft.forward plan x))))

[<Fact>]
let ``real fft agrees with the complex fft of real data`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed

        let n =
            if seed % 2 = 0 then
                lengths[rng.Next lengths.Length]
            else
                rng.Next(1, 300)

        let x = Array.init n (fun _ -> rng.NextDouble() - 0.5)
        let full = naiveDft (x |> Array.map (fun v -> Complex(v, 0.0)))
        let half = Fft.forwardReal (Fft.planReal n) x
        Assert.Equal(n / 2 + 1, half.Length)
        closeTo (sprintf "rfft n=%d" n) (1e-12 * sqrt (float n)) (Bandlimited.flatten full[0 .. n / 2]) (Bandlimited.flatten half))

[<Fact>]
let ``inverse real fft after real fft is identity`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let n = rng.Next(1, 600)
        let plan = Fft.planReal n
        let x = Array.init n (fun _ -> rng.NextDouble() - 0.5)
        closeTo (sprintf "n=%d" n) 1e-13 x (Fft.inverseReal plan (Fft.forwardReal plan x)))

[<Fact>]
let ``fft rejects wrong lengths`` () =
    throwsWith<ArgumentException> [ "n"; "0" ] (fun () -> Fft.plan 0 |> ignore)
    throwsWith<ArgumentException> [ "x"; "8"; "7" ] (fun () -> Fft.forward (Fft.plan 8) (Array.zeroCreate 7) |> ignore)
    throwsWith<ArgumentException> [ "halfSpectrum"; "5" ] (fun () -> Fft.inverseReal (Fft.planReal 8) (Array.zeroCreate 4) |> ignore)
