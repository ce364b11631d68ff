namespace EquiSphere.Harmonics

#nowarn "9" // The kernels read and write pinned scratch through raw pointers; callers size the buffers up front.

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open Microsoft.FSharp.NativeInterop

/// Register-tile kernels of the Wigner-d step of the SO(3) FFT (`So3Pairs`). Both directions of one canonical pair
/// are a small matrix product with 16 columns (the real and imaginary parts of the eight orders a pair serves):
/// out[r, c] = Σ_{t<count} a[r · rowStride + t · tStride] · y[16t + c], r &lt; rows, c &lt; 16, out row-major with 16
/// columns. The analysis takes a = d^l(β_j) rows (r = degree, t = β, rowStride = 2B, tStride = 1) and y = the
/// interleaved spectra; the synthesis takes r = β, t = degree (rowStride = 1, tStride = 2B) and y = the signed
/// coefficients. Each kernel keeps its tile of accumulators in registers for the whole reduction and issues one
/// broadcast of an a value per row and one load of y per 512-bit (or 256-bit) column block: an 8-row tile does 16 FMAs
/// per 10 loads. Laws: every path (`tile512`, `tile256`, `tileScalar`) computes the same sums as the scalar
/// definition up to rounding (the order of the additions differs only in the split accumulators of one-row tiles).
[<RequireQualifiedAccess>]
module internal So3PairsKernels =

    /// 8 rows × 16 columns with Vector512 (16 accumulators).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private rows8x512 (a: nativeptr<float>) (rowStride: int) (tStride: int) (count: int) (y: nativeptr<float>) (out: nativeptr<float>) =
        let mutable c00 = Vector512<float>.Zero
        let mutable c01 = Vector512<float>.Zero
        let mutable c10 = Vector512<float>.Zero
        let mutable c11 = Vector512<float>.Zero
        let mutable c20 = Vector512<float>.Zero
        let mutable c21 = Vector512<float>.Zero
        let mutable c30 = Vector512<float>.Zero
        let mutable c31 = Vector512<float>.Zero
        let mutable c40 = Vector512<float>.Zero
        let mutable c41 = Vector512<float>.Zero
        let mutable c50 = Vector512<float>.Zero
        let mutable c51 = Vector512<float>.Zero
        let mutable c60 = Vector512<float>.Zero
        let mutable c61 = Vector512<float>.Zero
        let mutable c70 = Vector512<float>.Zero
        let mutable c71 = Vector512<float>.Zero
        let o1, o2, o3 = rowStride, 2 * rowStride, 3 * rowStride
        let o4, o5, o6, o7 = 4 * rowStride, 5 * rowStride, 6 * rowStride, 7 * rowStride
        let mutable pa = a
        let mutable py = y

        for _ in 1..count do
            let y0 = Vector512.Load(py)
            let y1 = Vector512.Load(NativePtr.add py 8)
            let d0 = Vector512.Create(NativePtr.read pa)
            c00 <- Vector512.FusedMultiplyAdd(d0, y0, c00)
            c01 <- Vector512.FusedMultiplyAdd(d0, y1, c01)
            let d1 = Vector512.Create(NativePtr.get pa o1)
            c10 <- Vector512.FusedMultiplyAdd(d1, y0, c10)
            c11 <- Vector512.FusedMultiplyAdd(d1, y1, c11)
            let d2 = Vector512.Create(NativePtr.get pa o2)
            c20 <- Vector512.FusedMultiplyAdd(d2, y0, c20)
            c21 <- Vector512.FusedMultiplyAdd(d2, y1, c21)
            let d3 = Vector512.Create(NativePtr.get pa o3)
            c30 <- Vector512.FusedMultiplyAdd(d3, y0, c30)
            c31 <- Vector512.FusedMultiplyAdd(d3, y1, c31)
            let d4 = Vector512.Create(NativePtr.get pa o4)
            c40 <- Vector512.FusedMultiplyAdd(d4, y0, c40)
            c41 <- Vector512.FusedMultiplyAdd(d4, y1, c41)
            let d5 = Vector512.Create(NativePtr.get pa o5)
            c50 <- Vector512.FusedMultiplyAdd(d5, y0, c50)
            c51 <- Vector512.FusedMultiplyAdd(d5, y1, c51)
            let d6 = Vector512.Create(NativePtr.get pa o6)
            c60 <- Vector512.FusedMultiplyAdd(d6, y0, c60)
            c61 <- Vector512.FusedMultiplyAdd(d6, y1, c61)
            let d7 = Vector512.Create(NativePtr.get pa o7)
            c70 <- Vector512.FusedMultiplyAdd(d7, y0, c70)
            c71 <- Vector512.FusedMultiplyAdd(d7, y1, c71)
            pa <- NativePtr.add pa tStride
            py <- NativePtr.add py 16

        c00.Store(out)
        c01.Store(NativePtr.add out 8)
        c10.Store(NativePtr.add out 16)
        c11.Store(NativePtr.add out 24)
        c20.Store(NativePtr.add out 32)
        c21.Store(NativePtr.add out 40)
        c30.Store(NativePtr.add out 48)
        c31.Store(NativePtr.add out 56)
        c40.Store(NativePtr.add out 64)
        c41.Store(NativePtr.add out 72)
        c50.Store(NativePtr.add out 80)
        c51.Store(NativePtr.add out 88)
        c60.Store(NativePtr.add out 96)
        c61.Store(NativePtr.add out 104)
        c70.Store(NativePtr.add out 112)
        c71.Store(NativePtr.add out 120)

    /// 4 rows × 16 columns with Vector512 (8 accumulators).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private rows4x512 (a: nativeptr<float>) (rowStride: int) (tStride: int) (count: int) (y: nativeptr<float>) (out: nativeptr<float>) =
        let mutable c00 = Vector512<float>.Zero
        let mutable c01 = Vector512<float>.Zero
        let mutable c10 = Vector512<float>.Zero
        let mutable c11 = Vector512<float>.Zero
        let mutable c20 = Vector512<float>.Zero
        let mutable c21 = Vector512<float>.Zero
        let mutable c30 = Vector512<float>.Zero
        let mutable c31 = Vector512<float>.Zero
        let o1, o2, o3 = rowStride, 2 * rowStride, 3 * rowStride
        let mutable pa = a
        let mutable py = y

        for _ in 1..count do
            let y0 = Vector512.Load(py)
            let y1 = Vector512.Load(NativePtr.add py 8)
            let d0 = Vector512.Create(NativePtr.read pa)
            c00 <- Vector512.FusedMultiplyAdd(d0, y0, c00)
            c01 <- Vector512.FusedMultiplyAdd(d0, y1, c01)
            let d1 = Vector512.Create(NativePtr.get pa o1)
            c10 <- Vector512.FusedMultiplyAdd(d1, y0, c10)
            c11 <- Vector512.FusedMultiplyAdd(d1, y1, c11)
            let d2 = Vector512.Create(NativePtr.get pa o2)
            c20 <- Vector512.FusedMultiplyAdd(d2, y0, c20)
            c21 <- Vector512.FusedMultiplyAdd(d2, y1, c21)
            let d3 = Vector512.Create(NativePtr.get pa o3)
            c30 <- Vector512.FusedMultiplyAdd(d3, y0, c30)
            c31 <- Vector512.FusedMultiplyAdd(d3, y1, c31)
            pa <- NativePtr.add pa tStride
            py <- NativePtr.add py 16

        c00.Store(out)
        c01.Store(NativePtr.add out 8)
        c10.Store(NativePtr.add out 16)
        c11.Store(NativePtr.add out 24)
        c20.Store(NativePtr.add out 32)
        c21.Store(NativePtr.add out 40)
        c30.Store(NativePtr.add out 48)
        c31.Store(NativePtr.add out 56)

    /// 1 row × 16 columns with Vector512: two reduction steps per iteration into two accumulator pairs (four FMA
    /// chains), added at the end.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private row1x512 (a: nativeptr<float>) (tStride: int) (count: int) (y: nativeptr<float>) (out: nativeptr<float>) =
        let mutable c0 = Vector512<float>.Zero
        let mutable c1 = Vector512<float>.Zero
        let mutable e0 = Vector512<float>.Zero
        let mutable e1 = Vector512<float>.Zero
        let mutable pa = a
        let mutable py = y

        for _ in 1 .. count / 2 do
            let d0 = Vector512.Create(NativePtr.read pa)
            let d1 = Vector512.Create(NativePtr.get pa tStride)
            c0 <- Vector512.FusedMultiplyAdd(d0, Vector512.Load(py), c0)
            c1 <- Vector512.FusedMultiplyAdd(d0, Vector512.Load(NativePtr.add py 8), c1)
            e0 <- Vector512.FusedMultiplyAdd(d1, Vector512.Load(NativePtr.add py 16), e0)
            e1 <- Vector512.FusedMultiplyAdd(d1, Vector512.Load(NativePtr.add py 24), e1)
            pa <- NativePtr.add pa (2 * tStride)
            py <- NativePtr.add py 32

        if count % 2 = 1 then
            let d0 = Vector512.Create(NativePtr.read pa)
            c0 <- Vector512.FusedMultiplyAdd(d0, Vector512.Load(py), c0)
            c1 <- Vector512.FusedMultiplyAdd(d0, Vector512.Load(NativePtr.add py 8), c1)

        (c0 + e0).Store(out)
        (c1 + e1).Store(NativePtr.add out 8)

    /// 2 rows × 16 columns with Vector256 (8 accumulators: fits the 16 registers of AVX2).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private rows2x256 (a: nativeptr<float>) (rowStride: int) (tStride: int) (count: int) (y: nativeptr<float>) (out: nativeptr<float>) =
        let mutable c00 = Vector256<float>.Zero
        let mutable c01 = Vector256<float>.Zero
        let mutable c02 = Vector256<float>.Zero
        let mutable c03 = Vector256<float>.Zero
        let mutable c10 = Vector256<float>.Zero
        let mutable c11 = Vector256<float>.Zero
        let mutable c12 = Vector256<float>.Zero
        let mutable c13 = Vector256<float>.Zero
        let mutable pa = a
        let mutable py = y

        for _ in 1..count do
            let y0 = Vector256.Load(py)
            let y1 = Vector256.Load(NativePtr.add py 4)
            let y2 = Vector256.Load(NativePtr.add py 8)
            let y3 = Vector256.Load(NativePtr.add py 12)
            let d0 = Vector256.Create(NativePtr.read pa)
            let d1 = Vector256.Create(NativePtr.get pa rowStride)
            c00 <- Vector256.FusedMultiplyAdd(d0, y0, c00)
            c01 <- Vector256.FusedMultiplyAdd(d0, y1, c01)
            c02 <- Vector256.FusedMultiplyAdd(d0, y2, c02)
            c03 <- Vector256.FusedMultiplyAdd(d0, y3, c03)
            c10 <- Vector256.FusedMultiplyAdd(d1, y0, c10)
            c11 <- Vector256.FusedMultiplyAdd(d1, y1, c11)
            c12 <- Vector256.FusedMultiplyAdd(d1, y2, c12)
            c13 <- Vector256.FusedMultiplyAdd(d1, y3, c13)
            pa <- NativePtr.add pa tStride
            py <- NativePtr.add py 16

        c00.Store(out)
        c01.Store(NativePtr.add out 4)
        c02.Store(NativePtr.add out 8)
        c03.Store(NativePtr.add out 12)
        c10.Store(NativePtr.add out 16)
        c11.Store(NativePtr.add out 20)
        c12.Store(NativePtr.add out 24)
        c13.Store(NativePtr.add out 28)

    /// 1 row × 16 columns with Vector256 (4 accumulators).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private row1x256 (a: nativeptr<float>) (tStride: int) (count: int) (y: nativeptr<float>) (out: nativeptr<float>) =
        let mutable c0 = Vector256<float>.Zero
        let mutable c1 = Vector256<float>.Zero
        let mutable c2 = Vector256<float>.Zero
        let mutable c3 = Vector256<float>.Zero
        let mutable pa = a
        let mutable py = y

        for _ in 1..count do
            let d0 = Vector256.Create(NativePtr.read pa)
            c0 <- Vector256.FusedMultiplyAdd(d0, Vector256.Load(py), c0)
            c1 <- Vector256.FusedMultiplyAdd(d0, Vector256.Load(NativePtr.add py 4), c1)
            c2 <- Vector256.FusedMultiplyAdd(d0, Vector256.Load(NativePtr.add py 8), c2)
            c3 <- Vector256.FusedMultiplyAdd(d0, Vector256.Load(NativePtr.add py 12), c3)
            pa <- NativePtr.add pa tStride
            py <- NativePtr.add py 16

        c0.Store(out)
        c1.Store(NativePtr.add out 4)
        c2.Store(NativePtr.add out 8)
        c3.Store(NativePtr.add out 12)

    /// out[r, c] = Σ_t a[r · rowStride + t · tStride] · y[16t + c] for r &lt; rows with Vector512 tiles of 8, 4 and 1
    /// rows. Needs 512-bit hardware acceleration (callers check `Vector512.IsHardwareAccelerated`).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tile512
        (rows: int)
        (a: nativeptr<float>)
        (rowStride: int)
        (tStride: int)
        (count: int)
        (y: nativeptr<float>)
        (out: nativeptr<float>)
        =
        let mutable r = 0

        while rows - r >= 8 do
            rows8x512 (NativePtr.add a (r * rowStride)) rowStride tStride count y (NativePtr.add out (16 * r))
            r <- r + 8

        if rows - r >= 4 then
            rows4x512 (NativePtr.add a (r * rowStride)) rowStride tStride count y (NativePtr.add out (16 * r))
            r <- r + 4

        while r < rows do
            row1x512 (NativePtr.add a (r * rowStride)) tStride count y (NativePtr.add out (16 * r))
            r <- r + 1

    /// `tile512` with Vector256 tiles of 2 and 1 rows (needs 256-bit hardware acceleration).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tile256
        (rows: int)
        (a: nativeptr<float>)
        (rowStride: int)
        (tStride: int)
        (count: int)
        (y: nativeptr<float>)
        (out: nativeptr<float>)
        =
        let mutable r = 0

        while rows - r >= 2 do
            rows2x256 (NativePtr.add a (r * rowStride)) rowStride tStride count y (NativePtr.add out (16 * r))
            r <- r + 2

        if r < rows then
            row1x256 (NativePtr.add a (r * rowStride)) tStride count y (NativePtr.add out (16 * r))

    /// `tile512` in scalar code (any hardware; the reference of the vector paths).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tileScalar
        (rows: int)
        (a: nativeptr<float>)
        (rowStride: int)
        (tStride: int)
        (count: int)
        (y: nativeptr<float>)
        (out: nativeptr<float>)
        =
        for r in 0 .. rows - 1 do
            for c in 0..15 do
                let mutable s = 0.0

                for t in 0 .. count - 1 do
                    s <- s + NativePtr.get a (r * rowStride + t * tStride) * NativePtr.get y (16 * t + c)

                NativePtr.set out (16 * r + c) s

    /// `tile512`, `tile256` or `tileScalar`, the widest the hardware accelerates.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let tile (rows: int) (a: nativeptr<float>) (rowStride: int) (tStride: int) (count: int) (y: nativeptr<float>) (out: nativeptr<float>) =
        if Vector512.IsHardwareAccelerated then
            tile512 rows a rowStride tStride count y out
        elif Vector256.IsHardwareAccelerated then
            tile256 rows a rowStride tStride count y out
        else
            tileScalar rows a rowStride tStride count y out

    /// One step of the three-term recurrence over n angles: dst[j] = ca (cos β_j − cb) d[j] − cc prev[j] (dst may
    /// alias prev). Every path evaluates the same expression in the same order, so all give identical results.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let recurrence
        (n: int)
        (cosb: nativeptr<float>)
        (ca: float)
        (cb: float)
        (cc: float)
        (d: nativeptr<float>)
        (prev: nativeptr<float>)
        (dst: nativeptr<float>)
        =
        let mutable j = 0

        if Vector512.IsHardwareAccelerated then
            let vca, vcb, vcc = Vector512.Create ca, Vector512.Create cb, Vector512.Create cc

            while j + 8 <= n do
                let r =
                    vca
                    * (Vector512.Load(NativePtr.add cosb j) - vcb)
                    * Vector512.Load(NativePtr.add d j)
                    - vcc * Vector512.Load(NativePtr.add prev j)

                r.Store(NativePtr.add dst j)
                j <- j + 8
        elif Vector256.IsHardwareAccelerated then
            let vca, vcb, vcc = Vector256.Create ca, Vector256.Create cb, Vector256.Create cc

            while j + 4 <= n do
                let r =
                    vca
                    * (Vector256.Load(NativePtr.add cosb j) - vcb)
                    * Vector256.Load(NativePtr.add d j)
                    - vcc * Vector256.Load(NativePtr.add prev j)

                r.Store(NativePtr.add dst j)
                j <- j + 4

        while j < n do
            NativePtr.set dst j (ca * (NativePtr.get cosb j - cb) * NativePtr.get d j - cc * NativePtr.get prev j)
            j <- j + 1

    /// Stores the columns of the 8 × 8 block with rows r0..r7 (column i = (r0[i], …, r7[i])) at dst + i · stride
    /// (`V512.transpose8`).
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let private transposeStore
        (r0: Vector512<float>)
        (r1: Vector512<float>)
        (r2: Vector512<float>)
        (r3: Vector512<float>)
        (r4: Vector512<float>)
        (r5: Vector512<float>)
        (r6: Vector512<float>)
        (r7: Vector512<float>)
        (dst: nativeptr<float>)
        (stride: int)
        =
        let struct (c0, c1, c2, c3, c4, c5, c6, c7) =
            V512.transpose8 r0 r1 r2 r3 r4 r5 r6 r7

        c0.Store(dst)
        c1.Store(NativePtr.add dst stride)
        c2.Store(NativePtr.add dst (2 * stride))
        c3.Store(NativePtr.add dst (3 * stride))
        c4.Store(NativePtr.add dst (4 * stride))
        c5.Store(NativePtr.add dst (5 * stride))
        c6.Store(NativePtr.add dst (6 * stride))
        c7.Store(NativePtr.add dst (7 * stride))

    /// Loads 8 values at p, lane-reversed when `rev`.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let private load8 (rev: bool) (p: nativeptr<float>) =
        let v = Vector512.Load(p)

        if rev then
            X86.Avx512F.PermuteVar8x64(v, Vector512.Create(7L, 6L, 5L, 4L, 3L, 2L, 1L, 0L))
        else
            v

    /// dst[16j + c] = src[offsets[c] + j] for c &lt; 4 and src[offsets[c] + n − 1 − j] for 4 ≤ c &lt; 8, j &lt; n: the
    /// eight β vectors of a pair (the last four read in reverse β order) interleaved by β into 8 of the 16 columns of
    /// a row. AVX-512: 8 × 8 block transposes (n a multiple of 8); otherwise scalar.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let interleave (n: int) (src: nativeptr<float>) (offsets: int[]) (dst: nativeptr<float>) =
        if X86.Avx512F.IsSupported && n % 8 = 0 then
            let s0, s1, s2, s3 =
                NativePtr.add src offsets[0], NativePtr.add src offsets[1], NativePtr.add src offsets[2], NativePtr.add src offsets[3]

            let s4, s5, s6, s7 =
                NativePtr.add src offsets[4], NativePtr.add src offsets[5], NativePtr.add src offsets[6], NativePtr.add src offsets[7]

            let mutable j = 0

            while j < n do
                let r = n - 8 - j

                transposeStore
                    (load8 false (NativePtr.add s0 j))
                    (load8 false (NativePtr.add s1 j))
                    (load8 false (NativePtr.add s2 j))
                    (load8 false (NativePtr.add s3 j))
                    (load8 true (NativePtr.add s4 r))
                    (load8 true (NativePtr.add s5 r))
                    (load8 true (NativePtr.add s6 r))
                    (load8 true (NativePtr.add s7 r))
                    (NativePtr.add dst (16 * j))
                    16

                j <- j + 8
        else
            for c in 0..7 do
                let s = NativePtr.add src offsets[c]

                for j in 0 .. n - 1 do
                    NativePtr.set dst (16 * j + c) (NativePtr.get s (if c < 4 then j else n - 1 - j))

    /// The inverse of `interleave`: dst[offsets[c] + j] = src[16j + c] for c &lt; 4 and
    /// dst[offsets[c] + n − 1 − j] = src[16j + c] for 4 ≤ c &lt; 8, j &lt; n.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let deinterleave (n: int) (src: nativeptr<float>) (dst: nativeptr<float>) (offsets: int[]) =
        if X86.Avx512F.IsSupported && n % 8 = 0 then
            let cols = NativePtr.stackalloc<float> 72
            // 64-byte aligned staging of the transposed block (one row of 8 per order).
            let t = NativePtr.ofNativeInt<float>((NativePtr.toNativeInt cols + 63n) &&& ~~~63n)
            let mutable j = 0

            while j < n do
                let p = NativePtr.add src (16 * j)

                transposeStore
                    (Vector512.Load(p))
                    (Vector512.Load(NativePtr.add p 16))
                    (Vector512.Load(NativePtr.add p 32))
                    (Vector512.Load(NativePtr.add p 48))
                    (Vector512.Load(NativePtr.add p 64))
                    (Vector512.Load(NativePtr.add p 80))
                    (Vector512.Load(NativePtr.add p 96))
                    (Vector512.Load(NativePtr.add p 112))
                    t
                    8

                for c in 0..3 do
                    Vector512.Load(NativePtr.add t (8 * c)).Store(NativePtr.add dst (offsets[c] + j))

                for c in 4..7 do
                    (load8 true (NativePtr.add t (8 * c))).Store(NativePtr.add dst (offsets[c] + n - 8 - j))

                j <- j + 8
        else
            for c in 0..7 do
                let d = NativePtr.add dst offsets[c]

                for j in 0 .. n - 1 do
                    NativePtr.set d (if c < 4 then j else n - 1 - j) (NativePtr.get src (16 * j + c))

    /// Whether `streamOut` can run: AVX-512 and n a multiple of 8.
    let canStream (n: int) = X86.Avx512F.IsSupported && n % 8 = 0

    /// dst[offsets[c] + i] = src[c · n + i] for i &lt; n, c &lt; 8: copies eight β vectors from a staging area to their
    /// places in the spectra, whole 64-byte lines with non-temporal 512-bit stores (no read for ownership, no cache
    /// pollution by the 2 × (2B−1)² · 2B output) and the partial lines at either end with scalar stores. Requires
    /// `canStream n` and offsets that are multiples of 8; the caller issues a store fence before the data is read by
    /// another thread.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let streamOut (n: int) (src: nativeptr<float>) (dst: nativeptr<float>) (offsets: int[]) =
        // Elements before the first 64-byte boundary of dst (the same for every order: offsets are multiples of 8).
        let head = int ((64L - (NativePtr.toNativeInt dst |> int64) % 64L) % 64L) / 8
        let body = (n - head) / 8 * 8

        for c in 0..7 do
            let s = NativePtr.add src (c * n)
            let d = NativePtr.add dst offsets[c]

            for i in 0 .. head - 1 do
                NativePtr.set d i (NativePtr.get s i)

            let mutable i = head

            while i < head + body do
                X86.Avx512F.StoreAlignedNonTemporal(NativePtr.add d i, Vector512.Load(NativePtr.add s i))
                i <- i + 8

            while i < n do
                NativePtr.set d i (NativePtr.get s i)
                i <- i + 1
