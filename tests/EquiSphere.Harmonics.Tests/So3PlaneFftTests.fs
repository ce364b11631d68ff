module So3PlaneFftTests

open System
open Xunit
open EquiSphere.Harmonics
open TestKit

/// Strip and plane DFTs against the naive sums, relative to max(1, |X|) with |X| up to ~n² for entries in [−1, 1].
let private DftTolerance = 1e-12

/// The naive 1D DFT X_m = Σ_k x_k e^{s·2πimk/n} (s = −1 when `negative`).
let private naive1 (negative: bool) (re: float[]) (im: float[]) =
    let n = re.Length
    let s = if negative then -1.0 else 1.0

    Array.init n (fun m ->
        let mutable ar, ai = 0.0, 0.0

        for k in 0 .. n - 1 do
            let a = s * 2.0 * Math.PI * float ((m * k) % n) / float n
            let c, sn = cos a, sin a
            ar <- ar + re[k] * c - im[k] * sn
            ai <- ai + re[k] * sn + im[k] * c

        ar, ai)

/// The naive O(n⁴) 2D DFT X(u, v) = Σ_{r,c} x(r, c) e^{s·2πi(ur + vc)/n} of an n × n plane [r · n + c].
let private naive2 (negative: bool) (n: int) (re: float[]) (im: float[]) =
    let s = if negative then -1.0 else 1.0
    let outRe, outIm = Array.zeroCreate (n * n), Array.zeroCreate (n * n)

    for u in 0 .. n - 1 do
        for v in 0 .. n - 1 do
            let mutable ar, ai = 0.0, 0.0

            for r in 0 .. n - 1 do
                for c in 0 .. n - 1 do
                    let a = s * 2.0 * Math.PI * float ((u * r + v * c) % n) / float n
                    let cs, sn = cos a, sin a
                    let xr, xi = re[r * n + c], im[r * n + c]
                    ar <- ar + xr * cs - xi * sn
                    ai <- ai + xr * sn + xi * cs

            outRe[u * n + v] <- ar
            outIm[u * n + v] <- ai

    outRe, outIm

let private random (rng: Random) (len: int) =
    Array.init len (fun _ -> rng.NextDouble() * 2.0 - 1.0)

/// Checks the strip FFT of length n and one sign against the naive DFT of each of its eight lanes (random input).
let private checkStrip (rng: Random) (n: int) (negative: bool) =
    let p = So3PlaneFft.plan n
    let lanes = So3PlaneFft.Lanes
    let xs = Array.init lanes (fun _ -> random rng n, random rng n)
    let re, im = Array.zeroCreate (n * lanes), Array.zeroCreate (n * lanes)

    // The strip takes its input bit-reversed.
    for q in 0 .. lanes - 1 do
        let xr, xi = xs[q]

        for k in 0 .. n - 1 do
            re[p.Rev[k] * lanes + q] <- xr[k]
            im[p.Rev[k] * lanes + q] <- xi[k]

    So3PlaneFft.transform p negative re im

    for q in 0 .. lanes - 1 do
        let expected = naive1 negative (fst xs[q]) (snd xs[q])

        closeTo
            (sprintf "lane %d, n=%d, negative=%b" q n negative)
            DftTolerance
            (expected |> Array.collect (fun (a, b) -> [| a; b |]))
            (Array.init (2 * n) (fun i ->
                if i % 2 = 0 then
                    re[(i / 2) * lanes + q]
                else
                    im[(i / 2) * lanes + q]))

[<Fact>]
let ``strip transforms equal the naive DFT of every lane`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        checkStrip rng (1 <<< rng.Next(3, 9)) (rng.Next 2 = 0))

[<Fact>]
let ``strip transforms of every length from 8 to 512 and both signs equal the naive DFT`` () =
    // Odd and even log2 n take different first passes (radix-8 or radix-4 without twiddles).
    let rng = Random 8

    for bits in 3..9 do
        for negative in [ true; false ] do
            checkStrip rng (1 <<< bits) negative

[<Fact>]
let ``plane DFT equals the naive 2D DFT for both signs`` () =
    let rng = Random 64

    for n in [ 8; 16; 32; 64 ] do
        for negative in [ true; false ] do
            let p = So3PlaneFft.plan n
            let re, im = random rng (n * n), random rng (n * n)
            let expRe, expIm = naive2 negative n re im
            let gotRe, gotIm = Array.copy re, Array.copy im
            So3PlaneFft.dft2 p negative gotRe gotIm (Array.zeroCreate (8 * n)) (Array.zeroCreate (8 * n))
            closeTo (sprintf "re, n=%d, negative=%b" n negative) DftTolerance expRe gotRe
            closeTo (sprintf "im, n=%d, negative=%b" n negative) DftTolerance expIm gotIm

[<Fact>]
let ``plane DFT with the opposite sign inverts it up to the factor n squared`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let n = 1 <<< rng.Next(3, 8)
        let p = So3PlaneFft.plan n
        let re, im = random rng (n * n), random rng (n * n)
        let r, i = Array.copy re, Array.copy im
        let sr, si = Array.zeroCreate (8 * n), Array.zeroCreate (8 * n)
        So3PlaneFft.dft2 p true r i sr si
        So3PlaneFft.dft2 p false r i sr si
        let scale = 1.0 / float (n * n)
        closeTo (sprintf "re, n=%d" n) 1e-13 re (r |> Array.map (fun v -> v * scale))
        closeTo (sprintf "im, n=%d" n) 1e-13 im (i |> Array.map (fun v -> v * scale)))

[<Fact>]
let ``strip plans reject lengths that are not powers of two of at least eight`` () =
    throwsWith<ArgumentException> [ "power-of-two"; "8"; "4" ] (fun () -> So3PlaneFft.plan 4 |> ignore)
    throwsWith<ArgumentException> [ "power-of-two"; "24" ] (fun () -> So3PlaneFft.plan 24 |> ignore)
    Assert.False(So3PlaneFft.supports 4)
    Assert.False(So3PlaneFft.supports 80)
