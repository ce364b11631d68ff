namespace EquiSphere.Harmonics

open System
open System.Numerics
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86

/// SIMD-across-rings FFTs of the SHT: the φ-FFTs of 2·W rings (W lanes: 8 with the Vector512 kernels,
/// Vector&lt;float&gt;.Count otherwise) run as one complex radix-2 FFT of length n = 2B whose elements are SIMD
/// vectors, lane k holding ring j₀ + k in the real part and its mirror ring n − 1 − (j₀ + k) in the imaginary part
/// (two real FFTs for the price of one complex FFT, and W of those per instruction). Lane data is interleaved:
/// element t of lane k at [t·W + k]. Loading the rings into lanes, splitting the two spectra apart and weighting
/// them run vectorized over the lanes. Internal to the library; used for power-of-two n when B is a multiple of W.
[<RequireQualifiedAccess>]
module internal ShtRingFft =

    /// Twiddles and the bit-reversal permutation of a length-n radix-2 FFT (n a power of two, n ≥ 2) over
    /// `width` SIMD lanes.
    type Plan(n: int, width: SimdWidth) =

        let lanes =
            match width with
            | SimdWidth.Vector512 -> Vector512<float>.Count
            | SimdWidth.Vector -> Vector<float>.Count

        let reversed = Fft.bitReversal n

        /// The transform length n.
        member _.Length = n
        /// The number of lanes W (ring pairs per transform).
        member _.Lanes = lanes
        /// The SIMD kernels the butterflies use.
        member _.Width = width
        /// cos(2πt/n) for t &lt; n/2.
        member val Cos = Array.init (max 1 (n / 2)) (fun t -> Math.Cos(2.0 * Math.PI * float t / float n))
        /// sin(2πt/n) for t &lt; n/2.
        member val Sin = Array.init (max 1 (n / 2)) (fun t -> Math.Sin(2.0 * Math.PI * float t / float n))
        /// reversed[t]: the bit-reversed index of t over log2 n bits.
        member _.Reversed = reversed

    /// The lane count of `width`.
    let lanesOf (width: SimdWidth) =
        match width with
        | SimdWidth.Vector512 -> Vector512<float>.Count
        | SimdWidth.Vector -> Vector<float>.Count

    /// The paired ring FFT plan for bandwidth b with the given kernels, when it applies: n = 2b a power of two and
    /// b a multiple of the lane count (Vector512 falls back to Vector&lt;T&gt; lanes when b is not a multiple of 8).
    let create (width: SimdWidth) (b: int) : Plan option =
        let fits w =
            b >= w && b % w = 0 && BitOperations.IsPow2 b

        if width = SimdWidth.Vector512 && fits (lanesOf SimdWidth.Vector512) then
            Some(Plan(2 * b, SimdWidth.Vector512))
        elif fits (lanesOf SimdWidth.Vector) then
            Some(Plan(2 * b, SimdWidth.Vector))
        else
            None

    /// Radix-2² butterflies with Vector&lt;float&gt; lanes (W = Vector&lt;float&gt;.Count): a radix-2 pass for an odd
    /// number of stages, then pairs of radix-2 stages fused into one pass over the data (half the loads and stores
    /// of plain radix-2). Twiddles W_L^k = e^{sign·2πik/L}; the second stage's W_{4h}^{k+h} = sign·i·W_{4h}^k.
    let private butterflies (plan: Plan) (sign: float) (re: float[]) (im: float[]) =
        let w = Vector<float>.Count
        let n = plan.Length
        let cosT = plan.Cos
        let sinT = plan.Sin
        let sv = Vector<float>(sign)
        let nsv = Vector<float>(-sign)
        let mutable h = 1

        if BitOperations.Log2(uint32 n) % 2 = 1 then
            // One radix-2 stage (len = 2, twiddle 1).
            let mutable s = 0

            while s < n do
                let i0 = s * w
                let i1 = i0 + w
                let ur = Vector<float>(re, i0)
                let ui = Vector<float>(im, i0)
                let xr = Vector<float>(re, i1)
                let xi = Vector<float>(im, i1)
                (ur + xr).CopyTo(re, i0)
                (ui + xi).CopyTo(im, i0)
                (ur - xr).CopyTo(re, i1)
                (ui - xi).CopyTo(im, i1)
                s <- s + 2

            h <- 2

        while 4 * h <= n do
            let stepA = n / (2 * h)
            let stepB = n / (4 * h)

            for k in 0 .. h - 1 do
                let ar = Vector<float>(cosT[k * stepA])
                let ai = Vector<float>(sign * sinT[k * stepA])
                let br = Vector<float>(cosT[k * stepB])
                let bi = Vector<float>(sign * sinT[k * stepB])
                let mutable g = k

                while g < n do
                    let i0 = g * w
                    let i1 = i0 + h * w
                    let i2 = i1 + h * w
                    let i3 = i2 + h * w
                    let a0r = Vector<float>(re, i0)
                    let a0i = Vector<float>(im, i0)
                    let a1r = Vector<float>(re, i1)
                    let a1i = Vector<float>(im, i1)
                    let a2r = Vector<float>(re, i2)
                    let a2i = Vector<float>(im, i2)
                    let a3r = Vector<float>(re, i3)
                    let a3i = Vector<float>(im, i3)
                    // First stage: (a0, a1) and (a2, a3) with W_{2h}^k.
                    let t1r = Vector.FusedMultiplyAdd(a1r, ar, -(a1i * ai))
                    let t1i = Vector.FusedMultiplyAdd(a1r, ai, a1i * ar)
                    let t3r = Vector.FusedMultiplyAdd(a3r, ar, -(a3i * ai))
                    let t3i = Vector.FusedMultiplyAdd(a3r, ai, a3i * ar)
                    let b0r = a0r + t1r
                    let b0i = a0i + t1i
                    let b1r = a0r - t1r
                    let b1i = a0i - t1i
                    let b2r = a2r + t3r
                    let b2i = a2i + t3i
                    let b3r = a2r - t3r
                    let b3i = a2i - t3i
                    // Second stage: (b0, b2) with W_{4h}^k, (b1, b3) with sign·i·W_{4h}^k.
                    let u2r = Vector.FusedMultiplyAdd(b2r, br, -(b2i * bi))
                    let u2i = Vector.FusedMultiplyAdd(b2r, bi, b2i * br)
                    let u3r = Vector.FusedMultiplyAdd(b3r, br, -(b3i * bi))
                    let u3i = Vector.FusedMultiplyAdd(b3r, bi, b3i * br)
                    (b0r + u2r).CopyTo(re, i0)
                    (b0i + u2i).CopyTo(im, i0)
                    (b0r - u2r).CopyTo(re, i2)
                    (b0i - u2i).CopyTo(im, i2)
                    Vector.FusedMultiplyAdd(nsv, u3i, b1r).CopyTo(re, i1)
                    Vector.FusedMultiplyAdd(sv, u3r, b1i).CopyTo(im, i1)
                    Vector.FusedMultiplyAdd(sv, u3i, b1r).CopyTo(re, i3)
                    Vector.FusedMultiplyAdd(nsv, u3r, b1i).CopyTo(im, i3)
                    g <- g + 4 * h

            h <- 4 * h

    /// `butterflies` with Vector512 lanes (W = 8).
    let private butterflies512 (plan: Plan) (sign: float) (re: float[]) (im: float[]) =
        let w = Vector512<float>.Count
        let n = plan.Length
        let cosT = plan.Cos
        let sinT = plan.Sin
        let sv = Vector512.Create(sign)
        let nsv = Vector512.Create(-sign)
        let mutable h = 1

        if BitOperations.Log2(uint32 n) % 2 = 1 then
            let mutable s = 0

            while s < n do
                let i0 = s * w
                let i1 = i0 + w
                let ur = V512.load re i0
                let ui = V512.load im i0
                let xr = V512.load re i1
                let xi = V512.load im i1
                V512.store (ur + xr) re i0
                V512.store (ui + xi) im i0
                V512.store (ur - xr) re i1
                V512.store (ui - xi) im i1
                s <- s + 2

            h <- 2

        while 4 * h <= n do
            let stepA = n / (2 * h)
            let stepB = n / (4 * h)

            for k in 0 .. h - 1 do
                let ar = Vector512.Create(cosT[k * stepA])
                let ai = Vector512.Create(sign * sinT[k * stepA])
                let br = Vector512.Create(cosT[k * stepB])
                let bi = Vector512.Create(sign * sinT[k * stepB])
                let mutable g = k

                while g < n do
                    let i0 = g * w
                    let i1 = i0 + h * w
                    let i2 = i1 + h * w
                    let i3 = i2 + h * w
                    let a0r = V512.load re i0
                    let a0i = V512.load im i0
                    let a1r = V512.load re i1
                    let a1i = V512.load im i1
                    let a2r = V512.load re i2
                    let a2i = V512.load im i2
                    let a3r = V512.load re i3
                    let a3i = V512.load im i3
                    let t1r = Vector512.FusedMultiplyAdd(a1r, ar, -(a1i * ai))
                    let t1i = Vector512.FusedMultiplyAdd(a1r, ai, a1i * ar)
                    let t3r = Vector512.FusedMultiplyAdd(a3r, ar, -(a3i * ai))
                    let t3i = Vector512.FusedMultiplyAdd(a3r, ai, a3i * ar)
                    let b0r = a0r + t1r
                    let b0i = a0i + t1i
                    let b1r = a0r - t1r
                    let b1i = a0i - t1i
                    let b2r = a2r + t3r
                    let b2i = a2i + t3i
                    let b3r = a2r - t3r
                    let b3i = a2i - t3i
                    let u2r = Vector512.FusedMultiplyAdd(b2r, br, -(b2i * bi))
                    let u2i = Vector512.FusedMultiplyAdd(b2r, bi, b2i * br)
                    let u3r = Vector512.FusedMultiplyAdd(b3r, br, -(b3i * bi))
                    let u3i = Vector512.FusedMultiplyAdd(b3r, bi, b3i * br)
                    V512.store (b0r + u2r) re i0
                    V512.store (b0i + u2i) im i0
                    V512.store (b0r - u2r) re i2
                    V512.store (b0i - u2i) im i2
                    V512.store (Vector512.FusedMultiplyAdd(nsv, u3i, b1r)) re i1
                    V512.store (Vector512.FusedMultiplyAdd(sv, u3r, b1i)) im i1
                    V512.store (Vector512.FusedMultiplyAdd(sv, u3i, b1r)) re i3
                    V512.store (Vector512.FusedMultiplyAdd(nsv, u3r, b1i)) im i3
                    g <- g + 4 * h

            h <- 4 * h

    /// In-place unnormalized complex DFT over SIMD lanes: X_m = Σ_t x_t e^{sign·2πimt/n} (sign = −1 forward,
    /// +1 backward) for every lane, from the input stored in bit-reversed order (element t at reversed[t]) to
    /// the output in natural order. re, im: n·W doubles, interleaved as in the module summary.
    let transform (plan: Plan) (sign: float) (re: float[]) (im: float[]) =
        match plan.Width with
        | SimdWidth.Vector512 -> butterflies512 plan sign re im
        | SimdWidth.Vector -> butterflies plan sign re im

    /// dst[di + i] = float src[si + i] for i &lt; count (SIMD where whole vectors fit).
    let widen (src: float32[]) (si: int) (dst: float[]) (di: int) (count: int) =
        let v = Vector<float32>.Count
        let h = Vector<float>.Count
        let mutable i = 0

        while i + v <= count do
            let x = Vector<float32>(src, si + i)
            Vector.WidenLower(x).CopyTo(dst, di + i)
            Vector.WidenUpper(x).CopyTo(dst, di + i + h)
            i <- i + v

        while i < count do
            dst[di + i] <- float src[si + i]
            i <- i + 1

    /// dst[di + i] = float32 src[si + i] for i &lt; count (SIMD where whole vectors fit).
    let narrow (src: float[]) (si: int) (dst: float32[]) (di: int) (count: int) =
        let v = Vector<float32>.Count
        let h = Vector<float>.Count
        let mutable i = 0

        while i + v <= count do
            Vector.Narrow(Vector<float>(src, si + i), Vector<float>(src, si + i + h)).CopyTo(dst, di + i)
            i <- i + v

        while i < count do
            dst[di + i] <- float32 src[si + i]
            i <- i + 1

    /// Work arrays of one worker: lane data (n·W doubles each), a block of 2W rings (n doubles each) for callers
    /// that stage rings, and the half quadrature weights of the W ring pairs.
    type Scratch(n: int, lanes: int) =
        /// Real parts of the lane data.
        member val Re: float[] = Array.zeroCreate (n * lanes)
        /// Imaginary parts of the lane data.
        member val Im: float[] = Array.zeroCreate (n * lanes)
        /// 2W staged rings: ring j₀ + k at [k·n], its mirror at [(W + k)·n].
        member val Block: float[] = Array.zeroCreate (2 * lanes * n)
        /// w_j / 2 of the northern rings j₀ + k.
        member val HalfWeightsNorth: float[] = Array.zeroCreate lanes
        /// w_j / 2 of the mirror rings n − 1 − j₀ − k.
        member val HalfWeightsSouth: float[] = Array.zeroCreate lanes
        /// One ring of samples.
        member val Row: float[] = Array.zeroCreate n
        /// Split spectra of one order, staged for float32 outputs (4·W doubles).
        member val Stage: float[] = Array.zeroCreate (4 * lanes)

    /// A scratch for `plan`.
    let scratch (plan: Plan) = Scratch(plan.Length, plan.Lanes)

    /// The 8 doubles src[i .. i + 7].
    let inline private load8 (src: ReadOnlySpan<float>) (i: int) =
        Vector512.Create<float>(src.Slice(i, 8))

    /// Writes v to dst[i .. i + 7].
    let inline private store8 (v: Vector512<float>) (dst: Span<float>) (i: int) = v.CopyTo(dst.Slice(i, 8))

    /// Loads ring j₀ + k from src[north + k·northStride + t] into the real parts and its mirror ring from
    /// src[south + k·southStride + t] into the imaginary parts (k &lt; W, t &lt; n), in bit-reversed order, and runs
    /// the forward transform: afterwards lane k holds Z_m = A_m + i B_m, the sum of the two rings' spectra A (ring
    /// j₀ + k) and i·B (its mirror).
    let private forwardLanes
        (plan: Plan)
        (s: Scratch)
        (src: ReadOnlySpan<float>)
        (north: int)
        (northStride: int)
        (south: int)
        (southStride: int)
        =
        let w = plan.Lanes
        let n = plan.Length
        let rev = plan.Reversed
        let re, im = s.Re, s.Im

        if w = 8 && Avx512F.IsSupported then
            // 8 × 8 blocks: rows k of 8 samples in, vectors of the 8 lanes out.
            let mutable t = 0

            while t < n do
                let struct (c0, c1, c2, c3, c4, c5, c6, c7) =
                    V512.transpose8
                        (load8 src (north + t))
                        (load8 src (north + northStride + t))
                        (load8 src (north + 2 * northStride + t))
                        (load8 src (north + 3 * northStride + t))
                        (load8 src (north + 4 * northStride + t))
                        (load8 src (north + 5 * northStride + t))
                        (load8 src (north + 6 * northStride + t))
                        (load8 src (north + 7 * northStride + t))

                V512.store c0 re (rev[t] * 8)
                V512.store c1 re (rev[t + 1] * 8)
                V512.store c2 re (rev[t + 2] * 8)
                V512.store c3 re (rev[t + 3] * 8)
                V512.store c4 re (rev[t + 4] * 8)
                V512.store c5 re (rev[t + 5] * 8)
                V512.store c6 re (rev[t + 6] * 8)
                V512.store c7 re (rev[t + 7] * 8)

                let struct (c0, c1, c2, c3, c4, c5, c6, c7) =
                    V512.transpose8
                        (load8 src (south + t))
                        (load8 src (south + southStride + t))
                        (load8 src (south + 2 * southStride + t))
                        (load8 src (south + 3 * southStride + t))
                        (load8 src (south + 4 * southStride + t))
                        (load8 src (south + 5 * southStride + t))
                        (load8 src (south + 6 * southStride + t))
                        (load8 src (south + 7 * southStride + t))

                V512.store c0 im (rev[t] * 8)
                V512.store c1 im (rev[t + 1] * 8)
                V512.store c2 im (rev[t + 2] * 8)
                V512.store c3 im (rev[t + 3] * 8)
                V512.store c4 im (rev[t + 4] * 8)
                V512.store c5 im (rev[t + 5] * 8)
                V512.store c6 im (rev[t + 6] * 8)
                V512.store c7 im (rev[t + 7] * 8)
                t <- t + 8
        else
            for k in 0 .. w - 1 do
                let a = src.Slice(north + k * northStride, n)
                let c = src.Slice(south + k * southStride, n)

                for t in 0 .. n - 1 do
                    let r = rev[t] * w + k
                    re[r] <- a[t]
                    im[r] <- c[t]

        transform plan -1.0 re im

    /// Stores the half quadrature weights of the ring pairs at j₀ in the scratch.
    let private halfWeights (plan: Plan) (s: Scratch) (j0: int) (weights: float[]) =
        let n = plan.Length

        for k in 0 .. plan.Lanes - 1 do
            s.HalfWeightsNorth[k] <- 0.5 * weights[j0 + k]
            s.HalfWeightsSouth[k] <- 0.5 * weights[n - 1 - j0 - k]

    /// Weighted forward φ-FFTs of the W ring pairs (j₀ + k, n − 1 − j₀ − k), k &lt; W, with `fill j row` copying
    /// ring j into row; writes w_j X_m with X_m = Σ_t f(θ_j, φ_t) e^{−2πimt/n} of ring j for m &lt; n/2 to
    /// specRe/specIm[o + m·n + j] (w_j = weights[j]).
    let forwardPairs
        (plan: Plan)
        (s: Scratch)
        (j0: int)
        (fill: int -> float[] -> unit)
        (weights: float[])
        (specRe: float[])
        (specIm: float[])
        (o: int)
        =
        let w = plan.Lanes
        let n = plan.Length
        let row = s.Row

        for k in 0 .. w - 1 do
            fill (j0 + k) row
            Array.blit row 0 s.Block (k * n) n
            fill (n - 1 - j0 - k) row
            Array.blit row 0 s.Block ((w + k) * n) n

        forwardLanes plan s (ReadOnlySpan s.Block) 0 n (w * n) n
        let re, im = s.Re, s.Im

        for k in 0 .. w - 1 do
            let ja = j0 + k
            let jb = n - 1 - ja
            let wa = 0.5 * weights[ja]
            let wb = 0.5 * weights[jb]

            for m in 0 .. n / 2 - 1 do
                let mm = if m = 0 then 0 else n - m
                let zr, zi = re[m * w + k], im[m * w + k]
                let yr, yi = re[mm * w + k], im[mm * w + k]
                let i = o + m * n
                // A = (Z_m + conj Z_{n−m}) / 2, B = (Z_m − conj Z_{n−m}) / 2i.
                specRe[i + ja] <- wa * (zr + yr)
                specIm[i + ja] <- wa * (zi - yi)
                specRe[i + jb] <- wb * (zi + yi)
                specIm[i + jb] <- wb * (yr - zr)

    /// Weighted forward φ-FFTs of the W ring pairs at j₀ (rings read from src as in `forwardLanes`), written as
    /// ring-pair sums and differences: for the northern ring j = j₀ + k and its mirror j' = n − 1 − j,
    /// E_m = w_j X_m(j) + w_j' X_m(j') to eRe/eIm[o + m·n/2 + j] and O_m = w_j X_m(j) − w_j' X_m(j') to
    /// oRe/oIm[o + m·n/2 + j], m &lt; n/2. Vectorized over the lanes.
    let forwardPairsEvenOdd
        (plan: Plan)
        (s: Scratch)
        (j0: int)
        (src: ReadOnlySpan<float>)
        (north: int)
        (northStride: int)
        (south: int)
        (southStride: int)
        (weights: float[])
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        =
        let w = plan.Lanes
        let v = Vector<float>.Count
        let n = plan.Length
        let h = n / 2
        let re, im = s.Re, s.Im
        forwardLanes plan s src north northStride south southStride
        halfWeights plan s j0 weights
        let wn, ws = s.HalfWeightsNorth, s.HalfWeightsSouth

        for m in 0 .. h - 1 do
            let mm = if m = 0 then 0 else n - m
            let dst = o + m * h + j0
            let mutable q = 0

            while q < w do
                let wa = Vector<float>(wn, q)
                let wb = Vector<float>(ws, q)
                let zr = Vector<float>(re, m * w + q)
                let zi = Vector<float>(im, m * w + q)
                let yr = Vector<float>(re, mm * w + q)
                let yi = Vector<float>(im, mm * w + q)
                // A = (Z_m + conj Z_{n−m}) / 2, B = (Z_m − conj Z_{n−m}) / 2i, weighted.
                let ar = wa * (zr + yr)
                let ai = wa * (zi - yi)
                let br = wb * (zi + yi)
                let bi = wb * (yr - zr)
                (ar + br).CopyTo(eRe, dst + q)
                (ai + bi).CopyTo(eIm, dst + q)
                (ar - br).CopyTo(oRe, dst + q)
                (ai - bi).CopyTo(oIm, dst + q)
                q <- q + v

    /// `forwardPairsEvenOdd` with float32 outputs (the sums run in float64, then round).
    let forwardPairsEvenOdd32
        (plan: Plan)
        (s: Scratch)
        (j0: int)
        (src: ReadOnlySpan<float>)
        (north: int)
        (northStride: int)
        (south: int)
        (southStride: int)
        (weights: float[])
        (eRe: float32[])
        (eIm: float32[])
        (oRe: float32[])
        (oIm: float32[])
        (o: int)
        =
        let w = plan.Lanes
        let v = Vector<float>.Count
        let n = plan.Length
        let h = n / 2
        let re, im, st = s.Re, s.Im, s.Stage
        forwardLanes plan s src north northStride south southStride
        halfWeights plan s j0 weights
        let wn, ws = s.HalfWeightsNorth, s.HalfWeightsSouth

        for m in 0 .. h - 1 do
            let mm = if m = 0 then 0 else n - m
            let mutable q = 0

            while q < w do
                let wa = Vector<float>(wn, q)
                let wb = Vector<float>(ws, q)
                let zr = Vector<float>(re, m * w + q)
                let zi = Vector<float>(im, m * w + q)
                let yr = Vector<float>(re, mm * w + q)
                let yi = Vector<float>(im, mm * w + q)
                let ar = wa * (zr + yr)
                let ai = wa * (zi - yi)
                let br = wb * (zi + yi)
                let bi = wb * (yr - zr)
                (ar + br).CopyTo(st, q)
                (ai + bi).CopyTo(st, w + q)
                (ar - br).CopyTo(st, 2 * w + q)
                (ai - bi).CopyTo(st, 3 * w + q)
                q <- q + v

            let dst = o + m * h + j0
            narrow st 0 eRe dst w
            narrow st w eIm dst w
            narrow st (2 * w) oRe dst w
            narrow st (3 * w) oIm dst w

    /// Runs the backward transform on the loaded lanes and writes ring j₀ + k to dst[north + k·northStride + t] and
    /// its mirror ring to dst[south + k·southStride + t] (k &lt; W, t &lt; n).
    let private backwardLanes (plan: Plan) (s: Scratch) (dst: Span<float>) (north: int) (northStride: int) (south: int) (southStride: int) =
        let w = plan.Lanes
        let n = plan.Length
        let re, im = s.Re, s.Im
        transform plan 1.0 re im

        if w = 8 && Avx512F.IsSupported then
            let mutable t = 0

            while t < n do
                let i = t * 8

                let struct (c0, c1, c2, c3, c4, c5, c6, c7) =
                    V512.transpose8
                        (V512.load re i)
                        (V512.load re (i + 8))
                        (V512.load re (i + 16))
                        (V512.load re (i + 24))
                        (V512.load re (i + 32))
                        (V512.load re (i + 40))
                        (V512.load re (i + 48))
                        (V512.load re (i + 56))

                store8 c0 dst (north + t)
                store8 c1 dst (north + northStride + t)
                store8 c2 dst (north + 2 * northStride + t)
                store8 c3 dst (north + 3 * northStride + t)
                store8 c4 dst (north + 4 * northStride + t)
                store8 c5 dst (north + 5 * northStride + t)
                store8 c6 dst (north + 6 * northStride + t)
                store8 c7 dst (north + 7 * northStride + t)

                let struct (c0, c1, c2, c3, c4, c5, c6, c7) =
                    V512.transpose8
                        (V512.load im i)
                        (V512.load im (i + 8))
                        (V512.load im (i + 16))
                        (V512.load im (i + 24))
                        (V512.load im (i + 32))
                        (V512.load im (i + 40))
                        (V512.load im (i + 48))
                        (V512.load im (i + 56))

                store8 c0 dst (south + t)
                store8 c1 dst (south + southStride + t)
                store8 c2 dst (south + 2 * southStride + t)
                store8 c3 dst (south + 3 * southStride + t)
                store8 c4 dst (south + 4 * southStride + t)
                store8 c5 dst (south + 5 * southStride + t)
                store8 c6 dst (south + 6 * southStride + t)
                store8 c7 dst (south + 7 * southStride + t)
                t <- t + 8
        else
            for k in 0 .. w - 1 do
                let a = dst.Slice(north + k * northStride, n)
                let c = dst.Slice(south + k * southStride, n)

                for t in 0 .. n - 1 do
                    a[t] <- re[t * w + k]
                    c[t] <- im[t * w + k]

    /// Backward φ-FFTs of the W ring pairs (j₀ + k, n − 1 − j₀ − k). gRe/gIm[o + m·n + slot] hold X_m (m &lt; n/2)
    /// of each ring's Hermitian spectrum (X_{n−m} = conj X_m, X_{n/2} = 0, Im X_0 ignored), the northern ring j &lt; n/2
    /// at slot j and its mirror ring n − 1 − j at slot n/2 + j; the samples x_t = Σ_m X_m e^{2πimt/n} of ring j₀ + k
    /// go to dst[north + k·northStride + t], those of its mirror to dst[south + k·southStride + t].
    let backwardPairs
        (plan: Plan)
        (s: Scratch)
        (j0: int)
        (gRe: float[])
        (gIm: float[])
        (o: int)
        (dst: Span<float>)
        (north: int)
        (northStride: int)
        (south: int)
        (southStride: int)
        =
        let w = plan.Lanes
        let v = Vector<float>.Count
        let n = plan.Length
        let rev = plan.Reversed
        let re, im = s.Re, s.Im
        let h = n / 2
        let mutable q = 0

        while q < w do
            Vector<float>(gRe, o + j0 + q).CopyTo(re, rev[0] * w + q)
            Vector<float>(gRe, o + h + j0 + q).CopyTo(im, rev[0] * w + q)
            Vector<float>.Zero.CopyTo(re, rev[h] * w + q)
            Vector<float>.Zero.CopyTo(im, rev[h] * w + q)
            q <- q + v

        for m in 1 .. h - 1 do
            let src = o + m * n + j0
            let pm = rev[m] * w
            let pn = rev[n - m] * w
            let mutable q = 0

            while q < w do
                let ar = Vector<float>(gRe, src + q)
                let ai = Vector<float>(gIm, src + q)
                let br = Vector<float>(gRe, src + h + q)
                let bi = Vector<float>(gIm, src + h + q)
                // Z_m = A_m + i B_m, Z_{n−m} = conj A_m + i conj B_m.
                (ar - bi).CopyTo(re, pm + q)
                (ai + br).CopyTo(im, pm + q)
                (ar + bi).CopyTo(re, pn + q)
                (br - ai).CopyTo(im, pn + q)
                q <- q + v

        backwardLanes plan s dst north northStride south southStride

    /// `backwardPairs` from float32 spectra (same layout), through the scratch block: afterwards ring j₀ + k is at
    /// s.Block[k·n] and its mirror at s.Block[(W + k)·n].
    let backwardPairs32 (plan: Plan) (s: Scratch) (j0: int) (gRe: float32[]) (gIm: float32[]) (o: int) =
        let w = plan.Lanes
        let v = Vector<float>.Count
        let n = plan.Length
        let rev = plan.Reversed
        let re, im, st = s.Re, s.Im, s.Stage
        let h = n / 2
        widen gRe (o + j0) re (rev[0] * w) w
        widen gRe (o + h + j0) im (rev[0] * w) w
        Array.Clear(re, rev[h] * w, w)
        Array.Clear(im, rev[h] * w, w)

        for m in 1 .. h - 1 do
            let src = o + m * n + j0
            widen gRe src st 0 w
            widen gIm src st w w
            widen gRe (src + h) st (2 * w) w
            widen gIm (src + h) st (3 * w) w
            let pm = rev[m] * w
            let pn = rev[n - m] * w
            let mutable q = 0

            while q < w do
                let ar = Vector<float>(st, q)
                let ai = Vector<float>(st, w + q)
                let br = Vector<float>(st, 2 * w + q)
                let bi = Vector<float>(st, 3 * w + q)
                (ar - bi).CopyTo(re, pm + q)
                (ai + br).CopyTo(im, pm + q)
                (ar + bi).CopyTo(re, pn + q)
                (br - ai).CopyTo(im, pn + q)
                q <- q + v

        backwardLanes plan s (Span s.Block) 0 n (w * n) n
