namespace EquiSphere.Harmonics

open System
open System.Numerics
open System.Runtime.Intrinsics
open System.Runtime.CompilerServices
open System.Threading.Tasks

/// The Wigner-d step of the SO(3) FFT without tables: for each canonical index pair (a, b), 0 ≤ a ≤ b < B, the
/// vector d^l_{ab}(β_j) over all 2B grid angles is generated degree by degree by the three-term recurrence in l,
/// seeded at l = b by the closed form d^b_{ab}(β) = √((2b)!/((b+a)!(b−a)!)) cos(β/2)^{b+a} sin(β/2)^{b−a}.
/// One vector serves the eight orders (a, b), (b, a), (−b, −a), (−a, −b) (index symmetries
/// d_{m'm} = (−1)^{m'−m} d_{mm'} = d_{−m,−m'}) and (a, −b), (b, −a), (−b, a), (−a, b) (through
/// d^l_{m',−m}(β) = (−1)^{l+m'} d^l_{m'm}(π − β), i.e. the same vector read in reverse β order).
/// Spectra are laid out per order: entry [((m'+B−1)(2B−1) + (m+B−1)) · 2B + j] for β_j, j < 2B.
[<RequireQualifiedAccess>]
module internal So3Pairs =

    /// Seeds (2B per pair, for pairs in `pairs` order) are precomputed up to this bandwidth, computed per pair above.
    [<Literal>]
    let SeedTableMaxBandwidth = 128

    /// The recurrence setup of one bandwidth: pairs (a, b) ordered by decreasing cost, cos β_j, log cos(β_j/2),
    /// log sin(β_j/2), log factorials and (when B ≤ `SeedTableMaxBandwidth`) the seeds.
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
        }

    /// Writes the seed d^b_{ab}(β_j), j < 2B, into dst (values below e^{−600} are flushed to zero: no denormals).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private computeSeed (s: Setup) (a: int) (b: int) (dst: float[]) =
        let c =
            0.5 * (s.LogFactorial[2 * b] - s.LogFactorial[b + a] - s.LogFactorial[b - a])

        for j in 0 .. 2 * s.B - 1 do
            let e = c + float (b + a) * s.LogCos[j] + float (b - a) * s.LogSin[j]
            dst[j] <- if e < -600.0 then 0.0 else exp e

    /// The setup of bandwidth b.
    let setup (b: int) : Setup =
        let n = 2 * b

        let pairs =
            [|
                for bb in 0 .. b - 1 do
                    for a in 0..bb -> struct (a, bb)
            |]

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
            }

        if b <= SeedTableMaxBandwidth then
            let seeds =
                pairs
                |> Array.map (fun (struct (a, bb)) ->
                    let d = Array.zeroCreate n
                    computeSeed s a bb d
                    d)

            { s with Seeds = Some seeds }
        else
            s

    /// Per-worker scratch: the interleaved 8 complex orders × 2B angles (analysis), d^l (U) and d^{l+1} (V) over the
    /// angles, the 2 × 16 accumulated coefficients of two degrees, and the per-pair d values and coefficients of the
    /// synthesis.
    type private Work(n: int) =
        member val X = Array.zeroCreate<float>(16 * n)
        member val U = Array.zeroCreate<float> n
        member val V = Array.zeroCreate<float> n
        member val C = Array.zeroCreate<float> 32
        /// d^l_{ab}(β_j) of one pair, [j · B + (l − b)] (synthesis).
        member val Dt = Array.zeroCreate<float>(n * (n / 2))
        /// The signed coefficients of one pair's eight orders, [(l − b) · 16 + 2 · order (+1 for im)] (synthesis).
        member val Cm = Array.zeroCreate<float>(16 * (n / 2))

    /// The eight orders (m', m) of pair (a, b), whether each reads the β vector reversed, its constant sign and whether
    /// its sign alternates with l.
    let private orders (a: int) (b: int) =
        let s1 = if (b - a) % 2 = 0 then 1.0 else -1.0
        let sa = if a % 2 = 0 then 1.0 else -1.0
        let sb = if b % 2 = 0 then 1.0 else -1.0

        [|
            struct (a, b, false, 1.0, false)
            struct (b, a, false, s1, false)
            struct (-b, -a, false, 1.0, false)
            struct (-a, -b, false, s1, false)
            struct (a, -b, true, sa, true)
            struct (b, -a, true, sa, true)
            struct (-b, a, true, sb, true)
            struct (-a, b, true, sb, true)
        |]

    /// One recurrence step for pair (a, b) at degree l, in place: prev holds d^{l−1} on entry and d^{l+1} on exit,
    /// d holds d^l:
    /// √(((l+1)²−a²)((l+1)²−b²)) d^{l+1} = (2l+1)(l+1)(cos β − ab/(l(l+1))) d^l − ((l+1)/l) √((l²−a²)(l²−b²)) d^{l−1}.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private step (s: Setup) (a: int) (b: int) (l: int) (d: float[]) (prev: float[]) =
        let fl = float l
        let l1 = fl + 1.0
        let fa, fb = float a, float b
        let s1 = sqrt ((l1 * l1 - fa * fa) * (l1 * l1 - fb * fb))
        let ca = (2.0 * fl + 1.0) * l1 / s1
        let cb = if a * b = 0 then 0.0 else fa * fb / (fl * l1)

        let cc =
            if l = 0 then
                0.0
            else
                l1 / fl * sqrt ((fl * fl - fa * fa) * (fl * fl - fb * fb)) / s1

        let cosb = s.Cos
        let n = d.Length
        let vw = Vector<float>.Count
        let vca, vcb, vcc = Vector<float>(ca), Vector<float>(cb), Vector<float>(cc)
        let mutable j = 0

        while j <= n - vw do
            let r =
                vca * (Vector<float>(cosb, j) - vcb) * Vector<float>(d, j)
                - vcc * Vector<float>(prev, j)

            r.CopyTo(prev, j)
            j <- j + vw

        while j < n do
            prev[j] <- ca * (cosb[j] - cb) * d[j] - cc * prev[j]
            j <- j + 1

    /// Loads the seed d^b_{ab} of pair p = (a, b) into U and d^{b+1}_{ab} into V (when b + 1 < B).
    let private start (s: Setup) (p: int) (w: Work) =
        let struct (a, b) = s.Pairs[p]

        match s.Seeds with
        | Some seeds -> Array.blit seeds[p] 0 w.U 0 w.U.Length
        | None -> computeSeed s a b w.U

        Array.Clear w.V

        if b + 1 < s.B then
            step s a b b w.U w.V

    /// Runs body over all pairs in parallel, largest first, each worker with its own scratch.
    let private forPairs (s: Setup) (body: int -> Work -> unit) =
        let n = 2 * s.B
        let count = s.Pairs.Length

        Parallel.For(
            0,
            count,
            ParallelOptions(),
            (fun () -> Work n),
            (fun i _ (w: Work) ->
                body i w
                w),
            (fun _ -> ())
        )
        |> ignore

    /// acc[0..15] = Σ_j u[j] x[16j .. 16j+15] and, when `two`, acc[16..31] = Σ_j v[j] x[16j .. 16j+15]: the analysis
    /// of two degrees per pass over x (SIMD, eight independent 256-bit accumulators).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private dot (two: bool) (n: int) (u: float[]) (v: float[]) (x: float[]) (acc: float[]) =
        let mutable a0 = Vector256<float>.Zero
        let mutable a1 = Vector256<float>.Zero
        let mutable a2 = Vector256<float>.Zero
        let mutable a3 = Vector256<float>.Zero
        let mutable b0 = Vector256<float>.Zero
        let mutable b1 = Vector256<float>.Zero
        let mutable b2 = Vector256<float>.Zero
        let mutable b3 = Vector256<float>.Zero
        let v = if two then v else u

        for j in 0 .. n - 1 do
            let du = Vector256.Create(u[j])
            let dv = Vector256.Create(v[j])
            let o = 16 * j
            let x0 = Vector256.LoadUnsafe<float>(&x.[o])
            let x1 = Vector256.LoadUnsafe<float>(&x.[o + 4])
            let x2 = Vector256.LoadUnsafe<float>(&x.[o + 8])
            let x3 = Vector256.LoadUnsafe<float>(&x.[o + 12])
            a0 <- Vector256.MultiplyAddEstimate(du, x0, a0)
            a1 <- Vector256.MultiplyAddEstimate(du, x1, a1)
            a2 <- Vector256.MultiplyAddEstimate(du, x2, a2)
            a3 <- Vector256.MultiplyAddEstimate(du, x3, a3)
            b0 <- Vector256.MultiplyAddEstimate(dv, x0, b0)
            b1 <- Vector256.MultiplyAddEstimate(dv, x1, b1)
            b2 <- Vector256.MultiplyAddEstimate(dv, x2, b2)
            b3 <- Vector256.MultiplyAddEstimate(dv, x3, b3)

        a0.StoreUnsafe(&acc.[0])
        a1.StoreUnsafe(&acc.[4])
        a2.StoreUnsafe(&acc.[8])
        a3.StoreUnsafe(&acc.[12])
        b0.StoreUnsafe(&acc.[16])
        b1.StoreUnsafe(&acc.[20])
        b2.StoreUnsafe(&acc.[24])
        b3.StoreUnsafe(&acc.[28])

    /// acc[0..15] = Σ_{k<len} d[off + k] x[16k .. 16k+15] (SIMD, two k per iteration, eight accumulators): the
    /// synthesis at one β from the d values of all degrees of a pair.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private dotRow (len: int) (d: float[]) (off: int) (x: float[]) (acc: float[]) =
        let mutable a0 = Vector256<float>.Zero
        let mutable a1 = Vector256<float>.Zero
        let mutable a2 = Vector256<float>.Zero
        let mutable a3 = Vector256<float>.Zero
        let mutable b0 = Vector256<float>.Zero
        let mutable b1 = Vector256<float>.Zero
        let mutable b2 = Vector256<float>.Zero
        let mutable b3 = Vector256<float>.Zero
        let mutable k = 0

        while k + 1 < len do
            let d0 = Vector256.Create(d[off + k])
            let d1 = Vector256.Create(d[off + k + 1])
            let o = 16 * k
            a0 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o]), a0)
            a1 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o + 4]), a1)
            a2 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o + 8]), a2)
            a3 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o + 12]), a3)
            b0 <- Vector256.MultiplyAddEstimate(d1, Vector256.LoadUnsafe<float>(&x.[o + 16]), b0)
            b1 <- Vector256.MultiplyAddEstimate(d1, Vector256.LoadUnsafe<float>(&x.[o + 20]), b1)
            b2 <- Vector256.MultiplyAddEstimate(d1, Vector256.LoadUnsafe<float>(&x.[o + 24]), b2)
            b3 <- Vector256.MultiplyAddEstimate(d1, Vector256.LoadUnsafe<float>(&x.[o + 28]), b3)
            k <- k + 2

        if k < len then
            let d0 = Vector256.Create(d[off + k])
            let o = 16 * k
            a0 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o]), a0)
            a1 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o + 4]), a1)
            a2 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o + 8]), a2)
            a3 <- Vector256.MultiplyAddEstimate(d0, Vector256.LoadUnsafe<float>(&x.[o + 12]), a3)

        (a0 + b0).StoreUnsafe(&acc.[0])
        (a1 + b1).StoreUnsafe(&acc.[4])
        (a2 + b2).StoreUnsafe(&acc.[8])
        (a3 + b3).StoreUnsafe(&acc.[12])

    /// The packed index l(4l²−1)/3 + (m'+l)(2l+1) + (m+l) (as `So3Fft.index`).
    let inline private index (l: int) (mp: int) (m: int) =
        l * (4 * l * l - 1) / 3 + (mp + l) * (2 * l + 1) + m + l

    /// The analysis of one canonical pair p (the eight orders it serves, all degrees).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private forwardPair (s: Setup) (scale: float[]) (xRe: float[]) (xIm: float[]) (fRe: float[]) (fIm: float[]) (p: int) (work: Work) =
        let bw = s.B
        let n = 2 * bw
        let w = 2 * bw - 1
        let struct (a, b) = s.Pairs[p]
        let ords = orders a b
        let x = work.X
        let acc = work.C

        for c in 0..7 do
            let struct (mp, m, rev, _, _) = ords[c]
            let src = ((mp + bw - 1) * w + m + bw - 1) * n

            for j in 0 .. n - 1 do
                let jj = if rev then src + n - 1 - j else src + j
                x[16 * j + 2 * c] <- xRe[jj]
                x[16 * j + 2 * c + 1] <- xIm[jj]

        start s p work
        let mutable l = b

        while l < bw do
            let two = l + 1 < bw
            dot two n work.U work.V x acc

            for dl in 0 .. (if two then 1 else 0) do
                let ll = l + dl
                let odd = ll % 2 = 1

                for c in 0..7 do
                    let struct (mp, m, _, sign, alternates) = ords[c]
                    let f = scale[ll] * (if alternates && odd then -sign else sign)
                    let k = index ll mp m
                    fRe[k] <- f * acc[16 * dl + 2 * c]
                    fIm[k] <- f * acc[16 * dl + 2 * c + 1]

            if l + 2 < bw then
                step s a b (l + 1) work.V work.U

            if l + 3 < bw then
                step s a b (l + 2) work.U work.V

            l <- l + 2

    /// The synthesis of one canonical pair p (the eight orders it serves, all degrees).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private inversePair (s: Setup) (fRe: float[]) (fIm: float[]) (tRe: float[]) (tIm: float[]) (p: int) (work: Work) =
        let bw = s.B
        let n = 2 * bw
        let w = 2 * bw - 1
        let struct (a, b) = s.Pairs[p]
        let ords = orders a b
        let len = bw - b
        let dt, cm, acc = work.Dt, work.Cm, work.C
        start s p work
        let mutable l = b

        // d^l_{ab}(β_j) for all degrees, stored per β contiguous in l.
        while l < bw do
            let k = l - b
            let u, v = work.U, work.V

            for j in 0 .. n - 1 do
                dt[j * len + k] <- u[j]

            if l + 1 < bw then
                for j in 0 .. n - 1 do
                    dt[j * len + k + 1] <- v[j]

            if l + 2 < bw then
                step s a b (l + 1) work.V work.U

            if l + 3 < bw then
                step s a b (l + 2) work.U work.V

            l <- l + 2

        for ll in b .. bw - 1 do
            let odd = ll % 2 = 1
            let o = 16 * (ll - b)

            for c in 0..7 do
                let struct (mp, m, _, sign, alternates) = ords[c]
                let f = if alternates && odd then -sign else sign
                let k = index ll mp m
                cm[o + 2 * c] <- f * fRe[k]
                cm[o + 2 * c + 1] <- f * fIm[k]

        for j in 0 .. n - 1 do
            dotRow len dt (j * len) cm acc

            for c in 0..7 do
                let struct (mp, m, rev, _, _) = ords[c]
                let dst = ((mp + bw - 1) * w + m + bw - 1) * n
                let jj = if rev then dst + n - 1 - j else dst + j
                tRe[jj] <- acc[2 * c]
                tIm[jj] <- acc[2 * c + 1]

    /// Analysis: f^l_{m'm} = scale[l] Σ_{j<2B} d^l_{m'm}(β_j) X_{m'm}[j] for all l < B, |m'|, |m| ≤ l, from the
    /// per-order spectra (xRe, xIm) in the layout of the module; writes every entry of (fRe, fIm).
    let forward (s: Setup) (scale: float[]) (xRe: float[]) (xIm: float[]) (fRe: float[]) (fIm: float[]) =
        forPairs s (fun p work -> forwardPair s scale xRe xIm fRe fIm p work)

    /// Synthesis: T_{m'm}[j] = Σ_{l<B} f^l_{m'm} d^l_{m'm}(β_j) for all |m'|, |m| < B and j < 2B into (tRe, tIm) in the
    /// layout of the module; writes every entry.
    let inverse (s: Setup) (fRe: float[]) (fIm: float[]) (tRe: float[]) (tIm: float[]) =
        forPairs s (fun p work -> inversePair s fRe fIm tRe tIm p work)
