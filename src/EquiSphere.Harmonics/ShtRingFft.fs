namespace EquiSphere.Harmonics

open System
open System.Numerics

/// SIMD-across-rings FFTs of the SHT: the φ-FFTs of 2·W rings (W = Vector&lt;float&gt;.Count) run as one
/// complex radix-2 FFT of length n = 2B whose elements are SIMD vectors, lane k holding ring j₀ + k in the real
/// part and its mirror ring n − 1 − (j₀ + k) in the imaginary part (two real FFTs for the price of one complex
/// FFT, and W of those per instruction). Lane data is interleaved: element t of lane k at [t·W + k].
/// Internal to the library; used for power-of-two n when B is a multiple of W.
[<RequireQualifiedAccess>]
module internal ShtRingFft =

    /// Twiddles and the bit-reversal permutation of a length-n radix-2 FFT (n a power of two, n ≥ 2).
    type Plan(n: int) =
        let bits = System.Numerics.BitOperations.Log2(uint32 n)

        let reversed =
            Array.init n (fun t ->
                let mutable r = 0

                for i in 0 .. bits - 1 do
                    if (t >>> i) &&& 1 = 1 then
                        r <- r ||| (1 <<< (bits - 1 - i))

                r)

        /// The transform length n.
        member _.Length = n
        /// cos(2πt/n) for t &lt; n/2.
        member val Cos = Array.init (max 1 (n / 2)) (fun t -> Math.Cos(2.0 * Math.PI * float t / float n))
        /// sin(2πt/n) for t &lt; n/2.
        member val Sin = Array.init (max 1 (n / 2)) (fun t -> Math.Sin(2.0 * Math.PI * float t / float n))
        /// reversed[t]: the bit-reversed index of t over log2 n bits.
        member _.Reversed = reversed

    /// Whether the paired ring FFT applies to bandwidth b: n = 2b a power of two and b a multiple of the SIMD width.
    let supports (b: int) =
        b >= Vector<float>.Count
        && b % Vector<float>.Count = 0
        && System.Numerics.BitOperations.IsPow2 b

    /// In-place unnormalized complex DFT over SIMD lanes: X_m = Σ_t x_t e^{sign·2πimt/n} (sign = −1 forward,
    /// +1 backward) for every lane, from the input stored in bit-reversed order (element t at reversed[t]) to
    /// the output in natural order. re, im: n·W doubles, interleaved as in the module summary.
    let transform (plan: Plan) (sign: float) (re: float[]) (im: float[]) =
        let w = Vector<float>.Count
        let n = plan.Length
        let cosT = plan.Cos
        let sinT = plan.Sin
        let mutable len = 2

        while len <= n do
            let half = len / 2
            let step = n / len

            for k in 0 .. half - 1 do
                let wr = Vector<float>(cosT[k * step])
                let wi = Vector<float>(sign * sinT[k * step])
                let mutable s = k

                while s < n do
                    let i0 = s * w
                    let i1 = (s + half) * w
                    let ur = Vector<float>(re, i0)
                    let ui = Vector<float>(im, i0)
                    let xr = Vector<float>(re, i1)
                    let xi = Vector<float>(im, i1)
                    let vr = xr * wr - xi * wi
                    let vi = xr * wi + xi * wr
                    (ur + vr).CopyTo(re, i0)
                    (ui + vi).CopyTo(im, i0)
                    (ur - vr).CopyTo(re, i1)
                    (ui - vi).CopyTo(im, i1)
                    s <- s + len

            len <- len * 2

    /// Work arrays of one worker: lane data (n·W doubles each) and one ring row (n doubles).
    type Scratch(n: int) =
        /// Real parts of the lane data.
        member val Re: float[] = Array.zeroCreate (n * Vector<float>.Count)
        /// Imaginary parts of the lane data.
        member val Im: float[] = Array.zeroCreate (n * Vector<float>.Count)
        /// One ring of samples.
        member val Row: float[] = Array.zeroCreate n

    /// Loads rings j₀ + k (real parts) and n − 1 − j₀ − k (imaginary parts), k &lt; W, through `fill j row` in
    /// bit-reversed order and runs the forward transform: afterwards lane k holds Z_m = A_m + i B_m, the sum of
    /// the two rings' spectra A (ring j₀ + k) and i·B (its mirror).
    let private forwardLanes (plan: Plan) (s: Scratch) (j0: int) (fill: int -> float[] -> unit) =
        let w = Vector<float>.Count
        let n = plan.Length
        let rev = plan.Reversed
        let re, im, row = s.Re, s.Im, s.Row

        for k in 0 .. w - 1 do
            fill (j0 + k) row

            for t in 0 .. n - 1 do
                re[rev[t] * w + k] <- row[t]

            fill (n - 1 - j0 - k) row

            for t in 0 .. n - 1 do
                im[rev[t] * w + k] <- row[t]

        transform plan -1.0 re im

    /// Weighted forward φ-FFTs of the W ring pairs (j₀ + k, n − 1 − j₀ − k), k &lt; W: `fill j row` copies ring j
    /// into row; writes w_j X_m with X_m = Σ_t f(θ_j, φ_t) e^{−2πimt/n} of ring j for m &lt; n/2 to
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
        let w = Vector<float>.Count
        let n = plan.Length
        let re, im = s.Re, s.Im
        forwardLanes plan s j0 fill

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

    /// `forwardPairs` writing the weighted ring-pair sums and differences instead of the ring spectra: for the
    /// northern ring j = j₀ + k and its mirror j' = n − 1 − j, E_m = w_j X_m(j) + w_j' X_m(j') to
    /// eRe/eIm[o + m·n/2 + j] and O_m = w_j X_m(j) − w_j' X_m(j') to oRe/oIm[o + m·n/2 + j], m &lt; n/2.
    let forwardPairsEvenOdd
        (plan: Plan)
        (s: Scratch)
        (j0: int)
        (fill: int -> float[] -> unit)
        (weights: float[])
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        =
        let w = Vector<float>.Count
        let n = plan.Length
        let h = n / 2
        let re, im = s.Re, s.Im
        forwardLanes plan s j0 fill

        for k in 0 .. w - 1 do
            let ja = j0 + k
            let jb = n - 1 - ja
            let wa = 0.5 * weights[ja]
            let wb = 0.5 * weights[jb]

            for m in 0 .. h - 1 do
                let mm = if m = 0 then 0 else n - m
                let zr, zi = re[m * w + k], im[m * w + k]
                let yr, yi = re[mm * w + k], im[mm * w + k]
                let ar, ai = wa * (zr + yr), wa * (zi - yi)
                let br, bi = wb * (zi + yi), wb * (yr - zr)
                let i = o + m * h + ja
                eRe[i] <- ar + br
                eIm[i] <- ai + bi
                oRe[i] <- ar - br
                oIm[i] <- ai - bi

    /// `forwardPairsEvenOdd` with float32 outputs (the sums run in float64, then round): for the
    /// northern ring j = j₀ + k and its mirror j' = n − 1 − j, E_m = w_j X_m(j) + w_j' X_m(j') to
    /// eRe/eIm[o + m·n/2 + j] and O_m = w_j X_m(j) − w_j' X_m(j') to oRe/oIm[o + m·n/2 + j], m &lt; n/2.
    let forwardPairsEvenOdd32
        (plan: Plan)
        (s: Scratch)
        (j0: int)
        (fill: int -> float[] -> unit)
        (weights: float[])
        (eRe: float32[])
        (eIm: float32[])
        (oRe: float32[])
        (oIm: float32[])
        (o: int)
        =
        let w = Vector<float>.Count
        let n = plan.Length
        let h = n / 2
        let re, im = s.Re, s.Im
        forwardLanes plan s j0 fill

        for k in 0 .. w - 1 do
            let ja = j0 + k
            let jb = n - 1 - ja
            let wa = 0.5 * weights[ja]
            let wb = 0.5 * weights[jb]

            for m in 0 .. h - 1 do
                let mm = if m = 0 then 0 else n - m
                let zr, zi = re[m * w + k], im[m * w + k]
                let yr, yi = re[mm * w + k], im[mm * w + k]
                let ar, ai = wa * (zr + yr), wa * (zi - yi)
                let br, bi = wb * (zi + yi), wb * (yr - zr)
                let i = o + m * h + ja
                eRe[i] <- float32 (ar + br)
                eIm[i] <- float32 (ai + bi)
                oRe[i] <- float32 (ar - br)
                oIm[i] <- float32 (ai - bi)

    /// Backward φ-FFTs of the W ring pairs (j₀ + k, n − 1 − j₀ − k): gRe/gIm[m·n + j] hold X_m (m &lt; n/2) of
    /// ring j's Hermitian spectrum (X_{n−m} = conj X_m, X_{n/2} = 0, Im X_0 ignored); `store j row` receives
    /// x_t = Σ_m X_m e^{2πimt/n} of ring j in row.
    let backwardPairs (plan: Plan) (s: Scratch) (j0: int) (gRe: float[]) (gIm: float[]) (store: int -> float[] -> unit) =
        let w = Vector<float>.Count
        let n = plan.Length
        let rev = plan.Reversed
        let re, im, row = s.Re, s.Im, s.Row
        let h = n / 2

        for k in 0 .. w - 1 do
            let ja = j0 + k
            let jb = n - 1 - ja
            re[rev[0] * w + k] <- gRe[ja]
            im[rev[0] * w + k] <- gRe[jb]
            re[rev[h] * w + k] <- 0.0
            im[rev[h] * w + k] <- 0.0

            for m in 1 .. h - 1 do
                let ar, ai = gRe[m * n + ja], gIm[m * n + ja]
                let br, bi = gRe[m * n + jb], gIm[m * n + jb]
                // Z_m = A_m + i B_m, Z_{n−m} = conj A_m + i conj B_m.
                re[rev[m] * w + k] <- ar - bi
                im[rev[m] * w + k] <- ai + br
                re[rev[n - m] * w + k] <- ar + bi
                im[rev[n - m] * w + k] <- br - ai

        transform plan 1.0 re im

        for k in 0 .. w - 1 do
            let ja = j0 + k

            for t in 0 .. n - 1 do
                row[t] <- re[t * w + k]

            store ja row

            for t in 0 .. n - 1 do
                row[t] <- im[t * w + k]

            store (n - 1 - ja) row

    /// `backwardPairs` from float32 spectra: gRe/gIm[o + m·n + j] hold X_m (m &lt; n/2) of ring j.
    let backwardPairs32 (plan: Plan) (s: Scratch) (j0: int) (gRe: float32[]) (gIm: float32[]) (o: int) (store: int -> float[] -> unit) =
        let w = Vector<float>.Count
        let n = plan.Length
        let rev = plan.Reversed
        let re, im, row = s.Re, s.Im, s.Row
        let h = n / 2

        for k in 0 .. w - 1 do
            let ja = j0 + k
            let jb = n - 1 - ja
            re[rev[0] * w + k] <- float gRe[o + ja]
            im[rev[0] * w + k] <- float gRe[o + jb]
            re[rev[h] * w + k] <- 0.0
            im[rev[h] * w + k] <- 0.0

            for m in 1 .. h - 1 do
                let ar, ai = float gRe[o + m * n + ja], float gIm[o + m * n + ja]
                let br, bi = float gRe[o + m * n + jb], float gIm[o + m * n + jb]
                re[rev[m] * w + k] <- ar - bi
                im[rev[m] * w + k] <- ai + br
                re[rev[n - m] * w + k] <- ar + bi
                im[rev[n - m] * w + k] <- br - ai

        transform plan 1.0 re im

        for k in 0 .. w - 1 do
            let ja = j0 + k

            for t in 0 .. n - 1 do
                row[t] <- re[t * w + k]

            store ja row

            for t in 0 .. n - 1 do
                row[t] <- im[t * w + k]

            store (n - 1 - ja) row
