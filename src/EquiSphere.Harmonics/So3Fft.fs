namespace EquiSphere.Harmonics

open System
open System.Numerics
open System.Threading.Tasks

/// A plan for the SO(3) Fourier transform of bandwidth B on the SOFT grid (So3Grid, (2B)³ rotations [α, β, γ]):
/// the Wigner-d tables d^l_{m'm}(β_j) for the northern half of the β grid (j < B; the southern half follows from
/// d^l_{m'm}(π − β) = (−1)^{l+m'} d^l_{m',−m}(β)), the β quadrature weights and the FFT plan of length 2B.
/// Tables are precomputed while they fit in `So3Fft.TableBudgetBytes` (B ≤ 64: (2/3)B⁴ doubles), otherwise
/// recomputed per β during each transform by Risbo's recursion. Immutable and safe to share across threads.
[<Sealed>]
type So3FftPlan internal (b: int, weights: float[], tables: float[][] option, fft: FftPlan) =
    /// The bandwidth B: degrees l < B, the grid has (2B)³ rotations.
    member _.Bandwidth = b

    /// Whether the Wigner-d tables are precomputed (true) or recomputed per transform (false).
    member _.HasTables = tables.IsSome

    /// Bytes held by the plan's tables.
    member _.MemoryBytes: int64 =
        tables
        |> Option.map (Array.sumBy (fun t -> int64 t.Length * 8L))
        |> Option.defaultValue 0L

    /// Quadrature weights v_j with Σ_j v_j g(β_j) = ∫₀^π g(β) sin β dβ for g of degree < 2B in cos β.
    member internal _.Weights = weights
    member internal _.Tables = tables
    member internal _.Fft = fft

/// The SO(3) Fourier transform on the SOFT grid in O(B⁴): an FFT over α and γ per β, then a Wigner-d transform over
/// β. A function on SO(3) of bandwidth B is f(R) = Σ_{l<B} Σ_{m',m} f^l_{m'm} D^l_{m'm}(R) with
/// D^l_{m'm}(α, β, γ) = e^{−im'α} d^l_{m'm}(β) e^{−imγ} (DESIGN.md); its coefficients are
/// f^l_{m'm} = (2l+1)/(8π²) ∫ f(R) conj D^l_{m'm}(R) dR.
/// Layout: grid samples are [α_i, β_j, γ_k] row-major in a flat array of (2B)³; coefficients are packed by degree,
/// then m', then m: index l(4l²−1)/3 + (m'+l)(2l+1) + (m+l), B(4B²−1)/3 in all (`So3Fft.index`, `So3Fft.count`).
/// Laws: inverse (forward f) = f on band-limited samples; forward (inverse c) = c; the inverse is the pointwise sum
/// Σ f^l_{m'm} D^l_{m'm}(R) at the grid rotations.
[<RequireQualifiedAccess>]
module So3Fft =

    /// The largest table a plan precomputes (bytes); above it, d is recomputed per β in each transform.
    [<Literal>]
    let TableBudgetBytes = 256L * 1024L * 1024L

    /// The number of coefficients of bandwidth B: Σ_{l<B} (2l+1)² = B(4B²−1)/3.
    let count (b: int) = b * (4 * b * b - 1) / 3

    /// The packed index of f^l_{m'm}: l(4l²−1)/3 + (m'+l)(2l+1) + (m+l).
    let index (l: int) (mPrime: int) (m: int) =
        l * (4 * l * l - 1) / 3 + (mPrime + l) * (2 * l + 1) + m + l

    /// The d table of one β: d^l_{m'm}(β) for l < B in the coefficient layout (`index`).
    let internal table (b: int) (beta: float) =
        let t = Array.zeroCreate (count b)
        let lmax = b - 1
        let n = 2 * lmax + 1

        Wigner.iterate lmax beta (fun l d ->
            let w = 2 * l + 1
            let off = index l -l -l

            for mp in -l .. l do
                Array.blit d ((mp + lmax) * n + lmax - l) t (off + (mp + l) * w) w)

        t

    /// A plan for bandwidth b (1 ≤ b ≤ 2048).
    let plan (b: int) : So3FftPlan =
        Check.bandwidth (nameof b) b
        let n = 2 * b

        let weights =
            Grid.quadratureWeights b |> Array.map (fun w -> w * float n / (2.0 * Math.PI))

        let bytes = int64 b * int64 (count b) * 8L
        let betas = So3Grid.betas b

        let tables =
            if bytes <= TableBudgetBytes then
                Some(Array.Parallel.init b (fun j -> table b betas[j]))
            else
                None

        So3FftPlan(b, weights, tables, Fft.plan n)

    /// The d table of β_j (j < B) from the plan or freshly computed.
    let private tableOf (plan: So3FftPlan) (j: int) =
        match plan.Tables with
        | Some t -> t[j]
        | None -> table plan.Bandwidth (So3Grid.betas plan.Bandwidth).[j]

    /// y[yo + i] += x[xo + i] · d[dOff + i] for i < len (SIMD).
    let inline private mulAdd (len: int) (x: float[]) (xo: int) (d: float[]) (dOff: int) (y: float[]) (yo: int) =
        let w = Vector<float>.Count
        let mutable i = 0

        while i <= len - w do
            let r =
                Vector<float>(y, yo + i) + Vector<float>(x, xo + i) * Vector<float>(d, dOff + i)

            r.CopyTo(y, yo + i)
            i <- i + w

        while i < len do
            y[yo + i] <- y[yo + i] + x[xo + i] * d[dOff + i]
            i <- i + 1

    /// The 2D DFT of a (2B)² plane [row, col] in place, unnormalized, with sign −1 (`negative`) or +1.
    let internal dft2 (fft: FftPlan) (negative: bool) (re: float[]) (im: float[]) =
        let n = fft.Length
        let sl = max n (Fft.scratchLength fft)
        let rowRe, rowIm = Array.zeroCreate n, Array.zeroCreate n
        let wRe, wIm = Array.zeroCreate sl, Array.zeroCreate sl

        let run (r: float[]) (i: float[]) =
            if negative then
                Fft.forwardSplit fft r i wRe wIm
            else
                Fft.backwardSplit fft r i wRe wIm

        for row in 0 .. n - 1 do
            Array.blit re (row * n) rowRe 0 n
            Array.blit im (row * n) rowIm 0 n
            run rowRe rowIm
            Array.blit rowRe 0 re (row * n) n
            Array.blit rowIm 0 im (row * n) n

        for col in 0 .. n - 1 do
            for row in 0 .. n - 1 do
                rowRe[row] <- re[row * n + col]
                rowIm[row] <- im[row * n + col]

            run rowRe rowIm

            for row in 0 .. n - 1 do
                re[row * n + col] <- rowRe[row]
                im[row * n + col] <- rowIm[row]

    let private checkCoefficients (name: string) (b: int) (length: int) =
        if length <> count b then
            invalidArg
                name
                (sprintf
                    "Expected B(4B²−1)/3 = %d SO(3) coefficients packed at l(4l²−1)/3 + (m'+l)(2l+1) + (m+l) for B = %d, got %d"
                    (count b)
                    b
                    length)

    let private checkSamples (name: string) (b: int) (length: int) =
        let n = 2 * b

        if length <> n * n * n then
            invalidArg
                name
                (sprintf
                    "Expected (2B)³ = %d samples on the SOFT grid [α; β; γ] = [%d; %d; %d] for B = %d, got %d"
                    (n * n * n)
                    n
                    n
                    n
                    b
                    length)

    /// Coefficient planes of one β pair: from split coefficient arrays (re, im), and their m-mirrored, signed copy
    /// g^l_{m'm} = (−1)^{l+m'} f^l_{m',−m} (for the southern β), fill T(m', m) = Σ_l f^l_{m'm} d^l_{m'm}(β_j) and
    /// U(m', m) = Σ_l g^l_{m'm} d^l_{m'm}(β_j), planes indexed [(m'+B−1)(2B−1) + (m+B−1)].
    let private synthesizePair
        (b: int)
        (d: float[])
        (fRe: float[])
        (fIm: float[])
        (gRe: float[])
        (gIm: float[])
        (tRe: float[])
        (tIm: float[])
        (uRe: float[])
        (uIm: float[])
        =
        let w = 2 * b - 1
        Array.Clear tRe
        Array.Clear tIm
        Array.Clear uRe
        Array.Clear uIm

        for l in 0 .. b - 1 do
            let len = 2 * l + 1
            let off = index l -l -l

            for mp in -l .. l do
                let src = off + (mp + l) * len
                let dst = (mp + b - 1) * w + b - 1 - l
                mulAdd len fRe src d src tRe dst
                mulAdd len fIm src d src tIm dst
                mulAdd len gRe src d src uRe dst
                mulAdd len gIm src d src uIm dst

    /// g^l_{m'm} = (−1)^{l+m'} f^l_{m',−m}: the row-reversed, signed copy used for the southern β of a pair.
    let private mirror (b: int) (fRe: float[]) (fIm: float[]) =
        let gRe = Array.zeroCreate fRe.Length
        let gIm = Array.zeroCreate fIm.Length

        for l in 0 .. b - 1 do
            for mp in -l .. l do
                let sign = if (l + mp) % 2 = 0 then 1.0 else -1.0
                let row = index l mp 0

                for m in -l .. l do
                    gRe[row + m] <- sign * fRe[row - m]
                    gIm[row + m] <- sign * fIm[row - m]

        gRe, gIm

    /// Writes the plane T(m', m) into a (2B)² DFT buffer at [(m' mod 2B), (m mod 2B)]; `flip` reads T(m', −m).
    let private scatter (b: int) (flip: bool) (tRe: float[]) (tIm: float[]) (re: float[]) (im: float[]) =
        let n = 2 * b
        let w = 2 * b - 1
        Array.Clear re
        Array.Clear im

        for mp in -(b - 1) .. b - 1 do
            let row = ((mp + n) % n) * n
            let src = (mp + b - 1) * w + b - 1

            for m in -(b - 1) .. b - 1 do
                let s = if flip then src - m else src + m
                let i = row + (m + n) % n
                re[i] <- tRe[s]
                im[i] <- tIm[s]

    /// The inverse on split coefficients; returns the (2B)³ samples as (re, im).
    let internal inverseSplit (plan: So3FftPlan) (fRe: float[]) (fIm: float[]) =
        let b = plan.Bandwidth
        let n = 2 * b
        let gRe, gIm = mirror b fRe fIm
        let outRe = Array.zeroCreate (n * n * n)
        let outIm = Array.zeroCreate (n * n * n)
        let w = 2 * b - 1

        Parallel.For(
            0,
            b,
            (fun () ->
                Array.init 4 (fun _ -> Array.zeroCreate<float>(w * w)), Array.zeroCreate<float>(n * n), Array.zeroCreate<float>(n * n)),
            (fun j _ (planes: float[][], re: float[], im: float[]) ->
                let d = tableOf plan j
                synthesizePair b d fRe fIm gRe gIm planes[0] planes[1] planes[2] planes[3]

                for jj, flip, pr, pi in [ j, false, planes[0], planes[1]; n - 1 - j, true, planes[2], planes[3] ] do
                    scatter b flip pr pi re im
                    dft2 plan.Fft true re im

                    for i in 0 .. n - 1 do
                        for k in 0 .. n - 1 do
                            let dst = (i * n + jj) * n + k
                            outRe[dst] <- re[i * n + k]
                            outIm[dst] <- im[i * n + k]

                planes, re, im),
            (fun _ -> ())
        )
        |> ignore

        outRe, outIm

    /// The forward transform on split samples; returns split coefficients.
    let internal forwardSplit (plan: So3FftPlan) (sRe: float[]) (sIm: float[]) =
        let b = plan.Bandwidth
        let n = 2 * b
        let w = 2 * b - 1
        let total = count b
        let lockObj = obj ()
        let fRe = Array.zeroCreate total
        let fIm = Array.zeroCreate total
        // Accumulates the southern-β contributions in the mirrored layout g, unfolded at the end.
        let gRe = Array.zeroCreate total
        let gIm = Array.zeroCreate total

        Parallel.For(
            0,
            b,
            (fun () ->
                Array.init 4 (fun _ -> Array.zeroCreate<float> total),
                Array.init 4 (fun _ -> Array.zeroCreate<float>(w * w)),
                (Array.zeroCreate<float>(n * n), Array.zeroCreate<float>(n * n))),
            (fun j _ (acc: float[][], planes: float[][], (re: float[], im: float[])) ->
                let d = tableOf plan j
                let v = plan.Weights[j]

                for jj, p in [ j, 0; n - 1 - j, 2 ] do
                    for i in 0 .. n - 1 do
                        for k in 0 .. n - 1 do
                            let src = (i * n + jj) * n + k
                            re[i * n + k] <- sRe[src]
                            im[i * n + k] <- sIm[src]

                    dft2 plan.Fft false re im
                    // S(m', m) = v_j Σ_{i,k} f e^{+im'α_i} e^{+imγ_k}; the southern plane is stored m-reversed.
                    let pr, pi = planes[p], planes[p + 1]

                    for mp in -(b - 1) .. b - 1 do
                        let row = ((mp + n) % n) * n
                        let dst = (mp + b - 1) * w + b - 1

                        for m in -(b - 1) .. b - 1 do
                            let s = row + (m + n) % n
                            let t = if p = 0 then dst + m else dst - m
                            pr[t] <- v * re[s]
                            pi[t] <- v * im[s]

                for l in 0 .. b - 1 do
                    let len = 2 * l + 1
                    let off = index l -l -l

                    for mp in -l .. l do
                        let dst = off + (mp + l) * len
                        let src = (mp + b - 1) * w + b - 1 - l
                        mulAdd len planes[0] src d dst acc[0] dst
                        mulAdd len planes[1] src d dst acc[1] dst
                        mulAdd len planes[2] src d dst acc[2] dst
                        mulAdd len planes[3] src d dst acc[3] dst

                acc, planes, (re, im)),
            (fun (acc, _, _) ->
                lock lockObj (fun () ->
                    for i in 0 .. total - 1 do
                        fRe[i] <- fRe[i] + acc[0][i]
                        fIm[i] <- fIm[i] + acc[1][i]
                        gRe[i] <- gRe[i] + acc[2][i]
                        gIm[i] <- gIm[i] + acc[3][i]))
        )
        |> ignore

        // f^l_{m'm} += (−1)^{l+m'} g^l_{m',−m}, then the normalization (2l+1)/(8π²) · (2π/2B)².
        let h = 2.0 * Math.PI / float n

        for l in 0 .. b - 1 do
            let scale = float (2 * l + 1) / (8.0 * Math.PI * Math.PI) * h * h

            for mp in -l .. l do
                let sign = if (l + mp) % 2 = 0 then 1.0 else -1.0
                let row = index l mp 0

                for m in -l .. l do
                    fRe[row + m] <- scale * (fRe[row + m] + sign * gRe[row - m])
                    fIm[row + m] <- scale * (fIm[row + m] + sign * gIm[row - m])

        fRe, fIm

    /// Forward transform (analysis) of (2B)³ complex samples f(α_i, β_j, γ_k), flat [α, β, γ] row-major, to
    /// B(4B²−1)/3 coefficients f^l_{m'm} = (2l+1)/(8π²) ∫ f conj D^l_{m'm} dR (exact by quadrature for band-limited
    /// f). Law: forward (inverse c) = c.
    let forward (plan: So3FftPlan) (samples: Complex[]) : Complex[] =
        if isNull samples then
            nullArg (nameof samples)

        checkSamples (nameof samples) plan.Bandwidth samples.Length
        let re = samples |> Array.map (fun z -> z.Real)
        let im = samples |> Array.map (fun z -> z.Imaginary)
        let fRe, fIm = forwardSplit plan re im
        Array.init fRe.Length (fun i -> Complex(fRe[i], fIm[i]))

    /// Inverse transform (synthesis): f(R) = Σ_{l<B} Σ_{m',m} f^l_{m'm} D^l_{m'm}(R) at the (2B)³ SOFT grid rotations,
    /// flat [α, β, γ] row-major. Law: inverse (forward f) = f for band-limited f.
    let inverse (plan: So3FftPlan) (coeffs: Complex[]) : Complex[] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        checkCoefficients (nameof coeffs) plan.Bandwidth coeffs.Length
        let re = coeffs |> Array.map (fun z -> z.Real)
        let im = coeffs |> Array.map (fun z -> z.Imaginary)
        let oRe, oIm = inverseSplit plan re im
        Array.init oRe.Length (fun i -> Complex(oRe[i], oIm[i]))

    /// Σ_{l<B} Σ_{m',m} f^l_{m'm} D^l_{m'm}(R) at one rotation R (B = bandwidth of the coefficient vector); O(B³).
    let evaluate (b: int) (coeffs: Complex[]) (r: Rotation) : Complex =
        Check.bandwidth (nameof b) b

        if isNull coeffs then
            nullArg (nameof coeffs)

        checkCoefficients (nameof coeffs) b coeffs.Length
        let alpha, beta, gamma = Rotation.toEulerZyz r
        let lmax = b - 1
        let n = 2 * lmax + 1
        let mutable sum = Complex.Zero

        let ea =
            Array.init n (fun i -> Complex.FromPolarCoordinates(1.0, -float(i - lmax) * alpha))

        let eg =
            Array.init n (fun i -> Complex.FromPolarCoordinates(1.0, -float(i - lmax) * gamma))

        Wigner.iterate lmax beta (fun l d ->
            for mp in -l .. l do
                let mutable row = Complex.Zero
                let src = (mp + lmax) * n + lmax

                for m in -l .. l do
                    row <- row + coeffs[index l mp m] * (d[src + m] * eg[m + lmax])

                sum <- sum + ea[mp + lmax] * row)

        sum
