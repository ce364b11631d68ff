module RawNormTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit

/// |Δmean| / (std + |mean − K|) and |Δvar| / (var + (mean − K)²) of the one-pass float32 statistics: the stated
/// bound (FoldBlock/(2W) + 4)·2⁻²⁴ is about 4e-6 for SIMD width W ≥ 8 and 8e-6 for W = 4.
let private statsTol = 1e-5

/// Relative error of the float32 variance when |mean| = 1e3·std: a naive one-pass Σx², Σx would be off by
/// about 2⁻²⁴·1e6 ≈ 6e-2 here; the shifted sums stay near the general bound.
let private largeMeanVarTol = 1e-4

/// One float32 rounding of the exact fma, plus the float64 rounding of the oracle: 2·2⁻²⁴.
let private affineTol = 1.2e-7

/// Channel sums of the reverse, relative to Σ|gm| and Σ|gm|·(|x̂| + invStd·|mean − m0|): float32 lanes over at
/// most FoldBlock/(2W) terms, as `statsTol`.
let private gradSumTol = 1e-5

/// dx relative to the magnitudes of its terms: float32 coefficients and two FMAs, a few roundings.
let private dxTol = 1e-6

/// A random [N; C; P] shape: small planes of any length (mostly not multiples of the SIMD width), planes longer
/// than `RawNorm.FoldBlock`, and one shape of 131 200 elements that the kernels split over the cores.
let private shapeOf (rng: Random) =
    match rng.Next 5 with
    | 0 -> 4, 8, 4100
    | 1 -> rng.Next(1, 3), rng.Next(1, 4), rng.Next(1000, 2600)
    | _ -> rng.Next(1, 5), rng.Next(1, 6), rng.Next(1, 70)

/// x[N; C; P] in float32: per channel an offset (0, or ±1e3 times the spread when `largeMean`) plus uniform noise.
let private input (rng: Random) (largeMean: bool) (n: int) (c: int) (p: int) =
    let spread = Array.init c (fun _ -> 0.1 + 3.0 * rng.NextDouble())

    let offset =
        Array.init c (fun ch ->
            if largeMean then
                (if rng.Next 2 = 0 then 1e3 else -1e3) * spread[ch]
            else
                rng.NextDouble() - 0.5)

    Array.init (n * c * p) (fun j ->
        let ch = (j / p) % c
        float32 (offset[ch] + spread[ch] * (2.0 * rng.NextDouble() - 1.0)))

/// (actual − expected) / scale, elementwise: compared with zeros by `closeTo`, a scale-aware error.
let private scaled (expected: float[]) (actual: float[]) (scale: float[]) =
    Array.init expected.Length (fun i -> (actual[i] - expected[i]) / scale[i])

let private f64 (a: float32[]) = Array.map float a

[<Fact>]
let ``one-pass float32 statistics match the float64 two-pass oracle within the stated bound`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let n, c, p = shapeOf rng
        let largeMean = rng.Next 2 = 0
        let x = input rng largeMean n c p
        let m32, v32 = RawNorm.stats32 n c p x
        let m64, v64 = RawNorm.stats n c p (f64 x)
        let k = Array.init c (fun ch -> float x[ch * p])
        let zeros = Array.zeroCreate c

        let meanScale =
            Array.init c (fun ch -> sqrt v64[ch] + abs (m64[ch] - k[ch]) + 1e-30)

        let varScale = Array.init c (fun ch -> v64[ch] + (m64[ch] - k[ch]) ** 2.0 + 1e-30)
        closeTo "mean error / (std + |mean − K|)" statsTol zeros (scaled m64 m32 meanScale)
        closeTo "variance error / (var + (mean − K)²)" statsTol zeros (scaled v64 v32 varScale))

[<Fact>]
let ``float32 variance keeps its relative accuracy when the mean is 1e3 times the std`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let n, c, p = rng.Next(2, 5), rng.Next(1, 5), rng.Next(16, 300)
        let x = input rng true n c p
        let _, v32 = RawNorm.stats32 n c p x
        let _, v64 = RawNorm.stats n c p (f64 x)
        closeTo "variance error / variance" largeMeanVarTol (Array.zeroCreate c) (scaled v64 v32 v64))

[<Fact>]
let ``float32 affine is one rounding of x times scale plus shift, and affineRelu is its max with 0 bit for bit`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let n, c, p = shapeOf rng
        let x = input rng (rng.Next 2 = 0) n c p
        let scale = Array.init c (fun _ -> 4.0 * rng.NextDouble() - 2.0)
        let shift = Array.init c (fun _ -> 4.0 * rng.NextDouble() - 2.0)
        let y = RawNorm.affine32 n c p scale shift x
        let yr = RawNorm.affineRelu32 n c p scale shift x

        let exact =
            Array.init x.Length (fun j ->
                let ch = (j / p) % c
                float x[j] * float (float32 scale[ch]) + float (float32 shift[ch]))

        let mag = exact |> Array.map (fun e -> abs e + 1e-37)
        closeTo "affine error / |x·scale + shift|" affineTol (Array.zeroCreate x.Length) (scaled exact (f64 y) mag)
        bitEqual "affineRelu32 vs max(affine32, 0)" (y |> Array.map (fun v -> float (MathF.Max(v, 0.0f)))) (f64 yr))

/// The float64 oracle of the fused reverse: gm = g·[y > 0], then the float64 reduceGrad and the dx terms.
let private checkReverse (training: bool) (largeMean: bool) (rng: Random) =
    let n, c, p = shapeOf rng
    let x = input rng largeMean n c p
    let g = Array.init x.Length (fun _ -> float32 (2.0 * rng.NextDouble() - 1.0))
    let gamma = Array.init c (fun _ -> 0.5 + rng.NextDouble())
    let beta = Array.init c (fun _ -> rng.NextDouble() - 0.5)

    let mean, var =
        if training then
            RawNorm.stats n c p (f64 x)
        else
            let m, v = RawNorm.stats n c p (f64 x)
            Array.map (fun a -> a + 0.1 * rng.NextDouble()) m, Array.map (fun a -> a * (0.5 + rng.NextDouble())) v

    let invStd = var |> Array.map (fun v -> 1.0 / sqrt (v + 1e-5))
    let scale = Array.init c (fun i -> gamma[i] * invStd[i])
    let shift = Array.init c (fun i -> beta[i] - mean[i] * scale[i])
    let y = RawNorm.affineRelu32 n c p scale shift x

    let sg, sgx, dx =
        RawNorm.reluBackward32 training true n c p mean invStd gamma scale x y g

    let gm = Array.init x.Length (fun j -> if y[j] > 0.0f then float g[j] else 0.0)
    let x64 = f64 x
    let sg64, sgx64 = RawNorm.reduceGrad n c p mean invStd x64 gm
    let chOf j = (j / p) % c

    let xh j =
        (x64[j] - mean[chOf j]) * invStd[chOf j]

    let m0off ch =
        abs (mean[ch] - float (float32 mean[ch])) * invStd[ch]

    let absG = Array.zeroCreate c
    let absGx = Array.zeroCreate c

    for j in 0 .. x.Length - 1 do
        absG[chOf j] <- absG[chOf j] + abs gm[j]
        absGx[chOf j] <- absGx[chOf j] + abs gm[j] * (abs (xh j) + m0off (chOf j))

    let zeros = Array.zeroCreate c
    closeTo "Σgm error / Σ|gm|" gradSumTol zeros (scaled sg64 sg (absG |> Array.map (fun a -> a + 1e-30)))
    closeTo "Σgm·x̂ error / Σ|gm|(|x̂| + ..)" gradSumTol zeros (scaled sgx64 sgx (absGx |> Array.map (fun a -> a + 1e-30)))

    // dx from the kernel's own sums, so that this checks the dx pass alone
    let m = float (n * p)

    let expected, mag =
        Array.init x.Length (fun j ->
            let ch = chOf j

            if training then
                let k1 = gamma[ch] * invStd[ch]
                let mg, mgx = sg[ch] / m, sgx[ch] / m
                let bx = k1 * mgx * invStd[ch]

                k1 * (gm[j] - mg - xh j * mgx),
                abs k1 * (abs gm[j] + abs mg + abs (xh j * mgx))
                + 2.0 * abs bx * abs (mean[ch] - float (float32 mean[ch]))
                + 1e-37
            else
                scale[ch] * gm[j], abs (scale[ch] * gm[j]) + 1e-37)
        |> Array.unzip

    closeTo (sprintf "dx error / |terms|, training=%b" training) dxTol (Array.zeroCreate x.Length) (scaled expected (f64 dx) mag)

[<Fact>]
let ``float32 reverse of batch norm + ReLU matches the float64 oracle in both modes`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        checkReverse (rng.Next 2 = 0) false rng)

[<Fact>]
let ``float32 reverse keeps its accuracy when the mean is 1e3 times the std`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        checkReverse (rng.Next 2 = 0) true rng)

[<Fact>]
let ``fused reverse kernel equals the unfused kernels on the masked adjoint bit for bit`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let n, c, p = shapeOf rng
        let x = input rng (rng.Next 2 = 0) n c p
        let g = Array.init x.Length (fun _ -> float32 (2.0 * rng.NextDouble() - 1.0))
        let gamma = Array.init c (fun _ -> 0.5 + rng.NextDouble())
        let mean, var = RawNorm.stats32 n c p x
        let invStd = var |> Array.map (fun v -> 1.0 / sqrt (v + 1e-5))
        let scale = Array.init c (fun i -> gamma[i] * invStd[i])
        let shift = Array.init c (fun i -> 0.3 - mean[i] * scale[i])
        let y = RawNorm.affineRelu32 n c p scale shift x
        let gm = Array.init x.Length (fun j -> if y[j] > 0.0f then g[j] else g[j] * 0.0f)

        for training in [ true; false ] do
            let sg, sgx, dx =
                RawNorm.reluBackward32 training true n c p mean invStd gamma scale x y g

            let sgU, sgxU = RawNorm.reduceGrad32 n c p mean invStd x gm

            let dxU =
                if training then
                    RawNorm.trainBackward32 n c p mean invStd gamma sgU sgxU x gm
                else
                    RawNorm.affine32 n c p scale (Array.zeroCreate c) gm

            bitEqual "Σg" sgU sg
            bitEqual "Σg·x̂" sgxU sgx
            bitEqual (sprintf "dx, training=%b" training) (f64 dxU) (f64 dx))
