module So3PairsTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit

/// Agreement with d from Risbo's recursion (the table engine's d values), relative to max(1, |value|).
let private EngineTolerance = 1e-12

let private spectraLength (b: int) = (2 * b - 1) * (2 * b - 1) * 2 * b

/// The offset of order (m', m) in the per-order spectra.
let private order (b: int) (mp: int) (m: int) =
    ((mp + b - 1) * (2 * b - 1) + m + b - 1) * 2 * b

let private randoms (rng: Random) (k: int) =
    Array.init k (fun _ -> rng.NextDouble() - 0.5)

[<Fact>]
let ``analysis is the sum over beta of Wigner d times the spectra`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = 1 + rng.Next 10
        let n = 2 * b
        let betas = So3Grid.betas b
        let xRe, xIm = randoms rng (spectraLength b), randoms rng (spectraLength b)
        let scale = Array.init b (fun _ -> 0.5 + rng.NextDouble())
        let fRe, fIm = Array.create (So3Fft.count b) nan, Array.create (So3Fft.count b) nan
        So3Pairs.forward (So3Pairs.setup b) scale xRe xIm fRe fIm
        let eRe, eIm = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)

        for l in 0 .. b - 1 do
            for mp in -l .. l do
                for m in -l .. l do
                    let o = order b mp m
                    let i = So3Fft.index l mp m

                    for j in 0 .. n - 1 do
                        let d = Wigner.smallD l mp m betas[j]
                        eRe[i] <- eRe[i] + scale[l] * d * xRe[o + j]
                        eIm[i] <- eIm[i] + scale[l] * d * xIm[o + j]

        closeTo (sprintf "re at B=%d" b) EngineTolerance eRe fRe
        closeTo (sprintf "im at B=%d" b) EngineTolerance eIm fIm)

[<Fact>]
let ``synthesis is the sum over degrees of coefficients times Wigner d`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = 1 + rng.Next 10
        let n = 2 * b
        let betas = So3Grid.betas b
        let fRe, fIm = randoms rng (So3Fft.count b), randoms rng (So3Fft.count b)

        let tRe, tIm =
            Array.create (spectraLength b) nan, Array.create (spectraLength b) nan

        So3Pairs.inverse (So3Pairs.setup b) fRe fIm tRe tIm

        let eRe, eIm =
            Array.zeroCreate (spectraLength b), Array.zeroCreate (spectraLength b)

        for mp in -(b - 1) .. b - 1 do
            for m in -(b - 1) .. b - 1 do
                let o = order b mp m

                for j in 0 .. n - 1 do
                    for l in max (abs mp) (abs m) .. b - 1 do
                        let d = Wigner.smallD l mp m betas[j]
                        let i = So3Fft.index l mp m
                        eRe[o + j] <- eRe[o + j] + d * fRe[i]
                        eIm[o + j] <- eIm[o + j] + d * fIm[i]

        closeTo (sprintf "re at B=%d" b) EngineTolerance eRe tRe
        closeTo (sprintf "im at B=%d" b) EngineTolerance eIm tIm)

/// At large B the oracle is Risbo's recursion through `So3Fft.table` (the d values of the table engine) at a few β:
/// the pole-nearest angles, where the l-recurrence loses most, and random ones.
let private risboCheck (b: int) (seed: int) =
    let rng = Random seed
    let n = 2 * b
    let betas = So3Grid.betas b
    let setup = So3Pairs.setup b
    let js = [ 0; n - 1; b; rng.Next n ]
    let scale = Array.create b 1.0
    // Synthesis: every β at once, checked at the chosen β.
    let fRe, fIm = randoms rng (So3Fft.count b), randoms rng (So3Fft.count b)

    let tRe, tIm =
        Array.zeroCreate (spectraLength b), Array.zeroCreate (spectraLength b)

    So3Pairs.inverse setup fRe fIm tRe tIm
    // Analysis of spectra that vanish except at the chosen β: f^l_{m'm} = Σ_{j chosen} d^l_{m'm}(β_j) X[j].
    let xRe, xIm =
        Array.zeroCreate (spectraLength b), Array.zeroCreate (spectraLength b)

    for mp in -(b - 1) .. b - 1 do
        for m in -(b - 1) .. b - 1 do
            for j in js do
                xRe[order b mp m + j] <- rng.NextDouble() - 0.5
                xIm[order b mp m + j] <- rng.NextDouble() - 0.5

    let gRe, gIm = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)
    So3Pairs.forward setup scale xRe xIm gRe gIm
    let eRe, eIm = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)

    for j in List.distinct js do
        let d = So3Fft.table b betas[j]

        let sRe, sIm =
            Array.zeroCreate (spectraLength b), Array.zeroCreate (spectraLength b)

        for l in 0 .. b - 1 do
            for mp in -l .. l do
                for m in -l .. l do
                    let i = So3Fft.index l mp m
                    let o = order b mp m + j
                    sRe[o] <- sRe[o] + d[i] * fRe[i]
                    sIm[o] <- sIm[o] + d[i] * fIm[i]
                    eRe[i] <- eRe[i] + d[i] * xRe[o]
                    eIm[i] <- eIm[i] + d[i] * xIm[o]

        let at (a: float[]) =
            [|
                for mp in -(b - 1) .. b - 1 do
                    for m in -(b - 1) .. b - 1 -> a[order b mp m + j]
            |]

        closeTo (sprintf "synthesis re at B=%d, j=%d" b j) EngineTolerance (at sRe) (at tRe)
        closeTo (sprintf "synthesis im at B=%d, j=%d" b j) EngineTolerance (at sIm) (at tIm)

    closeTo (sprintf "analysis re at B=%d" b) EngineTolerance eRe gRe
    closeTo (sprintf "analysis im at B=%d" b) EngineTolerance eIm gIm

[<Fact>]
let ``analysis and synthesis agree with Risbo's Wigner d at B = 64 and B = 128`` () =
    risboCheck 64 64
    risboCheck 128 128

[<Fact>]
let ``synthesis is the adjoint of analysis`` () =
    // ⟨inverse f, X⟩ = ⟨f, forward X⟩ (real parts, scale 1), for every B up to 40 in steps.
    for b in [ 1; 2; 3; 4; 7; 8; 13; 40 ] do
        let rng = Random b
        let setup = So3Pairs.setup b
        let f = randoms rng (So3Fft.count b)
        let x = randoms rng (spectraLength b)

        let zeroF, zeroX =
            Array.zeroCreate (So3Fft.count b), Array.zeroCreate (spectraLength b)

        let t, ti = Array.zeroCreate (spectraLength b), Array.zeroCreate (spectraLength b)
        let g, gi = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)
        So3Pairs.inverse setup f zeroF t ti
        So3Pairs.forward setup (Array.create b 1.0) x zeroX g gi

        let dot (u: float[]) (v: float[]) =
            Array.fold2 (fun acc p q -> acc + p * q) 0.0 u v

        close (sprintf "<inverse f, X> vs <f, forward X> at B=%d" b) 1e-12 (dot t x) (dot f g)

[<Fact>]
let ``repeated transforms reuse scratch and give identical results`` () =
    let b = 24
    let rng = Random 24
    let setup = So3Pairs.setup b
    let xRe, xIm = randoms rng (spectraLength b), randoms rng (spectraLength b)

    let run () =
        let fRe, fIm = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)
        So3Pairs.forward setup (Array.create b 1.0) xRe xIm fRe fIm

        let tRe, tIm =
            Array.zeroCreate (spectraLength b), Array.zeroCreate (spectraLength b)

        So3Pairs.inverse setup fRe fIm tRe tIm
        Array.concat [ fRe; fIm; tRe; tIm ]

    let first = run ()

    for _ in 1..3 do
        Assert.Equal<float>(first, run ())

[<Fact>]
let ``spectra at an offset give the same results as spectra at the start`` () =
    property 6 (fun (seed: int) ->
        let rng = Random seed
        let b = 1 + rng.Next 20
        let setup = So3Pairs.setup b
        let len = spectraLength b
        let xRe, xIm = randoms rng len, randoms rng len
        let oRe, oIm = rng.Next 9, rng.Next 9
        let shifted (o: int) (x: float[]) = Array.append (Array.create o nan) x
        let scale = randoms rng b
        let fRe, fIm = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)
        So3Pairs.forward setup scale xRe xIm fRe fIm
        let gRe, gIm = Array.zeroCreate (So3Fft.count b), Array.zeroCreate (So3Fft.count b)
        So3Pairs.forwardAt setup scale (shifted oRe xRe) oRe (shifted oIm xIm) oIm gRe gIm
        Assert.Equal<float>(Array.append fRe fIm, Array.append gRe gIm)
        let tRe, tIm = Array.zeroCreate len, Array.zeroCreate len
        So3Pairs.inverse setup fRe fIm tRe tIm
        let uRe, uIm = Array.create (oRe + len) nan, Array.create (oIm + len) nan
        So3Pairs.inverseAt setup fRe fIm uRe oRe uIm oIm
        Assert.Equal<float>(Array.append tRe tIm, Array.append uRe[oRe..] uIm[oIm..])
        // Entries before the offset are left alone.
        Assert.True(
            Array.forall Double.IsNaN uRe[.. oRe - 1]
            && Array.forall Double.IsNaN uIm[.. oIm - 1]
        ))

[<Fact>]
let ``spectra that do not fit after their offset are rejected with a clear message`` () =
    let setup = So3Pairs.setup 4
    let ok = Array.zeroCreate (spectraLength 4)
    let coefficients = Array.zeroCreate (So3Fft.count 4)

    throwsWith<ArgumentException> [ "xIm"; "392"; "offset 1" ] (fun () ->
        So3Pairs.forwardAt setup (Array.create 4 1.0) ok 0 ok 1 coefficients coefficients)

    throwsWith<ArgumentException> [ "tRe"; "392"; "offset -1" ] (fun () -> So3Pairs.inverseAt setup coefficients coefficients ok -1 ok 0)

[<Fact>]
let ``transforms reject arrays of the wrong length with a clear message`` () =
    let setup = So3Pairs.setup 4
    let ok = Array.zeroCreate (spectraLength 4)
    let coefficients = Array.zeroCreate (So3Fft.count 4)
    let scale = Array.create 4 1.0

    throwsWith<ArgumentException> [ "xRe"; "392"; "100" ] (fun () ->
        So3Pairs.forward setup scale (Array.zeroCreate 100) ok coefficients coefficients)

    throwsWith<ArgumentException> [ "fIm"; "84"; "3" ] (fun () -> So3Pairs.inverse setup coefficients (Array.zeroCreate 3) ok ok)

    throwsWith<ArgumentException> [ "scale"; "4" ] (fun () -> So3Pairs.forward setup [| 1.0 |] ok ok coefficients coefficients)
