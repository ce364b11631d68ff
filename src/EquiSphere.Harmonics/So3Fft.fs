namespace EquiSphere.Harmonics

#nowarn "9" // The inverse streams its output through the addresses of the pinned sample arrays.

open System
open System.Numerics
open System.Runtime.CompilerServices
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop

/// A plan for the SO(3) Fourier transform of bandwidth B on the SOFT grid (So3Grid, (2B)³ rotations [α, β, γ]):
/// the β quadrature weights, the FFT plan of length 2B, the setup of the table-free recurrence engine (seeds
/// d^b_{ab}(β_j) of the canonical pairs 0 ≤ a ≤ b < B, B³ doubles while B ≤ 128) and, optionally, the Wigner-d tables
/// d^l_{m'm}(β_j) for the northern half of the β grid (j < B; the southern half follows from
/// d^l_{m'm}(π − β) = (−1)^{l+m'} d^l_{m',−m}(β)), (4/3)B⁴ doubles (179 MB at B = 64), built on first use. Which engine
/// `So3Fft.forward`/`So3Fft.inverse` use is `UsesTableEngine`. Safe to share across threads: its only mutable state
/// are pools of scratch (per-order spectra, per-worker buffers) that concurrent calls lease separately and return.
[<Sealed>]
type So3FftPlan
    internal
    (
        b: int,
        weights: float[],
        tables: Lazy<float[][]> option,
        tableTransforms: bool,
        pairs: Lazy<So3Pairs.Setup>,
        fft: FftPlan,
        realFft: RealFftPlan
    ) =
    /// The bandwidth B: degrees l < B, the grid has (2B)³ rotations.
    member _.Bandwidth = b

    /// Whether the Wigner-d tables of the real-output inverse (correlation) are precomputed, on first use (true), or
    /// recomputed per transform (false). `So3Fft.forward` and `So3Fft.inverse` use no tables either way.
    member _.HasTables = tables.IsSome

    /// Bytes the plan's tables hold once built (0 without tables).
    member _.MemoryBytes: int64 =
        match tables with
        | Some _ -> int64 b * int64 (b * (4 * b * b - 1) / 3) * 8L
        | None -> 0L

    /// Quadrature weights v_j with Σ_j v_j g(β_j) = ∫₀^π g(β) sin β dβ for g of degree < 2B in cos β.
    member internal _.Weights = weights
    member internal _.Tables = tables |> Option.map (fun t -> t.Value)
    member internal _.Pairs = pairs.Value

    /// Whether `So3Fft.forward`/`So3Fft.inverse` run through the d tables (the reference engine of `planWith true`)
    /// instead of the table-free degree recurrence.
    member _.UsesTableEngine = tableTransforms
    member internal _.Fft = fft
    member internal _.RealFft = realFft

    /// The strip FFT plan of length 2B when 2B is a power of two ≥ 8 and Vector256 is hardware accelerated.
    member val internal Strip =
        if So3PlaneFft.supports (2 * b) then
            Some(So3PlaneFft.plan (2 * b))
        else
            None

    /// Per-worker scratch of the strip path, reused across calls (one per concurrently running worker).
    member val internal BlockScratches = ScratchPool(fun () -> So3BlockScratch(2 * b))

    /// Per-call spectra of the table-free engine, reused across calls (one per concurrently running call).
    member val internal Workspaces = ScratchPool(fun () -> So3Workspace b)

    /// The normalization (2l+1)/(8π²) · (2π/2B)² of degree l < B.
    member val internal Scale =
        let h = 2.0 * Math.PI / float (2 * b)
        Array.init b (fun l -> float (2 * l + 1) / (8.0 * Math.PI * Math.PI) * h * h)

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

    /// The largest table `plan` builds (bytes), for the real-output inverse of `Correlation`; above it that inverse
    /// recomputes d per β. `forward`/`inverse` of `plan` use no tables.
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

    let private create (tables: bool) (tableTransforms: bool) (b: int) : So3FftPlan =
        Check.bandwidth (nameof b) b
        let n = 2 * b

        let weights =
            Grid.quadratureWeights b |> Array.map (fun w -> w * float n / (2.0 * Math.PI))

        let betas = So3Grid.betas b

        let precomputed =
            if tables then
                Some(lazy (Array.Parallel.init b (fun j -> table b betas[j])))
            else
                None

        So3FftPlan(b, weights, precomputed, tableTransforms, lazy (So3Pairs.setup b), Fft.plan n, Fft.planReal n)

    /// A plan for bandwidth b (1 ≤ b ≤ 2048) with a choice of engine. `tables = true`: the Wigner-d tables
    /// ((4/3)B⁴ doubles, built on first use) drive every transform, streamed per group of β pairs (the reference engine,
    /// memory-bound for B ≥ 64). `tables = false`: no tables; `forward`/`inverse` generate d by the three-term
    /// recurrence in l per canonical index pair (O(B³) memory per transform), and the real-output inverse of
    /// `Correlation` recomputes d per β. Both give the same results to ~1e-13.
    let planWith (tables: bool) (b: int) : So3FftPlan = create tables tables b

    /// A plan for bandwidth b (1 ≤ b ≤ 2048): `forward`/`inverse` use the table-free recurrence engine; the real-output
    /// inverse of `Correlation` uses d tables, built on its first use, while they fit `TableBudgetBytes` (B ≤ 64).
    let plan (b: int) : So3FftPlan =
        Check.bandwidth (nameof b) b
        create (int64 b * int64 (count b) * 8L <= TableBudgetBytes) false b

    /// The d table of β_j (j < B) from the plan or freshly computed.
    let private tableOf (plan: So3FftPlan) (j: int) =
        match plan.Tables with
        | Some t -> t[j]
        | None -> table plan.Bandwidth (So3Grid.betas plan.Bandwidth).[j]

    /// y_q[yo + i] += x_q[xo + i] · d[dOff + i] for the four pairs q = 0..3 and i < len, loading d once (SIMD).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private mulAdd4
        (len: int)
        (x0: float[])
        (x1: float[])
        (x2: float[])
        (x3: float[])
        (xo: int)
        (d: float[])
        (dOff: int)
        (y0: float[])
        (y1: float[])
        (y2: float[])
        (y3: float[])
        (yo: int)
        =
        let w = Vector<float>.Count
        let mutable i = 0

        while i <= len - w do
            let dv = Vector<float>(d, dOff + i)
            (Vector<float>(y0, yo + i) + Vector<float>(x0, xo + i) * dv).CopyTo(y0, yo + i)
            (Vector<float>(y1, yo + i) + Vector<float>(x1, xo + i) * dv).CopyTo(y1, yo + i)
            (Vector<float>(y2, yo + i) + Vector<float>(x2, xo + i) * dv).CopyTo(y2, yo + i)
            (Vector<float>(y3, yo + i) + Vector<float>(x3, xo + i) * dv).CopyTo(y3, yo + i)
            i <- i + w

        while i < len do
            let dv = d[dOff + i]
            y0[yo + i] <- y0[yo + i] + x0[xo + i] * dv
            y1[yo + i] <- y1[yo + i] + x1[xo + i] * dv
            y2[yo + i] <- y2[yo + i] + x2[xo + i] * dv
            y3[yo + i] <- y3[yo + i] + x3[xo + i] * dv
            i <- i + 1

    /// Twiddles e^{−2πik/n}, k < n/2 (re, im), and the bit-reversal permutation of a power-of-two n.
    let private radix2Tables (n: int) =
        Array.init (n / 2) (fun k -> cos (-2.0 * Math.PI * float k / float n)),
        Array.init (n / 2) (fun k -> sin (-2.0 * Math.PI * float k / float n)),
        Fft.bitReversal n

    /// Per-worker scratch of the α–γ transforms: coefficient planes T, U ((2B−1)² each, re/im), a (2B)² complex
    /// plane, FFT lines and work arrays.
    type internal Scratch(b: int, fft: FftPlan, realFft: RealFftPlan) =
        let n = 2 * b
        let w = 2 * b - 1
        let sl = max n (Fft.scratchLength fft)
        let rl = max n (Fft.realScratchLength realFft)
        /// `GroupSize` sets of four coefficient planes, one per β pair of a group.
        member val PlaneSets = lazy Array.init 4 (fun _ -> Array.init 4 (fun _ -> Array.zeroCreate<float>(w * w)))
        member val Re = Array.zeroCreate<float>(n * n)
        member val Im = Array.zeroCreate<float>(n * n)
        member val LineRe = Array.zeroCreate<float> n
        member val LineIm = Array.zeroCreate<float> n
        member val WorkRe = Array.zeroCreate<float> sl
        member val WorkIm = Array.zeroCreate<float> sl
        member val HalfRe = Array.zeroCreate<float>(b + 1)
        member val HalfIm = Array.zeroCreate<float>(b + 1)
        member val Real = Array.zeroCreate<float> n
        member val Plane = Array.zeroCreate<float>(n * n)
        member val Z = Array.init 4 (fun _ -> Array.zeroCreate<float> rl)

        /// The strip FFT plan when 2B is a power of two ≥ 8 with hardware Vector256 (then the plane FFTs run on strips).
        member val Strip =
            if So3PlaneFft.supports n then
                Some(So3PlaneFft.plan n)
            else
                None

        /// Eight (2B)² planes (re, im) of a β block of the table-free engine where the strip path does not apply.
        member val BetaPlanes =
            lazy (Array.init 8 (fun _ -> Array.zeroCreate<float>(n * n)), Array.init 8 (fun _ -> Array.zeroCreate<float>(n * n)))

        /// Strip scratch (re, im) of the plane FFTs.
        member val StripRe = Array.zeroCreate<float>(8 * n)
        member val StripIm = Array.zeroCreate<float>(8 * n)

        /// Radix-2 tables when 2B is a power of two (then the plane FFTs run column-batched with SIMD).
        member val Radix2 =
            if n &&& (n - 1) = 0 && n >= 2 then
                Some(radix2Tables n)
            else
                None

    /// The per-worker scratch of each plan, pooled (created on first use, reused by later calls, collected with the
    /// plan).
    let private scratchPools = ConditionalWeakTable<So3FftPlan, ScratchPool<Scratch>>()

    /// The scratch pool of a plan.
    let private scratchPool (plan: So3FftPlan) =
        scratchPools.GetValue(plan, (fun p -> ScratchPool(fun () -> Scratch(p.Bandwidth, p.Fft, p.RealFft))))

    /// β pairs per group: a group's Wigner step loads each coefficient row once for all its tables.
    let private GroupSize = 4

    /// Runs `body worker js scratch` for groups js of up to `GroupSize` consecutive j (covering 0..B−1) on min(groups,
    /// cores) workers (worker w takes groups w, w + P, ...), each with its own scratch (leased from the plan's pool).
    let private forEachGroup (plan: So3FftPlan) (body: int -> int[] -> Scratch -> unit) =
        let b = plan.Bandwidth
        let groups = (b + GroupSize - 1) / GroupSize
        let workers = max 1 (min groups Environment.ProcessorCount)

        Parallel.For(
            0,
            workers,
            fun w ->
                let pool = scratchPool plan
                let s = pool.Lease()

                try
                    let mutable g = w

                    while g < groups do
                        body w [| g * GroupSize .. min b (g * GroupSize + GroupSize) - 1 |] s
                        g <- g + workers
                finally
                    pool.Release s
        )
        |> ignore

    /// Radix-2 DFTs of all n columns of an n × n plane at once (along axis 0, SIMD across the columns), in place,
    /// unnormalized, sign −1 (`negative`) or +1; n a power of two.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private columnsRadix2 (n: int) (twRe: float[]) (twIm: float[]) (rev: int[]) (negative: bool) (re: float[]) (im: float[]) =
        for i in 0 .. n - 1 do
            let r = rev[i]

            if r > i then
                for c in 0 .. n - 1 do
                    let a, b = i * n + c, r * n + c
                    let tr, ti = re[a], im[a]
                    re[a] <- re[b]
                    im[a] <- im[b]
                    re[b] <- tr
                    im[b] <- ti

        let vw = Vector<float>.Count
        let sign = if negative then 1.0 else -1.0
        let mutable size = 2

        while size <= n do
            let half = size / 2
            let step = n / size

            for start in 0..size .. n - 1 do
                for k in 0 .. half - 1 do
                    let wr, wi = twRe[k * step], sign * twIm[k * step]
                    let a0 = (start + k) * n
                    let b0 = a0 + half * n
                    let vwr, vwi = Vector<float>(wr), Vector<float>(wi)
                    let mutable c = 0

                    while c <= n - vw do
                        let br, bi = Vector<float>(re, b0 + c), Vector<float>(im, b0 + c)
                        let ar, ai = Vector<float>(re, a0 + c), Vector<float>(im, a0 + c)
                        let tr = vwr * br - vwi * bi
                        let ti = vwr * bi + vwi * br
                        (ar + tr).CopyTo(re, a0 + c)
                        (ai + ti).CopyTo(im, a0 + c)
                        (ar - tr).CopyTo(re, b0 + c)
                        (ai - ti).CopyTo(im, b0 + c)
                        c <- c + vw

                    while c < n do
                        let br, bi = re[b0 + c], im[b0 + c]
                        let tr = wr * br - wi * bi
                        let ti = wr * bi + wi * br
                        let ar, ai = re[a0 + c], im[a0 + c]
                        re[a0 + c] <- ar + tr
                        im[a0 + c] <- ai + ti
                        re[b0 + c] <- ar - tr
                        im[b0 + c] <- ai - ti
                        c <- c + 1

            size <- size * 2

    /// Transposes an n × n plane in place.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private transpose (n: int) (x: float[]) =
        for i in 0 .. n - 1 do
            for j in i + 1 .. n - 1 do
                let t = x[i * n + j]
                x[i * n + j] <- x[j * n + i]
                x[j * n + i] <- t

    /// The 2D DFT of a (2B)² plane [row, col] in place, unnormalized, with sign −1 (`negative`) or +1.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private dft2 (fft: FftPlan) (negative: bool) (re: float[]) (im: float[]) (s: Scratch) =
        let n = fft.Length

        match s.Strip, s.Radix2 with
        | Some p, _ -> So3PlaneFft.dft2 p negative re im s.StripRe s.StripIm
        | None, Some(twRe, twIm, rev) ->
            columnsRadix2 n twRe twIm rev negative re im
            transpose n re
            transpose n im
            columnsRadix2 n twRe twIm rev negative re im
            transpose n re
            transpose n im
        | None, None ->
            let rowRe, rowIm = s.LineRe, s.LineIm

            let run (r: float[]) (i: float[]) =
                if negative then
                    Fft.forwardSplit fft r i s.WorkRe s.WorkIm
                else
                    Fft.backwardSplit fft r i s.WorkRe s.WorkIm

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

    /// The transposed 2D DFT of a (2B)² plane in place: on return the plane holds DFT(x)ᵀ (for 2B a power of two the
    /// final transposes of `dft2` are skipped). Since DFT(xᵀ) = DFT(x)ᵀ, filling the plane transposed gives DFT(x).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private dft2Transposed (fft: FftPlan) (negative: bool) (re: float[]) (im: float[]) (s: Scratch) =
        let n = fft.Length

        match s.Strip, s.Radix2 with
        | None, Some(twRe, twIm, rev) ->
            columnsRadix2 n twRe twIm rev negative re im
            transpose n re
            transpose n im
            columnsRadix2 n twRe twIm rev negative re im
        | _ ->
            dft2 fft negative re im s
            transpose n re
            transpose n im

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

    /// Coefficient planes of a group of β pairs: from split coefficient arrays (re, im), and their m-mirrored, signed
    /// copy g^l_{m'm} = (−1)^{l+m'} f^l_{m',−m} (for the southern β), fill for each table ds[q] (β_j, q < count) the planes
    /// T(m', m) = Σ_l f^l_{m'm} d^l_{m'm}(β_j) and U(m', m) = Σ_l g^l_{m'm} d^l_{m'm}(β_j) of sets[q] (re, im), indexed
    /// [(m'+B−1)(2B−1) + (m+B−1)]; degrees l < `degrees`, rows m' ≥ 0 only when `half`.
    let private synthesizeGroup
        (b: int)
        (degrees: int)
        (half: bool)
        (ds: float[][])
        (fRe: float[])
        (fIm: float[])
        (gRe: float[])
        (gIm: float[])
        (sets: float[][][])
        =
        let w = 2 * b - 1

        for q in 0 .. ds.Length - 1 do
            for p in sets[q] do
                Array.Clear p

        for l in 0 .. degrees - 1 do
            let len = 2 * l + 1
            let off = index l -l -l

            for mp in (if half then 0 else -l) .. l do
                let src = off + (mp + l) * len
                let dst = (mp + b - 1) * w + b - 1 - l

                for q in 0 .. ds.Length - 1 do
                    let p = sets[q]
                    mulAdd4 len fRe fIm gRe gIm src ds[q] src p[0] p[1] p[2] p[3] dst

    /// g^l_{m'm} = (−1)^{l+m'} f^l_{m',−m}: the row-reversed, signed copy used for the southern β of a pair.
    /// Written into (gRe, gIm) for degrees l < `degrees` (entries of higher degrees are left as they are).
    let private mirrorInto (degrees: int) (fRe: float[]) (fIm: float[]) (gRe: float[]) (gIm: float[]) =
        for l in 0 .. degrees - 1 do
            for mp in -l .. l do
                let sign = if (l + mp) % 2 = 0 then 1.0 else -1.0
                let row = index l mp 0

                for m in -l .. l do
                    gRe[row + m] <- sign * fRe[row - m]
                    gIm[row + m] <- sign * fIm[row - m]

    /// Runs `body gRe gIm` with the mirrored coefficients (`mirrorInto`, degrees l < `degrees`) in buffers rented from
    /// ArrayPool.Shared (entries of higher degrees are zero), returned afterwards.
    let private withMirror (b: int) (degrees: int) (fRe: float[]) (fIm: float[]) (body: float[] -> float[] -> 'R) : 'R =
        let total = count b
        let gRe = Buffers.ArrayPool<float>.Shared.Rent total
        let gIm = Buffers.ArrayPool<float>.Shared.Rent total

        try
            Array.Clear(gRe, 0, total)
            Array.Clear(gIm, 0, total)
            mirrorInto degrees fRe fIm gRe gIm
            body gRe gIm
        finally
            Buffers.ArrayPool<float>.Shared.Return gRe
            Buffers.ArrayPool<float>.Shared.Return gIm

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

    /// The inverse on split coefficients through the precomputed (or per-β) d tables, grouped by β pairs: the table
    /// reference of `inverseSplit`. Returns the (2B)³ samples as (re, im).
    let internal inverseTables (plan: So3FftPlan) (fRe: float[]) (fIm: float[]) =
        let b = plan.Bandwidth
        let n = 2 * b
        let outRe = Array.zeroCreate (n * n * n)
        let outIm = Array.zeroCreate (n * n * n)

        withMirror b b fRe fIm (fun gRe gIm ->
            forEachGroup plan (fun _ js s ->
                let re, im = s.Re, s.Im
                synthesizeGroup b b false (Array.map (tableOf plan) js) fRe fIm gRe gIm s.PlaneSets.Value

                for q in 0 .. js.Length - 1 do
                    let j, planes = js[q], s.PlaneSets.Value[q]

                    for jj, flip, pr, pi in [ j, false, planes[0], planes[1]; n - 1 - j, true, planes[2], planes[3] ] do
                        scatter b flip pr pi re im
                        dft2 plan.Fft true re im s

                        for i in 0 .. n - 1 do
                            Array.blit re (i * n) outRe ((i * n + jj) * n) n
                            Array.blit im (i * n) outIm ((i * n + jj) * n) n))

        outRe, outIm

    /// The inverse for the coefficients of a real function (f^l_{−m',−m} = (−1)^{m'−m} conj f^l_{m'm}; only rows
    /// m' ≥ 0 are read): per β, half the Wigner step, B complex FFTs over m and 2B real-output FFTs over m'.
    /// Writes the (2B)³ real samples into out[0 .. (2B)³ − 1] (out may be longer, e.g. rented).
    /// `degrees` ≤ B: coefficients of degree l ≥ degrees are known to be zero and skipped.
    let internal inverseRealSplitInto (plan: So3FftPlan) (degrees: int) (fRe: float[]) (fIm: float[]) (out: float[]) =
        let b = plan.Bandwidth
        let n = 2 * b
        let w = 2 * b - 1

        if out.Length < n * n * n then
            invalidArg (nameof out) (sprintf "Expected at least (2B)³ = %d doubles, got %d" (n * n * n) out.Length)

        withMirror b degrees fRe fIm (fun gRe gIm ->
            forEachGroup plan (fun _ js s ->
                let yRe, yIm = s.Re, s.Im
                synthesizeGroup b degrees true (Array.map (tableOf plan) js) fRe fIm gRe gIm s.PlaneSets.Value

                for q in 0 .. js.Length - 1 do
                    let j, planes = js[q], s.PlaneSets.Value[q]

                    if s.Radix2.IsSome then
                        // Both β of the pair at once: W = T_j + i T_j̄, extended to m' < 0 by T(−m', −m) = conj T(m', m) (real
                        // outputs); one 2D FFT gives f(β_j) in the real part and f(β_j̄) in the imaginary part.
                        let re, im = s.Re, s.Im
                        Array.Clear re
                        Array.Clear im
                        let t, tIm, u, uIm = planes[0], planes[1], planes[2], planes[3]

                        // Filled transposed, [m mod 2B, m' mod 2B], for the transposed DFT (two plane transposes fewer), or
                        // [m' mod 2B, m mod 2B] for the strip DFT (no transposes at all).
                        let strip = s.Strip.IsSome

                        for mp in 0 .. degrees - 1 do
                            let src = (mp + b - 1) * w + b - 1
                            let mirror = (n - mp) % n

                            for m in -(degrees - 1) .. degrees - 1 do
                                let tr, ti = t[src + m], tIm[src + m]
                                // T_j̄(m', m) = U(m', −m)
                                let ur, ui = u[src - m], uIm[src - m]

                                let at =
                                    if strip then
                                        mp * n + (m + n) % n
                                    else
                                        ((m + n) % n) * n + mp

                                re[at] <- tr - ui
                                im[at] <- ti + ur

                                if mp > 0 then
                                    let mirrorAt =
                                        if strip then
                                            mirror * n + (n - m) % n
                                        else
                                            ((n - m) % n) * n + mirror

                                    re[mirrorAt] <- tr + ui
                                    im[mirrorAt] <- ur - ti

                        if strip then
                            dft2 plan.Fft true re im s
                        else
                            dft2Transposed plan.Fft true re im s

                        for i in 0 .. n - 1 do
                            Array.blit re (i * n) out ((i * n + j) * n) n
                            Array.blit im (i * n) out ((i * n + n - 1 - j) * n) n
                    else
                        for jj, flip, pr, pi in [ j, false, planes[0], planes[1]; n - 1 - j, true, planes[2], planes[3] ] do
                            // Y(m', γ_k) = Σ_m T(m', m) e^{−imγ_k} for m' ≥ 0 (T of the southern β is U read at −m); rows
                            // m' ≥ degrees are zero.
                            for mp in 0 .. degrees - 1 do
                                Array.Clear s.LineRe
                                Array.Clear s.LineIm
                                let src = (mp + b - 1) * w + b - 1

                                for m in -(b - 1) .. b - 1 do
                                    let t = if flip then src - m else src + m
                                    s.LineRe[(m + n) % n] <- pr[t]
                                    s.LineIm[(m + n) % n] <- pi[t]

                                Fft.forwardSplit plan.Fft s.LineRe s.LineIm s.WorkRe s.WorkIm
                                Array.blit s.LineRe 0 yRe (mp * n) n
                                Array.blit s.LineIm 0 yIm (mp * n) n

                            // f(α_i) = Σ_{m'} Y(m') e^{−im'α_i} = Σ_{m'} conj Y(m') e^{+im'α_i}, Hermitian in m': real output.
                            for k in 0 .. n - 1 do
                                for mp in 0 .. degrees - 1 do
                                    s.HalfRe[mp] <- yRe[mp * n + k]
                                    s.HalfIm[mp] <- -yIm[mp * n + k]

                                for mp in degrees..b do
                                    s.HalfRe[mp] <- 0.0
                                    s.HalfIm[mp] <- 0.0

                                Fft.backwardRealSplit
                                    plan.RealFft
                                    (ReadOnlySpan s.HalfRe)
                                    (ReadOnlySpan s.HalfIm)
                                    (Span s.Real)
                                    s.Z[0]
                                    s.Z[1]
                                    s.Z[2]
                                    s.Z[3]

                                for i in 0 .. n - 1 do
                                    s.Plane[i * n + k] <- s.Real[i]

                            // Rows of n contiguous γ samples per α: blit them (a strided scatter per sample thrashes the cache).
                            for i in 0 .. n - 1 do
                                Array.blit s.Plane (i * n) out ((i * n + jj) * n) n))


    /// `inverseRealSplitInto` into a fresh array of (2B)³ real samples.
    let internal inverseRealSplit (plan: So3FftPlan) (degrees: int) (fRe: float[]) (fIm: float[]) =
        let n = 2 * plan.Bandwidth
        let out = Array.zeroCreate (n * n * n)
        inverseRealSplitInto plan degrees fRe fIm out
        out

    /// The weighted (α, γ) spectra of the samples at β_j and β_{2B−1−j} into four planes [(m'+B−1)(2B−1) + (m+B−1)]:
    /// S(m', m) = v_j Σ_{i,k} f e^{+im'α_i} e^{+imγ_k} (re, im), then the southern plane stored m-reversed (re, im).
    let private analysisPlanes (plan: So3FftPlan) (sRe: float[]) (sIm: float[]) (j: int) (s: Scratch) (planes: float[][]) =
        let b = plan.Bandwidth
        let n = 2 * b
        let w = 2 * b - 1
        let re, im = s.Re, s.Im
        let v = plan.Weights[j]

        for jj, p in [ j, 0; n - 1 - j, 2 ] do
            for i in 0 .. n - 1 do
                Array.blit sRe ((i * n + jj) * n) re (i * n) n
                Array.blit sIm ((i * n + jj) * n) im (i * n) n

            dft2 plan.Fft false re im s
            let pr, pi = planes[p], planes[p + 1]

            for mp in -(b - 1) .. b - 1 do
                let row = ((mp + n) % n) * n
                let dst = (mp + b - 1) * w + b - 1

                for m in -(b - 1) .. b - 1 do
                    let s = row + (m + n) % n
                    let t = if p = 0 then dst + m else dst - m
                    pr[t] <- v * re[s]
                    pi[t] <- v * im[s]

    /// The forward transform on split samples through the d tables, parallel over β pairs, each worker accumulating
    /// into its own coefficient arrays (summed at the end): the table reference of `forwardSplit`.
    let internal forwardTables (plan: So3FftPlan) (sRe: float[]) (sIm: float[]) =
        let b = plan.Bandwidth
        let w = 2 * b - 1
        let total = count b

        let workers =
            max 1 (min ((b + GroupSize - 1) / GroupSize) Environment.ProcessorCount)

        let accs =
            Array.init workers (fun _ -> Array.init 4 (fun _ -> Array.zeroCreate<float> total))

        forEachGroup plan (fun worker js s ->
            let acc = accs[worker]
            let ds = Array.map (tableOf plan) js

            for q in 0 .. js.Length - 1 do
                analysisPlanes plan sRe sIm js[q] s s.PlaneSets.Value[q]

            for l in 0 .. b - 1 do
                let len = 2 * l + 1
                let off = index l -l -l

                for mp in -l .. l do
                    let dst = off + (mp + l) * len
                    let src = (mp + b - 1) * w + b - 1 - l

                    for q in 0 .. js.Length - 1 do
                        let p = s.PlaneSets.Value[q]
                        mulAdd4 len p[0] p[1] p[2] p[3] src ds[q] dst acc[0] acc[1] acc[2] acc[3] dst)

        for wk in 1 .. workers - 1 do
            for q in 0..3 do
                let dst = accs[0][q]
                let src = accs[wk][q]

                for i in 0 .. total - 1 do
                    dst[i] <- dst[i] + src[i]

        let fRe, fIm, gRe, gIm = accs[0][0], accs[0][1], accs[0][2], accs[0][3]
        let n = 2 * b

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

    /// Consecutive β per block of the table-free engine: a block's spectra fill whole cache lines of the per-order
    /// layout [order · 2B + j].
    let private BetaBlock = 8

    /// Runs `body j0 count scratch re im` for blocks of up to `BetaBlock` consecutive β indices j0 .. j0+count−1
    /// (covering 0..2B−1) on min(blocks, cores) workers, each with its own scratch and `BetaBlock` (2B)² planes
    /// (re, im), leased from the plan's pool.
    let private forEachBetaBlock (plan: So3FftPlan) (body: int -> int -> Scratch -> float[][] -> float[][] -> unit) =
        let b = plan.Bandwidth
        let n = 2 * b
        let blocks = (n + BetaBlock - 1) / BetaBlock
        let workers = max 1 (min blocks Environment.ProcessorCount)

        Parallel.For(
            0,
            workers,
            fun w ->
                let pool = scratchPool plan
                let s = pool.Lease()
                let re, im = s.BetaPlanes.Value

                try
                    let mutable g = w

                    while g < blocks do
                        let j0 = g * BetaBlock
                        body j0 (min BetaBlock (n - j0)) s re im
                        g <- g + workers
                finally
                    pool.Release s
        )
        |> ignore

    /// Spectra per order (So3Pairs layout) need (2B−1)² · 2B doubles each for re and im.
    let private spectraLength (b: int) = (2 * b - 1) * (2 * b - 1) * 2 * b

    /// Throws unless an internal buffer holds at least `length` doubles.
    let private requireLength (name: string) (length: int) (a: float[]) =
        if a.Length < length then
            invalidArg name (sprintf "Expected at least %d doubles, got %d" length a.Length)

    /// Checks the split samples ((2B)³ each) and the workspace's spectra of an α–γ stage, whose strip kernels load
    /// and store without bounds checks.
    let private requireStage (b: int) (ws: So3Workspace) (re: string * float[]) (im: string * float[]) =
        let n = 2 * b

        for name, a in [ re; im ] do
            requireLength name (n * n * n) a

        requireLength "spectra (re)" (ws.OffsetRe + spectraLength b) ws.SpectraRe
        requireLength "spectra (im)" (ws.OffsetIm + spectraLength b) ws.SpectraIm

    /// Whether an α–γ stage writes an output of this many bytes with non-temporal stores: with AVX-512, from
    /// `So3Pairs.StreamingMinBytes` (half the L3 of the machine it was tuned on) on.
    let private streams (bytes: int64) =
        So3PlaneFft.Wide && bytes >= So3Pairs.StreamingMinBytes

    /// Runs `body j0 scratch` for the blocks of `So3PlaneFft.Lanes` consecutive β (j0 = 0, 8, …, 2B − 8) on
    /// min(blocks, cores) workers, each with block scratch leased from the plan's pool (returned afterwards). Blocks are
    /// dealt one at a time from a shared counter, so a worker that starts late (a sleeping core of a virtual machine
    /// can take milliseconds to wake) or is slowed by another process takes fewer; each block writes only its own
    /// outputs, so the results do not depend on which worker computes which block.
    let private forEachStripBlock (plan: So3FftPlan) (body: int -> So3BlockScratch -> unit) =
        let n = 2 * plan.Bandwidth
        let blocks = n / So3PlaneFft.Lanes
        let workers = max 1 (min blocks Environment.ProcessorCount)
        let next = ref -1

        Parallel.For(
            0,
            workers,
            fun w ->
                let s = plan.BlockScratches.Lease()

                try
                    let mutable g = Threading.Interlocked.Increment(&next.contents)

                    while g < blocks do
                        body (g * So3PlaneFft.Lanes) s
                        g <- Threading.Interlocked.Increment(&next.contents)
                finally
                    plan.BlockScratches.Release s
        )
        |> ignore

    /// The α–γ stage of the forward transform for the eight β_{j0..j0+7} on the strip path, with the eight β as the
    /// lanes throughout and the block buffer A [row · 2B · 8 + slot · 8 + q] written in rows. (1) Per α_i the eight
    /// sample rows (one contiguous run of 8 · 2B) are transposed in 8 × 8 blocks into row rev(i) of A, bit-reversed
    /// over γ_k, and that row is transformed over γ (sign +) in place while it is in L1: A[rev(i)][m mod 2B][q]. (2) Per
    /// order m, the column of A is gathered into a strip (its rows hold α in bit-reversed order), transformed over α
    /// (sign +), weighted by v_j and stored straight into the per-order layout
    /// [((m'+B−1)(2B−1) + (m+B−1)) · 2B + j] (eight consecutive j: one cache line per order).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private forwardStripBlock
        (plan: So3FftPlan)
        (p: StripFftPlan)
        (sRe: float[])
        (sIm: float[])
        (xRe: float[])
        (oRe: int)
        (xIm: float[])
        (oIm: int)
        (stream: bool)
        (j0: int)
        (bs: So3BlockScratch)
        =
        let b = plan.Bandwidth
        let n = 2 * b
        let w = 2 * b - 1
        let lanes = So3PlaneFft.Lanes
        let rev = p.Rev
        let stRe, stIm, aRe, aIm = bs.StripRe, bs.StripIm, bs.BlockRe, bs.BlockIm
        let rowStride = bs.RowStride

        for i in 0 .. n - 1 do
            let src = (i * n + j0) * n
            let ri = rev[i] * rowStride

            if So3PlaneFft.Wide then
                // The next α's run of eight sample rows (8 · 2B doubles, 2B lines each in re and im) is requested
                // while this one is transposed, eight lines of each per block of eight γ: issued in one burst, the
                // 2 · 2B prefetches would stall the core once its miss buffers are full.
                let next = src + n * n
                let ahead = i < n - 1
                let mutable k0 = 0

                while k0 < n do
                    if ahead then
                        let o = next + k0 * lanes

                        for t in 0 .. lanes - 1 do
                            Sse.Prefetch0(NativePtr.toVoidPtr (So3PlaneFft.address sRe (o + t * lanes)))
                            Sse.Prefetch0(NativePtr.toVoidPtr (So3PlaneFft.address sIm (o + t * lanes)))

                    let inline d kk = ri + rev[k0 + kk] * lanes
                    So3PlaneFft.transposeBlock sRe (src + k0) n aRe (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    So3PlaneFft.transposeBlock sIm (src + k0) n aIm (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    k0 <- k0 + lanes
            else
                for q in 0 .. lanes - 1 do
                    for k in 0 .. n - 1 do
                        aRe[ri + rev[k] * lanes + q] <- sRe[src + q * n + k]
                        aIm[ri + rev[k] * lanes + q] <- sIm[src + q * n + k]

            So3PlaneFft.transformAt p false aRe aIm ri

        let weights = plan.Weights
        let v0 = Vector256.LoadUnsafe<float>(&weights.[j0])
        let v1 = Vector256.LoadUnsafe<float>(&weights.[j0 + 4])
        let v = Vector512.Create(v0, v1)
        let orderStride = w * n

        for m in -(b - 1) .. b - 1 do
            let c = ((m + n) % n) * lanes

            for r in 0 .. n - 1 do
                So3PlaneFft.copy8 aRe aIm (r * rowStride + c) stRe stIm (r * lanes)

            So3PlaneFft.transform p false stRe stIm
            let mutable t = (m + b - 1) * n + j0

            if stream then
                // Whole 64-byte lines of pinned, aligned spectra: non-temporal stores, no read for ownership.
                for mp in -(b - 1) .. b - 1 do
                    let s = ((mp + n) % n) * lanes
                    Avx512F.StoreAlignedNonTemporal(So3PlaneFft.address xRe (oRe + t), v * So3PlaneFft.ld8 stRe s)
                    Avx512F.StoreAlignedNonTemporal(So3PlaneFft.address xIm (oIm + t), v * So3PlaneFft.ld8 stIm s)
                    t <- t + orderStride
            else
                for mp in -(b - 1) .. b - 1 do
                    let s = ((mp + n) % n) * lanes
                    (v0 * Vector256.LoadUnsafe<float>(&stRe.[s])).StoreUnsafe(&xRe.[oRe + t])
                    (v1 * Vector256.LoadUnsafe<float>(&stRe.[s + 4])).StoreUnsafe(&xRe.[oRe + t + 4])
                    (v0 * Vector256.LoadUnsafe<float>(&stIm.[s])).StoreUnsafe(&xIm.[oIm + t])
                    (v1 * Vector256.LoadUnsafe<float>(&stIm.[s + 4])).StoreUnsafe(&xIm.[oIm + t + 4])
                    t <- t + orderStride

        if stream then
            Sse.StoreFence()

    /// The α–γ stage of the inverse for the eight β_{j0..j0+7} on the strip path, the mirror image of
    /// `forwardStripBlock`: (1) per order m, the strip over m' is loaded straight from the per-order layout
    /// (bit-reversed), transformed over m' (sign −) and stored into column rev(m mod 2B) of A, giving A[i][·][q];
    /// (2) per α_i, row i of A is transformed over m (sign −) in place, giving A[i][k][q], and written by 8 × 8
    /// transposes into the eight sample rows (one contiguous run of 8 · 2B).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private inverseStripBlock
        (plan: So3FftPlan)
        (p: StripFftPlan)
        (tRe: float[])
        (oRe: int)
        (tIm: float[])
        (oIm: int)
        (outRe: float[])
        (outIm: float[])
        (stream: struct (nativeptr<float> * nativeptr<float>) voption)
        (j0: int)
        (bs: So3BlockScratch)
        =
        let b = plan.Bandwidth
        let n = 2 * b
        let w = 2 * b - 1
        let lanes = So3PlaneFft.Lanes
        let row8 = n * lanes
        let rev = p.Rev
        let stRe, stIm, aRe, aIm = bs.StripRe, bs.StripIm, bs.BlockRe, bs.BlockIm
        let rowStride = bs.RowStride
        let orderStride = w * n
        // Order B (index n/2) is zero, in m and in m'.
        let zero = rev[b] * lanes

        for m in -(b - 1) .. b - 1 do
            let c = rev[(m + n) % n] * lanes
            let mutable t = (m + b - 1) * n + j0

            if m < b - 1 && Sse.IsSupported then
                // The strided lines of the next order m + 1 (2B doubles further), requested while this one is computed.
                for mp in -(b - 1) .. b - 1 do
                    let u = t + n
                    Sse.Prefetch0(NativePtr.toVoidPtr (So3PlaneFft.address tRe (oRe + u)))
                    Sse.Prefetch0(NativePtr.toVoidPtr (So3PlaneFft.address tIm (oIm + u)))
                    So3PlaneFft.copy8Split tRe (oRe + t) tIm (oIm + t) stRe stIm (rev[(mp + n) % n] * lanes)
                    t <- t + orderStride
            else
                for mp in -(b - 1) .. b - 1 do
                    So3PlaneFft.copy8Split tRe (oRe + t) tIm (oIm + t) stRe stIm (rev[(mp + n) % n] * lanes)
                    t <- t + orderStride

            Array.Clear(stRe, zero, lanes)
            Array.Clear(stIm, zero, lanes)
            So3PlaneFft.transform p true stRe stIm

            for i in 0 .. n - 1 do
                So3PlaneFft.copy8 stRe stIm (i * lanes) aRe aIm (i * rowStride + c)

        for i in 0 .. n - 1 do
            let ri = i * rowStride
            Array.Clear(aRe, ri + zero, lanes)
            Array.Clear(aIm, ri + zero, lanes)
            So3PlaneFft.transformAt p true aRe aIm ri
            let dst = (i * n + j0) * n

            match stream with
            | ValueSome(struct (pRe, pIm)) ->
                // The eight sample rows are one contiguous run of 8 · 2B: staged in the (free) strip, then streamed.
                let mutable k0 = 0

                while k0 < n do
                    let s = ri + k0 * lanes
                    let inline d q = q * n + k0
                    So3PlaneFft.transposeBlock aRe s lanes stRe (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    So3PlaneFft.transposeBlock aIm s lanes stIm (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    k0 <- k0 + lanes

                So3PlaneFft.streamCopy stRe (NativePtr.add pRe dst) row8
                So3PlaneFft.streamCopy stIm (NativePtr.add pIm dst) row8
            | ValueNone when So3PlaneFft.Wide ->
                let mutable k0 = 0

                while k0 < n do
                    let s = ri + k0 * lanes
                    let inline d q = dst + q * n + k0
                    So3PlaneFft.transposeBlock aRe s lanes outRe (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    So3PlaneFft.transposeBlock aIm s lanes outIm (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    k0 <- k0 + lanes
            | ValueNone ->
                for q in 0 .. lanes - 1 do
                    for k in 0 .. n - 1 do
                        outRe[dst + q * n + k] <- aRe[ri + k * lanes + q]
                        outIm[dst + q * n + k] <- aIm[ri + k * lanes + q]

        if stream.IsSome then
            Sse.StoreFence()

    /// The α–γ stage of the forward transform: the weighted spectra X_{m'm}[j] = v_j Σ_{i,k} f(α_i, β_j, γ_k)
    /// e^{+im'α_i} e^{+imγ_k} of the split samples into the per-order layout of the workspace.
    let private forwardSpectra (plan: So3FftPlan) (sRe: float[]) (sIm: float[]) (ws: So3Workspace) =
        let b = plan.Bandwidth
        let n = 2 * b
        let w = 2 * b - 1
        let xRe, xIm, oRe, oIm = ws.SpectraRe, ws.SpectraIm, ws.OffsetRe, ws.OffsetIm
        requireStage b ws (nameof sRe, sRe) (nameof sIm, sIm)

        match plan.Strip with
        | Some p ->
            let stream = streams (int64 (spectraLength b) * 16L)
            forEachStripBlock plan (forwardStripBlock plan p sRe sIm xRe oRe xIm oIm stream)
        | None ->
            forEachBetaBlock plan (fun j0 cnt s re im ->
                for q in 0 .. cnt - 1 do
                    let j = j0 + q

                    for i in 0 .. n - 1 do
                        Array.blit sRe ((i * n + j) * n) re[q] (i * n) n
                        Array.blit sIm ((i * n + j) * n) im[q] (i * n) n

                    dft2Transposed plan.Fft false re[q] im[q] s

                // The planes hold the spectra transposed: [m mod 2B, m' mod 2B].
                for mp in -(b - 1) .. b - 1 do
                    let col = (mp + n) % n
                    let dst = (mp + b - 1) * w + b - 1

                    for m in -(b - 1) .. b - 1 do
                        let src = ((m + n) % n) * n + col
                        let t = (dst + m) * n + j0

                        for q in 0 .. cnt - 1 do
                            let v = plan.Weights[j0 + q]
                            xRe[oRe + t + q] <- v * re[q][src]
                            xIm[oIm + t + q] <- v * im[q][src])

    /// The α–γ stage of the inverse: f(α_i, β_j, γ_k) = Σ_{m',m} T_{m'm}[j] e^{−im'α_i} e^{−imγ_k} from the per-order
    /// layout of the workspace into the split samples (outRe, outIm); writes every sample.
    let private inverseSpectra (plan: So3FftPlan) (ws: So3Workspace) (outRe: float[]) (outIm: float[]) =
        let b = plan.Bandwidth
        let n = 2 * b
        let w = 2 * b - 1
        let tRe, tIm, oRe, oIm = ws.SpectraRe, ws.SpectraIm, ws.OffsetRe, ws.OffsetIm
        requireStage b ws (nameof outRe, outRe) (nameof outIm, outIm)

        match plan.Strip with
        | Some p when streams (int64 n * int64 n * int64 n * 16L) ->
            // Large outputs are streamed past the caches (non-temporal stores) from the pinned arrays.
            let hRe = GCHandle.Alloc(outRe, GCHandleType.Pinned)
            let hIm = GCHandle.Alloc(outIm, GCHandleType.Pinned)

            try
                let pRe = NativePtr.ofNativeInt<float>(hRe.AddrOfPinnedObject())
                let pIm = NativePtr.ofNativeInt<float>(hIm.AddrOfPinnedObject())

                forEachStripBlock plan (inverseStripBlock plan p tRe oRe tIm oIm outRe outIm (ValueSome(struct (pRe, pIm))))
            finally
                hRe.Free()
                hIm.Free()
        | Some p -> forEachStripBlock plan (inverseStripBlock plan p tRe oRe tIm oIm outRe outIm ValueNone)
        | None ->
            forEachBetaBlock plan (fun j0 cnt s re im ->
                for q in 0 .. cnt - 1 do
                    Array.Clear re[q]
                    Array.Clear im[q]

                // Filled transposed, [m mod 2B, m' mod 2B]: the transposed DFT then yields [α, γ].
                for mp in -(b - 1) .. b - 1 do
                    let col = (mp + n) % n
                    let src = (mp + b - 1) * w + b - 1

                    for m in -(b - 1) .. b - 1 do
                        let t = (src + m) * n + j0
                        let i = ((m + n) % n) * n + col

                        for q in 0 .. cnt - 1 do
                            re[q][i] <- tRe[oRe + t + q]
                            im[q][i] <- tIm[oIm + t + q]

                for q in 0 .. cnt - 1 do
                    let j = j0 + q
                    dft2Transposed plan.Fft true re[q] im[q] s

                    for i in 0 .. n - 1 do
                        Array.blit re[q] (i * n) outRe ((i * n + j) * n) n
                        Array.blit im[q] (i * n) outIm ((i * n + j) * n) n)

    /// The forward transform of the table-free engine on split samples into split coefficients: the α–γ stage into
    /// the per-order spectra of a workspace leased from the plan, then the Wigner step per canonical pair
    /// (So3Pairs.forwardAt, parallel over pairs, d by recurrence in l, no tables). Writes every coefficient.
    let internal forwardSplitInto (plan: So3FftPlan) (sRe: float[]) (sIm: float[]) (fRe: float[]) (fIm: float[]) =
        let ws = plan.Workspaces.Lease()

        try
            forwardSpectra plan sRe sIm ws
            So3Pairs.forwardAt plan.Pairs plan.Scale ws.SpectraRe ws.OffsetRe ws.SpectraIm ws.OffsetIm fRe fIm
        finally
            plan.Workspaces.Release ws

    /// The inverse of the table-free engine on split coefficients into split samples: the Wigner step per canonical
    /// pair (So3Pairs.inverseAt) into the per-order spectra of a workspace leased from the plan, then the α–γ stage.
    /// Writes every sample.
    let internal inverseSplitInto (plan: So3FftPlan) (fRe: float[]) (fIm: float[]) (outRe: float[]) (outIm: float[]) =
        let ws = plan.Workspaces.Lease()

        try
            So3Pairs.inverseAt plan.Pairs fRe fIm ws.SpectraRe ws.OffsetRe ws.SpectraIm ws.OffsetIm
            inverseSpectra plan ws outRe outIm
        finally
            plan.Workspaces.Release ws

    /// The forward transform on split samples; returns split coefficients (table-free engine).
    let internal forwardSplit (plan: So3FftPlan) (sRe: float[]) (sIm: float[]) =
        let fRe = Array.zeroCreate (count plan.Bandwidth)
        let fIm = Array.zeroCreate (count plan.Bandwidth)
        forwardSplitInto plan sRe sIm fRe fIm
        fRe, fIm

    /// The inverse on split coefficients; returns the (2B)³ samples as (re, im) (table-free engine).
    let internal inverseSplit (plan: So3FftPlan) (fRe: float[]) (fIm: float[]) =
        let n = 2 * plan.Bandwidth
        let outRe = Array.zeroCreate (n * n * n)
        let outIm = Array.zeroCreate (n * n * n)
        inverseSplitInto plan fRe fIm outRe outIm
        outRe, outIm

    let private checkArray (name: string) (arr: float[]) =
        if isNull arr then
            nullArg name

    /// Checks the plan and the four split arrays of `forwardInto`/`inverseInto`: non-null, (2B)³ samples each and
    /// B(4B²−1)/3 coefficients each, naming the offending argument.
    let private checkSplit (plan: So3FftPlan) (samplesRe: float[]) (samplesIm: float[]) (coeffsRe: float[]) (coeffsIm: float[]) =
        if isNull (box plan) then
            nullArg (nameof plan)

        checkArray (nameof samplesRe) samplesRe
        checkArray (nameof samplesIm) samplesIm
        checkArray (nameof coeffsRe) coeffsRe
        checkArray (nameof coeffsIm) coeffsIm
        let b = plan.Bandwidth
        checkSamples (nameof samplesRe) b samplesRe.Length
        checkSamples (nameof samplesIm) b samplesIm.Length
        checkCoefficients (nameof coeffsRe) b coeffsRe.Length
        checkCoefficients (nameof coeffsIm) b coeffsIm.Length

    /// Forward transform (analysis) on split arrays, without allocating: from the (2B)³ samples f(α_i, β_j, γ_k) =
    /// samplesRe + i·samplesIm, flat [α, β, γ] row-major (index (i·2B + j)·2B + k), writes the B(4B²−1)/3 coefficients
    /// f^l_{m'm} = (2l+1)/(8π²) ∫ f conj D^l_{m'm} dR into coeffsRe + i·coeffsIm, packed at `index l m' m`
    /// (every entry is written). Scratch (the per-order spectra, 2 · (2B−1)² · 2B doubles, and per-worker planes) comes
    /// from pools on the plan and is reused by later calls; concurrent calls on one plan are safe (each leases its
    /// own). Law: forwardInto (inverseInto c) = c; agrees with `forward` on the same samples.
    let forwardInto (plan: So3FftPlan) (samplesRe: float[]) (samplesIm: float[]) (coeffsRe: float[]) (coeffsIm: float[]) =
        checkSplit plan samplesRe samplesIm coeffsRe coeffsIm

        if plan.UsesTableEngine then
            let fRe, fIm = forwardTables plan samplesRe samplesIm
            Array.blit fRe 0 coeffsRe 0 fRe.Length
            Array.blit fIm 0 coeffsIm 0 fIm.Length
        else
            forwardSplitInto plan samplesRe samplesIm coeffsRe coeffsIm

    /// Inverse transform (synthesis) on split arrays, without allocating: from the B(4B²−1)/3 coefficients
    /// coeffsRe + i·coeffsIm (packed at `index l m' m`) writes f(R) = Σ_{l<B} Σ_{m',m} f^l_{m'm} D^l_{m'm}(R) at the
    /// (2B)³ SOFT grid rotations into samplesRe + i·samplesIm, flat [α, β, γ] row-major (every entry is written).
    /// Scratch comes from pools on the plan, as for `forwardInto`; concurrent calls on one plan are safe.
    /// Law: inverseInto (forwardInto f) = f for band-limited f; agrees with `inverse`.
    let inverseInto (plan: So3FftPlan) (coeffsRe: float[]) (coeffsIm: float[]) (samplesRe: float[]) (samplesIm: float[]) =
        checkSplit plan samplesRe samplesIm coeffsRe coeffsIm

        if plan.UsesTableEngine then
            let oRe, oIm = inverseTables plan coeffsRe coeffsIm
            Array.blit oRe 0 samplesRe 0 oRe.Length
            Array.blit oIm 0 samplesIm 0 oIm.Length
        else
            inverseSplitInto plan coeffsRe coeffsIm samplesRe samplesIm

    /// Runs `body lo hi` over [0, total) in one chunk per core (one chunk below 65 536 elements): the conversions of
    /// the Complex[] API are memory-bound loops over up to (2B)³ values.
    let private inChunks (total: int) (body: int -> int -> unit) =
        let chunks = if total < 65536 then 1 else Environment.ProcessorCount

        if chunks = 1 then
            body 0 total
        else
            Parallel.For(
                0,
                chunks,
                (fun c -> body (int (int64 total * int64 c / int64 chunks)) (int (int64 total * int64 (c + 1) / int64 chunks)))
            )
            |> ignore

    /// Runs `body` on two pooled arrays (ArrayPool.Shared) of at least `length` doubles and returns them afterwards.
    let private withPooled (length: int) (body: float[] -> float[] -> 'R) : 'R =
        let re = Buffers.ArrayPool<float>.Shared.Rent length
        let im = Buffers.ArrayPool<float>.Shared.Rent length

        try
            body re im
        finally
            Buffers.ArrayPool<float>.Shared.Return re
            Buffers.ArrayPool<float>.Shared.Return im

    /// Splits `values` into pooled (re, im) buffers (at least values.Length long) and runs `body` on them.
    let private withSplit (values: Complex[]) (body: float[] -> float[] -> 'R) : 'R =
        withPooled values.Length (fun re im ->
            inChunks values.Length (fun lo hi ->
                for i in lo .. hi - 1 do
                    re[i] <- values[i].Real
                    im[i] <- values[i].Imaginary)

            body re im)

    /// Forward transform (analysis) of (2B)³ complex samples f(α_i, β_j, γ_k), flat [α, β, γ] row-major, to
    /// B(4B²−1)/3 coefficients f^l_{m'm} = (2l+1)/(8π²) ∫ f conj D^l_{m'm} dR (exact by quadrature for band-limited
    /// f). Converts to split arrays (pooled buffers) and runs `forwardInto`. Law: forward (inverse c) = c.
    let forward (plan: So3FftPlan) (samples: Complex[]) : Complex[] =
        if isNull samples then
            nullArg (nameof samples)

        checkSamples (nameof samples) plan.Bandwidth samples.Length
        let total = count plan.Bandwidth

        // Pooled split coefficients: only the returned array is allocated per call.
        withPooled total (fun fRe fIm ->
            withSplit samples (fun re im ->
                if plan.UsesTableEngine then
                    let tRe, tIm = forwardTables plan re im
                    Array.blit tRe 0 fRe 0 total
                    Array.blit tIm 0 fIm 0 total
                else
                    forwardSplitInto plan re im fRe fIm)

            Array.init total (fun i -> Complex(fRe[i], fIm[i])))

    /// Inverse transform (synthesis): f(R) = Σ_{l<B} Σ_{m',m} f^l_{m'm} D^l_{m'm}(R) at the (2B)³ SOFT grid rotations,
    /// flat [α, β, γ] row-major; runs `inverseInto` on split buffers (pooled) and converts. Law: inverse (forward f) =
    /// f for band-limited f.
    let inverse (plan: So3FftPlan) (coeffs: Complex[]) : Complex[] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        checkCoefficients (nameof coeffs) plan.Bandwidth coeffs.Length
        let n = 2 * plan.Bandwidth
        let total = n * n * n

        withPooled total (fun oRe oIm ->
            withSplit coeffs (fun re im ->
                if plan.UsesTableEngine then
                    let tRe, tIm = inverseTables plan re im
                    Array.blit tRe 0 oRe 0 total
                    Array.blit tIm 0 oIm 0 total
                else
                    inverseSplitInto plan re im oRe oIm)

            let out = Array.zeroCreate total

            inChunks total (fun lo hi ->
                for i in lo .. hi - 1 do
                    out[i] <- Complex(oRe[i], oIm[i]))

            out)

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
