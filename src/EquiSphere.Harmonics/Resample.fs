namespace EquiSphere.Harmonics

open System
open System.Numerics

/// Resampling of Driscoll–Healy grids from bandwidth b to a finer bandwidth B = F·b (F integer ≥ 1).
/// Bicubic: tensor-product 4-point cubic (Lagrange) interpolation in sample-index space; longitude is periodic,
/// and across a pole row −1−r continues as row r shifted by π in longitude (the sphere's own continuation).
/// The DH samples are cell centres: fine row J sits at coarse index (2J+1)/(2F) − ½, fine column K at K/F.
/// Laws: reproduces data that are cubic in the sample index exactly (away from the wrap and the poles);
/// coarse samples coincide with every F-th fine column. Spectral: zero-padding of the coefficients, exact for
/// band-limited signals (the upsampled grid is the same function sampled finer).
[<RequireQualifiedAccess>]
module Resample =

    /// The 4 cubic Lagrange weights for nodes −1, 0, 1, 2 at offset t ∈ [0, 1).
    let inline private lagrange (t: float) =
        struct (-t * (t - 1.0) * (t - 2.0) / 6.0,
                (t + 1.0) * (t - 1.0) * (t - 2.0) / 2.0,
                -(t + 1.0) * t * (t - 2.0) / 2.0,
                (t + 1.0) * t * (t - 1.0) / 6.0)

    let private checkFactor (factor: int) =
        if factor < 1 then
            invalidArg (nameof factor) (sprintf "Expected an integer upsampling factor >= 1, got %d" factor)

    let private checkSquareEven (name: string) (rows: int) (cols: int) =
        if rows <> cols || rows % 2 <> 0 || rows < 2 then
            invalidArg name (sprintf "Expected a Driscoll–Healy signal of shape [2b; 2b] (colatitude × longitude), got [%d; %d]" rows cols)

    /// Bicubic upsampling of one [2b, 2b] grid given by `get j k` into dst (row-major [2bF, 2bF]).
    let private upsampleInto (factor: int) (n: int) (get: int -> int -> float) (dst: Span<float>) =
        let nf = n * factor
        let half = n / 2

        // Sample (j, k) with j possibly beyond a pole: continue across it with a shift of π in longitude.
        let at (j: int) (k: int) =
            let j, k =
                if j < 0 then -1 - j, k + half
                elif j >= n then 2 * n - 1 - j, k + half
                else j, k

            get j (((k % n) + n) % n)

        for jj in 0 .. nf - 1 do
            let u = float (2 * jj + 1) / float (2 * factor) - 0.5
            let j0 = int (floor u)
            let struct (a0, a1, a2, a3) = lagrange (u - float j0)

            for kk in 0 .. nf - 1 do
                let k0 = kk / factor
                let struct (b0, b1, b2, b3) = lagrange (float (kk - k0 * factor) / float factor)

                let row (j: int) =
                    b0 * at j (k0 - 1) + b1 * at j k0 + b2 * at j (k0 + 1) + b3 * at j (k0 + 2)

                dst[jj * nf + kk] <- a0 * row (j0 - 1) + a1 * row j0 + a2 * row (j0 + 1) + a3 * row (j0 + 2)

    /// Bicubic upsampling of a [2b, 2b] grid by an integer factor F onto the DH grid [2bF, 2bF] of bandwidth bF.
    let upsampleBicubic (factor: int) (signal: float[,]) : float[,] =
        if isNull signal then
            nullArg (nameof signal)

        checkFactor factor
        let n = Array2D.length1 signal
        checkSquareEven (nameof signal) n (Array2D.length2 signal)
        let nf = n * factor
        let flat = Array.zeroCreate (nf * nf)
        upsampleInto factor n (fun j k -> signal[j, k]) (Span flat)
        Array2D.init nf nf (fun j k -> flat[j * nf + k])

    /// Bicubic upsampling of C float32 channels: `signals` [C, 2b, 2b] → [C, 2bF, 2bF] (b given).
    let upsampleBicubicBatch32 (factor: int) (b: int) (channels: int) (signals: float32[]) : float32[] =
        if isNull signals then
            nullArg (nameof signals)

        checkFactor factor
        Check.bandwidth (nameof b) b

        if channels < 1 then
            invalidArg (nameof channels) (sprintf "Expected a channel count >= 1, got %d" channels)

        let n = 2 * b

        if signals.Length <> channels * n * n then
            invalidArg
                (nameof signals)
                (sprintf "Expected [C=%d, 2b=%d, 2b=%d] = %d values, got %d" channels n n (channels * n * n) signals.Length)

        let nf = n * factor
        let out: float32[] = Array.zeroCreate (channels * nf * nf)
        let tmp = Array.zeroCreate (nf * nf)

        for c in 0 .. channels - 1 do
            let src = c * n * n
            upsampleInto factor n (fun j k -> float signals[src + j * n + k]) (Span tmp)

            for i in 0 .. nf * nf - 1 do
                out[c * nf * nf + i] <- float32 tmp[i]

        out

    /// Zero-padding of coefficients packed at l² + l + m from bandwidth b (length b²) to bandwidth B ≥ b (B²):
    /// the degrees l ≥ b are zero. Law: the padded coefficients describe the same band-limited function.
    let zeroPad (targetBandwidth: int) (coeffs: Complex[]) : Complex[] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        Check.bandwidth (nameof targetBandwidth) targetBandwidth

        if coeffs.Length > targetBandwidth * targetBandwidth then
            invalidArg
                (nameof coeffs)
                (sprintf
                    "Expected at most B² = %d coefficients for target bandwidth B = %d, got %d"
                    (targetBandwidth * targetBandwidth)
                    targetBandwidth
                    coeffs.Length)

        let b = int (sqrt (float coeffs.Length))

        if b * b <> coeffs.Length then
            invalidArg (nameof coeffs) (sprintf "Expected b² coefficients (a perfect square), got %d" coeffs.Length)

        let out = Array.zeroCreate (targetBandwidth * targetBandwidth)
        Array.blit coeffs 0 out 0 coeffs.Length
        out

    /// Spectral upsampling of a real [2b, 2b] signal onto the [2B, 2B] grid (B ≥ b): forward with `small`
    /// (bandwidth b), zero-pad, inverse with `large` (bandwidth B). Exact for band-limited signals.
    let upsampleSpectral (small: ShtPlan) (large: ShtPlan) (signal: float[,]) : float[,] =
        if large.Bandwidth < small.Bandwidth then
            invalidArg
                (nameof large)
                (sprintf "Expected the large plan's bandwidth >= %d (the small plan's), got %d" small.Bandwidth large.Bandwidth)

        Sht.forward small signal |> zeroPad large.Bandwidth |> Sht.inverse large

    /// Spectral upsampling of C float32 channels [C, 2b, 2b] → [C, 2B, 2B] through the batched float32 SHTs.
    let upsampleSpectralBatch32 (small: ShtPlan) (large: ShtPlan) (channels: int) (signals: float32[]) : float32[] =
        if large.Bandwidth < small.Bandwidth then
            invalidArg
                (nameof large)
                (sprintf "Expected the large plan's bandwidth >= %d (the small plan's), got %d" small.Bandwidth large.Bandwidth)

        let b, bl = small.Bandwidth, large.Bandwidth
        let spec = Sht.forwardBatch32 small channels signals
        let padded: float32[] = Array.zeroCreate (channels * bl * bl * 2)

        for c in 0 .. channels - 1 do
            Array.blit spec (c * b * b * 2) padded (c * bl * bl * 2) (b * b * 2)

        Sht.inverseBatch32 large channels padded
