namespace EquiSphere.Harmonics

open System
open System.Runtime.Intrinsics

/// The fused recurrence-and-sum kernels of the SHT with explicit Vector512 registers (8 doubles), on chunks of 32
/// rings (4 registers, 4 independent recurrence chains), and the plan-time start table that lets each chunk skip the
/// degrees where all of its Legendre values are negligible (libsharp's "lmin per ring", per chunk of rings here).
///
/// For order m and a chunk of rings, let l₀ be the smallest degree at which some ring of the chunk has
/// |λ_l^m(θ_j)| > `threshold`. Below l₀ every value of the chunk is smaller than 1e-30 (near the poles, high m:
/// λ_m^m ∝ sin^m θ), so those terms change no result beyond 1e-30 relative and are skipped; from l₀ on the
/// recurrence starts from the exact values at l₀ and l₀ + 1, stored per ring at plan time. Chunks whose start values
/// would be subnormal for a ring that matters later (seeds that underflow at very high m) are marked for the
/// Vector&lt;T&gt; kernels, which carry scale exponents. Internal to the library.
[<RequireQualifiedAccess>]
module internal ShtFused512 =

    /// Rings per chunk: 4 Vector512 registers of 8 rings.
    let chunk = 32

    /// Legendre values at most this large are negligible (a term c_l λ_l changes results by at most 1e-30 · |c_l|).
    let threshold = 1e-30

    /// Start values smaller than this are too close to the subnormal range to seed the recurrence.
    let private tiny = 1e-280

    /// Largest bandwidth for which the start table skips negligible degrees (its plan-time cost grows as B³;
    /// above it every chunk starts at l = m from the seeds).
    let skipMaxBandwidth = 1024

    /// The start table of a plan: for order m and chunk c (rings 32c .. 32c + 31), First[m·Chunks + c] is l₀
    /// (−1: use the Vector&lt;T&gt; kernels; ≥ B: nothing to add). Where l₀ = m the recurrence starts from the seeds
    /// (ν_m = λ_m^m, ν_{m+1} = √(2m+3) cos θ λ_m^m) and Offset[m·Chunks + c] is −1; where l₀ &gt; m the rescaled
    /// values ν_{l₀}, ν_{l₀+1} of ring 32c + k are at Nu0/Nu1[Offset[m·Chunks + c] + k] (λ_l = s'_l ν_l, see
    /// `Legendre.Coefficients`).
    type Starts =
        {
            Chunks: int
            First: int[]
            Offset: int[]
            Nu0: float[]
            Nu1: float[]
        }

    /// The start table for bandwidth b (b a multiple of 32 gives b/32 chunks; other rings use the Vector&lt;T&gt;
    /// kernels), from the plan's recurrence coefficients, cosines and scaled seeds.
    let starts (c: Legendre.Coefficients) (b: int) (xs: float[]) (seedV: float[]) (seedE: int[]) : Starts =
        let chunks = b / chunk
        let first = Array.create (b * chunks) -1
        let offset = Array.create (b * chunks) -1
        let nu0 = ResizeArray<float>()
        let nu1 = ResizeArray<float>()
        let v0s = Array.zeroCreate chunk
        let v1s = Array.zeroCreate chunk
        let skip = b <= skipMaxBandwidth
        // True values λ_l of the chunk's rings, l − m at [k·b + l − m], computed up to each ring's first
        // significant degree + 1.
        let values = Array.zeroCreate (chunk * b)
        let significant = Array.zeroCreate chunk
        let computed = Array.zeroCreate chunk
        let big = Math.Pow(2.0, 400.0)
        let small = Math.Pow(2.0, -400.0)

        let unscale (v: float) (e: int) =
            if e = 0 then v
            elif e = 1 then v * small
            elif e = 2 then v * small * small
            else 0.0

        for m in 0 .. b - 1 do
            let c1 = sqrt (float (2 * m + 3))

            for ch in 0 .. chunks - 1 do
                for k in 0 .. chunk - 1 do
                    let j = ch * chunk + k
                    let x = xs[j]
                    let mutable e = seedE[m * b + j]
                    let mutable p2 = seedV[m * b + j]
                    values[k * b] <- unscale p2 e
                    let mutable lsig = if not skip || abs values[k * b] > threshold then m else b
                    let mutable l = m + 1
                    let mutable p1 = c1 * x * p2
                    let mutable i = Legendre.triangularIndex (m + 2) m
                    // Run until one degree past the first significant one (or to the end).
                    while l < b && l <= lsig + 1 do
                        if l > m + 1 then
                            let p = c.A[i] * (x * p1 - c.B[i] * p2)
                            p2 <- p1
                            p1 <- p
                            i <- i + l + 1

                            if e > 0 && abs p1 > big then
                                p1 <- p1 * small
                                p2 <- p2 * small
                                e <- e - 1

                        let v = unscale p1 e
                        values[k * b + l - m] <- v

                        if lsig = b && abs v > threshold then
                            lsig <- l

                        l <- l + 1

                    significant[k] <- lsig
                    computed[k] <- l

                let l0 = Array.min significant

                if l0 >= b then
                    first[m * chunks + ch] <- b
                else
                    let mutable fast = true

                    for k in 0 .. chunk - 1 do
                        let v0 = values[k * b + l0 - m]
                        let v1 = if l0 + 1 < b then values[k * b + l0 + 1 - m] else 1.0

                        if significant[k] < b && (abs v0 < tiny || abs v1 < tiny) then
                            fast <- false

                        v0s[k] <- v0 / c.Scale[Legendre.triangularIndex l0 m]

                        v1s[k] <-
                            if l0 + 1 < b then
                                v1 / c.Scale[Legendre.triangularIndex (l0 + 1) m]
                            else
                                0.0

                    if fast then
                        first[m * chunks + ch] <- l0

                        let mutable scaled = false

                        for k in 0 .. chunk - 1 do
                            if seedE[m * b + ch * chunk + k] <> 0 then
                                scaled <- true

                        if l0 > m || scaled then
                            offset[m * chunks + ch] <- nu0.Count
                            nu0.AddRange v0s
                            nu1.AddRange v1s

        {
            Chunks = chunks
            First = first
            Offset = offset
            Nu0 = nu0.ToArray()
            Nu1 = nu1.ToArray()
        }

    /// Synthesis sums of order m for the chunk of rings j₀ .. j₀ + 31 from degree l0 on: E_j = Σ_{l−m even} c_l λ_l
    /// and O_j = Σ_{l−m odd} c_l λ_l, written to eRe/eIm/oRe/oIm[o + j]. csRe/csIm[l] hold c_l·s'_l (the rescaled
    /// recurrence's coefficients); alpha: α'_l at l(l+1)/2 + m; xs: cos θ_j; nu0/nu1[so + k]: ν_{l0}, ν_{l0+1} of
    /// ring j₀ + k, or, when `seeded`, nu0[so + k] the seed λ_m^m (l0 = m) and ν_{m+1} = √(2m+3) cos θ λ_m^m.
    let synthesis
        (alpha: float[])
        (m: int)
        (b: int)
        (l0: int)
        (xs: float[])
        (nu0: float[])
        (nu1: float[])
        (so: int)
        (seeded: bool)
        (j0: int)
        (csRe: float[])
        (csIm: float[])
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        =
        let c1 = Vector512.Create(sqrt (float (2 * m + 3)))
        let x0 = V512.load xs j0
        let x1 = V512.load xs (j0 + 8)
        let x2 = V512.load xs (j0 + 16)
        let x3 = V512.load xs (j0 + 24)
        let mutable q0 = V512.load nu0 (so)
        let mutable q1 = V512.load nu0 (so + 8)
        let mutable q2 = V512.load nu0 (so + 16)
        let mutable q3 = V512.load nu0 (so + 24)
        // A: degrees of l0's parity, B: the others.
        let cr = Vector512.Create(csRe[l0])
        let ci = Vector512.Create(csIm[l0])
        let mutable ar0 = cr * q0
        let mutable ai0 = ci * q0
        let mutable ar1 = cr * q1
        let mutable ai1 = ci * q1
        let mutable ar2 = cr * q2
        let mutable ai2 = ci * q2
        let mutable ar3 = cr * q3
        let mutable ai3 = ci * q3
        let mutable br0 = Vector512<float>.Zero
        let mutable bi0 = Vector512<float>.Zero
        let mutable br1 = Vector512<float>.Zero
        let mutable bi1 = Vector512<float>.Zero
        let mutable br2 = Vector512<float>.Zero
        let mutable bi2 = Vector512<float>.Zero
        let mutable br3 = Vector512<float>.Zero
        let mutable bi3 = Vector512<float>.Zero

        if l0 + 1 < b then
            let mutable p0 = if seeded then c1 * x0 * q0 else V512.load nu1 (so)
            let mutable p1 = if seeded then c1 * x1 * q1 else V512.load nu1 (so + 8)
            let mutable p2 = if seeded then c1 * x2 * q2 else V512.load nu1 (so + 16)
            let mutable p3 = if seeded then c1 * x3 * q3 else V512.load nu1 (so + 24)
            let cr = Vector512.Create(csRe[l0 + 1])
            let ci = Vector512.Create(csIm[l0 + 1])
            br0 <- cr * p0
            bi0 <- ci * p0
            br1 <- cr * p1
            bi1 <- ci * p1
            br2 <- cr * p2
            bi2 <- ci * p2
            br3 <- cr * p3
            bi3 <- ci * p3
            let mutable l = l0 + 2
            let mutable i = Legendre.triangularIndex l m

            while l + 1 < b do
                let av = Vector512.Create(alpha[i])
                let cr = Vector512.Create(csRe[l])
                let ci = Vector512.Create(csIm[l])
                q0 <- Vector512.FusedMultiplyAdd(av * x0, p0, q0)
                q1 <- Vector512.FusedMultiplyAdd(av * x1, p1, q1)
                q2 <- Vector512.FusedMultiplyAdd(av * x2, p2, q2)
                q3 <- Vector512.FusedMultiplyAdd(av * x3, p3, q3)
                ar0 <- Vector512.FusedMultiplyAdd(cr, q0, ar0)
                ai0 <- Vector512.FusedMultiplyAdd(ci, q0, ai0)
                ar1 <- Vector512.FusedMultiplyAdd(cr, q1, ar1)
                ai1 <- Vector512.FusedMultiplyAdd(ci, q1, ai1)
                ar2 <- Vector512.FusedMultiplyAdd(cr, q2, ar2)
                ai2 <- Vector512.FusedMultiplyAdd(ci, q2, ai2)
                ar3 <- Vector512.FusedMultiplyAdd(cr, q3, ar3)
                ai3 <- Vector512.FusedMultiplyAdd(ci, q3, ai3)
                i <- i + l + 1
                let av = Vector512.Create(alpha[i])
                let cr = Vector512.Create(csRe[l + 1])
                let ci = Vector512.Create(csIm[l + 1])
                p0 <- Vector512.FusedMultiplyAdd(av * x0, q0, p0)
                p1 <- Vector512.FusedMultiplyAdd(av * x1, q1, p1)
                p2 <- Vector512.FusedMultiplyAdd(av * x2, q2, p2)
                p3 <- Vector512.FusedMultiplyAdd(av * x3, q3, p3)
                br0 <- Vector512.FusedMultiplyAdd(cr, p0, br0)
                bi0 <- Vector512.FusedMultiplyAdd(ci, p0, bi0)
                br1 <- Vector512.FusedMultiplyAdd(cr, p1, br1)
                bi1 <- Vector512.FusedMultiplyAdd(ci, p1, bi1)
                br2 <- Vector512.FusedMultiplyAdd(cr, p2, br2)
                bi2 <- Vector512.FusedMultiplyAdd(ci, p2, bi2)
                br3 <- Vector512.FusedMultiplyAdd(cr, p3, br3)
                bi3 <- Vector512.FusedMultiplyAdd(ci, p3, bi3)
                i <- i + l + 2
                l <- l + 2

            if l < b then
                let av = Vector512.Create(alpha[i])
                let cr = Vector512.Create(csRe[l])
                let ci = Vector512.Create(csIm[l])
                q0 <- Vector512.FusedMultiplyAdd(av * x0, p0, q0)
                q1 <- Vector512.FusedMultiplyAdd(av * x1, p1, q1)
                q2 <- Vector512.FusedMultiplyAdd(av * x2, p2, q2)
                q3 <- Vector512.FusedMultiplyAdd(av * x3, p3, q3)
                ar0 <- Vector512.FusedMultiplyAdd(cr, q0, ar0)
                ai0 <- Vector512.FusedMultiplyAdd(ci, q0, ai0)
                ar1 <- Vector512.FusedMultiplyAdd(cr, q1, ar1)
                ai1 <- Vector512.FusedMultiplyAdd(ci, q1, ai1)
                ar2 <- Vector512.FusedMultiplyAdd(cr, q2, ar2)
                ai2 <- Vector512.FusedMultiplyAdd(ci, q2, ai2)
                ar3 <- Vector512.FusedMultiplyAdd(cr, q3, ar3)
                ai3 <- Vector512.FusedMultiplyAdd(ci, q3, ai3)

        // l0 − m even: A holds the even degrees (E), B the odd ones (O); odd: the other way round.
        let even = (l0 - m) % 2 = 0
        let er, ei, orr, oi = (if even then eRe, eIm, oRe, oIm else oRe, oIm, eRe, eIm)
        V512.store ar0 er (o + j0)
        V512.store ar1 er (o + j0 + 8)
        V512.store ar2 er (o + j0 + 16)
        V512.store ar3 er (o + j0 + 24)
        V512.store ai0 ei (o + j0)
        V512.store ai1 ei (o + j0 + 8)
        V512.store ai2 ei (o + j0 + 16)
        V512.store ai3 ei (o + j0 + 24)
        V512.store br0 orr (o + j0)
        V512.store br1 orr (o + j0 + 8)
        V512.store br2 orr (o + j0 + 16)
        V512.store br3 orr (o + j0 + 24)
        V512.store bi0 oi (o + j0)
        V512.store bi1 oi (o + j0 + 8)
        V512.store bi2 oi (o + j0 + 16)
        V512.store bi3 oi (o + j0 + 24)

    /// Analysis partial sums of order m for the chunk of rings j₀ .. j₀ + 31 from degree l0 on: for each l ≥ l0,
    /// Σ_j ν_l(θ_j) (E_j if l − m is even, else O_j) summed over the chunk's rings lane-wise and added to the
    /// 8-lane partial sums acc[(l − m)·8] (real) and acc[(b − m + l − m)·8] (imaginary). The caller reduces the
    /// lanes and multiplies by s'_l. Arguments as in `synthesis`; eRe/eIm/oRe/oIm[o + j]: ring-pair sums and
    /// differences.
    let analysis
        (alpha: float[])
        (m: int)
        (b: int)
        (l0: int)
        (xs: float[])
        (nu0: float[])
        (nu1: float[])
        (so: int)
        (seeded: bool)
        (j0: int)
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        (acc: float[])
        =
        let c1 = Vector512.Create(sqrt (float (2 * m + 3)))
        let count = b - m
        let even = (l0 - m) % 2 = 0
        // A: the data of l0's parity, B: the other.
        let aRe, aIm, bRe, bIm = (if even then eRe, eIm, oRe, oIm else oRe, oIm, eRe, eIm)
        let xa0 = V512.load aRe (o + j0)
        let xa1 = V512.load aRe (o + j0 + 8)
        let xa2 = V512.load aRe (o + j0 + 16)
        let xa3 = V512.load aRe (o + j0 + 24)
        let ya0 = V512.load aIm (o + j0)
        let ya1 = V512.load aIm (o + j0 + 8)
        let ya2 = V512.load aIm (o + j0 + 16)
        let ya3 = V512.load aIm (o + j0 + 24)
        let xb0 = V512.load bRe (o + j0)
        let xb1 = V512.load bRe (o + j0 + 8)
        let xb2 = V512.load bRe (o + j0 + 16)
        let xb3 = V512.load bRe (o + j0 + 24)
        let yb0 = V512.load bIm (o + j0)
        let yb1 = V512.load bIm (o + j0 + 8)
        let yb2 = V512.load bIm (o + j0 + 16)
        let yb3 = V512.load bIm (o + j0 + 24)
        let x0 = V512.load xs j0
        let x1 = V512.load xs (j0 + 8)
        let x2 = V512.load xs (j0 + 16)
        let x3 = V512.load xs (j0 + 24)
        let mutable q0 = V512.load nu0 (so)
        let mutable q1 = V512.load nu0 (so + 8)
        let mutable q2 = V512.load nu0 (so + 16)
        let mutable q3 = V512.load nu0 (so + 24)

        let inline addA (k: int) (q0: Vector512<float>) (q1: Vector512<float>) (q2: Vector512<float>) (q3: Vector512<float>) =
            let mutable sr = V512.load acc (k * 8)
            let mutable si = V512.load acc ((count + k) * 8)
            sr <- Vector512.FusedMultiplyAdd(q0, xa0, sr)
            si <- Vector512.FusedMultiplyAdd(q0, ya0, si)
            sr <- Vector512.FusedMultiplyAdd(q1, xa1, sr)
            si <- Vector512.FusedMultiplyAdd(q1, ya1, si)
            sr <- Vector512.FusedMultiplyAdd(q2, xa2, sr)
            si <- Vector512.FusedMultiplyAdd(q2, ya2, si)
            sr <- Vector512.FusedMultiplyAdd(q3, xa3, sr)
            si <- Vector512.FusedMultiplyAdd(q3, ya3, si)
            V512.store sr acc (k * 8)
            V512.store si acc ((count + k) * 8)

        let inline addB (k: int) (q0: Vector512<float>) (q1: Vector512<float>) (q2: Vector512<float>) (q3: Vector512<float>) =
            let mutable sr = V512.load acc (k * 8)
            let mutable si = V512.load acc ((count + k) * 8)
            sr <- Vector512.FusedMultiplyAdd(q0, xb0, sr)
            si <- Vector512.FusedMultiplyAdd(q0, yb0, si)
            sr <- Vector512.FusedMultiplyAdd(q1, xb1, sr)
            si <- Vector512.FusedMultiplyAdd(q1, yb1, si)
            sr <- Vector512.FusedMultiplyAdd(q2, xb2, sr)
            si <- Vector512.FusedMultiplyAdd(q2, yb2, si)
            sr <- Vector512.FusedMultiplyAdd(q3, xb3, sr)
            si <- Vector512.FusedMultiplyAdd(q3, yb3, si)
            V512.store sr acc (k * 8)
            V512.store si acc ((count + k) * 8)

        addA (l0 - m) q0 q1 q2 q3

        if l0 + 1 < b then
            let mutable p0 = if seeded then c1 * x0 * q0 else V512.load nu1 (so)
            let mutable p1 = if seeded then c1 * x1 * q1 else V512.load nu1 (so + 8)
            let mutable p2 = if seeded then c1 * x2 * q2 else V512.load nu1 (so + 16)
            let mutable p3 = if seeded then c1 * x3 * q3 else V512.load nu1 (so + 24)
            addB (l0 + 1 - m) p0 p1 p2 p3
            let mutable l = l0 + 2
            let mutable i = Legendre.triangularIndex l m

            while l + 1 < b do
                let av = Vector512.Create(alpha[i])
                q0 <- Vector512.FusedMultiplyAdd(av * x0, p0, q0)
                q1 <- Vector512.FusedMultiplyAdd(av * x1, p1, q1)
                q2 <- Vector512.FusedMultiplyAdd(av * x2, p2, q2)
                q3 <- Vector512.FusedMultiplyAdd(av * x3, p3, q3)
                addA (l - m) q0 q1 q2 q3
                i <- i + l + 1
                let av = Vector512.Create(alpha[i])
                p0 <- Vector512.FusedMultiplyAdd(av * x0, q0, p0)
                p1 <- Vector512.FusedMultiplyAdd(av * x1, q1, p1)
                p2 <- Vector512.FusedMultiplyAdd(av * x2, q2, p2)
                p3 <- Vector512.FusedMultiplyAdd(av * x3, q3, p3)
                addB (l + 1 - m) p0 p1 p2 p3
                i <- i + l + 2
                l <- l + 2

            if l < b then
                let av = Vector512.Create(alpha[i])
                q0 <- Vector512.FusedMultiplyAdd(av * x0, p0, q0)
                q1 <- Vector512.FusedMultiplyAdd(av * x1, p1, q1)
                q2 <- Vector512.FusedMultiplyAdd(av * x2, p2, q2)
                q3 <- Vector512.FusedMultiplyAdd(av * x3, p3, q3)
                addA (l - m) q0 q1 q2 q3
