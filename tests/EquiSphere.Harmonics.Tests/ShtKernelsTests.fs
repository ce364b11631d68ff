/// The SHT's SIMD paths forced one by one (Vector&lt;T&gt; and Vector512 kernels, tables and the fused recurrence,
/// the paired ring FFTs) against a direct Legendre-sum oracle, and the Vector512 start table's skipping of
/// negligible Legendre values against `Legendre.column`.
module ShtKernelsTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open TestKit
open Bandlimited

/// Tolerances of the kernel comparisons.
module private KernelTol =
    /// A fast path against the direct oracle, relative L2 (the SHT's float64 bar).
    let oracle = 1e-13
    /// Skipping negligible values (|λ| ≤ 1e-30) against the same recurrence without skipping, relative L2.
    let skipping = 1e-14
    /// Start values of the skipped recurrence against `Legendre.column`, relative.
    let startValue = 1e-12

let private sequential (simd: SimdWidth) (tables: LegendreTables) (b: int) =
    Sht.planWithSimd
        simd
        {
            Tables = tables
            MaxDegreeOfParallelism = 1
        }
        b

/// Direct synthesis Σ_l Σ_m a_l^m λ_l^m(θ_j) e^{imφ_k} on the [2B, 2B] grid: `Legendre.column` per ring and order,
/// then a plain sum over m (no FFT, no SHT kernels).
let private oracleSynthesis (b: int) (a: Complex[]) =
    let n = 2 * b
    let c = Legendre.coefficients (b - 1)
    let thetas = Grid.colatitudes b
    let phis = Grid.longitudes b
    let f = Array2D.zeroCreate n n

    for j in 0 .. n - 1 do
        // G_m(θ_j) for −b < m < b.
        let g = Array.zeroCreate (2 * b - 1)

        for m in 0 .. b - 1 do
            let lambda = Legendre.column c m (b - 1) thetas[j]
            let sign = if m % 2 = 0 then 1.0 else -1.0

            for l in m .. b - 1 do
                let v = lambda[l - m]
                g[b - 1 + m] <- g[b - 1 + m] + a[l * l + l + m] * v

                if m > 0 then
                    g[b - 1 - m] <- g[b - 1 - m] + a[l * l + l - m] * (sign * v)

        for k in 0 .. n - 1 do
            let mutable s = Complex.Zero

            for mm in 0 .. 2 * b - 2 do
                let m = mm - (b - 1)
                s <- s + g[mm] * Complex.FromPolarCoordinates(1.0, float m * phis[k])

            f[j, k] <- s

    f

/// Direct quadrature analysis f_l^m = Σ_j w_j λ_l^m(θ_j) Σ_k f(θ_j, φ_k) e^{−imφ_k} (plain DFT per ring).
let private oracleAnalysis (b: int) (f: float[,]) =
    let n = 2 * b
    let c = Legendre.coefficients (b - 1)
    let thetas = Grid.colatitudes b
    let phis = Grid.longitudes b
    let w = Grid.quadratureWeights b
    let out = Array.zeroCreate (b * b)

    for j in 0 .. n - 1 do
        for m in -(b - 1) .. b - 1 do
            let mutable s = Complex.Zero

            for k in 0 .. n - 1 do
                s <- s + f[j, k] * Complex.FromPolarCoordinates(1.0, -float m * phis[k])

            let lambda = Legendre.column c (abs m) (b - 1) thetas[j]
            let sign = if m < 0 && (-m) % 2 = 1 then -1.0 else 1.0

            for l in abs m .. b - 1 do
                out[l * l + l + m] <- out[l * l + l + m] + w[j] * sign * lambda[l - abs m] * s

    out

let private check (what: string) (tol: float) (expected: float[]) (actual: float[]) =
    let err = relativeL2 expected actual

    if err > tol then
        failwithf "%s: relative L2 %.3e > %.1e" what err tol

[<Fact>]
let ``every SIMD kernel path agrees with the direct Legendre-sum oracle`` () =
    // B = 32, 64, 128: paired ring FFTs (8 or 4 lanes) and whole 32-ring chunks; B = 40, 96: the per-ring FFT and,
    // at 40, rings past the last chunk on the Vector<T> kernels.
    property 5 (fun (seed: int) ->
        let rng = Random seed
        let b = [| 32; 40; 64; 96; 128 |][rng.Next 5]
        let a = realCoefficients rng b
        let expected = oracleSynthesis b a |> Array2D.map (fun z -> z.Real)
        let analysis = oracleAnalysis b expected

        for simd in [ SimdWidth.Vector; SimdWidth.Vector512 ] do
            for tables in [ LegendreTables.Precomputed; LegendreTables.Recomputed ] do
                let plan = sequential simd tables b
                let what = sprintf "B=%d %A %A" b simd tables
                let f = Sht.inverse plan a
                check (what + " inverse") KernelTol.oracle (flat expected) (flat f)
                let back = Sht.forward plan expected
                check (what + " forward") KernelTol.oracle (flatten analysis) (flatten back)
                check (what + " round trip") KernelTol.oracle (flatten a) (flatten back))

[<Fact>]
let ``paired ring FFTs of either width agree with the naive oracles`` () =
    property 6 (fun (seed: int) ->
        let rng = Random seed
        let b = [| 8; 16 |][rng.Next 2]
        let a = coefficients rng b
        let re = naiveSynthesis b b a |> Array2D.map (fun c -> c.Real)
        let f = Array2D.init (2 * b) (2 * b) (fun _ _ -> rng.NextDouble() - 0.5)
        let expected = naiveAnalysis b (f |> Array2D.map (fun x -> Complex(x, 0.0)))

        for simd in [ SimdWidth.Vector; SimdWidth.Vector512 ] do
            let plan = sequential simd LegendreTables.Precomputed b
            Assert.True(plan.RingFft.IsSome, "the paired ring FFT applies")
            closeTo (sprintf "inverse B=%d %A" b simd) 1e-13 (flat re) (flat (Sht.inverse plan a))
            closeTo (sprintf "forward B=%d %A" b simd) 1e-13 (flatten expected) (flatten (Sht.forward plan f)))

[<Fact>]
let ``skipping negligible legendre values changes results by less than 1e-14 relative`` () =
    // B = 256: chunks near the poles start their recurrence hundreds of degrees above m. The Vector<T> kernels run
    // the same rescaled recurrence from the seeds without skipping.
    let b = 256
    let rng = Random 2560
    let a = realCoefficients rng b
    let skip = sequential SimdWidth.Vector512 LegendreTables.Recomputed b
    let full = sequential SimdWidth.Vector LegendreTables.Recomputed b
    let f = Sht.inverse full a
    check "inverse" KernelTol.skipping (flat f) (flat (Sht.inverse skip a))
    check "forward" KernelTol.skipping (flatten (Sht.forward full f)) (flatten (Sht.forward skip f))

[<Fact>]
let ``the start table skips only legendre values below the threshold and starts from exact values`` () =
    let b = 256
    let plan = sequential SimdWidth.Vector512 LegendreTables.Recomputed b
    let st = plan.Fused512.Value
    let c = Legendre.coefficients (b - 1)
    let thetas = Grid.colatitudes b
    let size = ShtFused512.chunk
    let mutable skipped = 0

    for m in [ 0; 5; 40; 100; 170; 230; 255 ] do
        for ch in 0 .. st.Chunks - 1 do
            let l0 = st.First[m * st.Chunks + ch]
            Assert.True(l0 >= m || l0 = -1, sprintf "m=%d chunk %d: first degree %d" m ch l0)

            if l0 > m then
                skipped <- skipped + 1

                let columns =
                    Array.init size (fun k -> Legendre.column c m (b - 1) thetas[ch * size + k])

                for k in 0 .. size - 1 do
                    for l in m .. min l0 b - 1 do
                        let v = columns[k][l - m]

                        if abs v > ShtFused512.threshold then
                            failwithf "m=%d ring %d: |λ_%d| = %.3e above the threshold below l0 = %d" m (ch * size + k) l v l0

                if l0 < b then
                    let top = columns |> Array.map (fun col -> abs col[l0 - m]) |> Array.max
                    Assert.True(top > ShtFused512.threshold, sprintf "m=%d chunk %d: l0 = %d is not the first significant degree" m ch l0)
                    let off = st.Offset[m * st.Chunks + ch]
                    Assert.True(off >= 0, "skipped chunks carry start values")

                    for k in 0 .. size - 1 do
                        let expected = columns[k][l0 - m]

                        if abs expected > 1e-250 then
                            let actual =
                                st.Nu0[off + k] * plan.Coefficients.Scale[Legendre.triangularIndex l0 m]

                            close (sprintf "λ_%d^%d ring %d" l0 m (ch * size + k)) KernelTol.startValue 1.0 (actual / expected)

    Assert.True(skipped > 0, "B = 256 has chunks whose low degrees are all negligible")

[<Fact>]
let ``float32 batches with either kernel width match float64 per channel`` () =
    // Shared float32 Legendre blocks (C = 5) with 8-lane and 16-lane float32 kernels, ring counts with and without
    // a remainder past the last whole vector.
    property 4 (fun (seed: int) ->
        let rng = Random seed
        let b = [| 16; 24; 32; 40; 64 |][rng.Next 5]
        let channels = 5
        let reference = sequential SimdWidth.Vector LegendreTables.Precomputed b
        let coeffs = Array.init channels (fun _ -> realCoefficients rng b)
        let grids = coeffs |> Array.map (Sht.inverse reference)
        let signals = grids |> Array.collect (fun g -> flat g |> Array.map float32)
        let rounded = grids |> Array.map (Array2D.map (fun v -> float (float32 v)))
        let spec64 = rounded |> Array.collect (Sht.forward reference >> flatten)
        let a32 = coeffs |> Array.collect (flatten >> Array.map float32)

        for simd in [ SimdWidth.Vector; SimdWidth.Vector512 ] do
            let plan = sequential simd LegendreTables.Precomputed b
            let spec32 = Sht.forwardBatch32 plan channels signals |> Array.map float
            check (sprintf "forwardBatch32 B=%d %A" b simd) 2e-6 spec64 spec32
            let back = Sht.inverseBatch32 plan channels a32 |> Array.map float
            check (sprintf "inverseBatch32 B=%d %A" b simd) 2e-6 (grids |> Array.collect flat) back)

[<Fact>]
let ``float32 batches through the float64 route give the same bits on all cores as on one`` () =
    // Without tables (the per-channel float64 route for C < 4, and always with the AVX-512 fused kernels), channels run
    // in parallel on the plan's one-thread sibling: the schedule must not change a bit, and each channel must match
    // the float64 transform within the float32 tolerance.
    property 4 (fun (seed: int) ->
        let rng = Random seed
        let b = [| 8; 16; 32; 64 |][rng.Next 4]
        let channels = 2 + rng.Next 5

        let options =
            { ShtOptions.Default with
                Tables = LegendreTables.Recomputed
            }

        let allCores = Sht.planWith options b

        let one =
            Sht.planWith
                { options with
                    MaxDegreeOfParallelism = 1
                }
                b

        let coeffs = Array.init channels (fun _ -> realCoefficients rng b)
        let grids = coeffs |> Array.map (Sht.inverse one)
        let signals = grids |> Array.collect (fun g -> flat g |> Array.map float32)
        let a32 = coeffs |> Array.collect (flatten >> Array.map float32)
        let forwardAll = Sht.forwardBatch32 allCores channels signals
        let inverseAll = Sht.inverseBatch32 allCores channels a32
        Assert.Equal<float32>(Sht.forwardBatch32 one channels signals, forwardAll)
        Assert.Equal<float32>(Sht.inverseBatch32 one channels a32, inverseAll)
        let rounded = grids |> Array.map (Array2D.map (fun v -> float (float32 v)))

        check
            (sprintf "forwardBatch32 B=%d C=%d" b channels)
            2e-6
            (rounded |> Array.collect (Sht.forward one >> flatten))
            (forwardAll |> Array.map float)

        check (sprintf "inverseBatch32 B=%d C=%d" b channels) 2e-6 (grids |> Array.collect flat) (inverseAll |> Array.map float))
