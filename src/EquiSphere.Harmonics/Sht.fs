namespace EquiSphere.Harmonics

open System
open System.Numerics
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open System.Runtime.InteropServices
open System.Threading.Tasks

/// Where an SHT plan gets its Legendre values λ_l^m(θ_j) from.
[<RequireQualifiedAccess>]
type LegendreTables =
    /// Tables of all λ_l^m(θ_j) (B³/2 doubles) are built once with the plan: O(B³) memory, fastest at small B.
    | Precomputed
    /// Values are recomputed per order m by the l-recurrence during each transform: O(B²) memory; faster than
    /// streaming a table from B = 128 on (B = 64 on with the AVX-512 kernels).
    | Recomputed
    /// Precomputed for B ≤ 64 (a table of at most 1 MiB, cache-resident), recomputed above: measured faster. On
    /// AVX-512 hardware, whose 512-bit fused kernels outrun the table, precomputed for B ≤ 32 only.
    | Automatic

/// Settings of an SHT plan. Use `ShtOptions.Default` and copy-and-update.
type ShtOptions =
    {
        /// How Legendre values are stored.
        Tables: LegendreTables
        /// Threads used by one transform (Parallel.For over orders m and rings): −1 = all cores, 1 = sequential.
        MaxDegreeOfParallelism: int
    }

    /// Automatic tables (precomputed for B ≤ 64, B ≤ 32 on AVX-512 hardware), all cores.
    static member Default =
        {
            Tables = LegendreTables.Automatic
            MaxDegreeOfParallelism = -1
        }

/// A spherical harmonic transform plan for one bandwidth B on the Driscoll–Healy grid (2B × 2B, [θ, φ]):
/// quadrature weights, Legendre recurrence coefficients, seeds and (optionally) tables, FFT plans.
/// Immutable and safe to share across threads; build it once per bandwidth with `Sht.plan`.
[<Sealed>]
type ShtPlan
    internal
    (
        b: int,
        options: ShtOptions,
        weights: float[],
        cosines: float[],
        coefficients: Legendre.Coefficients,
        seedValues: float[],
        seedExponents: int[],
        table: float[] option,
        blockOffsets: int[],
        realFft: RealFftPlan,
        complexFft: FftPlan,
        simd: SimdWidth,
        fused512: ShtFused512.Starts option
    ) =
    // The float32 table: rounded from the float64 table, or, without one, built for B ≤ 64 (at most 512 KiB), where
    // the batched float32 transforms would otherwise rebuild a float32 block per order on every call.
    let table32 =
        lazy
            (match table with
             | Some t ->
                 let t32 = Array.zeroCreate t.Length

                 for i in 0 .. t.Length - 1 do
                     t32[i] <- float32 t[i]

                 Some t32
             | None when b <= 64 ->
                 let t32 = Array.zeroCreate blockOffsets[b]
                 let block = Array.zeroCreate (b * b)
                 let work = Legendre.RowWork b

                 for m in 0 .. b - 1 do
                     Legendre.fillRows coefficients m (b - 1) cosines seedValues seedExponents (m * b) b block 0 b work

                     for i in 0 .. (b - m) * b - 1 do
                         t32[blockOffsets[m] + i] <- float32 block[i]

                 Some t32
             | None -> None)

    // The same plan restricted to one thread (shares every array), for callers that parallelize over channels.
    let sequential =
        lazy
            (ShtPlan(
                b,
                { options with
                    MaxDegreeOfParallelism = 1
                },
                weights,
                cosines,
                coefficients,
                seedValues,
                seedExponents,
                table,
                blockOffsets,
                realFft,
                complexFft,
                simd,
                fused512
            ))

    /// The bandwidth B: degrees l &lt; B, grid 2B × 2B.
    member _.Bandwidth = b

    /// This plan with MaxDegreeOfParallelism = 1, sharing its tables (built once, on first use).
    member internal this.Sequential =
        if options.MaxDegreeOfParallelism = 1 then
            this
        else
            sequential.Value

    /// The settings the plan was built with.
    member _.Options = options
    /// Whether the Legendre values are held in precomputed tables (else recomputed per transform).
    member _.HasTables = table.IsSome

    /// Bytes held by the plan's arrays (float64 tables, the float32 table once the float32 path has run,
    /// seeds, recurrence coefficients, weights; FFT twiddles, O(B), and the pooled per-worker scratch, O(B) per
    /// concurrent worker, are not counted).
    member _.MemoryBytes: int64 =
        let t = table |> Option.map (fun t -> int64 t.Length * 8L) |> Option.defaultValue 0L

        let t32 =
            if table32.IsValueCreated then
                table32.Value
                |> Option.map (fun t -> int64 t.Length * 4L)
                |> Option.defaultValue 0L
            else
                0L

        let starts =
            fused512
            |> Option.map (fun s ->
                int64 (s.First.Length + s.Offset.Length) * 4L
                + int64 (s.Nu0.Length + s.Nu1.Length) * 8L)
            |> Option.defaultValue 0L

        t
        + t32
        + starts
        + int64 seedValues.Length * 12L
        + int64 (coefficients.A.Length + coefficients.B.Length) * 8L
        + int64 (weights.Length + cosines.Length + blockOffsets.Length) * 8L

    member internal _.N = 2 * b
    member internal _.Weights = weights
    member internal _.Cosines = cosines
    member internal _.Coefficients = coefficients
    member internal _.SeedValues = seedValues
    member internal _.SeedExponents = seedExponents
    member internal _.Table = table
    member internal _.Table32 = table32.Value
    member internal _.BlockOffsets = blockOffsets
    member internal _.RealFft = realFft
    member internal _.ComplexFft = complexFft

    /// The SIMD kernels of the transforms.
    member internal _.Simd = simd

    /// The start table of the Vector512 fused kernels (recomputed Legendre values on AVX-512 hardware).
    member internal _.Fused512 = fused512

    /// The SIMD-across-rings paired φ-FFT plan, when it applies (`ShtRingFft.create`).
    member val internal RingFft = ShtRingFft.create simd b

    /// Reusable per-worker scratch objects by (kind, sets): transforms rent and return them, so repeated calls
    /// do not allocate. Thread-safe.
    member val internal ScratchPool =
        Collections.Concurrent.ConcurrentDictionary<struct (int * int), Collections.Concurrent.ConcurrentBag<obj>>()

/// Per-thread scratch of one transform.
type internal ShtScratch(b: int, fftScratch: int, sets: int) =
    member val Acc: float[] = Array.zeroCreate (max (4 * b * Vector<float>.Count) (16 * b))
    member val CsRe: float[] = Array.zeroCreate b
    member val CsIm: float[] = Array.zeroCreate b
    /// 16 lane sums of the Vector512 analysis.
    member val Lanes: float[] = Array.zeroCreate 16
    member val ERe: float[] = Array.zeroCreate (sets * b)
    member val EIm: float[] = Array.zeroCreate (sets * b)
    member val ORe: float[] = Array.zeroCreate (sets * b)
    member val OIm: float[] = Array.zeroCreate (sets * b)
    member val CRe: float[] = Array.zeroCreate (sets * b)
    member val CIm: float[] = Array.zeroCreate (sets * b)
    member val Row: float[] = Array.zeroCreate (2 * b)
    member val XRe: float[] = Array.zeroCreate (2 * b + 1)
    member val XIm: float[] = Array.zeroCreate (2 * b + 1)
    member val ZRe: float[] = Array.zeroCreate (max fftScratch (2 * b))
    member val ZIm: float[] = Array.zeroCreate (max fftScratch (2 * b))
    member val WRe: float[] = Array.zeroCreate (max fftScratch (2 * b))
    member val WIm: float[] = Array.zeroCreate (max fftScratch (2 * b))

/// Per-thread scratch of one batched float32 transform over `sets` channels.
type internal ShtScratch32(b: int, blockLength: int, fftScratch: int, sets: int) =
    member val Block: float[] = Array.zeroCreate blockLength
    member val Rows = Legendre.RowWork b
    member val Block32: float32[] = Array.zeroCreate blockLength
    member val ERe: float32[] = Array.zeroCreate (sets * b)
    member val EIm: float32[] = Array.zeroCreate (sets * b)
    member val ORe: float32[] = Array.zeroCreate (sets * b)
    member val OIm: float32[] = Array.zeroCreate (sets * b)
    member val CRe: float32[] = Array.zeroCreate (sets * b)
    member val CIm: float32[] = Array.zeroCreate (sets * b)
    member val Row: float[] = Array.zeroCreate (2 * b)
    member val XRe: float[] = Array.zeroCreate (2 * b + 1)
    member val XIm: float[] = Array.zeroCreate (2 * b + 1)
    member val ZRe: float[] = Array.zeroCreate (max fftScratch (2 * b))
    member val ZIm: float[] = Array.zeroCreate (max fftScratch (2 * b))
    member val WRe: float[] = Array.zeroCreate (max fftScratch (2 * b))
    member val WIm: float[] = Array.zeroCreate (max fftScratch (2 * b))

/// Spherical harmonic transforms on the Driscoll–Healy grid of bandwidth B (DESIGN.md conventions).
/// Analysis: f_l^m = Σ_{j,k} w_j f(θ_j, φ_k) conj Y_l^m(θ_j, φ_k) (exact for band-limited f, l &lt; B).
/// Synthesis: f(θ_j, φ_k) = Σ_{l&lt;B} Σ_{|m|≤l} f_l^m Y_l^m(θ_j, φ_k). Coefficients are packed at l² + l + m.
/// Algorithm: an FFT per ring over φ, then per order m a Legendre sum over rings, using the ring symmetry
/// λ_l^m(π − θ) = (−1)^{l+m} λ_l^m(θ) to halve the work (even/odd ring-pair sums), SIMD over rings,
/// Parallel.For over m. Laws: inverse (forward f) = f for band-limited f; forward (inverse a) = a;
/// Parseval Σ|f_l^m|² = ∫|f|² dΩ; real signals satisfy f_l^{−m} = (−1)^m conj f_l^m.
[<RequireQualifiedAccess>]
module Sht =

    /// The largest bandwidth for which `LegendreTables.Automatic` precomputes tables, by SIMD kernels: the
    /// Vector512 fused kernels were measured faster than the table from B = 64 on, the Vector&lt;T&gt; ones from 128.
    let private automaticMaxBandwidth (simd: SimdWidth) =
        match simd with
        | SimdWidth.Vector512 -> 32
        | SimdWidth.Vector -> 64

    /// A plan for bandwidth b with explicit options and SIMD kernels (tests force each width through this).
    let internal planWithSimd (simd: SimdWidth) (options: ShtOptions) (b: int) : ShtPlan =
        Check.bandwidth (nameof b) b

        if options.MaxDegreeOfParallelism = 0 || options.MaxDegreeOfParallelism < -1 then
            invalidArg
                (nameof options)
                (sprintf "Expected MaxDegreeOfParallelism = -1 (all cores) or >= 1, got %d" options.MaxDegreeOfParallelism)

        let n = 2 * b
        let thetas = Grid.colatitudes b
        let weights = Grid.quadratureWeights b
        let cosines = Array.init b (fun j -> cos thetas[j])
        let coefficients = Legendre.coefficients (b - 1)
        let seedValues = Array.zeroCreate (b * b)
        let seedExponents = Array.zeroCreate (b * b)

        for j in 0 .. b - 1 do
            let v, e = Legendre.seeds (b - 1) (sin thetas[j])

            for m in 0 .. b - 1 do
                seedValues[m * b + j] <- v[m]
                seedExponents[m * b + j] <- e[m]

        let blockOffsets = Array.zeroCreate (b + 1)

        for m in 0 .. b - 1 do
            blockOffsets[m + 1] <- blockOffsets[m] + (b - m) * b

        let precompute =
            match options.Tables with
            | LegendreTables.Precomputed -> true
            | LegendreTables.Recomputed -> false
            | LegendreTables.Automatic -> b <= automaticMaxBandwidth simd

        let table =
            if precompute then
                let t = Array.zeroCreate blockOffsets[b]
                let work = Legendre.RowWork b

                for m in 0 .. b - 1 do
                    Legendre.fillRows coefficients m (b - 1) cosines seedValues seedExponents (m * b) b t blockOffsets[m] b work

                Some t
            else
                None

        let fused512 =
            if simd = SimdWidth.Vector512 && table.IsNone && b >= ShtFused512.chunk then
                Some(ShtFused512.starts coefficients b cosines seedValues seedExponents)
            else
                None

        ShtPlan(
            b,
            options,
            weights,
            cosines,
            coefficients,
            seedValues,
            seedExponents,
            table,
            blockOffsets,
            Fft.planReal n,
            Fft.plan n,
            simd,
            fused512
        )

    /// A plan for bandwidth b with explicit options.
    let planWith (options: ShtOptions) (b: int) : ShtPlan = planWithSimd SimdWidth.best options b

    /// A plan for bandwidth b (1 ≤ b ≤ 2048) with `ShtOptions.Default`.
    let plan (b: int) : ShtPlan = planWith ShtOptions.Default b

    let private newScratch (plan: ShtPlan) (sets: int) =
        ShtScratch(plan.Bandwidth, Fft.realScratchLength plan.RealFft, sets)

    /// Rents a scratch object of the given kind and set count from the plan's pool, or makes one.
    let private rent (plan: ShtPlan) (key: struct (int * int)) (make: unit -> 'S) : 'S =
        match plan.ScratchPool.TryGetValue key with
        | true, bag ->
            match bag.TryTake() with
            | true, o -> unbox<'S> o
            | _ -> make ()
        | _ -> make ()

    let private giveBack (plan: ShtPlan) (key: struct (int * int)) (scratch: 'S) =
        plan.ScratchPool.GetOrAdd(key, fun _ -> Collections.Concurrent.ConcurrentBag<obj>()).Add(box scratch)

    /// Runs body over 0..count−1 with one scratch per worker (rented from the plan's pool under `key`, made by
    /// `make` when the pool is empty), in parallel when the plan allows and `large` says it pays.
    let internal forEachWith
        (plan: ShtPlan)
        (large: bool)
        (count: int)
        (key: struct (int * int))
        (make: unit -> 'S)
        (body: int -> 'S -> unit)
        =
        let dop = plan.Options.MaxDegreeOfParallelism

        if dop = 1 || not large || count < 2 then
            let s = rent plan key make

            for i in 0 .. count - 1 do
                body i s

            giveBack plan key s
        else
            let po = ParallelOptions(MaxDegreeOfParallelism = dop)

            Parallel.For(
                0,
                count,
                po,
                Func<'S>(fun () -> rent plan key make),
                Func<int, ParallelLoopState, 'S, 'S>(fun i _ s ->
                    body i s
                    s),
                Action<'S>(fun s -> giveBack plan key s)
            )
            |> ignore

    /// `forEachWith` with the float64 scratch; parallel from B = 32 on.
    let internal forEach (plan: ShtPlan) (count: int) (sets: int) (body: int -> ShtScratch -> unit) =
        forEachWith plan (plan.Bandwidth >= 32) count (struct (0, sets)) (fun () -> newScratch plan sets) body

    /// A pooled work array of at least `length` elements (contents undefined; every use writes before reading).
    let inline private pooled<'T> (length: int) =
        Buffers.ArrayPool<'T>.Shared.Rent length

    /// Returns a pooled work array.
    let inline private release<'T> (a: 'T[]) = Buffers.ArrayPool<'T>.Shared.Return a

    /// Where ring j of the 2B rings sits in the per-order synthesis arrays: the northern ring j &lt; B at j, its
    /// mirror 2B − 1 − j at B + j (so the SIMD ring FFTs load both halves of a ring pair contiguously).
    let inline private ringSlot (b: int) (j: int) = if j < b then j else 3 * b - 1 - j

    /// The row-major samples of a 2D array as one span (no copy).
    let inline private flat2D (a: float[,]) : Span<float> =
        MemoryMarshal.CreateSpan(&Unsafe.As<byte, float>(&MemoryMarshal.GetArrayDataReference(a :> Array)), a.Length)

    /// Runs `vectorRange jFrom jTo` over the maximal runs of chunks that the Vector512 start table leaves to the
    /// Vector&lt;T&gt; kernels at order m, and over the rings past the last whole chunk.
    let private forSlowRanges (plan: ShtPlan) (st: ShtFused512.Starts) (m: int) (vectorRange: int -> int -> unit) =
        let size = ShtFused512.chunk
        let mutable ch = 0

        while ch < st.Chunks do
            if st.First[m * st.Chunks + ch] < 0 then
                let start = ch

                while ch < st.Chunks && st.First[m * st.Chunks + ch] < 0 do
                    ch <- ch + 1

                vectorRange (start * size) (ch * size)
            else
                ch <- ch + 1

        if st.Chunks * size < plan.Bandwidth then
            vectorRange (st.Chunks * size) plan.Bandwidth

    /// The lane sums of the 8 vectors acc[i .. i + 63] (8 doubles each) to sums[o .. o + 7] (AVX-512).
    let inline private laneSums (acc: float[]) (i: int) (sums: float[]) (o: int) =
        let struct (c0, c1, c2, c3, c4, c5, c6, c7) =
            V512.transpose8
                (V512.load acc i)
                (V512.load acc (i + 8))
                (V512.load acc (i + 16))
                (V512.load acc (i + 24))
                (V512.load acc (i + 32))
                (V512.load acc (i + 40))
                (V512.load acc (i + 48))
                (V512.load acc (i + 56))

        V512.store (((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7))) sums o

    /// Where the Vector512 kernels find the start values of chunk ch at order m: (nu0, nu1, offset, seeded).
    let inline private startValues (plan: ShtPlan) (st: ShtFused512.Starts) (m: int) (ch: int) =
        let off = st.Offset[m * st.Chunks + ch]

        if off < 0 then
            plan.SeedValues, plan.SeedValues, m * plan.Bandwidth + ch * ShtFused512.chunk, true
        else
            st.Nu0, st.Nu1, off, false

    /// Legendre sums of one set for order m: c_l = Σ_{j&lt;B} λ_l^m(θ_j) (E_j if l − m is even, else O_j) from
    /// the ring-pair sums E and differences O at eRe/eIm/oRe/oIm[o + j], written to cRe/cIm[co + l], l = m..B−1.
    let private analysisSums
        (plan: ShtPlan)
        (m: int)
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        (cRe: float[])
        (cIm: float[])
        (co: int)
        (s: ShtScratch)
        =
        let b = plan.Bandwidth

        match plan.Table with
        | Some t -> ShtKernels.analysis64 t plan.BlockOffsets[m] b m eRe eIm oRe oIm o cRe cIm co
        | None ->
            let c = plan.Coefficients

            for l in m .. b - 1 do
                cRe[co + l] <- 0.0
                cIm[co + l] <- 0.0

            let vectorRange (jFrom: int) (jTo: int) =
                ShtKernels.analysisFused64
                    c.A
                    c.B
                    c.Alpha
                    c.Scale
                    m
                    b
                    plan.Cosines
                    plan.SeedValues
                    plan.SeedExponents
                    (m * b)
                    jFrom
                    jTo
                    eRe
                    eIm
                    oRe
                    oIm
                    o
                    cRe
                    cIm
                    co
                    s.Acc

            match plan.Fused512 with
            | None -> vectorRange 0 b
            | Some st ->
                forSlowRanges plan st m vectorRange
                let acc = s.Acc
                let count = b - m
                Array.Clear(acc, 0, 16 * count)
                let mutable any = false

                for ch in 0 .. st.Chunks - 1 do
                    let l0 = st.First[m * st.Chunks + ch]

                    if l0 >= 0 && l0 < b then
                        any <- true
                        let j0 = ch * ShtFused512.chunk
                        let nu0, nu1, so, seeded = startValues plan st m ch

                        ShtFused512.analysis c.Alpha m b l0 plan.Cosines nu0 nu1 so seeded j0 eRe eIm oRe oIm o acc

                if any then
                    // Lane sums of the rescaled ν_l partial sums, times s'_l: 8 degrees at a time by a transpose.
                    let sums = s.Lanes
                    let mutable l = m

                    if Avx512F.IsSupported then
                        while l + 8 <= b do
                            let k = l - m
                            laneSums acc (8 * k) sums 0
                            laneSums acc (8 * (count + k)) sums 8

                            for i in 0..7 do
                                let sl = c.Scale[Legendre.triangularIndex (l + i) m]
                                cRe[co + l + i] <- cRe[co + l + i] + sl * sums[i]
                                cIm[co + l + i] <- cIm[co + l + i] + sl * sums[8 + i]

                            l <- l + 8

                    while l < b do
                        let k = l - m
                        let mutable sr = 0.0
                        let mutable si = 0.0

                        for i in 0..7 do
                            sr <- sr + acc[8 * k + i]
                            si <- si + acc[8 * (count + k) + i]

                        let sl = c.Scale[Legendre.triangularIndex l m]
                        cRe[co + l] <- cRe[co + l] + sl * sr
                        cIm[co + l] <- cIm[co + l] + sl * si
                        l <- l + 1

    /// Analysis for order m over `sets` spectra: specRe/specIm hold the weighted ring spectra at
    /// [(set·B + m)·n + j]; writes coefficients of l = m..B−1 to s.CRe/s.CIm at [set·B + l].
    let private analysisOrder (plan: ShtPlan) (sets: int) (specRe: float[]) (specIm: float[]) (m: int) (s: ShtScratch) =
        let b = plan.Bandwidth
        let n = 2 * b

        for set in 0 .. sets - 1 do
            let src = (set * b + m) * n
            let o = set * b

            for j in 0 .. b - 1 do
                let nr, ni = specRe[src + j], specIm[src + j]
                let sr, si = specRe[src + n - 1 - j], specIm[src + n - 1 - j]
                s.ERe[o + j] <- nr + sr
                s.EIm[o + j] <- ni + si
                s.ORe[o + j] <- nr - sr
                s.OIm[o + j] <- ni - si

        for set in 0 .. sets - 1 do
            let o = set * b
            analysisSums plan m s.ERe s.EIm s.ORe s.OIm o s.CRe s.CIm o s

    /// Synthesis for order m over `sets` coefficient sets in s.CRe/s.CIm at [set·B + l] (l = m..B−1); writes
    /// G_m(θ_j) for all rings to gRe/gIm at [(set·B + m)·n + slot j] (`ringSlot`: the northern ring j &lt; B at j,
    /// its mirror 2B − 1 − j at B + j).
    let private synthesisOrder (plan: ShtPlan) (sets: int) (gRe: float[]) (gIm: float[]) (m: int) (s: ShtScratch) =
        let b = plan.Bandwidth
        let n = 2 * b

        match plan.Table with
        | Some t ->
            let off = plan.BlockOffsets[m]

            for set in 0 .. sets - 1 do
                let o = set * b
                ShtKernels.synthesis64 t off b m s.CRe s.CIm o s.ERe s.EIm s.ORe s.OIm o
        | None ->
            let c = plan.Coefficients

            for set in 0 .. sets - 1 do
                let o = set * b

                let vectorRange (jFrom: int) (jTo: int) =
                    ShtKernels.synthesisFused64
                        c.A
                        c.B
                        c.Alpha
                        c.Scale
                        m
                        b
                        plan.Cosines
                        plan.SeedValues
                        plan.SeedExponents
                        (m * b)
                        jFrom
                        jTo
                        s.CRe
                        s.CIm
                        o
                        s.ERe
                        s.EIm
                        s.ORe
                        s.OIm
                        o
                        s.CsRe
                        s.CsIm

                match plan.Fused512 with
                | None -> vectorRange 0 b
                | Some st ->
                    forSlowRanges plan st m vectorRange

                    for l in m .. b - 1 do
                        let sl = c.Scale[Legendre.triangularIndex l m]
                        s.CsRe[l] <- s.CRe[o + l] * sl
                        s.CsIm[l] <- s.CIm[o + l] * sl

                    for ch in 0 .. st.Chunks - 1 do
                        let l0 = st.First[m * st.Chunks + ch]
                        let j0 = ch * ShtFused512.chunk

                        if l0 >= b then
                            // Every value of the chunk is negligible.
                            Array.Clear(s.ERe, o + j0, ShtFused512.chunk)
                            Array.Clear(s.EIm, o + j0, ShtFused512.chunk)
                            Array.Clear(s.ORe, o + j0, ShtFused512.chunk)
                            Array.Clear(s.OIm, o + j0, ShtFused512.chunk)
                        elif l0 >= 0 then
                            let nu0, nu1, so, seeded = startValues plan st m ch

                            ShtFused512.synthesis c.Alpha m b l0 plan.Cosines nu0 nu1 so seeded j0 s.CsRe s.CsIm s.ERe s.EIm s.ORe s.OIm o


        for set in 0 .. sets - 1 do
            let dst = (set * b + m) * n
            let o = set * b

            for j in 0 .. b - 1 do
                let er, ei, orr, oi = s.ERe[o + j], s.EIm[o + j], s.ORe[o + j], s.OIm[o + j]
                gRe[dst + j] <- er + orr
                gIm[dst + j] <- ei + oi
                gRe[dst + b + j] <- er - orr
                gIm[dst + b + j] <- ei - oi

    /// Weighted ring spectra of a real grid (`fill j row` copies ring j): spec[(set·B + m)·n + j] = w_j Σ_k f(θ_j, φ_k) e^{−imφ_k}, m &lt; B.
    let private ringSpectra (plan: ShtPlan) (set: int) (fill: int -> float[] -> unit) (specRe: float[]) (specIm: float[]) =
        let b = plan.Bandwidth
        let n = 2 * b

        match plan.RingFft with
        | Some rp ->
            // W ring pairs per complex SIMD FFT (see `ShtRingFft`).
            let w = rp.Lanes

            forEachWith plan (b >= 32) (b / w) (struct (2, 0)) (fun () -> ShtRingFft.scratch rp) (fun chunk s ->
                ShtRingFft.forwardPairs rp s (chunk * w) fill plan.Weights specRe specIm (set * b * n))
        | None ->
            forEach plan n 1 (fun j s ->
                fill j s.Row

                Fft.forwardRealSplit plan.RealFft (ReadOnlySpan s.Row) (Span s.XRe) (Span s.XIm) s.ZRe s.ZIm s.WRe s.WIm

                let w = plan.Weights[j]

                for m in 0 .. b - 1 do
                    let i = (set * b + m) * n + j
                    specRe[i] <- w * s.XRe[m]
                    specIm[i] <- w * s.XIm[m])

    /// Analysis of `sets` real grids whose weighted ring spectra are in spec; returns the m ≥ 0 coefficients as
    /// re/im arrays at [set·B² + l² + l + m].
    let private analyze (plan: ShtPlan) (sets: int) (specRe: float[]) (specIm: float[]) =
        let b = plan.Bandwidth
        let outRe = pooled<float>(sets * b * b)
        let outIm = pooled<float>(sets * b * b)

        forEach plan b sets (fun m s ->
            analysisOrder plan sets specRe specIm m s

            for set in 0 .. sets - 1 do
                for l in m .. b - 1 do
                    let i = set * b * b + l * l + l + m
                    outRe[i] <- s.CRe[set * b + l]
                    outIm[i] <- s.CIm[set * b + l])

        outRe, outIm

    let private checkSignal (plan: ShtPlan) (name: string) (rows: int) (cols: int) =
        Check.gridShape name plan.Bandwidth rows cols

    /// `forward` writing the B² coefficients into `out` (length B²) instead of allocating them.
    let forwardInto (plan: ShtPlan) (signal: float[,]) (out: Complex[]) : unit =
        if isNull signal then
            nullArg (nameof signal)

        if isNull out then
            nullArg (nameof out)

        checkSignal plan (nameof signal) (Array2D.length1 signal) (Array2D.length2 signal)
        Check.coefficientCount (nameof out) plan.Bandwidth out.Length
        let b = plan.Bandwidth
        let n = 2 * b

        let emit (m: int) (cRe: float[]) (cIm: float[]) =
            let sign = if m % 2 = 0 then 1.0 else -1.0

            for l in m .. b - 1 do
                let c = l * l + l
                let re, im = cRe[l], cIm[l]
                out[c + m] <- Complex(re, im)

                if m > 0 then
                    out[c - m] <- Complex(sign * re, -sign * im)

        let fill (j: int) (row: float[]) =
            for k in 0 .. n - 1 do
                row[k] <- signal[j, k]

        match plan.RingFft with
        | Some rp ->
            // The paired ring FFTs read the rings straight from the grid and write the weighted ring-pair sums E
            // and differences O of order m at [m·B + j], which the Legendre sums read in place.
            let eRe, eIm = pooled<float>(b * b), pooled<float>(b * b)
            let oRe, oIm = pooled<float>(b * b), pooled<float>(b * b)
            let w = rp.Lanes

            forEachWith plan (b >= 32) (b / w) (struct (2, 0)) (fun () -> ShtRingFft.scratch rp) (fun chunk s ->
                let j0 = chunk * w
                let src = Span<float>.op_Implicit(flat2D signal)

                ShtRingFft.forwardPairsEvenOdd rp s j0 src (j0 * n) n ((n - 1 - j0) * n) -n plan.Weights eRe eIm oRe oIm 0)

            forEach plan b 1 (fun m s ->
                analysisSums plan m eRe eIm oRe oIm (m * b) s.CRe s.CIm 0 s
                emit m s.CRe s.CIm)

            release eRe
            release eIm
            release oRe
            release oIm
        | None ->
            let specRe = pooled<float>(b * n)
            let specIm = pooled<float>(b * n)
            ringSpectra plan 0 fill specRe specIm

            // Each order m writes its coefficients and their m < 0 mirrors straight into out.
            forEach plan b 1 (fun m s ->
                analysisOrder plan 1 specRe specIm m s
                emit m s.CRe s.CIm)

            release specRe
            release specIm

    /// Forward transform (analysis) of real samples [2B, 2B] indexed [θ, φ] on the Driscoll–Healy grid:
    /// B² complex coefficients f_l^m = ∫ f conj Y_l^m dΩ packed at l² + l + m (f_l^{−m} = (−1)^m conj f_l^m).
    let forward (plan: ShtPlan) (signal: float[,]) : Complex[] =
        let out = Array.zeroCreate (plan.Bandwidth * plan.Bandwidth)
        forwardInto plan signal out
        out

    /// Forward transform (analysis) of complex samples [2B, 2B] indexed [θ, φ]: B² coefficients at l² + l + m.
    /// Equals forward(Re f) + i · forward(Im f).
    let forwardComplex (plan: ShtPlan) (signal: Complex[,]) : Complex[] =
        if isNull signal then
            nullArg (nameof signal)

        checkSignal plan (nameof signal) (Array2D.length1 signal) (Array2D.length2 signal)
        let b = plan.Bandwidth
        let n = 2 * b
        let specRe = pooled<float>(2 * b * n)
        let specIm = pooled<float>(2 * b * n)

        ringSpectra
            plan
            0
            (fun j row ->
                for k in 0 .. n - 1 do
                    row[k] <- signal[j, k].Real)
            specRe
            specIm

        ringSpectra
            plan
            1
            (fun j row ->
                for k in 0 .. n - 1 do
                    row[k] <- signal[j, k].Imaginary)
            specRe
            specIm

        let re, im = analyze plan 2 specRe specIm
        let out = Array.zeroCreate (b * b)
        let bb = b * b

        for l in 0 .. b - 1 do
            let c = l * l + l

            for m in 0..l do
                // u = real part's coefficients, v = imaginary part's; f = u + i v.
                let ur, ui, vr, vi = re[c + m], im[c + m], re[bb + c + m], im[bb + c + m]
                out[c + m] <- Complex(ur - vi, ui + vr)

                if m > 0 then
                    let sign = if m % 2 = 0 then 1.0 else -1.0
                    // u_{l,−m} = (−1)^m conj u_lm, likewise v.
                    let unr, uni, vnr, vni = sign * ur, -sign * ui, sign * vr, -sign * vi
                    out[c - m] <- Complex(unr - vni, uni + vnr)

        release specRe
        release specIm
        release re
        release im
        out

    /// `inverse` writing the samples into `out` ([2B, 2B]) instead of allocating them.
    let inverseInto (plan: ShtPlan) (coeffs: Complex[]) (out: float[,]) : unit =
        if isNull coeffs then
            nullArg (nameof coeffs)

        if isNull out then
            nullArg (nameof out)

        let b = plan.Bandwidth
        Check.coefficientCount (nameof coeffs) b coeffs.Length
        checkSignal plan (nameof out) (Array2D.length1 out) (Array2D.length2 out)
        let n = 2 * b
        let gRe = pooled<float>(b * n)
        let gIm = pooled<float>(b * n)
        // The c2r spectra X_m = (G_m + conj G_{−m}) / 2 of every order at [m·B + l], in one pass over the
        // coefficients in storage order (gathering them per order would stride through the whole array per m).
        let hRe = pooled<float>(b * b)
        let hIm = pooled<float>(b * b)

        for l in 0 .. b - 1 do
            let c = l * l + l
            hRe[l] <- coeffs[c].Real
            hIm[l] <- 0.0

            for m in 1..l do
                let sign = if m % 2 = 0 then 0.5 else -0.5
                let p = coeffs[c + m]
                let q = coeffs[c - m]
                hRe[m * b + l] <- 0.5 * p.Real + sign * q.Real
                hIm[m * b + l] <- 0.5 * p.Imaginary - sign * q.Imaginary

        forEach plan b 1 (fun m s ->
            Array.Copy(hRe, m * b + m, s.CRe, m, b - m)
            Array.Copy(hIm, m * b + m, s.CIm, m, b - m)
            synthesisOrder plan 1 gRe gIm m s)

        release hRe
        release hIm

        match plan.RingFft with
        | Some rp ->
            let w = rp.Lanes

            forEachWith plan (b >= 32) (b / w) (struct (2, 0)) (fun () -> ShtRingFft.scratch rp) (fun chunk s ->
                let j0 = chunk * w
                ShtRingFft.backwardPairs rp s j0 gRe gIm 0 (flat2D out) (j0 * n) n ((n - 1 - j0) * n) -n)
        | None ->
            forEach plan n 1 (fun j s ->
                let slot = ringSlot b j

                for m in 0 .. b - 1 do
                    s.XRe[m] <- gRe[m * n + slot]
                    s.XIm[m] <- gIm[m * n + slot]

                s.XRe[b] <- 0.0
                s.XIm[b] <- 0.0

                Fft.backwardRealSplit
                    plan.RealFft
                    (ReadOnlySpan(s.XRe, 0, b + 1))
                    (ReadOnlySpan(s.XIm, 0, b + 1))
                    (Span s.Row)
                    s.ZRe
                    s.ZIm
                    s.WRe
                    s.WIm

                for k in 0 .. n - 1 do
                    out[j, k] <- s.Row[k])

        release gRe
        release gIm

    /// Inverse transform (synthesis): Re Σ_{l&lt;B} Σ_m f_l^m Y_l^m at the [2B, 2B] Driscoll–Healy samples [θ, φ].
    /// For coefficients of a real signal (f_l^{−m} = (−1)^m conj f_l^m) the imaginary part dropped is zero.
    let inverse (plan: ShtPlan) (coeffs: Complex[]) : float[,] =
        let n = 2 * plan.Bandwidth
        let out = Array2D.zeroCreate n n
        inverseInto plan coeffs out
        out

    /// Inverse transform (synthesis) to complex samples: Σ_{l&lt;B} Σ_m f_l^m Y_l^m at the [2B, 2B] grid [θ, φ].
    let inverseComplex (plan: ShtPlan) (coeffs: Complex[]) : Complex[,] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        let b = plan.Bandwidth
        Check.coefficientCount (nameof coeffs) b coeffs.Length
        let n = 2 * b
        // set 0: orders m ≥ 0; set 1: orders −m through λ_l^{−m} = (−1)^m λ_l^m.
        let gRe = pooled<float>(2 * b * n)
        let gIm = pooled<float>(2 * b * n)

        forEach plan b 2 (fun m s ->
            let sign = if m % 2 = 0 then 1.0 else -1.0

            for l in m .. b - 1 do
                let c = l * l + l
                let p = coeffs[c + m]
                s.CRe[l] <- p.Real
                s.CIm[l] <- p.Imaginary

                if m > 0 then
                    let q = coeffs[c - m]
                    s.CRe[b + l] <- sign * q.Real
                    s.CIm[b + l] <- sign * q.Imaginary
                else
                    s.CRe[b + l] <- 0.0
                    s.CIm[b + l] <- 0.0

            synthesisOrder plan 2 gRe gIm m s)

        let out = Array2D.zeroCreate n n

        forEach plan n 1 (fun j s ->
            Array.Clear(s.XRe, 0, n)
            Array.Clear(s.XIm, 0, n)
            let slot = ringSlot b j

            for m in 0 .. b - 1 do
                s.XRe[m] <- gRe[m * n + slot]
                s.XIm[m] <- gIm[m * n + slot]

                if m > 0 then
                    s.XRe[n - m] <- gRe[(b + m) * n + slot]
                    s.XIm[n - m] <- gIm[(b + m) * n + slot]

            Fft.backwardSplit plan.ComplexFft s.XRe s.XIm s.ZRe s.ZIm

            for k in 0 .. n - 1 do
                out[j, k] <- Complex(s.XRe[k], s.XIm[k]))

        release gRe
        release gIm
        out

    /// Forward transform of a real signal to real-harmonic coefficients (`SphericalHarmonics.real`), packed at
    /// l² + l + m: f = Σ r_{lm} Y_{lm} on band-limited signals.
    let forwardRealHarmonics (plan: ShtPlan) (signal: float[,]) : float[] =
        forward plan signal |> SphericalHarmonics.toRealCoefficients

    /// Synthesis Σ r_{lm} Y_{lm} from real-harmonic coefficients packed at l² + l + m (length B²).
    let inverseRealHarmonics (plan: ShtPlan) (coeffs: float[]) : float[,] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        Check.coefficientCount (nameof coeffs) plan.Bandwidth coeffs.Length
        inverse plan (SphericalHarmonics.ofRealCoefficients coeffs)

    let private newScratch32 (plan: ShtPlan) (sets: int) =
        let b = plan.Bandwidth
        let blockLength = if plan.Table32.IsSome then 0 else b * b
        ShtScratch32(b, blockLength, Fft.realScratchLength plan.RealFft, sets)

    /// The float32 Legendre block of order m (layout as `block`).
    let private block32 (plan: ShtPlan) (m: int) (scratch: ShtScratch32) =
        match plan.Table32 with
        | Some t -> t, plan.BlockOffsets[m]
        | None ->
            let b = plan.Bandwidth
            let dst = scratch.Block

            Legendre.fillRows plan.Coefficients m (b - 1) plan.Cosines plan.SeedValues plan.SeedExponents (m * b) b dst 0 b scratch.Rows

            let count = (b - m) * b

            for i in 0 .. count - 1 do
                scratch.Block32[i] <- float32 dst[i]

            scratch.Block32, 0

    let private checkBatch (plan: ShtPlan) (channels: int) (name: string) (length: int) (perChannel: int) (layout: string) =
        if channels < 1 then
            invalidArg (nameof channels) (sprintf "Expected a channel count >= 1, got %d" channels)

        if int64 length <> int64 channels * int64 perChannel then
            invalidArg
                name
                (sprintf "Expected %s = %d values for C = %d, B = %d, got %d" layout (channels * perChannel) channels plan.Bandwidth length)

    /// Without tables, batches of fewer channels than this go through the fused float64 kernels channel by
    /// channel: a float32 Legendre block per order only pays when many channels share it.
    let private fusedBatchBelow = 4

    /// Whether a float32 batch goes through the float64 transforms channel by channel: without precomputed tables,
    /// for fewer than `fusedBatchBelow` channels, and always with the Vector512 fused kernels, which were measured
    /// faster per channel than the shared float32 blocks (B = 64: about 40 against 50–65 µs; B = 128: 200 against
    /// 380–400 µs, one thread).
    let private viaFloat64 (plan: ShtPlan) (channels: int) =
        plan.Table.IsNone && (channels < fusedBatchBelow || plan.Fused512.IsSome)

    /// Runs `body plan' c scratch` for every channel c < channels. With at least two channels and a plan that may use
    /// several threads: in parallel over channels, each worker with its own scratch from `make` and plan' = the
    /// plan's one-thread sibling (no nested parallel loops); else in order with plan' = plan. Channels are
    /// independent, so the results do not depend on the schedule.
    let private overChannels (plan: ShtPlan) (channels: int) (make: unit -> 'S) (body: ShtPlan -> int -> 'S -> unit) =
        if plan.Options.MaxDegreeOfParallelism = 1 || channels < 2 then
            let s = make ()

            for c in 0 .. channels - 1 do
                body plan c s
        else
            let one = plan.Sequential

            Parallel.For(
                0,
                channels,
                ParallelOptions(MaxDegreeOfParallelism = plan.Options.MaxDegreeOfParallelism),
                Func<'S>(make),
                Func<int, ParallelLoopState, 'S, 'S>(fun c _ s ->
                    body one c s
                    s),
                Action<'S>(ignore)
            )
            |> ignore

    /// `forwardBatch32` through `forwardInto` per channel (float64 inside, float32 in and out).
    let private forwardBatchViaFloat64 (plan: ShtPlan) (channels: int) (signals: float32[]) : float32[] =
        let b = plan.Bandwidth
        let n = 2 * b
        let out: float32[] = Array.zeroCreate (channels * b * b * 2)

        overChannels plan channels (fun () -> Array2D.zeroCreate n n, Array.zeroCreate (b * b)) (fun p c (grid, spectrum) ->
            for j in 0 .. n - 1 do
                for k in 0 .. n - 1 do
                    grid[j, k] <- float signals[(c * n + j) * n + k]

            forwardInto p grid spectrum

            for i in 0 .. b * b - 1 do
                out[(c * b * b + i) * 2] <- float32 spectrum[i].Real
                out[(c * b * b + i) * 2 + 1] <- float32 spectrum[i].Imaginary)

        out

    /// `inverseBatch32` through `inverseInto` per channel (float64 inside, float32 in and out).
    let private inverseBatchViaFloat64 (plan: ShtPlan) (channels: int) (coeffs: float32[]) : float32[] =
        let b = plan.Bandwidth
        let n = 2 * b
        let out: float32[] = Array.zeroCreate (channels * n * n)

        overChannels plan channels (fun () -> Array2D.zeroCreate n n, Array.zeroCreate (b * b)) (fun p c (grid, spectrum) ->
            for i in 0 .. b * b - 1 do
                spectrum[i] <- Complex(float coeffs[(c * b * b + i) * 2], float coeffs[(c * b * b + i) * 2 + 1])

            inverseInto p spectrum grid

            for j in 0 .. n - 1 do
                for k in 0 .. n - 1 do
                    out[(c * n + j) * n + k] <- float32 grid[j, k])

        out

    /// Batched float32 forward transform of C real signals: `signals` is [C, 2B, 2B] ([channel, θ, φ] row-major),
    /// the result [C, B², 2]: coefficient l² + l + m of each channel as interleaved (re, im). FFTs run in float64,
    /// the Legendre sums in float32 with SIMD over a float32 Legendre block per order shared by all channels
    /// (without precomputed tables, for fewer than 4 channels or with the AVX-512 fused kernels, the fused float64
    /// path per channel);
    /// matches `forward` to about 1e-6 relative.
    let rec forwardBatch32 (plan: ShtPlan) (channels: int) (signals: float32[]) : float32[] =
        if isNull signals then
            nullArg (nameof signals)

        let b = plan.Bandwidth
        let n = 2 * b
        checkBatch plan channels (nameof signals) signals.Length (n * n) (sprintf "[C, 2B=%d, 2B=%d]" n n)

        if viaFloat64 plan channels then
            forwardBatchViaFloat64 plan channels signals
        else
            forwardBatchWithBlocks plan channels signals

    /// The float32-block path of `forwardBatch32` (validated arguments).
    and private forwardBatchWithBlocks (plan: ShtPlan) (channels: int) (signals: float32[]) : float32[] =
        let b = plan.Bandwidth
        let n = 2 * b
        let large = int64 channels * int64 b * int64 b * int64 b >= 32L * 32L * 32L
        // Ring-pair sums E and differences O of channel c and order m at [(c·B + m)·B + j].
        let eRe = pooled<float32>(channels * b * b)
        let eIm = pooled<float32>(channels * b * b)
        let oRe = pooled<float32>(channels * b * b)
        let oIm = pooled<float32>(channels * b * b)

        match plan.RingFft with
        | Some rp ->
            // W ring pairs of one channel per complex SIMD FFT (see `ShtRingFft`), written as E and O directly.
            let w = rp.Lanes
            let chunks = b / w

            forEachWith plan large (channels * chunks) (struct (2, 0)) (fun () -> ShtRingFft.scratch rp) (fun cc s ->
                let c = cc / chunks
                let j0 = (cc % chunks) * w
                let block = s.Block

                // Stage the chunk's 2W rings in float64: ring j0 + k at [k·n], its mirror at [(W + k)·n].
                for k in 0 .. w - 1 do
                    ShtRingFft.widen signals ((c * n + j0 + k) * n) block (k * n) n
                    ShtRingFft.widen signals ((c * n + n - 1 - j0 - k) * n) block ((w + k) * n) n

                ShtRingFft.forwardPairsEvenOdd32 rp s j0 (ReadOnlySpan block) 0 n (w * n) n plan.Weights eRe eIm oRe oIm (c * b * b))
        | None ->
            let specRe = pooled<float32>(channels * b * n)
            let specIm = pooled<float32>(channels * b * n)

            forEachWith plan large (channels * n) (struct (1, 1)) (fun () -> newScratch32 plan 1) (fun cj s ->
                let c, j = cj / n, cj % n
                let src = (c * n + j) * n

                for k in 0 .. n - 1 do
                    s.Row[k] <- float signals[src + k]

                Fft.forwardRealSplit plan.RealFft (ReadOnlySpan s.Row) (Span s.XRe) (Span s.XIm) s.ZRe s.ZIm s.WRe s.WIm
                let w = plan.Weights[j]

                for m in 0 .. b - 1 do
                    let i = (c * b + m) * n + j
                    specRe[i] <- float32 (w * s.XRe[m])
                    specIm[i] <- float32 (w * s.XIm[m]))

            for cm in 0 .. channels * b - 1 do
                let src = cm * n
                let dst = cm * b

                for j in 0 .. b - 1 do
                    let nr, ni = specRe[src + j], specIm[src + j]
                    let sr, si = specRe[src + n - 1 - j], specIm[src + n - 1 - j]
                    eRe[dst + j] <- nr + sr
                    eIm[dst + j] <- ni + si
                    oRe[dst + j] <- nr - sr
                    oIm[dst + j] <- ni - si

            release specRe
            release specIm

        let out: float32[] = Array.zeroCreate (channels * b * b * 2)

        forEachWith plan large b (struct (1, channels)) (fun () -> newScratch32 plan channels) (fun m s ->
            let t, off = block32 plan m s
            let sign = if m % 2 = 0 then 1.0f else -1.0f

            for c in 0 .. channels - 1 do
                let o = c * b

                if plan.Simd = SimdWidth.Vector512 then
                    ShtKernels.analysis32x512 t off b m eRe eIm oRe oIm ((c * b + m) * b) s.CRe s.CIm o
                else
                    ShtKernels.analysis32 t off b m eRe eIm oRe oIm ((c * b + m) * b) s.CRe s.CIm o

                for l in m .. b - 1 do
                    let re, im = s.CRe[o + l], s.CIm[o + l]
                    let i = (c * b * b + l * l + l + m) * 2
                    out[i] <- re
                    out[i + 1] <- im

                    if m > 0 then
                        let i = (c * b * b + l * l + l - m) * 2
                        out[i] <- sign * re
                        out[i + 1] <- -sign * im)

        release eRe
        release eIm
        release oRe
        release oIm
        out

    /// Batched float32 inverse transform: `coeffs` is [C, B², 2] (interleaved re/im at l² + l + m per channel),
    /// the result [C, 2B, 2B] holds Re Σ_l Σ_m f_l^m Y_l^m per channel (as `inverse`). Legendre sums in float32
    /// with SIMD, FFTs in float64 (paths as in `forwardBatch32`).
    let rec inverseBatch32 (plan: ShtPlan) (channels: int) (coeffs: float32[]) : float32[] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        let b = plan.Bandwidth
        checkBatch plan channels (nameof coeffs) coeffs.Length (2 * b * b) (sprintf "[C, B²=%d, 2]" (b * b))

        if viaFloat64 plan channels then
            inverseBatchViaFloat64 plan channels coeffs
        else
            inverseBatchWithBlocks plan channels coeffs

    /// The float32-block path of `inverseBatch32` (validated arguments).
    and private inverseBatchWithBlocks (plan: ShtPlan) (channels: int) (coeffs: float32[]) : float32[] =
        let b = plan.Bandwidth
        let n = 2 * b
        let gRe = pooled<float32>(channels * b * n)
        let gIm = pooled<float32>(channels * b * n)
        let large = int64 channels * int64 b * int64 b * int64 b >= 32L * 32L * 32L

        forEachWith plan large b (struct (1, channels)) (fun () -> newScratch32 plan channels) (fun m s ->
            let t, off = block32 plan m s
            let sign = if m % 2 = 0 then 1.0f else -1.0f

            for c in 0 .. channels - 1 do
                let o = c * b

                for l in m .. b - 1 do
                    let p = (c * b * b + l * l + l + m) * 2

                    if m = 0 then
                        s.CRe[o + l] <- coeffs[p]
                        s.CIm[o + l] <- 0.0f
                    else
                        // As in `inverse`: X_m = (G_m + conj G_{−m}) / 2 feeds the real backward FFT.
                        let q = (c * b * b + l * l + l - m) * 2
                        s.CRe[o + l] <- 0.5f * (coeffs[p] + sign * coeffs[q])
                        s.CIm[o + l] <- 0.5f * (coeffs[p + 1] - sign * coeffs[q + 1])

                if plan.Simd = SimdWidth.Vector512 then
                    ShtKernels.synthesis32x512 t off b m s.CRe s.CIm o s.ERe s.EIm s.ORe s.OIm o
                else
                    ShtKernels.synthesis32 t off b m s.CRe s.CIm o s.ERe s.EIm s.ORe s.OIm o

            for c in 0 .. channels - 1 do
                let dst = (c * b + m) * n
                let o = c * b

                for j in 0 .. b - 1 do
                    let er, ei, orr, oi = s.ERe[o + j], s.EIm[o + j], s.ORe[o + j], s.OIm[o + j]
                    gRe[dst + j] <- er + orr
                    gIm[dst + j] <- ei + oi
                    gRe[dst + b + j] <- er - orr
                    gIm[dst + b + j] <- ei - oi)

        let out: float32[] = Array.zeroCreate (channels * n * n)

        match plan.RingFft with
        | Some rp ->
            let w = rp.Lanes
            let chunks = b / w

            forEachWith plan large (channels * chunks) (struct (2, 0)) (fun () -> ShtRingFft.scratch rp) (fun cc s ->
                let c = cc / chunks
                let j0 = (cc % chunks) * w
                ShtRingFft.backwardPairs32 rp s j0 gRe gIm (c * b * n)
                let block = s.Block

                for k in 0 .. w - 1 do
                    ShtRingFft.narrow block (k * n) out ((c * n + j0 + k) * n) n
                    ShtRingFft.narrow block ((w + k) * n) out ((c * n + n - 1 - j0 - k) * n) n)
        | None ->
            forEachWith plan large (channels * n) (struct (1, 1)) (fun () -> newScratch32 plan 1) (fun cj s ->
                let c, j = cj / n, cj % n
                let slot = ringSlot b j

                for m in 0 .. b - 1 do
                    s.XRe[m] <- float gRe[(c * b + m) * n + slot]
                    s.XIm[m] <- float gIm[(c * b + m) * n + slot]

                s.XRe[b] <- 0.0
                s.XIm[b] <- 0.0

                Fft.backwardRealSplit
                    plan.RealFft
                    (ReadOnlySpan(s.XRe, 0, b + 1))
                    (ReadOnlySpan(s.XIm, 0, b + 1))
                    (Span s.Row)
                    s.ZRe
                    s.ZIm
                    s.WRe
                    s.WIm

                let dst = (c * n + j) * n

                for k in 0 .. n - 1 do
                    out[dst + k] <- float32 s.Row[k])

        release gRe
        release gIm
        out
