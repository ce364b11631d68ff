namespace EquiSphere.Harmonics

open System
open System.Collections.Concurrent
open System.Numerics
open System.Threading.Tasks

/// A local maximum of a correlation: a rotation and its score.
type CorrelationPeak =
    {
        /// The rotation R of the peak (f1 ≈ Λ_R f2 there).
        Rotation: Rotation
        /// G(R) / (‖f1‖ ‖f2‖): the normalized correlation in [−1, 1] (1 for an exact match up to rotation).
        Score: float
    }

/// The result of aligning two multi-channel spherical signals by SO(3) correlation.
type Alignment =
    {
        /// The best rotation R* (refined below the grid cell), with f1 ≈ Λ_{R*} f2.
        Rotation: Rotation
        /// The normalized correlation at R*, in [−1, 1].
        Score: float
        /// The best distinct peaks, best first (the first is Rotation/Score), at least `minSeparation` apart.
        Peaks: CorrelationPeak[]
    }

/// How `Correlation.align` brings grids coarser than the target bandwidth B up to it.
[<RequireQualifiedAccess>]
type Upsampling =
    /// SHT at the input's own bandwidth b, coefficients zero for b ≤ l < B (band-limited interpolation): exact for
    /// band-limited inputs and the cheapest.
    | Spectral
    /// Longitude-periodic bicubic interpolation of each grid by the integer factor B/b (Resample.upsampleBicubic), then
    /// the SHT at B: the cross-domain paper's default for 16 × 16 embeddings.
    | Bicubic

/// S² cross-correlation of multi-channel band-limited signals, G(R) = Σ_k ∫ f1_k(x) f2_k(R⁻¹x) dx (DESIGN.md),
/// computed spectrally: G(R) = Σ_l Σ_{m',m} g^l_{m'm} D^l_{m'm}(R) with g^l_{m'm} = Σ_k conj(f1_{k,l}^{m'}) f2_{k,l}^m
/// (channels summed first), then the inverse SO(3) FFT on the SOFT grid (per β_j, S(m', m) = Σ_l g^l_{m'm} d^l_{m'm}(β_j),
/// then a 2D FFT over (α, γ)). Its argmax R* is the rotation with f1 ≈ Λ_{R*} f2.
/// Laws: G(R) equals the quadrature of its definition; correlating f with Λ_R f peaks at R; G(R) ≤ ‖f1‖ ‖f2‖.
[<RequireQualifiedAccess>]
module Correlation =

    /// Default minimum geodesic separation of distinct peaks: 10° (radians).
    let DefaultMinSeparation = 10.0 * Math.PI / 180.0

    let private checkChannels (name: string) (signal: Complex[][]) =
        if isNull signal then
            nullArg name

        if signal.Length = 0 then
            invalidArg name "Expected at least one channel, got 0"

        signal
        |> Array.iteri (fun i c ->
            if isNull c then
                nullArg (sprintf "%s[%d]" name i))

        let b = Rotate.bandwidthOf (sprintf "%s[0]" name) signal[0].Length

        signal
        |> Array.iteri (fun i c -> Check.coefficientCount (sprintf "%s[%d]" name i) b c.Length)

        b

    /// The split coefficients (re, im) of G at bandwidth b: g^l_{m'm} = Σ_k conj(f1_{k,l}^{m'}) f2_{k,l}^m for l below
    /// both inputs' bandwidths and b (zero elsewhere).
    /// gRe[row + i] += xr bRe[src + i] + xi bIm[src + i]; gIm[row + i] += xr bIm[src + i] − xi bRe[src + i] (SIMD).
    let inline private conjMulAdd
        (len: int)
        (xr: float)
        (xi: float)
        (bRe: float[])
        (bIm: float[])
        (src: int)
        (gRe: float[])
        (gIm: float[])
        (row: int)
        =
        let vw = Vector<float>.Count
        let vr = Vector<float>(xr)
        let vi = Vector<float>(xi)
        let mutable i = 0

        while i <= len - vw do
            let br = Vector<float>(bRe, src + i)
            let bi = Vector<float>(bIm, src + i)
            (Vector<float>(gRe, row + i) + vr * br + vi * bi).CopyTo(gRe, row + i)
            (Vector<float>(gIm, row + i) + vr * bi - vi * br).CopyTo(gIm, row + i)
            i <- i + vw

        while i < len do
            let br, bi = bRe[src + i], bIm[src + i]
            gRe[row + i] <- gRe[row + i] + xr * br + xi * bi
            gIm[row + i] <- gIm[row + i] + xr * bi - xi * br
            i <- i + 1

    /// With `half`, only the rows m' ≥ 0 are filled (enough for real signals, whose G coefficients satisfy
    /// g^l_{−m',−m} = (−1)^{m'−m} conj g^l_{m'm}).
    let internal coefficientsSplit (half: bool) (b: int) (f1: Complex[][]) (f2: Complex[][]) =
        let b1 = checkChannels (nameof f1) f1
        let b2 = checkChannels (nameof f2) f2

        if f1.Length <> f2.Length then
            invalidArg (nameof f2) (sprintf "Expected as many channels as f1 (%d), got %d" f1.Length f2.Length)

        let lmax = (min b (min b1 b2)) - 1
        let total = So3Fft.count b
        let gRe = Array.zeroCreate total
        let gIm = Array.zeroCreate total
        let channels = f1.Length

        let splitOf (f: Complex[][]) (c: int) =
            let re = Array.init ((lmax + 1) * (lmax + 1)) (fun i -> f.[c].[i].Real)
            let im = Array.init ((lmax + 1) * (lmax + 1)) (fun i -> f.[c].[i].Imaginary)
            re, im

        let s1 = Array.init channels (splitOf f1)
        let s2 = Array.init channels (splitOf f2)

        Parallel.For(
            0,
            lmax + 1,
            fun i ->
                let l = lmax - i
                let w = 2 * l + 1
                let c0 = l * l + l
                let off = So3Fft.index l -l -l

                for c in 0 .. channels - 1 do
                    let aRe, aIm = s1[c]
                    let bRe, bIm = s2[c]

                    for mp in (if half then 0 else -l) .. l do
                        let xr, xi = aRe[c0 + mp], aIm[c0 + mp]
                        let row = off + (mp + l) * w
                        let src = c0 - l
                        // conj(a) b = (xr − i xi)(br + i bi) = (xr br + xi bi) + i (xr bi − xi br)
                        conjMulAdd w xr xi bRe bIm src gRe gIm row
        )
        |> ignore

        gRe, gIm, lmax + 1

    /// The SO(3) coefficients of G at bandwidth b, packed as in `So3Fft` (index l(4l²−1)/3 + (m'+l)(2l+1) + (m+l)).
    /// Inputs are [channel][l² + l + m]; degrees at or above b are dropped, missing ones are zero.
    let coefficients (b: int) (f1: Complex[][]) (f2: Complex[][]) : Complex[] =
        Check.bandwidth (nameof b) b
        let re, im, _ = coefficientsSplit false b f1 f2
        Array.init re.Length (fun i -> Complex(re[i], im[i]))

    /// G(R) exactly from its coefficients (bandwidth b), O(b³).
    let value (b: int) (g: Complex[]) (r: Rotation) : float = (So3Fft.evaluate b g r).Real

    /// G(R) of real signals from the rows m' ≥ 0 of split coefficients: Σ_l Re[Σ_m g_{0m} d_{0m} e^{−imγ}] +
    /// 2 Σ_{m'>0} Re[e^{−im'α} Σ_m g_{m'm} d_{m'm}(β) e^{−imγ}]; O(b³).
    let private valueHalf (b: int) (gRe: float[]) (gIm: float[]) (r: Rotation) =
        let alpha, beta, gamma = Rotation.toEulerZyz r
        let lmax = b - 1
        let n = 2 * lmax + 1
        let cg = Array.init n (fun i -> cos (float (i - lmax) * gamma))
        let sg = Array.init n (fun i -> sin (float (i - lmax) * gamma))
        let mutable sum = 0.0

        Wigner.iterate lmax beta (fun l d ->
            let off = So3Fft.index l -l -l
            let w = 2 * l + 1

            for mp in 0..l do
                let row = off + (mp + l) * w + l
                let src = (mp + lmax) * n + lmax
                let mutable re = 0.0
                let mutable im = 0.0

                // Σ_m (gr + i gi) d (cos mγ − i sin mγ)
                for m in -l .. l do
                    let dv = d[src + m]
                    let c, s = cg[m + lmax], sg[m + lmax]
                    let gr, gi = gRe[row + m] * dv, gIm[row + m] * dv
                    re <- re + gr * c + gi * s
                    im <- im + gi * c - gr * s

                if mp = 0 then
                    sum <- sum + re
                else
                    // Re[(cos m'α − i sin m'α)(re + i im)] = re cos m'α + im sin m'α
                    let a = float mp * alpha
                    sum <- sum + 2.0 * (re * cos a + im * sin a))

        sum

    /// G on the SOFT grid of the plan: (2B)³ real values, flat [α, β, γ] row-major. Inputs are the coefficients of
    /// real signals ([channel][l² + l + m], f_l^{−m} = (−1)^m conj f_l^m), as `Sht.forward` returns them.
    let grid (plan: So3FftPlan) (f1: Complex[][]) (f2: Complex[][]) : float[] =
        let re, im, degrees = coefficientsSplit true plan.Bandwidth f1 f2
        So3Fft.inverseRealSplit plan degrees re im

    /// The total L² norm √(Σ_k Σ_{l,m} |f_{k,l}^m|²) over degrees l < b (Parseval).
    let private norm (b: int) (f: Complex[][]) =
        let mutable s = 0.0

        for c in f do
            for i in 0 .. (min (b * b) c.Length) - 1 do
                s <- s + c[i].Real * c[i].Real + c[i].Imaginary * c[i].Imaginary

        sqrt s

    /// The rotation exp(ω) of a rotation vector ω (axis · angle, radians).
    let private expmap (w: float[]) =
        let a = sqrt (w[0] * w[0] + w[1] * w[1] + w[2] * w[2])

        if a < 1e-300 then
            Rotation.identity
        else
            Rotation.ofAxisAngle (w[0], w[1], w[2]) a

    /// The determinant of a 3 × 3 matrix.
    let private det3 (m: float[,]) =
        m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
        - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
        + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0])

    /// Solves the 3 × 3 system H x = y by Cramer's rule (H non-singular).
    let private solve3 (h: float[,]) (y: float[]) =
        let d = det3 h

        Array.init 3 (fun k ->
            let m = Array2D.copy h

            for i in 0..2 do
                m[i, k] <- y[i]

            det3 m / d)

    /// Maximizes a smooth function f on SO(3) near r0 by Newton steps in the tangent space (R = r0 exp(ω), gradient
    /// and Hessian by finite differences), falling back to gradient steps where the Hessian is not negative definite;
    /// never returns a lower value than f(r0). Returns the rotation and f there. `step` is the initial
    /// finite-difference step in radians (about half a grid cell).
    let private maximize (f: Rotation -> float) (step: float) (r0: Rotation) : Rotation * float =
        let mutable r = r0
        let mutable fr = f r0
        let mutable h = step
        let mutable iter = 0

        let mutable converged = false

        while not converged && iter < 8 && h > 1e-7 do
            iter <- iter + 1
            let at (w: float[]) = f (r * expmap w)

            let e i s =
                Array.init 3 (fun k -> if k = i then s else 0.0)

            let plus = Array.init 3 (fun i -> at (e i h))
            let minus = Array.init 3 (fun i -> at (e i -h))
            let grad = Array.init 3 (fun i -> (plus[i] - minus[i]) / (2.0 * h))
            let hess = Array2D.zeroCreate 3 3

            for i in 0..2 do
                hess[i, i] <- (plus[i] - 2.0 * fr + minus[i]) / (h * h)

                for j in i + 1 .. 2 do
                    let pp = at (Array.init 3 (fun k -> if k = i || k = j then h else 0.0))
                    let v = (pp - plus[i] - plus[j] + fr) / (h * h)
                    hess[i, j] <- v
                    hess[j, i] <- v

            // Negative definite iff the leading principal minors alternate in sign (−, +, −).
            let negativeDefinite =
                hess[0, 0] < 0.0
                && hess[0, 0] * hess[1, 1] - hess[0, 1] * hess[1, 0] > 0.0
                && det3 hess < 0.0

            let newton =
                if negativeDefinite then
                    Some(solve3 hess (Array.map (fun v -> -v) grad))
                else
                    None

            let gn = sqrt (grad |> Array.sumBy (fun v -> v * v))

            let mutable delta =
                match newton with
                | Some d when sqrt (d |> Array.sumBy (fun v -> v * v)) <= 4.0 * h -> d
                | _ ->
                    if gn > 0.0 then
                        Array.map (fun v -> v * h / gn) grad
                    else
                        Array.zeroCreate 3

            let mutable accepted = false
            let mutable tries = 0

            while not accepted && tries < 4 do
                let candidate = r * expmap delta
                let fc = f candidate

                if fc >= fr then
                    r <- candidate
                    fr <- fc
                    accepted <- true
                else
                    delta <- Array.map (fun v -> v / 2.0) delta
                    tries <- tries + 1

            let moved = sqrt (delta |> Array.sumBy (fun v -> v * v))
            // A Newton step this small means the maximum is found far below any useful precision (6e-5°).
            converged <- accepted && moved < 1e-6

            h <-
                if accepted then
                    max (min h (moved / 2.0)) (h / 16.0)
                else
                    h / 4.0

        r, fr

    /// Maximizes G near r0 (coefficients g of bandwidth b, as `coefficients` returns them) by Newton steps in the
    /// tangent space R = r0 exp(ω) with finite-difference gradient and Hessian of the exact G (through Wigner-D),
    /// falling back to gradient steps where the Hessian is not negative definite; never returns a lower value than
    /// G(r0). `step` is the initial finite-difference step in radians (about half a grid cell). Returns (R, G(R)).
    let refine (b: int) (g: Complex[]) (step: float) (r0: Rotation) : Rotation * float = maximize (value b g) step r0

    /// The peaks of G held in values[0 .. (2B)³ − 1] (values may be longer): `gridPeaks` without the checks.
    let private peaksIn (b: int) (count: int) (minSeparation: float) (values: float[]) : (Rotation * float)[] =
        let n = 2 * b
        let candidates = ResizeArray()

        if count = 1 then
            let mutable best = 0

            for i in 1 .. n * n * n - 1 do
                if values[i] > values[best] then
                    best <- i

            candidates.Add(struct (values[best], best / (n * n), (best / n) % n, best % n))
        else
            for i in 0 .. n - 1 do
                for j in 0 .. n - 1 do
                    for k in 0 .. n - 1 do
                        let v = values[(i * n + j) * n + k]

                        let at i j k =
                            values[(((i + n) % n) * n + j) * n + (k + n) % n]

                        if
                            v >= at (i - 1) j k
                            && v >= at (i + 1) j k
                            && v >= at i j (k - 1)
                            && v >= at i j (k + 1)
                            && (j = 0 || v >= at i (j - 1) k)
                            && (j = n - 1 || v >= at i (j + 1) k)
                        then
                            candidates.Add(struct (v, i, j, k))

        let sorted =
            candidates.ToArray() |> Array.sortByDescending (fun struct (v, _, _, _) -> v)

        let kept = ResizeArray<Rotation * float>()
        let mutable idx = 0

        while kept.Count < count && idx < sorted.Length do
            let struct (v, i, j, k) = sorted[idx]
            let r = So3Grid.rotation b i j k

            if kept |> Seq.forall (fun (q, _) -> Rotation.angleBetween q r >= minSeparation) then
                kept.Add(r, v)

            idx <- idx + 1

        kept.ToArray()

    /// Grid local maxima (not below any of the 6 axis neighbours; α and γ wrap around), best first, thinned so that
    /// kept peaks are at least `minSeparation` radians apart (non-maximum suppression), at most `count` of them.
    /// Returns (rotation, value) pairs.
    let gridPeaks (b: int) (count: int) (minSeparation: float) (values: float[]) : (Rotation * float)[] =
        Check.bandwidth (nameof b) b

        if isNull values then
            nullArg (nameof values)

        let n = 2 * b

        if values.Length <> n * n * n then
            invalidArg (nameof values) (sprintf "Expected (2B)³ = %d grid values [α; β; γ] for B = %d, got %d" (n * n * n) b values.Length)

        if count < 1 then
            invalidArg (nameof count) (sprintf "Expected at least one peak, got %d" count)

        peaksIn b count minSeparation values

    /// G and its exact gradient and Hessian in ZYZ Euler coordinates (α, β, γ) for real signals, from the rows m' ≥ 0
    /// of split coefficients, with one Wigner-d recursion: ∂/∂α and ∂/∂γ multiply by −im' and −im, and
    /// ∂d/∂β = −iJ_y d, i.e. d'_{m'm} = ½[√((l−m')(l+m'+1)) d_{m'+1,m} − √((l+m')(l−m'+1)) d_{m'−1,m}] (applied twice
    /// for d''). Returns (G, gradient, Hessian) with the Hessian as a 3 × 3 array.
    let private eulerDerivatives (b: int) (gRe: float[]) (gIm: float[]) (alpha: float) (beta: float) (gamma: float) =
        let lmax = b - 1
        let n = 2 * lmax + 1
        let cg = Array.init n (fun i -> cos (float (i - lmax) * gamma))
        let sg = Array.init n (fun i -> sin (float (i - lmax) * gamma))
        let d1 = Array.zeroCreate<float>(n * n)
        let d2 = Array.zeroCreate<float>(n * n)
        // Accumulators: G, G_α, G_β, G_γ, G_αα, G_ββ, G_γγ, G_αβ, G_αγ, G_βγ.
        let acc = Array.zeroCreate<float> 10

        Wigner.iterate lmax beta (fun l d ->
            let up (mp: int) = sqrt (float ((l - mp) * (l + mp + 1)))
            let down (mp: int) = sqrt (float ((l + mp) * (l - mp + 1)))

            let derive (src: float[]) (dst: float[]) (mp: int) =
                let row = (mp + lmax) * n + lmax
                let cu, cd = 0.5 * up mp, 0.5 * down mp

                for m in -l .. l do
                    let above = if mp < l then src[row + n + m] else 0.0
                    let below = if mp > -l then src[row - n + m] else 0.0
                    dst[row + m] <- cu * above - cd * below

            for mp in max -l -1 .. l do
                derive d d1 mp

            for mp in 0..l do
                derive d1 d2 mp

            let off = So3Fft.index l -l -l
            let w = 2 * l + 1

            for mp in 0..l do
                let row = off + (mp + l) * w + l
                let src = (mp + lmax) * n + lmax
                // Complex sums over m of g·x·e^{−imγ} for x = d, d·(−im), d·(−m²), d', d'·(−im), d''.
                let mutable a0r, a0i, a1r, a1i, a2r, a2i = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
                let mutable b0r, b0i, b1r, b1i, c0r, c0i = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0

                for m in -l .. l do
                    let c, s = cg[m + lmax], sg[m + lmax]
                    let gr, gi = gRe[row + m], gIm[row + m]
                    // h = g e^{−imγ} = (gr + i gi)(c − i s)
                    let hr, hi = gr * c + gi * s, gi * c - gr * s
                    let fm = float m
                    let dv, dp, dpp = d[src + m], d1[src + m], d2[src + m]
                    a0r <- a0r + hr * dv
                    a0i <- a0i + hi * dv
                    // (−im)(hr + i hi) = m hi − i m hr
                    a1r <- a1r + fm * hi * dv
                    a1i <- a1i - fm * hr * dv
                    a2r <- a2r - fm * fm * hr * dv
                    a2i <- a2i - fm * fm * hi * dv
                    b0r <- b0r + hr * dp
                    b0i <- b0i + hi * dp
                    b1r <- b1r + fm * hi * dp
                    b1i <- b1i - fm * hr * dp
                    c0r <- c0r + hr * dpp
                    c0i <- c0i + hi * dpp

                let weight = if mp = 0 then 1.0 else 2.0
                let fa = float mp * alpha
                let er, ei = weight * cos fa, -weight * sin fa
                let fmp = float mp
                // Re[F z] and Re[F (−im') z] = m' Im[F z], with F = er + i ei.
                let re (zr: float) (zi: float) = er * zr - ei * zi
                let reMinusI (zr: float) (zi: float) = fmp * (er * zi + ei * zr)
                acc[0] <- acc[0] + re a0r a0i
                acc[1] <- acc[1] + reMinusI a0r a0i
                acc[2] <- acc[2] + re b0r b0i
                acc[3] <- acc[3] + re a1r a1i
                acc[4] <- acc[4] - fmp * fmp * re a0r a0i
                acc[5] <- acc[5] + re c0r c0i
                acc[6] <- acc[6] + re a2r a2i
                acc[7] <- acc[7] + reMinusI b0r b0i
                acc[8] <- acc[8] + reMinusI a1r a1i
                acc[9] <- acc[9] + re b1r b1i)

        let hess =
            array2D
                [
                    [ acc[4]; acc[7]; acc[8] ]
                    [ acc[7]; acc[5]; acc[9] ]
                    [ acc[8]; acc[9]; acc[6] ]
                ]

        acc[0], [| acc[1]; acc[2]; acc[3] |], hess

    /// Newton's method on G in Euler coordinates with the exact derivatives of `eulerDerivatives`, from r0; falls back
    /// to the tangent-space `maximize` near the gimbal poles (sin β < 0.05), where the Hessian is not negative definite,
    /// or where a step would not increase G. Returns (R, G(R)).
    let private refineHalf (b: int) (gRe: float[]) (gIm: float[]) (step: float) (r0: Rotation) =
        let a0, b0, c0 = Rotation.toEulerZyz r0
        let x = [| a0; b0; c0 |]
        let mutable best = x, Double.NegativeInfinity
        let mutable failed = false
        let mutable converged = false
        let mutable iter = 0

        while not failed && not converged && iter < 12 do
            iter <- iter + 1

            if sin x[1] < 0.05 then
                failed <- true
            else
                let v, grad, hess = eulerDerivatives b gRe gIm x[0] x[1] x[2]

                if v < snd best then
                    failed <- true
                else
                    best <- Array.copy x, v

                    let negativeDefinite =
                        hess[0, 0] < 0.0
                        && hess[0, 0] * hess[1, 1] - hess[0, 1] * hess[1, 0] > 0.0
                        && det3 hess < 0.0

                    if not negativeDefinite then
                        failed <- true
                    else
                        let delta = solve3 hess (Array.map (fun v -> -v) grad)
                        let size = sqrt (delta |> Array.sumBy (fun v -> v * v))

                        if size > 8.0 * step then
                            failed <- true
                        else
                            for i in 0..2 do
                                x[i] <- x[i] + delta[i]

                            converged <- size < 1e-10

        let bx, bv = best

        let start =
            if Double.IsNegativeInfinity bv then
                r0
            else
                Rotation.ofEulerZyz bx[0] bx[1] bx[2]

        if failed || not converged then
            maximize (valueHalf b gRe gIm) (if failed then step else step / 16.0) start
        else
            start, bv

    /// Aligns two multi-channel coefficient sets of real signals ([channel][l² + l + m], f_l^{−m} = (−1)^m conj f_l^m;
    /// bandwidths may differ from the plan's):
    /// G on the plan's SOFT grid, its best `topK` distinct peaks (at least `minSeparation` radians apart), each refined
    /// below the grid cell with `refine` and thinned again after refinement (so fewer than `topK` may remain). Scores are
    /// normalized by ‖f1‖ ‖f2‖.
    let alignCoefficients (plan: So3FftPlan) (topK: int) (minSeparation: float) (f1: Complex[][]) (f2: Complex[][]) : Alignment =
        let b = plan.Bandwidth
        let re, im, degrees = coefficientsSplit true b f1 f2
        let n = 2 * b
        // G is only needed for the grid peaks: a rented buffer (no 8(2B)³-byte allocation per pair).
        let values = Buffers.ArrayPool<float>.Shared.Rent(n * n * n)
        let scale = norm b f1 * norm b f2
        let normalize v = if scale > 0.0 then v / scale else 0.0
        let step = Math.PI / float (4 * b)

        // Refinement can carry two grid peaks onto the same maximum, so a few spare candidates are refined and the
        // suppression is applied again to the refined rotations.
        let candidates =
            try
                So3Fft.inverseRealSplitInto plan degrees re im values
                peaksIn b (if topK = 1 then 1 else topK + 2) minSeparation values
            finally
                Buffers.ArrayPool<float>.Shared.Return values

        let refined =
            candidates
            |> Array.Parallel.map (fun (r, _) ->
                let rr, v = refineHalf degrees re im step r
                { Rotation = rr; Score = normalize v })
            |> Array.sortByDescending (fun p -> p.Score)

        let kept = ResizeArray<CorrelationPeak>()

        for p in refined do
            if
                kept.Count < topK
                && kept
                   |> Seq.forall (fun q -> Rotation.angleBetween q.Rotation p.Rotation >= minSeparation)
            then
                kept.Add p

        let peaks = kept.ToArray()

        {
            Rotation = peaks[0].Rotation
            Score = peaks[0].Score
            Peaks = peaks
        }

    let private shtPlans = ConcurrentDictionary<int, Lazy<ShtPlan>>()
    let private so3Plans = ConcurrentDictionary<int, Lazy<So3FftPlan>>()

    /// The shared SHT plan of bandwidth b (built once per process).
    let internal shtPlan (b: int) =
        shtPlans.GetOrAdd(b, fun b -> lazy (Sht.plan b)).Value

    /// The shared SO(3) FFT plan of bandwidth b (built once per process, then reused by every caller).
    let planFor (b: int) : So3FftPlan =
        Check.bandwidth (nameof b) b
        so3Plans.GetOrAdd(b, fun b -> lazy (So3Fft.plan b)).Value

    /// Checks multi-channel grids [channel][2b, 2b] ([θ, φ]) and returns b.
    let private gridBandwidth (name: string) (signal: float[,][]) =
        if isNull signal then
            nullArg name

        if signal.Length = 0 then
            invalidArg name "Expected at least one channel, got 0"

        signal
        |> Array.iteri (fun i c ->
            if isNull c then
                nullArg (sprintf "%s[%d]" name i))

        let rows, cols = Array2D.length1 signal[0], Array2D.length2 signal[0]

        if rows <> cols || rows % 2 <> 0 || rows < 2 then
            invalidArg
                (sprintf "%s[0]" name)
                (sprintf "Expected a square grid of even size [2b; 2b] (colatitude × longitude), got [%d; %d]" rows cols)

        let b = rows / 2
        Check.bandwidth name b

        signal
        |> Array.iteri (fun i c -> Check.gridShape (sprintf "%s[%d]" name i) b (Array2D.length1 c) (Array2D.length2 c))

        b

    /// The coefficients [channel][l² + l + m] of multi-channel grids [channel][2b, 2b] ([θ, φ], Driscoll–Healy) for
    /// correlation at bandwidth `target`: `Spectral` analyzes at b (zero-padding is implicit: missing degrees are zero);
    /// `Bicubic` upsamples by the integer factor target/b first (throws if b does not divide target) and analyzes at
    /// `target`. Grids finer than `target` are analyzed at b and truncated by the correlation.
    let analyzeGrids (upsampling: Upsampling) (target: int) (name: string) (signal: float[,][]) : Complex[][] =
        Check.bandwidth (nameof target) target
        let b = gridBandwidth name signal

        match upsampling with
        | Upsampling.Bicubic when target > b ->
            if target % b <> 0 then
                invalidArg
                    (nameof target)
                    (sprintf "Expected a bandwidth that is a multiple of the grid's b = %d for bicubic upsampling, got %d" b target)

            let plan = shtPlan target

            signal
            |> Array.Parallel.map (Resample.upsampleBicubic (target / b) >> Sht.forward plan)
        | _ ->
            let plan = shtPlan b
            signal |> Array.Parallel.map (Sht.forward plan)

    /// Aligns two multi-channel grids [channel][2b, 2b] ([θ, φ], Driscoll–Healy) at the plan's bandwidth B: both are
    /// analyzed by `analyzeGrids` (upsampled when coarser than B), correlated, and the best `topK` peaks at least
    /// `minSeparation` radians apart are refined. Returns R* with signal1 ≈ Λ_{R*} signal2, its score and the peaks.
    let align
        (plan: So3FftPlan)
        (upsampling: Upsampling)
        (topK: int)
        (minSeparation: float)
        (signal1: float[,][])
        (signal2: float[,][])
        : Alignment =
        let f1 = analyzeGrids upsampling plan.Bandwidth (nameof signal1) signal1
        let f2 = analyzeGrids upsampling plan.Bandwidth (nameof signal2) signal2

        if f1.Length <> f2.Length then
            invalidArg (nameof signal2) (sprintf "Expected as many channels as signal1 (%d), got %d" f1.Length f2.Length)

        alignCoefficients plan topK minSeparation f1 f2
