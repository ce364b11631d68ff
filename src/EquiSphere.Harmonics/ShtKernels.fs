namespace EquiSphere.Harmonics

open System.Numerics

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
