namespace EquiSphere.Harmonics

#nowarn "9" // The pair kernels work on pinned scratch and pinned caller arrays through raw pointers.

open System
open System.Collections.Concurrent
open System.Runtime.CompilerServices
open System.Runtime.InteropServices
open System.Runtime.Intrinsics.X86
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop

/// The Wigner-d step of the SO(3) FFT without tables: for each canonical index pair (a, b), 0 ≤ a ≤ b < B, the
/// vectors d^l_{ab}(β_j) over all 2B grid angles are generated for all degrees l = b .. B−1 by the three-term
/// recurrence in l, seeded at l = b by the closed form d^b_{ab}(β) = √((2b)!/((b+a)!(b−a)!)) cos(β/2)^{b+a} sin(β/2)^{b−a},
/// into a (B−b) × 2B block; the pair's analysis and synthesis are then one small matrix product each with that block
/// (`So3PairsKernels.tile`). One d block serves the eight orders (a, b), (b, a), (−b, −a), (−a, −b) (index symmetries
/// d_{m'm} = (−1)^{m'−m} d_{mm'} = d_{−m,−m'}) and (a, −b), (b, −a), (−b, a), (−a, b) (through
/// d^l_{m',−m}(β) = (−1)^{l+m'} d^l_{m'm}(π − β), i.e. the same vector read in reverse β order).
/// Spectra are laid out per order: entry [((m'+B−1)(2B−1) + (m+B−1)) · 2B + j] for β_j, j < 2B.
[<RequireQualifiedAccess>]
module internal So3Pairs =

    [<assembly: InternalsVisibleTo("EquiSphere.Harmonics.Tests")>]
    do ()

    /// Seeds (2B per pair) and recurrence coefficients (3 per pair and degree) are precomputed up to this bandwidth,
    /// computed per pair above.
    [<Literal>]
    let SeedTableMaxBandwidth = 128

    /// The size of the two spectra arrays (bytes) from which the synthesis writes them with non-temporal stores: half
    /// the 32 MB L3 of the machine the stage was tuned on; smaller spectra stay in cache for the α–γ stage that reads
    /// them next.
    [<Literal>]
    let StreamingMinBytes = 16L * 1024L * 1024L

    /// Per-worker scratch, one pinned 64-byte-aligned block: the pair's d values [(l − b) · 2B + j] (B × 2B), the
    /// interleaved spectra of the eight orders [16j + order (+8 for im)] (2B × 16), the signed coefficients
    /// [16(l − b) + order (+8 for im)] (B × 16), the output tile (2B × 16), cos β_j (2B) and the recurrence coefficients
    /// of one pair (3B, used above `SeedTableMaxBandwidth`).
    [<Sealed>]
    type Work(b: int, cosb: float[]) =
        let n = 2 * b
        let round8 k = (k + 7) / 8 * 8

        let lenD, lenX, lenC, lenO, lenCos =
            round8 (b * n), 16 * n, 16 * b, 16 * n, round8 n

        let lenCoef = round8 (3 * b)
        let total = lenD + lenX + lenC + lenO + lenCos + lenCoef
        let block = GC.AllocateUninitializedArray<float>(total + 8, true)
        let addr = Marshal.UnsafeAddrOfPinnedArrayElement(block, 0)
        let skip = int ((64L - (int64 addr % 64L)) % 64L) / 8

        let at (offset: int) =
            NativePtr.add (NativePtr.ofNativeInt<float> addr) (skip + offset)

        let d = at 0
        let x = at lenD
        let c = at (lenD + lenX)
        let o = at (lenD + lenX + lenC)
        let cosPtr = at (lenD + lenX + lenC + lenO)
        let coef = at (lenD + lenX + lenC + lenO + lenCos)

        do
            for j in 0 .. n - 1 do
                NativePtr.set cosPtr j cosb[j]

        /// The pinned block (kept alive with the scratch).
        member _.Block = block
        /// d^l_{ab}(β_j) at [(l − b) · 2B + j].
        member _.D = d
        /// The interleaved spectra of the analysis, [16j + order (+8 for im)].
        member _.X = x
        /// The signed coefficients of the synthesis, [16(l − b) + order (+8 for im)].
        member _.C = c
        /// The output tile, up to 2B rows of 16.
        member _.O = o
        /// cos β_j.
        member _.Cos = cosPtr
        /// Recurrence coefficients of the current step (ca, cb, cc) when not precomputed.
        member _.Coef = coef
        /// Start of each of the pair's eight β vectors in the per-order spectra.
        member val Offsets = Array.zeroCreate<int> 8
        /// c · 2B, c < 8: the eight β vectors of a pair side by side in a staging area.
        member val StageOffsets = Array.init 8 (fun c -> c * n)
        /// m' of each order.
        member val MPrime = Array.zeroCreate<int> 8
        /// m of each order.
        member val M = Array.zeroCreate<int> 8
        /// The sign of each order relative to d^l_{ab} at even l.
        member val SignEven = Array.zeroCreate<float> 8
        /// The sign of each order relative to d^l_{ab} at odd l.
        member val SignOdd = Array.zeroCreate<float> 8

    /// The recurrence setup of one bandwidth: pairs (a, b) ordered by decreasing cost, cos β_j, log cos(β_j/2),
    /// log sin(β_j/2), log factorials, and (when B ≤ `SeedTableMaxBandwidth`) the seeds and recurrence coefficients;
    /// a pool of scratch for the workers.
    type Setup =
        {
            /// The bandwidth B.
            B: int
            /// Canonical pairs (a, b), 0 ≤ a ≤ b < B, largest b last (cost ∝ B − b).
            Pairs: struct (int * int)[]
            /// cos β_j, j < 2B.
            Cos: float[]
            /// log cos(β_j/2).
            LogCos: float[]
            /// log sin(β_j/2).
            LogSin: float[]
            /// log k!, k ≤ 2B.
            LogFactorial: float[]
            /// Seeds d^b_{ab}(β_j) per pair (length 2B each), or None above `SeedTableMaxBandwidth`.
            Seeds: float[][] option
            /// Recurrence coefficients (ca, cb, cc) of the steps l → l+1, l = b .. B−2, of pair p at
            /// [3 (CoefOffsets[p] + l − b) + 0, 1, 2], or None above `SeedTableMaxBandwidth`.
            Coefficients: float[] option
            /// Start of each pair's steps in `Coefficients`.
            CoefOffsets: int[]
            /// Whether the synthesis writes the spectra with non-temporal stores (`So3PairsKernels.streamOut`): when
            /// the hardware allows it and the two spectra arrays, (2B−1)² · 2B doubles each, exceed `StreamingMinBytes`
            /// (they would not stay in cache anyway; B ≥ 52).
            Stream: bool
            /// Reusable worker scratch (taken by a worker for one transform, then returned; holds as many blocks as
            /// workers ever ran at once, ≈ 2B² + 80B doubles each).
            Scratch: ConcurrentBag<Work>
        }

    /// Writes the seed d^b_{ab}(β_j), j < 2B, into dst (values below e^{−600} are flushed to zero: no denormals).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private computeSeed (s: Setup) (a: int) (b: int) (dst: nativeptr<float>) =
        let c =
            0.5 * (s.LogFactorial[2 * b] - s.LogFactorial[b + a] - s.LogFactorial[b - a])

        for j in 0 .. 2 * s.B - 1 do
            let e = c + float (b + a) * s.LogCos[j] + float (b - a) * s.LogSin[j]
            NativePtr.set dst j (if e < -600.0 then 0.0 else exp e)

    /// The coefficients of the step l → l+1 of pair (a, b):
    /// √(((l+1)²−a²)((l+1)²−b²)) d^{l+1} = (2l+1)(l+1)(cos β − ab/(l(l+1))) d^l − ((l+1)/l) √((l²−a²)(l²−b²)) d^{l−1},
    /// i.e. d^{l+1} = ca (cos β − cb) d^l − cc d^{l−1}; written at dst[0..2].
    let private stepCoefficients (a: int) (b: int) (l: int) (dst: nativeptr<float>) =
        let fl = float l
        let l1 = fl + 1.0
        let fa, fb = float a, float b
        let s1 = sqrt ((l1 * l1 - fa * fa) * (l1 * l1 - fb * fb))
        NativePtr.set dst 0 ((2.0 * fl + 1.0) * l1 / s1)
        NativePtr.set dst 1 (if a * b = 0 then 0.0 else fa * fb / (fl * l1))

        NativePtr.set
            dst
            2
            (if l = 0 then
                 0.0
             else
                 l1 / fl * sqrt ((fl * fl - fa * fa) * (fl * fl - fb * fb)) / s1)

    /// The setup of bandwidth b.
    let setup (b: int) : Setup =
        let n = 2 * b

        let pairs =
            [|
                for bb in 0 .. b - 1 do
                    for a in 0..bb -> struct (a, bb)
            |]

        let offsets = Array.zeroCreate pairs.Length
        let mutable total = 0

        for p in 0 .. pairs.Length - 1 do
            let struct (_, bb) = pairs[p]
            offsets[p] <- total
            total <- total + max 0 (b - bb - 1)

        let betas = Array.init n (fun j -> Math.PI * float (2 * j + 1) / float (4 * b))
        let logFactorial = Array.zeroCreate (n + 1)

        for k in 1..n do
            logFactorial[k] <- logFactorial[k - 1] + log (float k)

        let s =
            {
                B = b
                Pairs = pairs
                Cos = betas |> Array.map cos
                LogCos = betas |> Array.map (fun x -> log (cos (x / 2.0)))
                LogSin = betas |> Array.map (fun x -> log (sin (x / 2.0)))
                LogFactorial = logFactorial
                Seeds = None
                Coefficients = None
                CoefOffsets = offsets
                Stream =
                    So3PairsKernels.canStream n
                    && 2L * int64 ((2 * b - 1) * (2 * b - 1)) * int64 n * 8L >= StreamingMinBytes
                Scratch = ConcurrentBag()
            }

        if b <= SeedTableMaxBandwidth then
            let seeds =
                pairs
                |> Array.map (fun (struct (a, bb)) ->
                    let d = Array.zeroCreate n
                    use p = fixed d
                    computeSeed s a bb p
                    d)

            let coefficients = Array.zeroCreate (3 * max 1 total)

            do
                use p = fixed coefficients

                for q in 0 .. pairs.Length - 1 do
                    let struct (a, bb) = pairs[q]

                    for l in bb .. b - 2 do
                        stepCoefficients a bb l (NativePtr.add p (3 * (offsets[q] + l - bb)))

            { s with
                Seeds = Some seeds
                Coefficients = Some coefficients
            }
        else
            s

    /// Prefetches the cache line holding p[i] into L1.
    let inline private line (p: nativeptr<float>) (i: int) =
        Sse.Prefetch0(NativePtr.toVoidPtr (NativePtr.add p i))

    /// Order (m', m) of slot c &lt; 8 of pair (a, b): (a, b), (b, a), (−b, −a), (−a, −b), then (a, −b), (b, −a),
    /// (−b, a), (−a, b).
    let inline private orderOf (a: int) (b: int) (c: int) =
        match c with
        | 0 -> struct (a, b)
        | 1 -> struct (b, a)
        | 2 -> struct (-b, -a)
        | 3 -> struct (-a, -b)
        | 4 -> struct (a, -b)
        | 5 -> struct (b, -a)
        | 6 -> struct (-b, a)
        | _ -> struct (-a, b)

    /// Prefetches part `part` of `parts` of the eight per-order β vectors of pair q in (re, im): of their 2 · 2B
    /// cache lines, those numbered ⌊part · 2B / parts⌋ … ⌊(part + 1) · 2B / parts⌋ − 1 in each array. Spread over the
    /// recurrence of the current pair, the loads overlap with its work; issued in one burst of 4B prefetches, they
    /// would stall the core once its miss buffers are full.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private prefetchVectors (s: Setup) (re: nativeptr<float>) (im: nativeptr<float>) (q: int) (part: int) (parts: int) =
        let bw = s.B
        let n = 2 * bw
        let struct (a, b) = s.Pairs[q]
        let perVector = n / 8
        let total = 8 * perVector

        for g in part * total / parts .. (part + 1) * total / parts - 1 do
            let c = g / perVector
            let struct (mp, m) = orderOf a b c
            let o = ((mp + bw - 1) * (2 * bw - 1) + m + bw - 1) * n + (g - c * perVector) * 8
            line re o
            line im o

    /// Fills the d block of pair p: rows l − b = 0 .. B−b−1 of 2B angles (the seed, then the recurrence). When
    /// q ≥ 0 (and on x86), prefetches the β vectors of pair q in (qRe, qIm) meanwhile, a part per recurrence step.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private fillD (s: Setup) (p: int) (w: Work) (q: int) (qRe: nativeptr<float>) (qIm: nativeptr<float>) =
        let bw = s.B
        let n = 2 * bw
        let struct (a, b) = s.Pairs[p]
        let d = w.D
        let spread = q >= 0 && Sse.IsSupported
        let steps = bw - b - 1

        if spread && steps < 1 then
            prefetchVectors s qRe qIm q 0 1

        match s.Seeds with
        | Some seeds -> seeds[p].AsSpan().CopyTo(Span<float>(NativePtr.toVoidPtr d, n))
        | None -> computeSeed s a b d

        match s.Coefficients with
        | Some coefficients ->
            use cp = fixed coefficients
            let coef = NativePtr.add cp (3 * s.CoefOffsets[p])

            for k in 0 .. bw - b - 2 do
                if spread then
                    prefetchVectors s qRe qIm q k steps

                let row = NativePtr.add d (k * n)
                let prev = if k = 0 then row else NativePtr.add row -n

                So3PairsKernels.recurrence
                    n
                    w.Cos
                    (NativePtr.get coef (3 * k))
                    (NativePtr.get coef (3 * k + 1))
                    (NativePtr.get coef (3 * k + 2))
                    row
                    prev
                    (NativePtr.add row n)
        | None ->
            let coef = w.Coef

            for k in 0 .. bw - b - 2 do
                if spread then
                    prefetchVectors s qRe qIm q k steps

                stepCoefficients a b (b + k) coef
                let row = NativePtr.add d (k * n)
                let prev = if k = 0 then row else NativePtr.add row -n

                So3PairsKernels.recurrence
                    n
                    w.Cos
                    (NativePtr.get coef 0)
                    (NativePtr.get coef 1)
                    (NativePtr.get coef 2)
                    row
                    prev
                    (NativePtr.add row n)

    /// Fills the order tables of pair p in w: for the eight orders (m', m) = (a, b), (b, a), (−b, −a), (−a, −b)
    /// (read forward in β) and (a, −b), (b, −a), (−b, a), (−a, b) (read in reverse β order), the start of the β vector
    /// in the per-order spectra, m', m, and the signs relating d^l_{m'm} to d^l_{ab} at even and at odd l:
    /// (−1)^{m'−m} for the index symmetries, (−1)^{l+m'} for the reflection β → π − β.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private orders (s: Setup) (p: int) (w: Work) =
        let bw = s.B
        let n = 2 * bw
        let width = 2 * bw - 1
        let struct (a, b) = s.Pairs[p]
        let s1 = if (b - a) % 2 = 0 then 1.0 else -1.0
        let sa = if a % 2 = 0 then 1.0 else -1.0
        let sb = if b % 2 = 0 then 1.0 else -1.0

        let set c even odd =
            let struct (mp, m) = orderOf a b c
            w.Offsets[c] <- ((mp + bw - 1) * width + m + bw - 1) * n
            w.MPrime[c] <- mp
            w.M[c] <- m
            w.SignEven[c] <- even
            w.SignOdd[c] <- odd

        set 0 1.0 1.0
        set 1 s1 s1
        set 2 1.0 1.0
        set 3 s1 s1
        set 4 sa -sa
        set 5 sa -sa
        set 6 sb -sb
        set 7 sb -sb

    /// Pairs per unit of work handed to a worker: consecutive pairs (a, b), (a+1, b), … write and read neighbouring
    /// coefficients (orders (b, a), (b, a+1) are adjacent in the packed layout), so one worker takes them together
    /// (no cache line written by two cores at once, lines reused while in cache).
    [<Literal>]
    let private Chunk = 8

    /// Runs body p next w over all pairs p on up to `Environment.ProcessorCount` workers: each worker takes chunks of
    /// `Chunk` consecutive pairs in `Pairs` order (largest first) from a shared counter, so the work balances whatever
    /// the load, and learns the pair it computes next (for prefetching; −1 at the end); each worker uses scratch from
    /// the setup's pool. The output does not depend on which worker computes a pair.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private forPairs (s: Setup) (body: int -> int -> Work -> unit) =
        let count = s.Pairs.Length
        let chunks = (count + Chunk - 1) / Chunk
        let workers = max 1 (min Environment.ProcessorCount (chunks / 2))
        let next = ref -1

        let run () =
            let w =
                match s.Scratch.TryTake() with
                | true, w -> w
                | _ -> Work(s.B, s.Cos)

            let mutable c = Interlocked.Increment(&next.contents)

            while c < chunks do
                let following = Interlocked.Increment(&next.contents)
                let last = min count ((c + 1) * Chunk) - 1

                for p in c * Chunk .. last do
                    let q =
                        if p < last then p + 1
                        elif following < chunks then following * Chunk
                        else -1

                    body p q w

                c <- following

            if Sse.IsSupported then
                Sse.StoreFence()

            s.Scratch.Add w

        if workers = 1 then
            run ()
        else
            Parallel.For(0, workers, (fun _ -> run ())) |> ignore

    /// Prefetches (into L1) the coefficients of pair q in (cRe, cIm), all degrees and orders, while the current pair
    /// computes; nothing when q &lt; 0 or off x86.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private prefetchCoefficients (s: Setup) (cRe: nativeptr<float>) (cIm: nativeptr<float>) (q: int) =
        if q >= 0 && Sse.IsSupported then
            let bw = s.B
            let struct (a, b) = s.Pairs[q]

            for l in b .. bw - 1 do
                let w = 2 * l + 1
                let i0 = l * (4 * l * l - 1) / 3 + l * w + l
                let o0, o1, o2, o3 = i0 + a * w + b, i0 + b * w + a, i0 - b * w - a, i0 - a * w - b
                let o4, o5, o6, o7 = i0 + a * w - b, i0 + b * w - a, i0 - b * w + a, i0 - a * w + b
                line cRe o0
                line cIm o0
                line cRe o1
                line cIm o1
                line cRe o2
                line cIm o2
                line cRe o3
                line cIm o3
                line cRe o4
                line cIm o4
                line cRe o5
                line cIm o5
                line cRe o6
                line cIm o6
                line cRe o7
                line cIm o7

    /// The analysis of one canonical pair p (the eight orders it serves, all degrees); q is the next pair (prefetched).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private forwardPair
        (s: Setup)
        (scale: float[])
        (xRe: nativeptr<float>)
        (xIm: nativeptr<float>)
        (fRe: nativeptr<float>)
        (fIm: nativeptr<float>)
        (p: int)
        (q: int)
        (work: Work)
        =
        prefetchCoefficients s fRe fIm q
        let bw = s.B
        let n = 2 * bw
        let struct (_, b) = s.Pairs[p]
        let len = bw - b
        orders s p work
        let x = work.X
        So3PairsKernels.interleave n xRe work.Offsets x
        So3PairsKernels.interleave n xIm work.Offsets (NativePtr.add x 8)
        fillD s p work q xRe xIm
        let o = work.O
        So3PairsKernels.tile len work.D n 1 n x o
        let mp, m, even, odd = work.MPrime, work.M, work.SignEven, work.SignOdd

        for k in 0 .. len - 1 do
            let l = b + k
            let w = 2 * l + 1
            let i0 = l * (4 * l * l - 1) / 3 + l * w + l
            let signs = if l % 2 = 1 then odd else even
            let sc = scale[l]
            let row = NativePtr.add o (16 * k)

            for c in 0..7 do
                let f = sc * signs[c]
                let i = i0 + mp[c] * w + m[c]
                NativePtr.set fRe i (f * NativePtr.get row c)
                NativePtr.set fIm i (f * NativePtr.get row (8 + c))

    /// The synthesis of one canonical pair p (the eight orders it serves, all degrees); q is the next pair (prefetched).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private inversePair
        (s: Setup)
        (fRe: nativeptr<float>)
        (fIm: nativeptr<float>)
        (tRe: nativeptr<float>)
        (tIm: nativeptr<float>)
        (p: int)
        (q: int)
        (work: Work)
        =
        prefetchCoefficients s fRe fIm q
        let bw = s.B
        let n = 2 * bw
        let struct (_, b) = s.Pairs[p]
        let len = bw - b
        orders s p work
        let cm = work.C
        let mp, m, even, odd = work.MPrime, work.M, work.SignEven, work.SignOdd

        for k in 0 .. len - 1 do
            let l = b + k
            let w = 2 * l + 1
            let i0 = l * (4 * l * l - 1) / 3 + l * w + l
            let signs = if l % 2 = 1 then odd else even
            let row = NativePtr.add cm (16 * k)

            for c in 0..7 do
                let i = i0 + mp[c] * w + m[c]
                NativePtr.set row c (signs[c] * NativePtr.get fRe i)
                NativePtr.set row (8 + c) (signs[c] * NativePtr.get fIm i)

        fillD s p work (if s.Stream then -1 else q) tRe tIm
        let o = work.O
        So3PairsKernels.tile n work.D 1 n len cm o

        if s.Stream then
            // Stage the eight β vectors contiguously (X is free in the synthesis), then stream them out.
            let stage = work.X
            So3PairsKernels.deinterleave n o stage work.StageOffsets
            So3PairsKernels.streamOut n stage tRe work.Offsets
            So3PairsKernels.deinterleave n (NativePtr.add o 8) stage work.StageOffsets
            So3PairsKernels.streamOut n stage tIm work.Offsets
        else
            So3PairsKernels.deinterleave n o tRe work.Offsets
            So3PairsKernels.deinterleave n (NativePtr.add o 8) tIm work.Offsets

    /// Checks that an array holds at least `expected` entries.
    let private checkLength (name: string) (layout: string) (expected: int) (a: float[]) =
        if isNull a then
            nullArg name

        if a.Length < expected then
            invalidArg name (sprintf "Expected at least %s = %d entries, got %d" layout expected a.Length)

    /// Pins the arrays for the duration of body, which receives their addresses in order.
    let private pinned (arrays: float[][]) (body: nativeptr<float>[] -> unit) =
        let handles = arrays |> Array.map (fun a -> GCHandle.Alloc(a, GCHandleType.Pinned))

        try
            body (handles |> Array.map (fun h -> NativePtr.ofNativeInt (h.AddrOfPinnedObject())))
        finally
            for h in handles do
                h.Free()

    /// Checks the lengths of the spectra (at least (2B−1)² · 2B) and of the coefficients (at least B(4B²−1)/3).
    let private check (s: Setup) (spectra: (string * float[]) list) (coefficients: (string * float[]) list) =
        let w = 2 * s.B - 1

        for name, a in spectra do
            checkLength name (sprintf "(2B−1)²·2B (order (m', m) × β, B = %d)" s.B) (w * w * 2 * s.B) a

        for name, a in coefficients do
            checkLength name (sprintf "B(4B²−1)/3 (coefficients, B = %d)" s.B) (s.B * (4 * s.B * s.B - 1) / 3) a

    /// Checks that the spectra fit their arrays from the given offsets: 0 ≤ offset and offset + (2B−1)² · 2B ≤ length.
    let private checkOffsets (s: Setup) (re: string * float[] * int) (im: string * float[] * int) =
        let w = 2 * s.B - 1

        for name, a, offset in [ re; im ] do
            if offset < 0 || offset + w * w * 2 * s.B > a.Length then
                invalidArg
                    name
                    (sprintf
                        "Expected (2B−1)²·2B = %d spectrum entries from offset %d, the array holds %d"
                        (w * w * 2 * s.B)
                        offset
                        a.Length)

    /// Analysis: f^l_{m'm} = scale[l] Σ_{j<2B} d^l_{m'm}(β_j) X_{m'm}[j] for all l < B, |m'|, |m| ≤ l, from the
    /// per-order spectra in the layout of the module starting at xRe[reOffset] and xIm[imOffset]; writes every entry of
    /// (fRe, fIm).
    let forwardAt (s: Setup) (scale: float[]) (xRe: float[]) (reOffset: int) (xIm: float[]) (imOffset: int) (fRe: float[]) (fIm: float[]) =
        check s [ nameof xRe, xRe; nameof xIm, xIm ] [ nameof fRe, fRe; nameof fIm, fIm ]
        checkOffsets s (nameof xRe, xRe, reOffset) (nameof xIm, xIm, imOffset)

        if isNull scale || scale.Length < s.B then
            invalidArg (nameof scale) (sprintf "Expected a scale per degree (at least B = %d entries)" s.B)

        pinned [| xRe; xIm; fRe; fIm |] (fun ptr ->
            let x, y = NativePtr.add ptr[0] reOffset, NativePtr.add ptr[1] imOffset
            forPairs s (fun p q work -> forwardPair s scale x y ptr[2] ptr[3] p q work))

    /// `forwardAt` with the spectra at the start of (xRe, xIm).
    let forward (s: Setup) (scale: float[]) (xRe: float[]) (xIm: float[]) (fRe: float[]) (fIm: float[]) =
        forwardAt s scale xRe 0 xIm 0 fRe fIm

    /// Synthesis: T_{m'm}[j] = Σ_{l<B} f^l_{m'm} d^l_{m'm}(β_j) for all |m'|, |m| < B and j < 2B into the per-order
    /// spectra in the layout of the module starting at tRe[reOffset] and tIm[imOffset]; writes every entry.
    let inverseAt (s: Setup) (fRe: float[]) (fIm: float[]) (tRe: float[]) (reOffset: int) (tIm: float[]) (imOffset: int) =
        check s [ nameof tRe, tRe; nameof tIm, tIm ] [ nameof fRe, fRe; nameof fIm, fIm ]
        checkOffsets s (nameof tRe, tRe, reOffset) (nameof tIm, tIm, imOffset)

        pinned [| fRe; fIm; tRe; tIm |] (fun ptr ->
            let t, u = NativePtr.add ptr[2] reOffset, NativePtr.add ptr[3] imOffset
            forPairs s (fun p q work -> inversePair s ptr[0] ptr[1] t u p q work))

    /// `inverseAt` with the spectra at the start of (tRe, tIm).
    let inverse (s: Setup) (fRe: float[]) (fIm: float[]) (tRe: float[]) (tIm: float[]) = inverseAt s fRe fIm tRe 0 tIm 0
