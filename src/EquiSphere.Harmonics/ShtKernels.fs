namespace EquiSphere.Harmonics

open System.Numerics
open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86

/// The SIMD width of the SHT kernels: `Vector` is System.Numerics.Vector&lt;T&gt; (whatever width the runtime gives it,
/// 256 bits on AVX2 and, by default, AVX-512 machines), `Vector512` the explicit 512-bit kernels. Both give the same
/// results up to rounding. Internal to the library.
[<RequireQualifiedAccess>]
type internal SimdWidth =
    /// System.Numerics.Vector&lt;T&gt; kernels (the portable fallback).
    | Vector
    /// Explicit Vector512 kernels (8 doubles or 16 floats per register).
    | Vector512

/// The SIMD width a plan uses by default.
[<RequireQualifiedAccess>]
module internal SimdWidth =

    [<assembly: InternalsVisibleTo("EquiSphere.Harmonics.Tests")>]
    do ()

    /// Vector512 where the hardware accelerates it (AVX-512), else Vector&lt;T&gt;.
    let best =
        if Vector512.IsHardwareAccelerated then
            SimdWidth.Vector512
        else
            SimdWidth.Vector

/// Array loads and stores of Vector512 registers (bounds-checked through spans).
[<RequireQualifiedAccess>]
module internal V512 =

    /// The 8 doubles a[i .. i + 7].
    let inline load (a: float[]) (i: int) =
        Vector512.Create<float>(System.ReadOnlySpan<float>(a, i, 8))

    /// Writes v to a[i .. i + 7].
    let inline store (v: Vector512<float>) (a: float[]) (i: int) = v.CopyTo(System.Span<float>(a, i, 8))

    /// The transpose of the 8 × 8 matrix whose rows are r0 … r7 (AVX-512): column k as the k-th result.
    let inline transpose8
        (r0: Vector512<float>)
        (r1: Vector512<float>)
        (r2: Vector512<float>)
        (r3: Vector512<float>)
        (r4: Vector512<float>)
        (r5: Vector512<float>)
        (r6: Vector512<float>)
        (r7: Vector512<float>)
        =
        // Pairs of rows interleaved: t0 = (r0₀ r1₀ r0₂ r1₂ r0₄ r1₄ r0₆ r1₆), t1 the odd columns, …
        let t0 = Avx512F.UnpackLow(r0, r1)
        let t1 = Avx512F.UnpackHigh(r0, r1)
        let t2 = Avx512F.UnpackLow(r2, r3)
        let t3 = Avx512F.UnpackHigh(r2, r3)
        let t4 = Avx512F.UnpackLow(r4, r5)
        let t5 = Avx512F.UnpackHigh(r4, r5)
        let t6 = Avx512F.UnpackLow(r6, r7)
        let t7 = Avx512F.UnpackHigh(r6, r7)
        // 128-bit blocks: 0x88 takes blocks (0, 2) of each source, 0xDD blocks (1, 3).
        let u0 = Avx512F.Shuffle4x128(t0, t2, 0x88uy)
        let u1 = Avx512F.Shuffle4x128(t0, t2, 0xDDuy)
        let u2 = Avx512F.Shuffle4x128(t1, t3, 0x88uy)
        let u3 = Avx512F.Shuffle4x128(t1, t3, 0xDDuy)
        let u4 = Avx512F.Shuffle4x128(t4, t6, 0x88uy)
        let u5 = Avx512F.Shuffle4x128(t4, t6, 0xDDuy)
        let u6 = Avx512F.Shuffle4x128(t5, t7, 0x88uy)
        let u7 = Avx512F.Shuffle4x128(t5, t7, 0xDDuy)

        struct (Avx512F.Shuffle4x128(u0, u4, 0x88uy),
                Avx512F.Shuffle4x128(u2, u6, 0x88uy),
                Avx512F.Shuffle4x128(u1, u5, 0x88uy),
                Avx512F.Shuffle4x128(u3, u7, 0x88uy),
                Avx512F.Shuffle4x128(u0, u4, 0xDDuy),
                Avx512F.Shuffle4x128(u2, u6, 0xDDuy),
                Avx512F.Shuffle4x128(u1, u5, 0xDDuy),
                Avx512F.Shuffle4x128(u3, u7, 0xDDuy))

    /// The sum of the 16 lanes of v.
    let inline sum32 (v: Vector512<float32>) =
        Vector256.Sum(v.GetLower() + v.GetUpper())

    /// The 16 floats a[i .. i + 15].
    let inline load32 (a: float32[]) (i: int) =
        Vector512.Create<float32>(System.ReadOnlySpan<float32>(a, i, 16))

    /// Writes v to a[i .. i + 15].
    let inline store32 (v: Vector512<float32>) (a: float32[]) (i: int) =
        v.CopyTo(System.Span<float32>(a, i, 16))

/// The inner loops of the SHT (Legendre sums over rings for one order m), in float64 and float32: SIMD over
/// rings with `System.Numerics.Vector`, fused multiply-adds, and register blocking. Internal to the library.
[<RequireQualifiedAccess>]
module internal ShtKernels =

    /// Synthesis sums of one coefficient set for order m: E_j = Σ_{l−m even} c_l λ_l^m(θ_j) and
    /// O_j = Σ_{l−m odd} c_l λ_l^m(θ_j) for the northern rings j &lt; b, written (not added) to
    /// eRe/eIm/oRe/oIm at [o + j]. The Legendre block has λ_l^m(θ_j) at off + (l − m)·b + j; the coefficients are
    /// at cRe/cIm[co + l]. Register-blocked: 2 SIMD vectors of rings × (E, O) × (re, im) accumulators over l.
    let synthesis64
        (t: float[])
        (off: int)
        (b: int)
        (m: int)
        (cRe: float[])
        (cIm: float[])
        (co: int)
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        =
        let w = Vector<float>.Count
        let nv = b / w
        let mutable v = 0

        while v < nv do
            let j0 = v * w
            let two = v + 1 < nv
            let mutable er0 = Vector<float>.Zero
            let mutable ei0 = Vector<float>.Zero
            let mutable or0 = Vector<float>.Zero
            let mutable oi0 = Vector<float>.Zero
            let mutable er1 = Vector<float>.Zero
            let mutable ei1 = Vector<float>.Zero
            let mutable or1 = Vector<float>.Zero
            let mutable oi1 = Vector<float>.Zero
            let mutable l = m

            if two then
                while l + 1 < b do
                    let r0 = off + (l - m) * b + j0
                    let r1 = r0 + b
                    let ta = Vector<float>(t, r0)
                    let tb = Vector<float>(t, r0 + w)
                    let ua = Vector<float>(t, r1)
                    let ub = Vector<float>(t, r1 + w)
                    let cer = Vector<float>(cRe[co + l])
                    let cei = Vector<float>(cIm[co + l])
                    let cor = Vector<float>(cRe[co + l + 1])
                    let coi = Vector<float>(cIm[co + l + 1])
                    er0 <- Vector.FusedMultiplyAdd(cer, ta, er0)
                    er1 <- Vector.FusedMultiplyAdd(cer, tb, er1)
                    ei0 <- Vector.FusedMultiplyAdd(cei, ta, ei0)
                    ei1 <- Vector.FusedMultiplyAdd(cei, tb, ei1)
                    or0 <- Vector.FusedMultiplyAdd(cor, ua, or0)
                    or1 <- Vector.FusedMultiplyAdd(cor, ub, or1)
                    oi0 <- Vector.FusedMultiplyAdd(coi, ua, oi0)
                    oi1 <- Vector.FusedMultiplyAdd(coi, ub, oi1)
                    l <- l + 2

                if l < b then
                    let r0 = off + (l - m) * b + j0
                    let ta = Vector<float>(t, r0)
                    let tb = Vector<float>(t, r0 + w)
                    let cer = Vector<float>(cRe[co + l])
                    let cei = Vector<float>(cIm[co + l])
                    er0 <- Vector.FusedMultiplyAdd(cer, ta, er0)
                    er1 <- Vector.FusedMultiplyAdd(cer, tb, er1)
                    ei0 <- Vector.FusedMultiplyAdd(cei, ta, ei0)
                    ei1 <- Vector.FusedMultiplyAdd(cei, tb, ei1)

                er1.CopyTo(eRe, o + j0 + w)
                ei1.CopyTo(eIm, o + j0 + w)
                or1.CopyTo(oRe, o + j0 + w)
                oi1.CopyTo(oIm, o + j0 + w)
                v <- v + 2
            else
                while l + 1 < b do
                    let r0 = off + (l - m) * b + j0
                    let ta = Vector<float>(t, r0)
                    let ua = Vector<float>(t, r0 + b)
                    er0 <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l]), ta, er0)
                    ei0 <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l]), ta, ei0)
                    or0 <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l + 1]), ua, or0)
                    oi0 <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l + 1]), ua, oi0)
                    l <- l + 2

                if l < b then
                    let ta = Vector<float>(t, off + (l - m) * b + j0)
                    er0 <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l]), ta, er0)
                    ei0 <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l]), ta, ei0)

                v <- v + 1

            er0.CopyTo(eRe, o + j0)
            ei0.CopyTo(eIm, o + j0)
            or0.CopyTo(oRe, o + j0)
            oi0.CopyTo(oIm, o + j0)

        for j in nv * w .. b - 1 do
            let mutable er = 0.0
            let mutable ei = 0.0
            let mutable orr = 0.0
            let mutable oi = 0.0

            for l in m .. b - 1 do
                let x = t[off + (l - m) * b + j]

                if (l - m) % 2 = 0 then
                    er <- er + cRe[co + l] * x
                    ei <- ei + cIm[co + l] * x
                else
                    orr <- orr + cRe[co + l] * x
                    oi <- oi + cIm[co + l] * x

            eRe[o + j] <- er
            eIm[o + j] <- ei
            oRe[o + j] <- orr
            oIm[o + j] <- oi

    /// Analysis sums of one set for order m: c_l = Σ_{j&lt;b} λ_l^m(θ_j) (E_j if l − m is even, else O_j), written
    /// to cRe/cIm[co + l] for l = m..b−1; E/O (ring-pair sums and differences) at eRe/eIm/oRe/oIm[o + j].
    /// Register-blocked over 4 degrees at a time (2 even, 2 odd) with SIMD over rings.
    let analysis64
        (t: float[])
        (off: int)
        (b: int)
        (m: int)
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        (cRe: float[])
        (cIm: float[])
        (co: int)
        =
        let w = Vector<float>.Count
        let nv = b / w
        let mutable l = m

        while l + 3 < b do
            let r0 = off + (l - m) * b
            let r1 = r0 + b
            let r2 = r1 + b
            let r3 = r2 + b
            let mutable a0r = Vector<float>.Zero
            let mutable a0i = Vector<float>.Zero
            let mutable a1r = Vector<float>.Zero
            let mutable a1i = Vector<float>.Zero
            let mutable a2r = Vector<float>.Zero
            let mutable a2i = Vector<float>.Zero
            let mutable a3r = Vector<float>.Zero
            let mutable a3i = Vector<float>.Zero

            for v in 0 .. nv - 1 do
                let j = v * w
                let xr = Vector<float>(eRe, o + j)
                let xi = Vector<float>(eIm, o + j)
                let yr = Vector<float>(oRe, o + j)
                let yi = Vector<float>(oIm, o + j)
                let t0 = Vector<float>(t, r0 + j)
                let t1 = Vector<float>(t, r1 + j)
                let t2 = Vector<float>(t, r2 + j)
                let t3 = Vector<float>(t, r3 + j)
                a0r <- Vector.FusedMultiplyAdd(t0, xr, a0r)
                a0i <- Vector.FusedMultiplyAdd(t0, xi, a0i)
                a1r <- Vector.FusedMultiplyAdd(t1, yr, a1r)
                a1i <- Vector.FusedMultiplyAdd(t1, yi, a1i)
                a2r <- Vector.FusedMultiplyAdd(t2, xr, a2r)
                a2i <- Vector.FusedMultiplyAdd(t2, xi, a2i)
                a3r <- Vector.FusedMultiplyAdd(t3, yr, a3r)
                a3i <- Vector.FusedMultiplyAdd(t3, yi, a3i)

            let mutable s0r = Vector.Sum a0r
            let mutable s0i = Vector.Sum a0i
            let mutable s1r = Vector.Sum a1r
            let mutable s1i = Vector.Sum a1i
            let mutable s2r = Vector.Sum a2r
            let mutable s2i = Vector.Sum a2i
            let mutable s3r = Vector.Sum a3r
            let mutable s3i = Vector.Sum a3i

            for j in nv * w .. b - 1 do
                s0r <- s0r + t[r0 + j] * eRe[o + j]
                s0i <- s0i + t[r0 + j] * eIm[o + j]
                s1r <- s1r + t[r1 + j] * oRe[o + j]
                s1i <- s1i + t[r1 + j] * oIm[o + j]
                s2r <- s2r + t[r2 + j] * eRe[o + j]
                s2i <- s2i + t[r2 + j] * eIm[o + j]
                s3r <- s3r + t[r3 + j] * oRe[o + j]
                s3i <- s3i + t[r3 + j] * oIm[o + j]

            cRe[co + l] <- s0r
            cIm[co + l] <- s0i
            cRe[co + l + 1] <- s1r
            cIm[co + l + 1] <- s1i
            cRe[co + l + 2] <- s2r
            cIm[co + l + 2] <- s2i
            cRe[co + l + 3] <- s3r
            cIm[co + l + 3] <- s3i
            l <- l + 4

        while l < b do
            let r = off + (l - m) * b
            let xRe, xIm = if (l - m) % 2 = 0 then eRe, eIm else oRe, oIm
            let mutable ar = Vector<float>.Zero
            let mutable ai = Vector<float>.Zero

            for v in 0 .. nv - 1 do
                let j = v * w
                let tv = Vector<float>(t, r + j)
                ar <- Vector.FusedMultiplyAdd(tv, Vector<float>(xRe, o + j), ar)
                ai <- Vector.FusedMultiplyAdd(tv, Vector<float>(xIm, o + j), ai)

            let mutable sr = Vector.Sum ar
            let mutable si = Vector.Sum ai

            for j in nv * w .. b - 1 do
                sr <- sr + t[r + j] * xRe[o + j]
                si <- si + t[r + j] * xIm[o + j]

            cRe[co + l] <- sr
            cIm[co + l] <- si
            l <- l + 1

    /// 2^400 and 2^(−400): the scaled-seed convention of `Legendre` (true value = mantissa · 2^(−400e)).
    let private big = System.Math.Pow(2.0, 400.0)

    let private small = System.Math.Pow(2.0, -400.0)

    let inline private scaleOf (e: int) =
        if e = 0 then 1.0
        elif e = 1 then small
        elif e = 2 then small * small
        else 0.0

    /// Whether the seeds e[start .. start + count − 1] carry no scale exponent.
    let private unscaled (e: int[]) (start: int) (count: int) =
        let mutable ok = true
        let mutable k = 0

        while ok && k < count do
            ok <- e[start + k] = 0
            k <- k + 1

        ok

    /// Rescales the lanes of (p, q) whose exponent is positive and whose newest value p exceeds 2^400:
    /// p, q ← p·2^(−400), q·2^(−400), exponent − 1. Lane state lives in `lanes` ([p; q; scale] × width) and `e`.
    let private rescaleLanes (width: int) (lanes: float[]) (e: int[]) =
        for k in 0 .. width - 1 do
            if e[k] > 0 && abs lanes[k] > big then
                lanes[k] <- lanes[k] * small
                lanes[width + k] <- lanes[width + k] * small
                e[k] <- e[k] - 1
                lanes[2 * width + k] <- scaleOf e[k]

    /// Fused recurrence-and-synthesis for order m (float64, one coefficient set): for the northern rings
    /// jFrom ≤ j &lt; jTo computes E_j = Σ_{l−m even} c_l λ_l^m(θ_j) and O_j = Σ_{l−m odd} c_l λ_l^m(θ_j) directly from
    /// the l-recurrence (no Legendre table), SIMD over chunks of rings, written to eRe/eIm/oRe/oIm at [o + j].
    /// a, bc: recurrence coefficients at l(l+1)/2 + m; xs: cos θ_j; (seedV, seedE)[so + j]: scaled seeds.
    let synthesisFused64
        (a: float[])
        (bc: float[])
        (alpha: float[])
        (scale: float[])
        (m: int)
        (b: int)
        (xs: float[])
        (seedV: float[])
        (seedE: int[])
        (so: int)
        (jFrom: int)
        (jTo: int)
        (cRe: float[])
        (cIm: float[])
        (co: int)
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        (csRe: float[])
        (csIm: float[])
        =
        let w = Vector<float>.Count
        let lanes = Array.zeroCreate (3 * w)
        let ex = Array.zeroCreate w
        let c1 = sqrt (float (2 * m + 3))
        let bigV = Vector<float>(big)
        // The fast path runs the rescaled recurrence ν_l; its coefficients absorb λ_l = s'_l ν_l.
        for l in m .. b - 1 do
            let sl = scale[(l * (l + 1)) / 2 + m]
            csRe[l] <- cRe[co + l] * sl
            csIm[l] <- cIm[co + l] * sl

        let mutable j0 = jFrom

        while j0 < jTo do
            let mutable width = min w (jTo - j0)

            if j0 + 4 * w <= jTo && unscaled seedE (so + j0) (4 * w) then
                width <- 4 * w
                let x0 = Vector<float>(xs, j0 + 0 * w)
                let mutable q0 = Vector<float>(seedV, so + j0 + 0 * w)
                let mutable er0 = Vector<float>(csRe[m]) * q0
                let mutable ei0 = Vector<float>(csIm[m]) * q0
                let mutable or0 = Vector<float>.Zero
                let mutable oi0 = Vector<float>.Zero
                let mutable p0 = Vector<float>.Zero
                let x1 = Vector<float>(xs, j0 + 1 * w)
                let mutable q1 = Vector<float>(seedV, so + j0 + 1 * w)
                let mutable er1 = Vector<float>(csRe[m]) * q1
                let mutable ei1 = Vector<float>(csIm[m]) * q1
                let mutable or1 = Vector<float>.Zero
                let mutable oi1 = Vector<float>.Zero
                let mutable p1 = Vector<float>.Zero
                let x2 = Vector<float>(xs, j0 + 2 * w)
                let mutable q2 = Vector<float>(seedV, so + j0 + 2 * w)
                let mutable er2 = Vector<float>(csRe[m]) * q2
                let mutable ei2 = Vector<float>(csIm[m]) * q2
                let mutable or2 = Vector<float>.Zero
                let mutable oi2 = Vector<float>.Zero
                let mutable p2 = Vector<float>.Zero
                let x3 = Vector<float>(xs, j0 + 3 * w)
                let mutable q3 = Vector<float>(seedV, so + j0 + 3 * w)
                let mutable er3 = Vector<float>(csRe[m]) * q3
                let mutable ei3 = Vector<float>(csIm[m]) * q3
                let mutable or3 = Vector<float>.Zero
                let mutable oi3 = Vector<float>.Zero
                let mutable p3 = Vector<float>.Zero

                if m + 1 < b then
                    p0 <- Vector<float>(c1) * x0 * q0
                    or0 <- Vector<float>(csRe[m + 1]) * p0
                    oi0 <- Vector<float>(csIm[m + 1]) * p0
                    p1 <- Vector<float>(c1) * x1 * q1
                    or1 <- Vector<float>(csRe[m + 1]) * p1
                    oi1 <- Vector<float>(csIm[m + 1]) * p1
                    p2 <- Vector<float>(c1) * x2 * q2
                    or2 <- Vector<float>(csRe[m + 1]) * p2
                    oi2 <- Vector<float>(csIm[m + 1]) * p2
                    p3 <- Vector<float>(c1) * x3 * q3
                    or3 <- Vector<float>(csRe[m + 1]) * p3
                    oi3 <- Vector<float>(csIm[m + 1]) * p3
                    let mutable l = m + 2
                    let mutable i = (l * (l + 1)) / 2 + m

                    while l + 1 < b do
                        let av = Vector<float>(alpha[i])
                        let cr = Vector<float>(csRe[l])
                        let ci = Vector<float>(csIm[l])
                        q0 <- Vector.FusedMultiplyAdd(av * x0, p0, q0)
                        q1 <- Vector.FusedMultiplyAdd(av * x1, p1, q1)
                        q2 <- Vector.FusedMultiplyAdd(av * x2, p2, q2)
                        q3 <- Vector.FusedMultiplyAdd(av * x3, p3, q3)
                        er0 <- Vector.FusedMultiplyAdd(cr, q0, er0)
                        ei0 <- Vector.FusedMultiplyAdd(ci, q0, ei0)
                        er1 <- Vector.FusedMultiplyAdd(cr, q1, er1)
                        ei1 <- Vector.FusedMultiplyAdd(ci, q1, ei1)
                        er2 <- Vector.FusedMultiplyAdd(cr, q2, er2)
                        ei2 <- Vector.FusedMultiplyAdd(ci, q2, ei2)
                        er3 <- Vector.FusedMultiplyAdd(cr, q3, er3)
                        ei3 <- Vector.FusedMultiplyAdd(ci, q3, ei3)
                        i <- i + l + 1
                        let av = Vector<float>(alpha[i])
                        let cr = Vector<float>(csRe[l + 1])
                        let ci = Vector<float>(csIm[l + 1])
                        p0 <- Vector.FusedMultiplyAdd(av * x0, q0, p0)
                        p1 <- Vector.FusedMultiplyAdd(av * x1, q1, p1)
                        p2 <- Vector.FusedMultiplyAdd(av * x2, q2, p2)
                        p3 <- Vector.FusedMultiplyAdd(av * x3, q3, p3)
                        or0 <- Vector.FusedMultiplyAdd(cr, p0, or0)
                        oi0 <- Vector.FusedMultiplyAdd(ci, p0, oi0)
                        or1 <- Vector.FusedMultiplyAdd(cr, p1, or1)
                        oi1 <- Vector.FusedMultiplyAdd(ci, p1, oi1)
                        or2 <- Vector.FusedMultiplyAdd(cr, p2, or2)
                        oi2 <- Vector.FusedMultiplyAdd(ci, p2, oi2)
                        or3 <- Vector.FusedMultiplyAdd(cr, p3, or3)
                        oi3 <- Vector.FusedMultiplyAdd(ci, p3, oi3)
                        i <- i + l + 2
                        l <- l + 2

                    if l < b then
                        let av = Vector<float>(alpha[i])
                        let cr = Vector<float>(csRe[l])
                        let ci = Vector<float>(csIm[l])
                        q0 <- Vector.FusedMultiplyAdd(av * x0, p0, q0)
                        er0 <- Vector.FusedMultiplyAdd(cr, q0, er0)
                        ei0 <- Vector.FusedMultiplyAdd(ci, q0, ei0)
                        q1 <- Vector.FusedMultiplyAdd(av * x1, p1, q1)
                        er1 <- Vector.FusedMultiplyAdd(cr, q1, er1)
                        ei1 <- Vector.FusedMultiplyAdd(ci, q1, ei1)
                        q2 <- Vector.FusedMultiplyAdd(av * x2, p2, q2)
                        er2 <- Vector.FusedMultiplyAdd(cr, q2, er2)
                        ei2 <- Vector.FusedMultiplyAdd(ci, q2, ei2)
                        q3 <- Vector.FusedMultiplyAdd(av * x3, p3, q3)
                        er3 <- Vector.FusedMultiplyAdd(cr, q3, er3)
                        ei3 <- Vector.FusedMultiplyAdd(ci, q3, ei3)

                er0.CopyTo(eRe, o + j0 + 0 * w)
                ei0.CopyTo(eIm, o + j0 + 0 * w)
                or0.CopyTo(oRe, o + j0 + 0 * w)
                oi0.CopyTo(oIm, o + j0 + 0 * w)
                er1.CopyTo(eRe, o + j0 + 1 * w)
                ei1.CopyTo(eIm, o + j0 + 1 * w)
                or1.CopyTo(oRe, o + j0 + 1 * w)
                oi1.CopyTo(oIm, o + j0 + 1 * w)
                er2.CopyTo(eRe, o + j0 + 2 * w)
                ei2.CopyTo(eIm, o + j0 + 2 * w)
                or2.CopyTo(oRe, o + j0 + 2 * w)
                oi2.CopyTo(oIm, o + j0 + 2 * w)
                er3.CopyTo(eRe, o + j0 + 3 * w)
                ei3.CopyTo(eIm, o + j0 + 3 * w)
                or3.CopyTo(oRe, o + j0 + 3 * w)
                oi3.CopyTo(oIm, o + j0 + 3 * w)

            elif width = w then
                let mutable anyScaled = false

                for k in 0 .. w - 1 do
                    ex[k] <- seedE[so + j0 + k]
                    lanes[2 * w + k] <- scaleOf ex[k]

                    if ex[k] > 0 then
                        anyScaled <- true

                let x = Vector<float>(xs, j0)
                let mutable sc = Vector<float>(lanes, 2 * w)
                let mutable q = Vector<float>(seedV, so + j0)
                let mutable er = Vector<float>(cRe[co + m]) * (q * sc)
                let mutable ei = Vector<float>(cIm[co + m]) * (q * sc)
                let mutable orr = Vector<float>.Zero
                let mutable oi = Vector<float>.Zero

                if m + 1 < b then
                    let mutable p = Vector<float>(c1) * x * q
                    orr <- Vector<float>(cRe[co + m + 1]) * (p * sc)
                    oi <- Vector<float>(cIm[co + m + 1]) * (p * sc)
                    let mutable l = m + 2
                    let mutable i = (l * (l + 1)) / 2 + m

                    if not anyScaled then
                        while l + 1 < b do
                            q <- Vector<float>(a[i]) * (x * p - Vector<float>(bc[i]) * q)
                            er <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l]), q, er)
                            ei <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l]), q, ei)
                            i <- i + l + 1
                            p <- Vector<float>(a[i]) * (x * q - Vector<float>(bc[i]) * p)
                            orr <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l + 1]), p, orr)
                            oi <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l + 1]), p, oi)
                            i <- i + l + 2
                            l <- l + 2

                        if l < b then
                            q <- Vector<float>(a[i]) * (x * p - Vector<float>(bc[i]) * q)
                            er <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l]), q, er)
                            ei <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l]), q, ei)
                    else
                        // Lanes with underflow-protected seeds: scale before accumulating, rescale on growth.
                        let mutable newest = 1

                        while l < b do
                            if newest = 1 then
                                q <- Vector<float>(a[i]) * (x * p - Vector<float>(bc[i]) * q)
                                newest <- 0
                            else
                                p <- Vector<float>(a[i]) * (x * q - Vector<float>(bc[i]) * p)
                                newest <- 1

                            let v = if newest = 0 then q else p

                            if Vector.GreaterThanAny(Vector.Abs v, bigV) then
                                let older = if newest = 0 then p else q
                                v.CopyTo(lanes, 0)
                                older.CopyTo(lanes, w)
                                rescaleLanes w lanes ex
                                sc <- Vector<float>(lanes, 2 * w)

                                if newest = 0 then
                                    q <- Vector<float>(lanes, 0)
                                    p <- Vector<float>(lanes, w)
                                else
                                    p <- Vector<float>(lanes, 0)
                                    q <- Vector<float>(lanes, w)

                            let t = (if newest = 0 then q else p) * sc

                            if (l - m) % 2 = 0 then
                                er <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l]), t, er)
                                ei <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l]), t, ei)
                            else
                                orr <- Vector.FusedMultiplyAdd(Vector<float>(cRe[co + l]), t, orr)
                                oi <- Vector.FusedMultiplyAdd(Vector<float>(cIm[co + l]), t, oi)

                            i <- i + l + 1
                            l <- l + 1

                er.CopyTo(eRe, o + j0)
                ei.CopyTo(eIm, o + j0)
                orr.CopyTo(oRe, o + j0)
                oi.CopyTo(oIm, o + j0)
            else
                // Remainder rings: the scalar recurrence with scaling, one ring at a time.
                for j in j0 .. jTo - 1 do
                    let mutable e = seedE[so + j]
                    let mutable q = seedV[so + j]
                    let x = xs[j]
                    let s = scaleOf e
                    let mutable er = cRe[co + m] * q * s
                    let mutable ei = cIm[co + m] * q * s
                    let mutable orr = 0.0
                    let mutable oi = 0.0

                    if m + 1 < b then
                        let mutable p = c1 * x * q
                        orr <- cRe[co + m + 1] * p * s
                        oi <- cIm[co + m + 1] * p * s
                        let mutable i = ((m + 2) * (m + 3)) / 2 + m

                        for l in m + 2 .. b - 1 do
                            let v = a[i] * (x * p - bc[i] * q)
                            q <- p
                            p <- v

                            if e > 0 && abs p > big then
                                p <- p * small
                                q <- q * small
                                e <- e - 1

                            let t = p * scaleOf e

                            if (l - m) % 2 = 0 then
                                er <- er + cRe[co + l] * t
                                ei <- ei + cIm[co + l] * t
                            else
                                orr <- orr + cRe[co + l] * t
                                oi <- oi + cIm[co + l] * t

                            i <- i + l + 1

                    eRe[o + j] <- er
                    eIm[o + j] <- ei
                    oRe[o + j] <- orr
                    oIm[o + j] <- oi

            j0 <- j0 + width

    /// Fused recurrence-and-analysis for order m (float64, one set): the sums Σ_{jFrom≤j&lt;jTo} λ_l^m(θ_j) (E_j if
    /// l − m is even, else O_j) for l = m..b−1, added to cRe/cIm[co + l], with λ from the l-recurrence (no table).
    /// `acc` is scratch of at least 4·b·Vector&lt;float&gt;.Count doubles (per-degree partial sums over ring chunks).
    let analysisFused64
        (a: float[])
        (bc: float[])
        (alpha: float[])
        (scale: float[])
        (m: int)
        (b: int)
        (xs: float[])
        (seedV: float[])
        (seedE: int[])
        (so: int)
        (jFrom: int)
        (jTo: int)
        (eRe: float[])
        (eIm: float[])
        (oRe: float[])
        (oIm: float[])
        (o: int)
        (cRe: float[])
        (cIm: float[])
        (co: int)
        (acc: float[])
        =
        let w = Vector<float>.Count
        let lanes = Array.zeroCreate (3 * w)
        let ex = Array.zeroCreate w
        let c1 = sqrt (float (2 * m + 3))
        let bigV = Vector<float>(big)
        let count = b - m
        // acc: re partial sums of degree l at (l − m)·w, im at (count + l − m)·w.
        System.Array.Clear(acc, 0, 4 * count * w)


        let inline add (k: int) (re: Vector<float>) (im: Vector<float>) =
            (Vector<float>(acc, k * w) + re).CopyTo(acc, k * w)
            (Vector<float>(acc, (count + k) * w) + im).CopyTo(acc, (count + k) * w)

        // Partial sums of the rescaled ν_l (fast path) live at acc[(2·count + k)·w] (re) and [(3·count + k)·w] (im),
        // multiplied by s'_l at the end.

        let mutable j0 = jFrom

        while j0 < jTo do
            let mutable width = min w (jTo - j0)

            if j0 + 4 * w <= jTo && unscaled seedE (so + j0) (4 * w) then
                width <- 4 * w
                // The ring-pair sums E (even l − m) and differences O (odd) stay in registers over l.
                let xr0 = Vector<float>(eRe, o + j0 + 0 * w)
                let xr1 = Vector<float>(eRe, o + j0 + 1 * w)
                let xr2 = Vector<float>(eRe, o + j0 + 2 * w)
                let xr3 = Vector<float>(eRe, o + j0 + 3 * w)
                let xi0 = Vector<float>(eIm, o + j0 + 0 * w)
                let xi1 = Vector<float>(eIm, o + j0 + 1 * w)
                let xi2 = Vector<float>(eIm, o + j0 + 2 * w)
                let xi3 = Vector<float>(eIm, o + j0 + 3 * w)
                let yr0 = Vector<float>(oRe, o + j0 + 0 * w)
                let yr1 = Vector<float>(oRe, o + j0 + 1 * w)
                let yr2 = Vector<float>(oRe, o + j0 + 2 * w)
                let yr3 = Vector<float>(oRe, o + j0 + 3 * w)
                let yi0 = Vector<float>(oIm, o + j0 + 0 * w)
                let yi1 = Vector<float>(oIm, o + j0 + 1 * w)
                let yi2 = Vector<float>(oIm, o + j0 + 2 * w)
                let yi3 = Vector<float>(oIm, o + j0 + 3 * w)
                let x0 = Vector<float>(xs, j0 + 0 * w)
                let mutable q0 = Vector<float>(seedV, so + j0 + 0 * w)
                let mutable p0 = Vector<float>.Zero
                let x1 = Vector<float>(xs, j0 + 1 * w)
                let mutable q1 = Vector<float>(seedV, so + j0 + 1 * w)
                let mutable p1 = Vector<float>.Zero
                let x2 = Vector<float>(xs, j0 + 2 * w)
                let mutable q2 = Vector<float>(seedV, so + j0 + 2 * w)
                let mutable p2 = Vector<float>.Zero
                let x3 = Vector<float>(xs, j0 + 3 * w)
                let mutable q3 = Vector<float>(seedV, so + j0 + 3 * w)
                let mutable p3 = Vector<float>.Zero
                let kk = 0
                let mutable sr = Vector<float>(acc, (2 * count + kk) * w)
                let mutable si = Vector<float>(acc, (3 * count + kk) * w)
                sr <- Vector.FusedMultiplyAdd(q0, xr0, sr)
                si <- Vector.FusedMultiplyAdd(q0, xi0, si)
                sr <- Vector.FusedMultiplyAdd(q1, xr1, sr)
                si <- Vector.FusedMultiplyAdd(q1, xi1, si)
                sr <- Vector.FusedMultiplyAdd(q2, xr2, sr)
                si <- Vector.FusedMultiplyAdd(q2, xi2, si)
                sr <- Vector.FusedMultiplyAdd(q3, xr3, sr)
                si <- Vector.FusedMultiplyAdd(q3, xi3, si)
                sr.CopyTo(acc, (2 * count + kk) * w)
                si.CopyTo(acc, (3 * count + kk) * w)

                if m + 1 < b then
                    p0 <- Vector<float>(c1) * x0 * q0
                    p1 <- Vector<float>(c1) * x1 * q1
                    p2 <- Vector<float>(c1) * x2 * q2
                    p3 <- Vector<float>(c1) * x3 * q3
                    let kk = 1
                    let mutable sr = Vector<float>(acc, (2 * count + kk) * w)
                    let mutable si = Vector<float>(acc, (3 * count + kk) * w)
                    sr <- Vector.FusedMultiplyAdd(p0, yr0, sr)
                    si <- Vector.FusedMultiplyAdd(p0, yi0, si)
                    sr <- Vector.FusedMultiplyAdd(p1, yr1, sr)
                    si <- Vector.FusedMultiplyAdd(p1, yi1, si)
                    sr <- Vector.FusedMultiplyAdd(p2, yr2, sr)
                    si <- Vector.FusedMultiplyAdd(p2, yi2, si)
                    sr <- Vector.FusedMultiplyAdd(p3, yr3, sr)
                    si <- Vector.FusedMultiplyAdd(p3, yi3, si)
                    sr.CopyTo(acc, (2 * count + kk) * w)
                    si.CopyTo(acc, (3 * count + kk) * w)
                    let mutable l = m + 2
                    let mutable i = (l * (l + 1)) / 2 + m

                    while l + 1 < b do
                        let av = Vector<float>(alpha[i])
                        q0 <- Vector.FusedMultiplyAdd(av * x0, p0, q0)
                        q1 <- Vector.FusedMultiplyAdd(av * x1, p1, q1)
                        q2 <- Vector.FusedMultiplyAdd(av * x2, p2, q2)
                        q3 <- Vector.FusedMultiplyAdd(av * x3, p3, q3)
                        let kk = l - m
                        let mutable sr = Vector<float>(acc, (2 * count + kk) * w)
                        let mutable si = Vector<float>(acc, (3 * count + kk) * w)
                        sr <- Vector.FusedMultiplyAdd(q0, xr0, sr)
                        si <- Vector.FusedMultiplyAdd(q0, xi0, si)
                        sr <- Vector.FusedMultiplyAdd(q1, xr1, sr)
                        si <- Vector.FusedMultiplyAdd(q1, xi1, si)
                        sr <- Vector.FusedMultiplyAdd(q2, xr2, sr)
                        si <- Vector.FusedMultiplyAdd(q2, xi2, si)
                        sr <- Vector.FusedMultiplyAdd(q3, xr3, sr)
                        si <- Vector.FusedMultiplyAdd(q3, xi3, si)
                        sr.CopyTo(acc, (2 * count + kk) * w)
                        si.CopyTo(acc, (3 * count + kk) * w)
                        i <- i + l + 1
                        let av = Vector<float>(alpha[i])
                        p0 <- Vector.FusedMultiplyAdd(av * x0, q0, p0)
                        p1 <- Vector.FusedMultiplyAdd(av * x1, q1, p1)
                        p2 <- Vector.FusedMultiplyAdd(av * x2, q2, p2)
                        p3 <- Vector.FusedMultiplyAdd(av * x3, q3, p3)
                        let kk = l + 1 - m
                        let mutable sr = Vector<float>(acc, (2 * count + kk) * w)
                        let mutable si = Vector<float>(acc, (3 * count + kk) * w)
                        sr <- Vector.FusedMultiplyAdd(p0, yr0, sr)
                        si <- Vector.FusedMultiplyAdd(p0, yi0, si)
                        sr <- Vector.FusedMultiplyAdd(p1, yr1, sr)
                        si <- Vector.FusedMultiplyAdd(p1, yi1, si)
                        sr <- Vector.FusedMultiplyAdd(p2, yr2, sr)
                        si <- Vector.FusedMultiplyAdd(p2, yi2, si)
                        sr <- Vector.FusedMultiplyAdd(p3, yr3, sr)
                        si <- Vector.FusedMultiplyAdd(p3, yi3, si)
                        sr.CopyTo(acc, (2 * count + kk) * w)
                        si.CopyTo(acc, (3 * count + kk) * w)
                        i <- i + l + 2
                        l <- l + 2

                    if l < b then
                        let av = Vector<float>(alpha[i])
                        q0 <- Vector.FusedMultiplyAdd(av * x0, p0, q0)
                        q1 <- Vector.FusedMultiplyAdd(av * x1, p1, q1)
                        q2 <- Vector.FusedMultiplyAdd(av * x2, p2, q2)
                        q3 <- Vector.FusedMultiplyAdd(av * x3, p3, q3)
                        let kk = l - m
                        let mutable sr = Vector<float>(acc, (2 * count + kk) * w)
                        let mutable si = Vector<float>(acc, (3 * count + kk) * w)
                        sr <- Vector.FusedMultiplyAdd(q0, xr0, sr)
                        si <- Vector.FusedMultiplyAdd(q0, xi0, si)
                        sr <- Vector.FusedMultiplyAdd(q1, xr1, sr)
                        si <- Vector.FusedMultiplyAdd(q1, xi1, si)
                        sr <- Vector.FusedMultiplyAdd(q2, xr2, sr)
                        si <- Vector.FusedMultiplyAdd(q2, xi2, si)
                        sr <- Vector.FusedMultiplyAdd(q3, xr3, sr)
                        si <- Vector.FusedMultiplyAdd(q3, xi3, si)
                        sr.CopyTo(acc, (2 * count + kk) * w)
                        si.CopyTo(acc, (3 * count + kk) * w)

            elif width = w then
                let mutable anyScaled = false

                for k in 0 .. w - 1 do
                    ex[k] <- seedE[so + j0 + k]
                    lanes[2 * w + k] <- scaleOf ex[k]

                    if ex[k] > 0 then
                        anyScaled <- true

                let x = Vector<float>(xs, j0)
                let xer = Vector<float>(eRe, o + j0)
                let xei = Vector<float>(eIm, o + j0)
                let xor = Vector<float>(oRe, o + j0)
                let xoi = Vector<float>(oIm, o + j0)
                let mutable sc = Vector<float>(lanes, 2 * w)
                let mutable q = Vector<float>(seedV, so + j0)

                add 0 (q * sc * xer) (q * sc * xei)

                if m + 1 < b then
                    let mutable p = Vector<float>(c1) * x * q
                    add 1 (p * sc * xor) (p * sc * xoi)
                    let mutable l = m + 2
                    let mutable i = (l * (l + 1)) / 2 + m

                    if not anyScaled then
                        while l + 1 < b do
                            q <- Vector<float>(a[i]) * (x * p - Vector<float>(bc[i]) * q)
                            add (l - m) (q * xer) (q * xei)
                            i <- i + l + 1
                            p <- Vector<float>(a[i]) * (x * q - Vector<float>(bc[i]) * p)
                            add (l + 1 - m) (p * xor) (p * xoi)
                            i <- i + l + 2
                            l <- l + 2

                        if l < b then
                            q <- Vector<float>(a[i]) * (x * p - Vector<float>(bc[i]) * q)
                            add (l - m) (q * xer) (q * xei)
                    else
                        let mutable newest = 1

                        while l < b do
                            if newest = 1 then
                                q <- Vector<float>(a[i]) * (x * p - Vector<float>(bc[i]) * q)
                                newest <- 0
                            else
                                p <- Vector<float>(a[i]) * (x * q - Vector<float>(bc[i]) * p)
                                newest <- 1

                            let v = if newest = 0 then q else p

                            if Vector.GreaterThanAny(Vector.Abs v, bigV) then
                                let older = if newest = 0 then p else q
                                v.CopyTo(lanes, 0)
                                older.CopyTo(lanes, w)
                                rescaleLanes w lanes ex
                                sc <- Vector<float>(lanes, 2 * w)

                                if newest = 0 then
                                    q <- Vector<float>(lanes, 0)
                                    p <- Vector<float>(lanes, w)
                                else
                                    p <- Vector<float>(lanes, 0)
                                    q <- Vector<float>(lanes, w)

                            let t = (if newest = 0 then q else p) * sc

                            if (l - m) % 2 = 0 then
                                add (l - m) (t * xer) (t * xei)
                            else
                                add (l - m) (t * xor) (t * xoi)

                            i <- i + l + 1
                            l <- l + 1
            else
                for j in j0 .. jTo - 1 do
                    let mutable e = seedE[so + j]
                    let mutable q = seedV[so + j]
                    let x = xs[j]
                    let s = scaleOf e
                    cRe[co + m] <- cRe[co + m] + q * s * eRe[o + j]
                    cIm[co + m] <- cIm[co + m] + q * s * eIm[o + j]

                    if m + 1 < b then
                        let mutable p = c1 * x * q
                        cRe[co + m + 1] <- cRe[co + m + 1] + p * s * oRe[o + j]
                        cIm[co + m + 1] <- cIm[co + m + 1] + p * s * oIm[o + j]
                        let mutable i = ((m + 2) * (m + 3)) / 2 + m

                        for l in m + 2 .. b - 1 do
                            let v = a[i] * (x * p - bc[i] * q)
                            q <- p
                            p <- v

                            if e > 0 && abs p > big then
                                p <- p * small
                                q <- q * small
                                e <- e - 1

                            let t = p * scaleOf e

                            if (l - m) % 2 = 0 then
                                cRe[co + l] <- cRe[co + l] + t * eRe[o + j]
                                cIm[co + l] <- cIm[co + l] + t * eIm[o + j]
                            else
                                cRe[co + l] <- cRe[co + l] + t * oRe[o + j]
                                cIm[co + l] <- cIm[co + l] + t * oIm[o + j]

                            i <- i + l + 1

            j0 <- j0 + width

        for k in 0 .. count - 1 do
            let sl = scale[((m + k) * (m + k + 1)) / 2 + m]

            cRe[co + m + k] <-
                cRe[co + m + k]
                + Vector.Sum(Vector<float>(acc, k * w))
                + sl * Vector.Sum(Vector<float>(acc, (2 * count + k) * w))

            cIm[co + m + k] <-
                cIm[co + m + k]
                + Vector.Sum(Vector<float>(acc, (count + k) * w))
                + sl * Vector.Sum(Vector<float>(acc, (3 * count + k) * w))

    /// Synthesis sums of one coefficient set for order m: E_j = Σ_{l−m even} c_l λ_l^m(θ_j) and
    /// O_j = Σ_{l−m odd} c_l λ_l^m(θ_j) for the northern rings j &lt; b, written (not added) to
    /// eRe/eIm/oRe/oIm at [o + j]. The Legendre block has λ_l^m(θ_j) at off + (l − m)·b + j; the coefficients are
    /// at cRe/cIm[co + l]. Register-blocked: 2 SIMD vectors of rings × (E, O) × (re, im) accumulators over l.
    let synthesis32
        (t: float32[])
        (off: int)
        (b: int)
        (m: int)
        (cRe: float32[])
        (cIm: float32[])
        (co: int)
        (eRe: float32[])
        (eIm: float32[])
        (oRe: float32[])
        (oIm: float32[])
        (o: int)
        =
        let w = Vector<float32>.Count
        let nv = b / w
        let mutable v = 0

        while v < nv do
            let j0 = v * w
            let two = v + 1 < nv
            let mutable er0 = Vector<float32>.Zero
            let mutable ei0 = Vector<float32>.Zero
            let mutable or0 = Vector<float32>.Zero
            let mutable oi0 = Vector<float32>.Zero
            let mutable er1 = Vector<float32>.Zero
            let mutable ei1 = Vector<float32>.Zero
            let mutable or1 = Vector<float32>.Zero
            let mutable oi1 = Vector<float32>.Zero
            let mutable l = m

            if two then
                while l + 1 < b do
                    let r0 = off + (l - m) * b + j0
                    let r1 = r0 + b
                    let ta = Vector<float32>(t, r0)
                    let tb = Vector<float32>(t, r0 + w)
                    let ua = Vector<float32>(t, r1)
                    let ub = Vector<float32>(t, r1 + w)
                    let cer = Vector<float32>(cRe[co + l])
                    let cei = Vector<float32>(cIm[co + l])
                    let cor = Vector<float32>(cRe[co + l + 1])
                    let coi = Vector<float32>(cIm[co + l + 1])
                    er0 <- Vector.FusedMultiplyAdd(cer, ta, er0)
                    er1 <- Vector.FusedMultiplyAdd(cer, tb, er1)
                    ei0 <- Vector.FusedMultiplyAdd(cei, ta, ei0)
                    ei1 <- Vector.FusedMultiplyAdd(cei, tb, ei1)
                    or0 <- Vector.FusedMultiplyAdd(cor, ua, or0)
                    or1 <- Vector.FusedMultiplyAdd(cor, ub, or1)
                    oi0 <- Vector.FusedMultiplyAdd(coi, ua, oi0)
                    oi1 <- Vector.FusedMultiplyAdd(coi, ub, oi1)
                    l <- l + 2

                if l < b then
                    let r0 = off + (l - m) * b + j0
                    let ta = Vector<float32>(t, r0)
                    let tb = Vector<float32>(t, r0 + w)
                    let cer = Vector<float32>(cRe[co + l])
                    let cei = Vector<float32>(cIm[co + l])
                    er0 <- Vector.FusedMultiplyAdd(cer, ta, er0)
                    er1 <- Vector.FusedMultiplyAdd(cer, tb, er1)
                    ei0 <- Vector.FusedMultiplyAdd(cei, ta, ei0)
                    ei1 <- Vector.FusedMultiplyAdd(cei, tb, ei1)

                er1.CopyTo(eRe, o + j0 + w)
                ei1.CopyTo(eIm, o + j0 + w)
                or1.CopyTo(oRe, o + j0 + w)
                oi1.CopyTo(oIm, o + j0 + w)
                v <- v + 2
            else
                while l + 1 < b do
                    let r0 = off + (l - m) * b + j0
                    let ta = Vector<float32>(t, r0)
                    let ua = Vector<float32>(t, r0 + b)
                    er0 <- Vector.FusedMultiplyAdd(Vector<float32>(cRe[co + l]), ta, er0)
                    ei0 <- Vector.FusedMultiplyAdd(Vector<float32>(cIm[co + l]), ta, ei0)
                    or0 <- Vector.FusedMultiplyAdd(Vector<float32>(cRe[co + l + 1]), ua, or0)
                    oi0 <- Vector.FusedMultiplyAdd(Vector<float32>(cIm[co + l + 1]), ua, oi0)
                    l <- l + 2

                if l < b then
                    let ta = Vector<float32>(t, off + (l - m) * b + j0)
                    er0 <- Vector.FusedMultiplyAdd(Vector<float32>(cRe[co + l]), ta, er0)
                    ei0 <- Vector.FusedMultiplyAdd(Vector<float32>(cIm[co + l]), ta, ei0)

                v <- v + 1

            er0.CopyTo(eRe, o + j0)
            ei0.CopyTo(eIm, o + j0)
            or0.CopyTo(oRe, o + j0)
            oi0.CopyTo(oIm, o + j0)

        for j in nv * w .. b - 1 do
            let mutable er = 0.0f
            let mutable ei = 0.0f
            let mutable orr = 0.0f
            let mutable oi = 0.0f

            for l in m .. b - 1 do
                let x = t[off + (l - m) * b + j]

                if (l - m) % 2 = 0 then
                    er <- er + cRe[co + l] * x
                    ei <- ei + cIm[co + l] * x
                else
                    orr <- orr + cRe[co + l] * x
                    oi <- oi + cIm[co + l] * x

            eRe[o + j] <- er
            eIm[o + j] <- ei
            oRe[o + j] <- orr
            oIm[o + j] <- oi

    /// Analysis sums of one set for order m: c_l = Σ_{j&lt;b} λ_l^m(θ_j) (E_j if l − m is even, else O_j), written
    /// to cRe/cIm[co + l] for l = m..b−1; E/O (ring-pair sums and differences) at eRe/eIm/oRe/oIm[o + j].
    /// Register-blocked over 4 degrees at a time (2 even, 2 odd) with SIMD over rings.
    let analysis32
        (t: float32[])
        (off: int)
        (b: int)
        (m: int)
        (eRe: float32[])
        (eIm: float32[])
        (oRe: float32[])
        (oIm: float32[])
        (o: int)
        (cRe: float32[])
        (cIm: float32[])
        (co: int)
        =
        let w = Vector<float32>.Count
        let nv = b / w
        let mutable l = m

        while l + 3 < b do
            let r0 = off + (l - m) * b
            let r1 = r0 + b
            let r2 = r1 + b
            let r3 = r2 + b
            let mutable a0r = Vector<float32>.Zero
            let mutable a0i = Vector<float32>.Zero
            let mutable a1r = Vector<float32>.Zero
            let mutable a1i = Vector<float32>.Zero
            let mutable a2r = Vector<float32>.Zero
            let mutable a2i = Vector<float32>.Zero
            let mutable a3r = Vector<float32>.Zero
            let mutable a3i = Vector<float32>.Zero

            for v in 0 .. nv - 1 do
                let j = v * w
                let xr = Vector<float32>(eRe, o + j)
                let xi = Vector<float32>(eIm, o + j)
                let yr = Vector<float32>(oRe, o + j)
                let yi = Vector<float32>(oIm, o + j)
                let t0 = Vector<float32>(t, r0 + j)
                let t1 = Vector<float32>(t, r1 + j)
                let t2 = Vector<float32>(t, r2 + j)
                let t3 = Vector<float32>(t, r3 + j)
                a0r <- Vector.FusedMultiplyAdd(t0, xr, a0r)
                a0i <- Vector.FusedMultiplyAdd(t0, xi, a0i)
                a1r <- Vector.FusedMultiplyAdd(t1, yr, a1r)
                a1i <- Vector.FusedMultiplyAdd(t1, yi, a1i)
                a2r <- Vector.FusedMultiplyAdd(t2, xr, a2r)
                a2i <- Vector.FusedMultiplyAdd(t2, xi, a2i)
                a3r <- Vector.FusedMultiplyAdd(t3, yr, a3r)
                a3i <- Vector.FusedMultiplyAdd(t3, yi, a3i)

            let mutable s0r = Vector.Sum a0r
            let mutable s0i = Vector.Sum a0i
            let mutable s1r = Vector.Sum a1r
            let mutable s1i = Vector.Sum a1i
            let mutable s2r = Vector.Sum a2r
            let mutable s2i = Vector.Sum a2i
            let mutable s3r = Vector.Sum a3r
            let mutable s3i = Vector.Sum a3i

            for j in nv * w .. b - 1 do
                s0r <- s0r + t[r0 + j] * eRe[o + j]
                s0i <- s0i + t[r0 + j] * eIm[o + j]
                s1r <- s1r + t[r1 + j] * oRe[o + j]
                s1i <- s1i + t[r1 + j] * oIm[o + j]
                s2r <- s2r + t[r2 + j] * eRe[o + j]
                s2i <- s2i + t[r2 + j] * eIm[o + j]
                s3r <- s3r + t[r3 + j] * oRe[o + j]
                s3i <- s3i + t[r3 + j] * oIm[o + j]

            cRe[co + l] <- s0r
            cIm[co + l] <- s0i
            cRe[co + l + 1] <- s1r
            cIm[co + l + 1] <- s1i
            cRe[co + l + 2] <- s2r
            cIm[co + l + 2] <- s2i
            cRe[co + l + 3] <- s3r
            cIm[co + l + 3] <- s3i
            l <- l + 4

        while l < b do
            let r = off + (l - m) * b
            let xRe, xIm = if (l - m) % 2 = 0 then eRe, eIm else oRe, oIm
            let mutable ar = Vector<float32>.Zero
            let mutable ai = Vector<float32>.Zero

            for v in 0 .. nv - 1 do
                let j = v * w
                let tv = Vector<float32>(t, r + j)
                ar <- Vector.FusedMultiplyAdd(tv, Vector<float32>(xRe, o + j), ar)
                ai <- Vector.FusedMultiplyAdd(tv, Vector<float32>(xIm, o + j), ai)

            let mutable sr = Vector.Sum ar
            let mutable si = Vector.Sum ai

            for j in nv * w .. b - 1 do
                sr <- sr + t[r + j] * xRe[o + j]
                si <- si + t[r + j] * xIm[o + j]

            cRe[co + l] <- sr
            cIm[co + l] <- si
            l <- l + 1

    /// `synthesis32` with Vector512 registers (16 floats): synthesis sums of one coefficient set for order m: E_j = Σ_{l−m even} c_l λ_l^m(θ_j) and
    /// O_j = Σ_{l−m odd} c_l λ_l^m(θ_j) for the northern rings j &lt; b, written (not added) to
    /// eRe/eIm/oRe/oIm at [o + j]. The Legendre block has λ_l^m(θ_j) at off + (l − m)·b + j; the coefficients are
    /// at cRe/cIm[co + l]. Register-blocked: 2 SIMD vectors of rings × (E, O) × (re, im) accumulators over l.
    let synthesis32x512
        (t: float32[])
        (off: int)
        (b: int)
        (m: int)
        (cRe: float32[])
        (cIm: float32[])
        (co: int)
        (eRe: float32[])
        (eIm: float32[])
        (oRe: float32[])
        (oIm: float32[])
        (o: int)
        =
        let w = Vector512<float32>.Count
        let nv = b / w
        let mutable v = 0

        while v < nv do
            let j0 = v * w
            let two = v + 1 < nv
            let mutable er0 = Vector512<float32>.Zero
            let mutable ei0 = Vector512<float32>.Zero
            let mutable or0 = Vector512<float32>.Zero
            let mutable oi0 = Vector512<float32>.Zero
            let mutable er1 = Vector512<float32>.Zero
            let mutable ei1 = Vector512<float32>.Zero
            let mutable or1 = Vector512<float32>.Zero
            let mutable oi1 = Vector512<float32>.Zero
            let mutable l = m

            if two then
                while l + 1 < b do
                    let r0 = off + (l - m) * b + j0
                    let r1 = r0 + b
                    let ta = V512.load32 t (r0)
                    let tb = V512.load32 t (r0 + w)
                    let ua = V512.load32 t (r1)
                    let ub = V512.load32 t (r1 + w)
                    let cer = Vector512.Create(cRe[co + l])
                    let cei = Vector512.Create(cIm[co + l])
                    let cor = Vector512.Create(cRe[co + l + 1])
                    let coi = Vector512.Create(cIm[co + l + 1])
                    er0 <- Vector512.FusedMultiplyAdd(cer, ta, er0)
                    er1 <- Vector512.FusedMultiplyAdd(cer, tb, er1)
                    ei0 <- Vector512.FusedMultiplyAdd(cei, ta, ei0)
                    ei1 <- Vector512.FusedMultiplyAdd(cei, tb, ei1)
                    or0 <- Vector512.FusedMultiplyAdd(cor, ua, or0)
                    or1 <- Vector512.FusedMultiplyAdd(cor, ub, or1)
                    oi0 <- Vector512.FusedMultiplyAdd(coi, ua, oi0)
                    oi1 <- Vector512.FusedMultiplyAdd(coi, ub, oi1)
                    l <- l + 2

                if l < b then
                    let r0 = off + (l - m) * b + j0
                    let ta = V512.load32 t (r0)
                    let tb = V512.load32 t (r0 + w)
                    let cer = Vector512.Create(cRe[co + l])
                    let cei = Vector512.Create(cIm[co + l])
                    er0 <- Vector512.FusedMultiplyAdd(cer, ta, er0)
                    er1 <- Vector512.FusedMultiplyAdd(cer, tb, er1)
                    ei0 <- Vector512.FusedMultiplyAdd(cei, ta, ei0)
                    ei1 <- Vector512.FusedMultiplyAdd(cei, tb, ei1)

                V512.store32 er1 eRe (o + j0 + w)
                V512.store32 ei1 eIm (o + j0 + w)
                V512.store32 or1 oRe (o + j0 + w)
                V512.store32 oi1 oIm (o + j0 + w)
                v <- v + 2
            else
                while l + 1 < b do
                    let r0 = off + (l - m) * b + j0
                    let ta = V512.load32 t (r0)
                    let ua = V512.load32 t (r0 + b)
                    er0 <- Vector512.FusedMultiplyAdd(Vector512.Create(cRe[co + l]), ta, er0)
                    ei0 <- Vector512.FusedMultiplyAdd(Vector512.Create(cIm[co + l]), ta, ei0)
                    or0 <- Vector512.FusedMultiplyAdd(Vector512.Create(cRe[co + l + 1]), ua, or0)
                    oi0 <- Vector512.FusedMultiplyAdd(Vector512.Create(cIm[co + l + 1]), ua, oi0)
                    l <- l + 2

                if l < b then
                    let ta = V512.load32 t (off + (l - m) * b + j0)
                    er0 <- Vector512.FusedMultiplyAdd(Vector512.Create(cRe[co + l]), ta, er0)
                    ei0 <- Vector512.FusedMultiplyAdd(Vector512.Create(cIm[co + l]), ta, ei0)

                v <- v + 1

            V512.store32 er0 eRe (o + j0)
            V512.store32 ei0 eIm (o + j0)
            V512.store32 or0 oRe (o + j0)
            V512.store32 oi0 oIm (o + j0)

        for j in nv * w .. b - 1 do
            let mutable er = 0.0f
            let mutable ei = 0.0f
            let mutable orr = 0.0f
            let mutable oi = 0.0f

            for l in m .. b - 1 do
                let x = t[off + (l - m) * b + j]

                if (l - m) % 2 = 0 then
                    er <- er + cRe[co + l] * x
                    ei <- ei + cIm[co + l] * x
                else
                    orr <- orr + cRe[co + l] * x
                    oi <- oi + cIm[co + l] * x

            eRe[o + j] <- er
            eIm[o + j] <- ei
            oRe[o + j] <- orr
            oIm[o + j] <- oi

    /// `analysis32` with Vector512 registers (16 floats): analysis sums of one set for order m: c_l = Σ_{j&lt;b} λ_l^m(θ_j) (E_j if l − m is even, else O_j), written
    /// to cRe/cIm[co + l] for l = m..b−1; E/O (ring-pair sums and differences) at eRe/eIm/oRe/oIm[o + j].
    /// Register-blocked over 4 degrees at a time (2 even, 2 odd) with SIMD over rings.
    let analysis32x512
        (t: float32[])
        (off: int)
        (b: int)
        (m: int)
        (eRe: float32[])
        (eIm: float32[])
        (oRe: float32[])
        (oIm: float32[])
        (o: int)
        (cRe: float32[])
        (cIm: float32[])
        (co: int)
        =
        let w = Vector512<float32>.Count
        let nv = b / w
        let mutable l = m

        while l + 3 < b do
            let r0 = off + (l - m) * b
            let r1 = r0 + b
            let r2 = r1 + b
            let r3 = r2 + b
            let mutable a0r = Vector512<float32>.Zero
            let mutable a0i = Vector512<float32>.Zero
            let mutable a1r = Vector512<float32>.Zero
            let mutable a1i = Vector512<float32>.Zero
            let mutable a2r = Vector512<float32>.Zero
            let mutable a2i = Vector512<float32>.Zero
            let mutable a3r = Vector512<float32>.Zero
            let mutable a3i = Vector512<float32>.Zero

            for v in 0 .. nv - 1 do
                let j = v * w
                let xr = V512.load32 eRe (o + j)
                let xi = V512.load32 eIm (o + j)
                let yr = V512.load32 oRe (o + j)
                let yi = V512.load32 oIm (o + j)
                let t0 = V512.load32 t (r0 + j)
                let t1 = V512.load32 t (r1 + j)
                let t2 = V512.load32 t (r2 + j)
                let t3 = V512.load32 t (r3 + j)
                a0r <- Vector512.FusedMultiplyAdd(t0, xr, a0r)
                a0i <- Vector512.FusedMultiplyAdd(t0, xi, a0i)
                a1r <- Vector512.FusedMultiplyAdd(t1, yr, a1r)
                a1i <- Vector512.FusedMultiplyAdd(t1, yi, a1i)
                a2r <- Vector512.FusedMultiplyAdd(t2, xr, a2r)
                a2i <- Vector512.FusedMultiplyAdd(t2, xi, a2i)
                a3r <- Vector512.FusedMultiplyAdd(t3, yr, a3r)
                a3i <- Vector512.FusedMultiplyAdd(t3, yi, a3i)

            let mutable s0r = V512.sum32 a0r
            let mutable s0i = V512.sum32 a0i
            let mutable s1r = V512.sum32 a1r
            let mutable s1i = V512.sum32 a1i
            let mutable s2r = V512.sum32 a2r
            let mutable s2i = V512.sum32 a2i
            let mutable s3r = V512.sum32 a3r
            let mutable s3i = V512.sum32 a3i

            for j in nv * w .. b - 1 do
                s0r <- s0r + t[r0 + j] * eRe[o + j]
                s0i <- s0i + t[r0 + j] * eIm[o + j]
                s1r <- s1r + t[r1 + j] * oRe[o + j]
                s1i <- s1i + t[r1 + j] * oIm[o + j]
                s2r <- s2r + t[r2 + j] * eRe[o + j]
                s2i <- s2i + t[r2 + j] * eIm[o + j]
                s3r <- s3r + t[r3 + j] * oRe[o + j]
                s3i <- s3i + t[r3 + j] * oIm[o + j]

            cRe[co + l] <- s0r
            cIm[co + l] <- s0i
            cRe[co + l + 1] <- s1r
            cIm[co + l + 1] <- s1i
            cRe[co + l + 2] <- s2r
            cIm[co + l + 2] <- s2i
            cRe[co + l + 3] <- s3r
            cIm[co + l + 3] <- s3i
            l <- l + 4

        while l < b do
            let r = off + (l - m) * b
            let xRe, xIm = if (l - m) % 2 = 0 then eRe, eIm else oRe, oIm
            let mutable ar = Vector512<float32>.Zero
            let mutable ai = Vector512<float32>.Zero

            for v in 0 .. nv - 1 do
                let j = v * w
                let tv = V512.load32 t (r + j)
                ar <- Vector512.FusedMultiplyAdd(tv, V512.load32 xRe (o + j), ar)
                ai <- Vector512.FusedMultiplyAdd(tv, V512.load32 xIm (o + j), ai)

            let mutable sr = V512.sum32 ar
            let mutable si = V512.sum32 ai

            for j in nv * w .. b - 1 do
                sr <- sr + t[r + j] * xRe[o + j]
                si <- si + t[r + j] * xIm[o + j]

            cRe[co + l] <- sr
            cIm[co + l] <- si
            l <- l + 1
