namespace EquiSphere.Harmonics

open System
open System.Numerics

/// One radix-p Stockham stage: L is the sub-transform length before the stage, M = N/(L·p) the number of
/// sub-transforms after it; twiddles ω_{Lp}^{qj} stored at [j·p + q].
type internal FftStage =
    {
        Radix: int
        L: int
        M: int
        TwRe: float[]
        TwIm: float[]
        /// ω_p^{qr} at [q·p + r] for the generic butterfly.
        RootRe: float[]
        RootIm: float[]
    }

/// A complex FFT plan for one length n ≥ 1: mixed radix (4, 2, 3, 5 and small generic primes, Stockham
/// autosort), or Bluestein's chirp-z algorithm over a power-of-two plan when n has a prime factor above 31.
/// Immutable and safe to share across threads (every transform takes or allocates its own scratch).
[<Sealed>]
type FftPlan internal (n: int, stages: FftStage[], bluestein: (FftPlan * float[] * float[] * float[] * float[]) option) =
    /// The transform length n.
    member _.Length = n
    member internal _.Stages = stages
    /// (power-of-two plan of length M ≥ 2n − 1, chirp re/im c_k = e^{−iπk²/n}, FFT of the conjugate chirp re/im).
    member internal _.Bluestein = bluestein

/// A real-input FFT plan for one length n ≥ 1: for even n, a complex FFT of length n/2 on the even/odd samples
/// packed as z_k = x_{2k} + i x_{2k+1}, followed by the split step; for odd n, a complex FFT of length n.
/// Immutable and thread-safe.
[<Sealed>]
type RealFftPlan internal (n: int, half: FftPlan, wRe: float[], wIm: float[]) =
    /// The transform length n (real samples).
    member _.Length = n
    member internal _.Half = half
    /// e^{−2πi m/n} for m = 0..n/2 (even n).
    member internal _.WRe = wRe
    member internal _.WIm = wIm

/// Discrete Fourier transforms of any length. Sign and scale: `forward` computes X_m = Σ_k x_k e^{−2πimk/n}
/// (no scale); `inverse` computes x_k = (1/n) Σ_m X_m e^{2πimk/n}, so inverse ∘ forward = identity.
/// The split-array kernels (`forwardSplit`, `backwardSplit`) are unnormalized in both directions.
[<RequireQualifiedAccess>]
module Fft =

    /// The bit-reversal permutation of a power-of-two n ≥ 1: entry t is t with its log₂ n bits reversed.
    let internal bitReversal (n: int) : int[] =
        if n < 1 || n &&& (n - 1) <> 0 then
            invalidArg (nameof n) (sprintf "Expected a power-of-two length n >= 1, got %d" n)

        let bits = Numerics.BitOperations.Log2(uint32 n)

        Array.init n (fun t ->
            let mutable r = 0

            for i in 0 .. bits - 1 do
                if (t >>> i) &&& 1 = 1 then
                    r <- r ||| (1 <<< (bits - 1 - i))

            r)

    let rec private factor (n: int) (acc: int list) =
        if n = 1 then
            List.rev acc
        elif n % 4 = 0 then
            factor (n / 4) (4 :: acc)
        elif n % 2 = 0 then
            factor (n / 2) (2 :: acc)
        else
            let mutable p = 3

            while n % p <> 0 do
                p <- p + 2

            factor (n / p) (p :: acc)

    let private largestPrime (n: int) =
        let mutable n = n
        let mutable p = 2
        let mutable best = 1

        while n > 1 do
            if n % p = 0 then
                best <- p
                n <- n / p
            else
                p <- p + 1

        best

    let rec private planCore (n: int) : FftPlan =
        if n < 1 then
            invalidArg (nameof n) (sprintf "Expected an FFT length n >= 1, got %d" n)

        if largestPrime n > 31 then
            let mutable m = 1

            while m < 2 * n - 1 do
                m <- m * 2

            let inner = planCore m
            let cRe = Array.zeroCreate n
            let cIm = Array.zeroCreate n

            for k in 0 .. n - 1 do
                // k² mod 2n keeps the chirp angle small and exact.
                let k2 = (int64 k * int64 k) % (2L * int64 n)
                let angle = -Math.PI * float k2 / float n
                cRe[k] <- cos angle
                cIm[k] <- sin angle

            let bRe = Array.zeroCreate m
            let bIm = Array.zeroCreate m
            bRe[0] <- cRe[0]
            bIm[0] <- -cIm[0]

            for k in 1 .. n - 1 do
                bRe[k] <- cRe[k]
                bIm[k] <- -cIm[k]
                bRe[m - k] <- cRe[k]
                bIm[m - k] <- -cIm[k]

            let wRe = Array.zeroCreate m
            let wIm = Array.zeroCreate m
            runStages inner.Stages m bRe bIm wRe wIm
            FftPlan(n, [||], Some(inner, cRe, cIm, bRe, bIm))
        else
            let mutable l = 1

            let stages =
                [|
                    for p in factor n [] do
                        let m = n / (l * p)
                        let lp = l * p
                        let twRe = Array.zeroCreate (l * p)
                        let twIm = Array.zeroCreate (l * p)

                        for j in 0 .. l - 1 do
                            for q in 0 .. p - 1 do
                                let angle = -2.0 * Math.PI * float (q * j) / float lp
                                twRe[j * p + q] <- cos angle
                                twIm[j * p + q] <- sin angle

                        let rootRe = Array.zeroCreate (p * p)
                        let rootIm = Array.zeroCreate (p * p)

                        for q in 0 .. p - 1 do
                            for r in 0 .. p - 1 do
                                let angle = -2.0 * Math.PI * float ((q * r) % p) / float p
                                rootRe[q * p + r] <- cos angle
                                rootIm[q * p + r] <- sin angle

                        yield
                            {
                                Radix = p
                                L = l
                                M = m
                                TwRe = twRe
                                TwIm = twIm
                                RootRe = rootRe
                                RootIm = rootIm
                            }

                        l <- l * p
                |]

            FftPlan(n, stages, None)

    /// Runs the Stockham stages on (re, im) with scratch (wre, wim) of the same length; the result is in (re, im).
    and private runStages (stages: FftStage[]) (n: int) (re: float[]) (im: float[]) (wre: float[]) (wim: float[]) =
        let mutable sRe = re
        let mutable sIm = im
        let mutable dRe = wre
        let mutable dIm = wim

        for st in stages do
            let p, l, m = st.Radix, st.L, st.M
            let lp = l * p
            let stride = n / p
            let twRe, twIm = st.TwRe, st.TwIm

            match p with
            | 4 when l = 1 ->
                // First stage: all twiddles are 1.
                for k in 0 .. m - 1 do
                    let i0 = k
                    let i1 = i0 + stride
                    let i2 = i1 + stride
                    let i3 = i2 + stride
                    let x0r, x0i = sRe[i0], sIm[i0]
                    let x1r, x1i = sRe[i1], sIm[i1]
                    let x2r, x2i = sRe[i2], sIm[i2]
                    let x3r, x3i = sRe[i3], sIm[i3]
                    let s02r, s02i = x0r + x2r, x0i + x2i
                    let d02r, d02i = x0r - x2r, x0i - x2i
                    let s13r, s13i = x1r + x3r, x1i + x3i
                    let d13r, d13i = x1r - x3r, x1i - x3i
                    let o = k * 4
                    dRe[o] <- s02r + s13r
                    dIm[o] <- s02i + s13i
                    dRe[o + 1] <- d02r + d13i
                    dIm[o + 1] <- d02i - d13r
                    dRe[o + 2] <- s02r - s13r
                    dIm[o + 2] <- s02i - s13i
                    dRe[o + 3] <- d02r - d13i
                    dIm[o + 3] <- d02i + d13r
            | 2 when l = 1 ->
                for k in 0 .. m - 1 do
                    let i1 = k + stride
                    let ar, ai = sRe[k], sIm[k]
                    let br, bi = sRe[i1], sIm[i1]
                    dRe[2 * k] <- ar + br
                    dIm[2 * k] <- ai + bi
                    dRe[2 * k + 1] <- ar - br
                    dIm[2 * k + 1] <- ai - bi
            | 2 ->
                for k in 0 .. m - 1 do
                    for j in 0 .. l - 1 do
                        let i0 = k * l + j
                        let i1 = i0 + stride
                        let wr, wi = twRe[j * 2 + 1], twIm[j * 2 + 1]
                        let ar, ai = sRe[i0], sIm[i0]
                        let br = sRe[i1] * wr - sIm[i1] * wi
                        let bi = sRe[i1] * wi + sIm[i1] * wr
                        let o = k * lp + j
                        dRe[o] <- ar + br
                        dIm[o] <- ai + bi
                        dRe[o + l] <- ar - br
                        dIm[o + l] <- ai - bi
            | 4 ->
                for k in 0 .. m - 1 do
                    for j in 0 .. l - 1 do
                        let i0 = k * l + j
                        let t = j * 4
                        let x0r, x0i = sRe[i0], sIm[i0]
                        let i1 = i0 + stride
                        let x1r = sRe[i1] * twRe[t + 1] - sIm[i1] * twIm[t + 1]
                        let x1i = sRe[i1] * twIm[t + 1] + sIm[i1] * twRe[t + 1]
                        let i2 = i1 + stride
                        let x2r = sRe[i2] * twRe[t + 2] - sIm[i2] * twIm[t + 2]
                        let x2i = sRe[i2] * twIm[t + 2] + sIm[i2] * twRe[t + 2]
                        let i3 = i2 + stride
                        let x3r = sRe[i3] * twRe[t + 3] - sIm[i3] * twIm[t + 3]
                        let x3i = sRe[i3] * twIm[t + 3] + sIm[i3] * twRe[t + 3]
                        let s02r, s02i = x0r + x2r, x0i + x2i
                        let d02r, d02i = x0r - x2r, x0i - x2i
                        let s13r, s13i = x1r + x3r, x1i + x3i
                        let d13r, d13i = x1r - x3r, x1i - x3i
                        let o = k * lp + j
                        dRe[o] <- s02r + s13r
                        dIm[o] <- s02i + s13i
                        // −i·d13 = (d13i, −d13r)
                        dRe[o + l] <- d02r + d13i
                        dIm[o + l] <- d02i - d13r
                        dRe[o + 2 * l] <- s02r - s13r
                        dIm[o + 2 * l] <- s02i - s13i
                        dRe[o + 3 * l] <- d02r - d13i
                        dIm[o + 3 * l] <- d02i + d13r
            | _ ->
                let ur = Array.zeroCreate p
                let ui = Array.zeroCreate p
                let rootRe, rootIm = st.RootRe, st.RootIm

                for k in 0 .. m - 1 do
                    for j in 0 .. l - 1 do
                        for q in 0 .. p - 1 do
                            let i = k * l + j + q * stride
                            let wr, wi = twRe[j * p + q], twIm[j * p + q]
                            ur[q] <- sRe[i] * wr - sIm[i] * wi
                            ui[q] <- sRe[i] * wi + sIm[i] * wr

                        let o = k * lp + j

                        for r in 0 .. p - 1 do
                            let mutable accR = 0.0
                            let mutable accI = 0.0

                            for q in 0 .. p - 1 do
                                let wr, wi = rootRe[q * p + r], rootIm[q * p + r]
                                accR <- accR + ur[q] * wr - ui[q] * wi
                                accI <- accI + ur[q] * wi + ui[q] * wr

                            dRe[o + r * l] <- accR
                            dIm[o + r * l] <- accI

            let tr, ti = sRe, sIm
            sRe <- dRe
            sIm <- dIm
            dRe <- tr
            dIm <- ti

        if not (obj.ReferenceEquals(sRe, re)) then
            Array.blit sRe 0 re 0 n
            Array.blit sIm 0 im 0 n

    /// A complex FFT plan for length n ≥ 1 (any n).
    let plan (n: int) : FftPlan = planCore n

    /// The scratch length (doubles, per re and im array) `forwardSplit` needs for this plan.
    let scratchLength (plan: FftPlan) =
        match plan.Bluestein with
        | Some _ -> 0
        | None -> plan.Length

    /// Unnormalized forward DFT in place on split arrays re, im (length n): X_m = Σ_k x_k e^{−2πimk/n}.
    /// `workRe`, `workIm` are scratch of length ≥ `scratchLength plan`.
    let forwardSplit (plan: FftPlan) (re: float[]) (im: float[]) (workRe: float[]) (workIm: float[]) =
        let n = plan.Length

        match plan.Bluestein with
        | None -> runStages plan.Stages n re im workRe workIm
        | Some(inner, cRe, cIm, bRe, bIm) ->
            let mlen = inner.Length
            let aRe = Array.zeroCreate mlen
            let aIm = Array.zeroCreate mlen
            let wr = Array.zeroCreate mlen
            let wi = Array.zeroCreate mlen

            for k in 0 .. n - 1 do
                aRe[k] <- re[k] * cRe[k] - im[k] * cIm[k]
                aIm[k] <- re[k] * cIm[k] + im[k] * cRe[k]

            runStages inner.Stages mlen aRe aIm wr wi

            // Pointwise product, then the inverse transform as conj(FFT(conj(·))).
            for k in 0 .. mlen - 1 do
                let r = aRe[k] * bRe[k] - aIm[k] * bIm[k]
                let i = aRe[k] * bIm[k] + aIm[k] * bRe[k]
                aRe[k] <- r
                aIm[k] <- -i

            runStages inner.Stages mlen aRe aIm wr wi
            let scale = 1.0 / float mlen

            for k in 0 .. n - 1 do
                let r = aRe[k] * scale
                let i = -aIm[k] * scale
                re[k] <- r * cRe[k] - i * cIm[k]
                im[k] <- r * cIm[k] + i * cRe[k]

    /// Unnormalized backward DFT in place on split arrays: x_k = Σ_m X_m e^{+2πimk/n}.
    let backwardSplit (plan: FftPlan) (re: float[]) (im: float[]) (workRe: float[]) (workIm: float[]) =
        // The backward DFT is the forward DFT with real and imaginary parts exchanged on both sides.
        forwardSplit plan im re workIm workRe

    let private checkLength (name: string) (expected: int) (actual: int) =
        if expected <> actual then
            invalidArg name (sprintf "Expected %d samples (the plan's length), got %d" expected actual)

    /// X_m = Σ_k x_k e^{−2πimk/n}, m = 0..n−1.
    let forward (plan: FftPlan) (x: Complex[]) : Complex[] =
        if isNull x then
            nullArg (nameof x)

        checkLength (nameof x) plan.Length x.Length
        let n = plan.Length
        let re = Array.init n (fun k -> x[k].Real)
        let im = Array.init n (fun k -> x[k].Imaginary)
        let s = scratchLength plan
        forwardSplit plan re im (Array.zeroCreate s) (Array.zeroCreate s)
        Array.init n (fun k -> Complex(re[k], im[k]))

    /// x_k = (1/n) Σ_m X_m e^{2πimk/n}, k = 0..n−1; inverse (forward x) = x.
    let inverse (plan: FftPlan) (spectrum: Complex[]) : Complex[] =
        if isNull spectrum then
            nullArg (nameof spectrum)

        checkLength (nameof spectrum) plan.Length spectrum.Length
        let n = plan.Length
        let re = Array.init n (fun k -> spectrum[k].Real)
        let im = Array.init n (fun k -> spectrum[k].Imaginary)
        let s = scratchLength plan
        backwardSplit plan re im (Array.zeroCreate s) (Array.zeroCreate s)
        let scale = 1.0 / float n
        Array.init n (fun k -> Complex(re[k] * scale, im[k] * scale))

    /// A real-input FFT plan for length n ≥ 1.
    let planReal (n: int) : RealFftPlan =
        if n < 1 then
            invalidArg (nameof n) (sprintf "Expected an FFT length n >= 1, got %d" n)

        if n % 2 = 0 then
            let h = n / 2
            let wRe = Array.init (h + 1) (fun m -> cos (-2.0 * Math.PI * float m / float n))
            let wIm = Array.init (h + 1) (fun m -> sin (-2.0 * Math.PI * float m / float n))
            RealFftPlan(n, planCore h, wRe, wIm)
        else
            RealFftPlan(n, planCore n, [||], [||])

    /// The scratch length (doubles) each of the four work arrays of `forwardRealSplit`/`backwardRealSplit` needs.
    let realScratchLength (plan: RealFftPlan) =
        max plan.Half.Length (scratchLength plan.Half)

    /// Unnormalized real forward DFT: from x[0..n−1] computes X_m = Σ_k x_k e^{−2πimk/n} for m = 0..⌊n/2⌋ into
    /// outRe, outIm (length ≥ ⌊n/2⌋ + 1). zRe, zIm, workRe, workIm: scratch of length ≥ `realScratchLength plan`.
    let forwardRealSplit
        (plan: RealFftPlan)
        (x: ReadOnlySpan<float>)
        (outRe: Span<float>)
        (outIm: Span<float>)
        (zRe: float[])
        (zIm: float[])
        (workRe: float[])
        (workIm: float[])
        =
        let n = plan.Length
        let half = plan.Half
        let h = half.Length

        if n % 2 = 0 then
            for k in 0 .. h - 1 do
                zRe[k] <- x[2 * k]
                zIm[k] <- x[2 * k + 1]

            forwardSplit half zRe zIm workRe workIm
            let wRe, wIm = plan.WRe, plan.WIm

            for m in 0..h do
                let a = if m = h then 0 else m
                let b = if m = 0 then 0 else h - m
                // E = (Z_a + conj Z_b)/2, O = (Z_a − conj Z_b)/(2i)
                let er = 0.5 * (zRe[a] + zRe[b])
                let ei = 0.5 * (zIm[a] - zIm[b])
                let dr = 0.5 * (zRe[a] - zRe[b])
                let di = 0.5 * (zIm[a] + zIm[b])
                // O = (dr + i di)/i = di − i dr
                let orr, oi = di, -dr
                outRe[m] <- er + wRe[m] * orr - wIm[m] * oi
                outIm[m] <- ei + wRe[m] * oi + wIm[m] * orr
        else
            for k in 0 .. n - 1 do
                zRe[k] <- x[k]
                zIm[k] <- 0.0

            forwardSplit half zRe zIm workRe workIm

            for m in 0 .. n / 2 do
                outRe[m] <- zRe[m]
                outIm[m] <- zIm[m]

    /// Unnormalized real backward DFT: from the half spectrum X_0..X_{⌊n/2⌋} of a Hermitian spectrum computes
    /// x_k = Σ_{m&lt;n} X_m e^{2πimk/n} (X_{n−m} = conj X_m; the imaginary parts of X_0 and, for even n, X_{n/2}
    /// are ignored) into x. Scratch as for `forwardRealSplit`.
    let backwardRealSplit
        (plan: RealFftPlan)
        (inRe: ReadOnlySpan<float>)
        (inIm: ReadOnlySpan<float>)
        (x: Span<float>)
        (zRe: float[])
        (zIm: float[])
        (workRe: float[])
        (workIm: float[])
        =
        let n = plan.Length
        let half = plan.Half
        let h = half.Length

        if n % 2 = 0 then
            let wRe, wIm = plan.WRe, plan.WIm

            for m in 0 .. h - 1 do
                let xr = inRe[m]
                let xi = if m = 0 then 0.0 else inIm[m]
                // X_{m+h} = conj X_{h−m}
                let yr = inRe[h - m]
                let yi = if m = 0 then 0.0 else -inIm[h - m]
                let sr, si = xr + yr, xi + yi
                let dr, di = xr - yr, xi - yi
                // (d · w^{−m}) with w^{−m} = conj(w^m)
                let tr = dr * wRe[m] + di * wIm[m]
                let ti = di * wRe[m] - dr * wIm[m]
                // Z = s + i t
                zRe[m] <- sr - ti
                zIm[m] <- si + tr

            backwardSplit half zRe zIm workRe workIm

            for k in 0 .. h - 1 do
                x[2 * k] <- zRe[k]
                x[2 * k + 1] <- zIm[k]
        else
            zRe[0] <- inRe[0]
            zIm[0] <- 0.0

            for m in 1 .. n / 2 do
                zRe[m] <- inRe[m]
                zIm[m] <- inIm[m]
                zRe[n - m] <- inRe[m]
                zIm[n - m] <- -inIm[m]

            backwardSplit half zRe zIm workRe workIm

            for k in 0 .. n - 1 do
                x[k] <- zRe[k]

    /// X_m = Σ_k x_k e^{−2πimk/n} for m = 0..⌊n/2⌋ (the rest follows from X_{n−m} = conj X_m).
    let forwardReal (plan: RealFftPlan) (x: float[]) : Complex[] =
        if isNull x then
            nullArg (nameof x)

        checkLength (nameof x) plan.Length x.Length
        let s = realScratchLength plan
        let outRe = Array.zeroCreate (plan.Length / 2 + 1)
        let outIm = Array.zeroCreate (plan.Length / 2 + 1)

        forwardRealSplit
            plan
            (ReadOnlySpan x)
            (Span outRe)
            (Span outIm)
            (Array.zeroCreate s)
            (Array.zeroCreate s)
            (Array.zeroCreate s)
            (Array.zeroCreate s)

        Array.init outRe.Length (fun m -> Complex(outRe[m], outIm[m]))

    /// x_k = (1/n) Σ_{m&lt;n} X_m e^{2πimk/n} from the half spectrum X_0..X_{⌊n/2⌋}; inverseReal (forwardReal x) = x.
    let inverseReal (plan: RealFftPlan) (halfSpectrum: Complex[]) : float[] =
        if isNull halfSpectrum then
            nullArg (nameof halfSpectrum)

        let expected = plan.Length / 2 + 1

        if halfSpectrum.Length <> expected then
            invalidArg
                (nameof halfSpectrum)
                (sprintf "Expected ⌊n/2⌋ + 1 = %d half-spectrum values for n = %d, got %d" expected plan.Length halfSpectrum.Length)

        let s = realScratchLength plan
        let inRe = halfSpectrum |> Array.map (fun c -> c.Real)
        let inIm = halfSpectrum |> Array.map (fun c -> c.Imaginary)
        let x = Array.zeroCreate plan.Length

        backwardRealSplit
            plan
            (ReadOnlySpan inRe)
            (ReadOnlySpan inIm)
            (Span x)
            (Array.zeroCreate s)
            (Array.zeroCreate s)
            (Array.zeroCreate s)
            (Array.zeroCreate s)

        let scale = 1.0 / float plan.Length
        x |> Array.map (fun v -> v * scale)
