namespace EquiSphere.Tensor.Kernels

#nowarn "9" // Packed panels and C are accessed through pinned pointers; every bound is checked before.

open System
open System.Buffers
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop

/// How a GEMM operand enters the product.
[<RequireQualifiedAccess>]
type MatOp =
    /// op(X) = X: the matrix is read as stored.
    | AsIs
    /// op(X) = Xᵀ: the stored matrix is read transposed.
    | Transposed

/// Cache blocking of one precision and SIMD width: MR × NR register tile, KC depth of a packed panel (the B̃
/// micro-panel stays in L1), MC rows of packed A (in L2), NC columns of packed B (in L3).
type internal Blocking =
    {
        MR: int
        NR: int
        KC: int
        MC: int
        NC: int
    }

/// General matrix multiply C[m×n] = α·op(A)·op(B) + β·C on row-major arrays with offsets and leading dimensions
/// (BLAS's xGEMM in row-major form). Goto/BLIS structure: B is packed in KC × NC blocks, A in MC × KC blocks, and a
/// SIMD micro-kernel (Vector512 with AVX-512, else Vector256; fused multiply-add) computes register tiles.
///
/// Laws: the result equals the naive triple loop up to rounding (each element is one dot product accumulated
/// in k order within blocks of KC, blocks added in order); the result is bit-identical for every thread count,
/// since threads split C into disjoint column (or row) ranges and each element is computed the same way;
/// β = 0 never reads C; k = 0 or α = 0 gives β·C without reading A or B. C must not overlap A or B.
[<RequireQualifiedAccess>]
module Gemm =

    /// The thread count used when a caller has no preference: the machine's logical cores.
    let defaultThreads = Environment.ProcessorCount

    /// Whether the Vector512 (AVX-512) micro-kernels are used; otherwise the Vector256 ones.
    let usesVector512 = Vector512.IsHardwareAccelerated

    // Blocking: the packed B micro-panel (KC × NR) is reused from L1/L2 by every A micro-panel of an MC block,
    // the packed A block (MC × KC) stays in L2 (1 MB per core on the target Zen 5), the packed B block
    // (KC × NC) in L2/L3. Chosen by measurement on a loaded machine; see docs/tensor-kernels.md.
    let private single512 =
        {
            MR = 8
            NR = 48
            KC = 256
            MC = 256
            NC = 1024
        }

    let private double512 =
        {
            MR = 8
            NR = 24
            KC = 256
            MC = 128
            NC = 512
        }

    let private single256 =
        {
            MR = 4
            NR = 24
            KC = 256
            MC = 256
            NC = 1024
        }

    let private double256 =
        {
            MR = 4
            NR = 12
            KC = 256
            MC = 128
            NC = 512
        }

    /// Products below this many multiply-adds run on one thread (threading costs more than it saves).
    let private parallelThreshold = 1L <<< 18

    let inline private cast<'T, 'U when 'T: unmanaged and 'U: unmanaged> (p: nativeptr<'T>) : nativeptr<'U> =
        NativePtr.ofNativeInt (NativePtr.toNativeInt p)

    /// The first 64-byte aligned address at or after `p`.
    let inline private align64 (p: nativeptr<'T>) : nativeptr<'T> =
        NativePtr.ofNativeInt ((NativePtr.toNativeInt p + 63n) &&& ~~~63n)

    /// Whether the float32 packers may use the AVX 8 × 8 transpose.
    let private transposes = Avx.IsSupported

    /// Transposes an 8 × 8 float32 block given as its eight rows r0 … r7: output row q (the q-th value of every
    /// input row) is stored at dst + q·ldd. Three stages of AVX shuffles: pairs, quads, 128-bit halves.
    let inline private transpose8Rows
        (r0: Vector256<float32>)
        (r1: Vector256<float32>)
        (r2: Vector256<float32>)
        (r3: Vector256<float32>)
        (r4: Vector256<float32>)
        (r5: Vector256<float32>)
        (r6: Vector256<float32>)
        (r7: Vector256<float32>)
        (dst: nativeptr<float32>)
        (ldd: int)
        =
        // t0 = a0 b0 a1 b1 | a4 b4 a5 b5, t1 = a2 b2 a3 b3 | a6 b6 a7 b7 (a, b = rows 0, 1), likewise t2 … t7.
        let t0, t1 = Avx.UnpackLow(r0, r1), Avx.UnpackHigh(r0, r1)
        let t2, t3 = Avx.UnpackLow(r2, r3), Avx.UnpackHigh(r2, r3)
        let t4, t5 = Avx.UnpackLow(r4, r5), Avx.UnpackHigh(r4, r5)
        let t6, t7 = Avx.UnpackLow(r6, r7), Avx.UnpackHigh(r6, r7)
        // u0 = a0 b0 c0 d0 | a4 b4 c4 d4, u1 = a1 … d1 | a5 … d5, u2 = a2 … | a6 …, u3 = a3 … | a7 …
        let u0, u1 = Avx.Shuffle(t0, t2, 0x44uy), Avx.Shuffle(t0, t2, 0xEEuy)
        let u2, u3 = Avx.Shuffle(t1, t3, 0x44uy), Avx.Shuffle(t1, t3, 0xEEuy)
        let u4, u5 = Avx.Shuffle(t4, t6, 0x44uy), Avx.Shuffle(t4, t6, 0xEEuy)
        let u6, u7 = Avx.Shuffle(t5, t7, 0x44uy), Avx.Shuffle(t5, t7, 0xEEuy)
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20uy))
        Avx.Store(NativePtr.add dst ldd, Avx.Permute2x128(u1, u5, 0x20uy))
        Avx.Store(NativePtr.add dst (2 * ldd), Avx.Permute2x128(u2, u6, 0x20uy))
        Avx.Store(NativePtr.add dst (3 * ldd), Avx.Permute2x128(u3, u7, 0x20uy))
        Avx.Store(NativePtr.add dst (4 * ldd), Avx.Permute2x128(u0, u4, 0x31uy))
        Avx.Store(NativePtr.add dst (5 * ldd), Avx.Permute2x128(u1, u5, 0x31uy))
        Avx.Store(NativePtr.add dst (6 * ldd), Avx.Permute2x128(u2, u6, 0x31uy))
        Avx.Store(NativePtr.add dst (7 * ldd), Avx.Permute2x128(u3, u7, 0x31uy))

    /// Transposes an 8 × 8 float32 block: row r is the 8 values at s_r, and output row q (the q-th value of every
    /// input row) is stored at dst + q·ldd.
    let inline private transpose8
        (s0: nativeptr<float32>)
        (s1: nativeptr<float32>)
        (s2: nativeptr<float32>)
        (s3: nativeptr<float32>)
        (s4: nativeptr<float32>)
        (s5: nativeptr<float32>)
        (s6: nativeptr<float32>)
        (s7: nativeptr<float32>)
        (dst: nativeptr<float32>)
        (ldd: int)
        =
        transpose8Rows
            (Avx.LoadVector256 s0)
            (Avx.LoadVector256 s1)
            (Avx.LoadVector256 s2)
            (Avx.LoadVector256 s3)
            (Avx.LoadVector256 s4)
            (Avx.LoadVector256 s5)
            (Avx.LoadVector256 s6)
            (Avx.LoadVector256 s7)
            dst
            ldd

    /// Whether the packers may compact stride-2 runs with AVX-512 two-source permutes (`evens16`, `evens8`).
    let private compacts = Avx512F.IsSupported

    /// Lane indices 0, 2, 4, … 30 of a two-register float32 permute: the even elements of 32 consecutive values.
    let private evenLanes32 =
        Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)

    /// Lane indices 0, 2, … 14 of a two-register float64 permute: the even elements of 16 consecutive values.
    let private evenLanes64 = Vector512.Create(0L, 2L, 4L, 6L, 8L, 10L, 12L, 14L)

    /// The 16 float32 values at p, p + 2, … p + 30 (reads p … p + 31).
    let inline private evens16 (p: nativeptr<float32>) =
        Avx512F.PermuteVar16x32x2(Avx512F.LoadVector512 p, evenLanes32, Avx512F.LoadVector512(NativePtr.add p 16))

    /// The 8 float32 values at p, p + 2, … p + 14 (reads p … p + 15).
    let inline private evens8 (p: nativeptr<float32>) =
        Avx512F.PermuteVar16x32(Avx512F.LoadVector512 p, evenLanes32).GetLower()

    /// The 8 float64 values at p, p + 2, … p + 14 (reads p … p + 15).
    let inline private evens8d (p: nativeptr<float>) =
        Avx512F.PermuteVar8x64x2(Avx512F.LoadVector512 p, evenLanes64, Avx512F.LoadVector512(NativePtr.add p 8))

    /// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) (stored at `a` with leading dimension `lda`) into
    /// micro-panels of MR rows: panel q holds Ã[p·MR + r] = op(A)[i0 + q·MR + r, p0 + p]; rows past mc are zero.
    let private packA<'T when 'T: unmanaged>
        (mr: int)
        (opA: MatOp)
        (a: nativeptr<'T>)
        (lda: int)
        (i0: int)
        (mc: int)
        (p0: int)
        (kc: int)
        (dst: nativeptr<'T>)
        =
        let panels = (mc + mr - 1) / mr

        if opA = MatOp.Transposed then
            // Row p0 + p of the stored matrix holds op(A)[i0 .., p0 + p] contiguously: read each stored row once,
            // front to back, and deal its values into the panels (strided reads would thrash L1 sets).
            for p in 0 .. kc - 1 do
                let src = NativePtr.add a ((p0 + p) * lda + i0)

                for q in 0 .. panels - 1 do
                    let out = NativePtr.add dst (q * mr * kc + p * mr)
                    let from = NativePtr.add src (q * mr)

                    for r in 0 .. min mr (mc - q * mr) - 1 do
                        NativePtr.set out r (NativePtr.get from r)

        for q in 0 .. panels - 1 do
            let rBase = i0 + q * mr
            let rows = min mr (mc - q * mr)
            let panel = NativePtr.add dst (q * mr * kc)

            match opA with
            | MatOp.AsIs when rows = 8 && mr = 8 ->
                // Eight source rows walked side by side; each k writes one contiguous group of 8.
                let r0 = NativePtr.add a (rBase * lda + p0)
                let r1 = NativePtr.add r0 lda
                let r2 = NativePtr.add r1 lda
                let r3 = NativePtr.add r2 lda
                let r4 = NativePtr.add r3 lda
                let r5 = NativePtr.add r4 lda
                let r6 = NativePtr.add r5 lda
                let r7 = NativePtr.add r6 lda
                let mutable out = panel
                let mutable p0 = 0

                if transposes && typeof<'T> = typeof<float32> then
                    // Eight k at a time: an 8 × 8 block of the rows, transposed, is 64 contiguous panel values.
                    while p0 + 8 <= kc do
                        transpose8
                            (cast (NativePtr.add r0 p0))
                            (cast (NativePtr.add r1 p0))
                            (cast (NativePtr.add r2 p0))
                            (cast (NativePtr.add r3 p0))
                            (cast (NativePtr.add r4 p0))
                            (cast (NativePtr.add r5 p0))
                            (cast (NativePtr.add r6 p0))
                            (cast (NativePtr.add r7 p0))
                            (cast out)
                            8

                        out <- NativePtr.add out 64
                        p0 <- p0 + 8

                for p in p0 .. kc - 1 do
                    NativePtr.set out 0 (NativePtr.get r0 p)
                    NativePtr.set out 1 (NativePtr.get r1 p)
                    NativePtr.set out 2 (NativePtr.get r2 p)
                    NativePtr.set out 3 (NativePtr.get r3 p)
                    NativePtr.set out 4 (NativePtr.get r4 p)
                    NativePtr.set out 5 (NativePtr.get r5 p)
                    NativePtr.set out 6 (NativePtr.get r6 p)
                    NativePtr.set out 7 (NativePtr.get r7 p)
                    out <- NativePtr.add out 8
            | MatOp.AsIs ->
                // Row r of the panel starts at a + (rBase + r)·lda + p0; walk k, writing MR values contiguously.
                let src = NativePtr.add a (rBase * lda + p0)

                for p in 0 .. kc - 1 do
                    let out = NativePtr.add panel (p * mr)
                    let col = NativePtr.add src p

                    for r in 0 .. rows - 1 do
                        NativePtr.set out r (NativePtr.get col (r * lda))
            | MatOp.Transposed -> ()

            if rows < mr then
                for p in 0 .. kc - 1 do
                    for r in rows .. mr - 1 do
                        NativePtr.set panel (p * mr + r) Unchecked.defaultof<'T>

    /// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into micro-panels of NR columns: panel q holds
    /// B̃[p·NR + c] = op(B)[p0 + p, j0 + q·NR + c]; columns past nc are zero. Row r of the stored matrix starts at
    /// b + r·ldb, or at b + bRows[r] when `bRows` is not null (rows gathered from anywhere in one array, as the
    /// shifted views of a padded image in a stride-1 convolution). With op(B) = B and `bCols` not null, column j
    /// of a row is at the row's start + bCols[j] (the output pixels of stacked padded images, skipping the
    /// padding columns and rows): each panel row is copied as the runs of consecutive offsets in its columns.
    let private packB<'T when 'T: unmanaged>
        (nr: int)
        (opB: MatOp)
        (b: nativeptr<'T>)
        (ldb: int)
        (bRows: int[])
        (bCols: int[])
        (p0: int)
        (kc: int)
        (j0: int)
        (nc: int)
        (dst: nativeptr<'T>)
        =
        let panels = (nc + nr - 1) / nr

        let rowStart r =
            if isNull bRows then r * ldb else bRows[r]

        // runs of the current panel: (column in the panel, source offset, length, step 1 or 2), at most NR of them
        let runs = if isNull bCols then null else Array.zeroCreate<int>(4 * nr)
        let isSingle = typeof<'T> = typeof<float32>

        for q in 0 .. panels - 1 do
            let cBase = j0 + q * nr
            let cols = min nr (nc - q * nr)
            let panel = NativePtr.add dst (q * nr * kc)

            match opB with
            | MatOp.AsIs when not (isNull bCols) ->
                let mutable count = 0
                let mutable c = 0

                while c < cols do
                    let start = c
                    let first = bCols[cBase + c]
                    // a run continues with the step of its first two columns when that is 1 or 2
                    let step =
                        if c + 1 < cols then
                            let d = bCols[cBase + c + 1] - first
                            if d = 1 || d = 2 then d else 1
                        else
                            1

                    c <- c + 1

                    while c < cols && bCols[cBase + c] = bCols[cBase + c - 1] + step do
                        c <- c + 1

                    runs[4 * count] <- start
                    runs[4 * count + 1] <- first
                    runs[4 * count + 2] <- c - start
                    runs[4 * count + 3] <- step
                    count <- count + 1

                let w = Vector256<'T>.Count

                for p in 0 .. kc - 1 do
                    let src = NativePtr.add b (rowStart (p0 + p))
                    let out = NativePtr.add panel (p * nr)

                    for r in 0 .. count - 1 do
                        let o = NativePtr.add out runs[4 * r]
                        let i = NativePtr.add src runs[4 * r + 1]
                        let len = runs[4 * r + 2]
                        let mutable e = 0

                        if runs[4 * r + 3] = 1 then
                            while e + w <= len do
                                Vector256.Store(Vector256.Load(NativePtr.add i e), NativePtr.add o e)
                                e <- e + w

                            while e < len do
                                NativePtr.set o e (NativePtr.get i e)
                                e <- e + 1
                        else
                            if compacts then
                                if isSingle then
                                    let i32, o32 = cast<'T, float32> i, cast<'T, float32> o

                                    while e + 16 <= len do
                                        Avx512F.Store(NativePtr.add o32 e, evens16 (NativePtr.add i32 (2 * e)))
                                        e <- e + 16

                                    if e + 8 <= len then
                                        Avx.Store(NativePtr.add o32 e, evens8 (NativePtr.add i32 (2 * e)))
                                        e <- e + 8
                                else
                                    let i64, o64 = cast<'T, float> i, cast<'T, float> o

                                    while e + 8 <= len do
                                        Avx512F.Store(NativePtr.add o64 e, evens8d (NativePtr.add i64 (2 * e)))
                                        e <- e + 8

                            while e < len do
                                NativePtr.set o e (NativePtr.get i (2 * e))
                                e <- e + 1

                    for e in cols .. nr - 1 do
                        NativePtr.set out e Unchecked.defaultof<'T>
            | MatOp.AsIs when cols = nr ->
                // NR is three SIMD vectors wide: copy each row of the panel with three vector moves.
                let mutable out = panel

                if usesVector512 then
                    let w = Vector512<'T>.Count

                    for p in p0 .. p0 + kc - 1 do
                        let src = NativePtr.add b (rowStart p + cBase)
                        Vector512.Store(Vector512.Load src, out)
                        Vector512.Store(Vector512.Load(NativePtr.add src w), NativePtr.add out w)
                        Vector512.Store(Vector512.Load(NativePtr.add src (2 * w)), NativePtr.add out (2 * w))
                        out <- NativePtr.add out nr
                else
                    let w = Vector256<'T>.Count

                    for p in p0 .. p0 + kc - 1 do
                        let src = NativePtr.add b (rowStart p + cBase)
                        Vector256.Store(Vector256.Load src, out)
                        Vector256.Store(Vector256.Load(NativePtr.add src w), NativePtr.add out w)
                        Vector256.Store(Vector256.Load(NativePtr.add src (2 * w)), NativePtr.add out (2 * w))
                        out <- NativePtr.add out nr
            | MatOp.AsIs ->
                for p in 0 .. kc - 1 do
                    let src =
                        ReadOnlySpan<'T>(NativePtr.toVoidPtr (NativePtr.add b (rowStart (p0 + p) + cBase)), cols)

                    let row = Span<'T>(NativePtr.toVoidPtr (NativePtr.add panel (p * nr)), nr)
                    src.CopyTo row

                    if cols < nr then
                        row.Slice(cols).Clear()
            | MatOp.Transposed when transposes && typeof<'T> = typeof<float32> ->
                // Eight stored rows (columns of op(B)) at a time, read front to back side by side (eight streams
                // stay clear of the L1 set conflicts of reading all NR), in 8 × 8 blocks transposed into the panel;
                // the k tail, the columns past the last group of eight and the zero columns go one by one.
                let k8 = kc / 8 * 8
                let c8 = cols / 8 * 8
                let out = cast<'T, float32> panel

                let row c =
                    cast<'T, float32>(NativePtr.add b (rowStart (cBase + c)))

                // offset of k index p0 + p within a stored row (gathered columns: eight consecutive k from a
                // multiple of 8 are consecutive in memory, which `gemmRowsCols` checks)
                let kOff p =
                    if isNull bCols then p0 + p else bCols[p0 + p]

                // the step between the eight k of the group from p (1, or 2 for a strided convolution's columns)
                let groupStep p =
                    if isNull bCols then
                        1
                    else
                        bCols[p0 + p + 1] - bCols[p0 + p]

                for c0 in 0..8 .. c8 - 1 do
                    let s0, s1, s2, s3 = row c0, row (c0 + 1), row (c0 + 2), row (c0 + 3)
                    let s4, s5, s6, s7 = row (c0 + 4), row (c0 + 5), row (c0 + 6), row (c0 + 7)

                    for p in 0..8 .. k8 - 1 do
                        let o = kOff p
                        let dst = NativePtr.add out (p * nr + c0)

                        if groupStep p = 1 then
                            transpose8
                                (NativePtr.add s0 o)
                                (NativePtr.add s1 o)
                                (NativePtr.add s2 o)
                                (NativePtr.add s3 o)
                                (NativePtr.add s4 o)
                                (NativePtr.add s5 o)
                                (NativePtr.add s6 o)
                                (NativePtr.add s7 o)
                                dst
                                nr
                        elif compacts then
                            transpose8Rows
                                (evens8 (NativePtr.add s0 o))
                                (evens8 (NativePtr.add s1 o))
                                (evens8 (NativePtr.add s2 o))
                                (evens8 (NativePtr.add s3 o))
                                (evens8 (NativePtr.add s4 o))
                                (evens8 (NativePtr.add s5 o))
                                (evens8 (NativePtr.add s6 o))
                                (evens8 (NativePtr.add s7 o))
                                dst
                                nr
                        else
                            for c in 0..7 do
                                let src = row (c0 + c)

                                for e in 0..7 do
                                    NativePtr.set dst (e * nr + c) (NativePtr.get src (kOff (p + e)))

                    for c in c0 .. c0 + 7 do
                        let src = row c

                        for p in k8 .. kc - 1 do
                            NativePtr.set out (p * nr + c) (NativePtr.get src (kOff p))

                for c in c8 .. cols - 1 do
                    let src = row c

                    for p in 0 .. kc - 1 do
                        NativePtr.set out (p * nr + c) (NativePtr.get src (kOff p))

                if cols < nr then
                    for p in 0 .. kc - 1 do
                        for c in cols .. nr - 1 do
                            NativePtr.set out (p * nr + c) 0.0f
            | MatOp.Transposed ->
                // Column c of op(B) is row cBase + c of the stored matrix: read it front to back (reading the NR
                // rows side by side would thrash L1 sets when ldb is a multiple of 4 KB) and deal it into the panel.
                for c in 0 .. cols - 1 do
                    let src = NativePtr.add b (rowStart (cBase + c))

                    for p in 0 .. kc - 1 do
                        let o = if isNull bCols then p0 + p else bCols[p0 + p]
                        NativePtr.set panel (p * nr + c) (NativePtr.get src o)

                if cols < nr then
                    for p in 0 .. kc - 1 do
                        for c in cols .. nr - 1 do
                            NativePtr.set panel (p * nr + c) Unchecked.defaultof<'T>

    /// Calls the micro-kernel of the element type and SIMD width.
    let inline private micro<'T when 'T: unmanaged>
        (isSingle: bool)
        (kc: int)
        (ap: nativeptr<'T>)
        (bp: nativeptr<'T>)
        (dst: nativeptr<'T>)
        (ldd: int)
        (accumulate: bool)
        =
        if isSingle then
            if usesVector512 then
                Micro.sgemm512 kc (cast ap) (cast bp) (cast dst) ldd accumulate
            else
                Micro.sgemm256 kc (cast ap) (cast bp) (cast dst) ldd accumulate
        elif usesVector512 then
            Micro.dgemm512 kc (cast ap) (cast bp) (cast dst) ldd accumulate
        else
            Micro.dgemm256 kc (cast ap) (cast bp) (cast dst) ldd accumulate

    /// Writes (or adds, when `accumulate`) the top-left rows × cols of a tile into C.
    let inline private mergeTile (tile: nativeptr< ^T >) (ldt: int) (c: nativeptr< ^T >) (ldc: int) rows cols accumulate =
        for i in 0 .. rows - 1 do
            for j in 0 .. cols - 1 do
                let t = NativePtr.get tile (i * ldt + j)

                if accumulate then
                    NativePtr.set c (i * ldc + j) (NativePtr.get c (i * ldc + j) + t)
                else
                    NativePtr.set c (i * ldc + j) t

    let private merge<'T when 'T: unmanaged> (isSingle: bool) (tile: nativeptr<'T>) ldt (c: nativeptr<'T>) ldc rows cols accumulate =
        if isSingle then
            mergeTile (cast<'T, float32> tile) ldt (cast c) ldc rows cols accumulate
        else
            mergeTile (cast<'T, float> tile) ldt (cast c) ldc rows cols accumulate

    /// x ← s·x on `count` elements at `p` (s = 0 writes zeros without reading x).
    let inline private scaleRun (p: nativeptr< ^T >) (count: int) (s: ^T) =
        for i in 0 .. count - 1 do
            if s = LanguagePrimitives.GenericZero then
                NativePtr.set p i LanguagePrimitives.GenericZero
            else
                NativePtr.set p i (s * NativePtr.get p i)

    let private scale<'T when 'T: unmanaged> (isSingle: bool) (p: nativeptr<'T>) (count: int) (s: float) =
        if isSingle then
            scaleRun (cast<'T, float32> p) count (float32 s)
        else
            scaleRun (cast<'T, float> p) count s

    /// The blocked product restricted to rows [m0, m1) and columns [n0, n1) of C, on the calling thread.
    /// α is folded into the packed A; β ∉ {0, 1} scales the range of C first; with β = 0 the first k-block
    /// overwrites C and later blocks add to it.
    let private blockRange<'T when 'T: unmanaged>
        (blk: Blocking)
        (opA: MatOp)
        (opB: MatOp)
        (k: int)
        (alpha: float)
        (a: nativeptr<'T>)
        (lda: int)
        (b: nativeptr<'T>)
        (ldb: int)
        (bRows: int[])
        (bCols: int[])
        (beta: float)
        (c: nativeptr<'T>)
        (ldc: int)
        (m0: int)
        (m1: int)
        (n0: int)
        (n1: int)
        =
        let isSingle = typeof<'T> = typeof<float32>
        let pad = 64 / sizeof<'T>
        let ncMax = min blk.NC (n1 - n0)
        let mcMax = min blk.MC (m1 - m0)
        let kcMax = min blk.KC k
        let sizeA = ((mcMax + blk.MR - 1) / blk.MR) * blk.MR * kcMax + pad
        let sizeB = ((ncMax + blk.NR - 1) / blk.NR) * blk.NR * kcMax + pad
        let sizeT = blk.MR * blk.NR + pad
        let bufA = ArrayPool<'T>.Shared.Rent sizeA
        let bufB = ArrayPool<'T>.Shared.Rent sizeB
        let bufT = ArrayPool<'T>.Shared.Rent sizeT

        do
            use pinA = fixed bufA
            use pinB = fixed bufB
            use pinT = fixed bufT
            let ap = align64 pinA
            let bp = align64 pinB
            let tile = align64 pinT

            if beta <> 0.0 && beta <> 1.0 then
                for i in m0 .. m1 - 1 do
                    scale isSingle (NativePtr.add c (i * ldc + n0)) (n1 - n0) beta

            let mutable jc = n0

            while jc < n1 do
                let nc = min blk.NC (n1 - jc)
                let mutable pc = 0

                while pc < k do
                    let kc = min blk.KC (k - pc)
                    packB blk.NR opB b ldb bRows bCols pc kc jc nc bp
                    let accumulate = pc > 0 || beta <> 0.0
                    let mutable ic = m0

                    while ic < m1 do
                        let mc = min blk.MC (m1 - ic)
                        packA blk.MR opA a lda ic mc pc kc ap

                        if alpha <> 1.0 then
                            scale isSingle ap (((mc + blk.MR - 1) / blk.MR) * blk.MR * kc) alpha

                        let mutable jr = 0

                        while jr < nc do
                            let cols = min blk.NR (nc - jr)
                            let bPanel = NativePtr.add bp (jr * kc)
                            let mutable ir = 0

                            while ir < mc do
                                let rows = min blk.MR (mc - ir)
                                let aPanel = NativePtr.add ap (ir * kc)
                                let cTile = NativePtr.add c ((ic + ir) * ldc + jc + jr)

                                if rows = blk.MR && cols = blk.NR then
                                    micro isSingle kc aPanel bPanel cTile ldc accumulate
                                else
                                    micro isSingle kc aPanel bPanel tile blk.NR false
                                    merge isSingle tile blk.NR cTile ldc rows cols accumulate

                                ir <- ir + blk.MR

                            jr <- jr + blk.NR

                        ic <- ic + blk.MC

                    pc <- pc + blk.KC

                jc <- jc + blk.NC

        ArrayPool<'T>.Shared.Return bufA
        ArrayPool<'T>.Shared.Return bufB
        ArrayPool<'T>.Shared.Return bufT

    /// C ← β·C on an m × n block (β = 0 writes zeros without reading C).
    let inline private scaleC (beta: ^T) (c: ^T[]) (offC: int) (ldc: int) (m: int) (n: int) =
        for i in 0 .. m - 1 do
            let row = offC + i * ldc

            if beta = LanguagePrimitives.GenericZero then
                Array.fill c row n LanguagePrimitives.GenericZero
            elif beta <> LanguagePrimitives.GenericOne then
                for j in row .. row + n - 1 do
                    c[j] <- beta * c[j]

    let private validate
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (a: 'T[])
        (offA: int)
        (lda: int)
        (b: 'T[])
        (offB: int)
        (ldb: int)
        (c: 'T[])
        (offC: int)
        (ldc: int)
        =
        KernelCheck.positive "threads" threads
        KernelCheck.nonNegative "m" m
        KernelCheck.nonNegative "n" n
        KernelCheck.nonNegative "k" k

        match opA with
        | MatOp.AsIs -> KernelCheck.matrix "a" a offA m k lda
        | MatOp.Transposed -> KernelCheck.matrix "a" a offA k m lda

        match opB with
        | MatOp.AsIs -> KernelCheck.matrix "b" b offB k n ldb
        | MatOp.Transposed -> KernelCheck.matrix "b" b offB n k ldb

        KernelCheck.matrix "c" c offC m n ldc

    /// The validated product on `threads` threads: C is split into `threads` disjoint column ranges (multiples of NR)
    /// when m < n, else row ranges (multiples of MR), one per thread.
    let private run<'T when 'T: unmanaged>
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (alpha: float)
        (a: 'T[])
        (offA: int)
        (lda: int)
        (b: 'T[])
        (offB: int)
        (ldb: int)
        (bRows: int[])
        (bCols: int[])
        (beta: float)
        (c: 'T[])
        (offC: int)
        (ldc: int)
        =
        let blk =
            match typeof<'T> = typeof<float32>, usesVector512 with
            | true, true -> single512
            | true, false -> single256
            | false, true -> double512
            | false, false -> double256

        use pinA = fixed a
        use pinB = fixed b
        use pinC = fixed c
        let aBase = NativePtr.toNativeInt (NativePtr.add pinA offA)
        let bBase = NativePtr.toNativeInt (NativePtr.add pinB offB)
        let cBase = NativePtr.toNativeInt (NativePtr.add pinC offC)
        let work = int64 m * int64 n * int64 k
        // Each thread packs all of the operand along the unsplit dimension: split n when A (m × k) is the smaller.
        let splitN = m < n

        let parts =
            if work < parallelThreshold then 1
            elif splitN then min threads ((n + blk.NR - 1) / blk.NR)
            else min threads ((m + blk.MR - 1) / blk.MR)

        let range m0 m1 n0 n1 =
            let ap: nativeptr<'T> = NativePtr.ofNativeInt aBase
            let bp: nativeptr<'T> = NativePtr.ofNativeInt bBase
            let cp: nativeptr<'T> = NativePtr.ofNativeInt cBase
            blockRange blk opA opB k alpha ap lda bp ldb bRows bCols beta cp ldc m0 m1 n0 n1

        if parts <= 1 then
            range 0 m 0 n
        else
            let extent, unit = if splitN then n, blk.NR else m, blk.MR
            let chunk = ((extent + parts - 1) / parts + unit - 1) / unit * unit

            Parallel.For(
                0,
                parts,
                ParallelOptions(MaxDegreeOfParallelism = parts),
                fun t ->
                    let lo = t * chunk
                    let hi = min extent (lo + chunk)

                    if lo < hi then
                        if splitN then range 0 m lo hi else range lo hi 0 n
            )
            |> ignore

    /// GEMM whose B rows are gathered: stored row r of B starts at b[bRows[r]] (op(B) = B: k rows of n values;
    /// op(B) = Bᵀ: n rows of k values). For the stride-1 convolution path; the caller guarantees the bounds.
    let internal gemmRows
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (alpha: float)
        (a: 'T[])
        (offA: int)
        (lda: int)
        (b: 'T[])
        (bRows: int[])
        (beta: float)
        (c: 'T[])
        (offC: int)
        (ldc: int)
        =
        if m > 0 && n > 0 && k > 0 then
            match box a with
            | :? (float32[])
            | :? (float[]) -> run threads opA opB m n k alpha a offA lda b 0 1 bRows null beta c offC ldc
            | _ -> KernelCheck.floatType<'T> "a"

    /// `gemmRows` whose stored columns are gathered too: stored element (r, j) of B is b[bRows[r] + bCols[j]]
    /// (the output pixels of stacked padded images in a convolution, without the wide grid's padding columns; with
    /// stride 2, every other sample); op(B) = B: k × n with n = bCols.Length; op(B) = Bᵀ: n × k with
    /// k = bCols.Length, and then the eight bCols of each group from a multiple of 8 must step by 1 or all by 2
    /// (the transposing packer reads a group as one vector; checked). Runs of offsets stepping by 2 are read as
    /// whole vectors and compacted, so b must stay readable one element past the last gathered element. Every C
    /// element is the same dot product, in the same k order, as in `gemmRows`.
    let internal gemmRowsCols
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (alpha: float)
        (a: 'T[])
        (offA: int)
        (lda: int)
        (b: 'T[])
        (bRows: int[])
        (bCols: int[])
        (beta: float)
        (c: 'T[])
        (offC: int)
        (ldc: int)
        =
        let gathered = if opB = MatOp.AsIs then n else k

        if bCols.Length <> gathered then
            invalidArg "bCols" (sprintf "Expected %d column offsets, got %d" gathered bCols.Length)

        if opB = MatOp.Transposed then
            for j in 0 .. bCols.Length - 1 do
                if j % 8 <> 0 then
                    let step =
                        if j % 8 = 1 then
                            bCols[j] - bCols[j - 1]
                        else
                            bCols[j - j % 8 + 1] - bCols[j - j % 8]

                    if (step <> 1 && step <> 2) || bCols[j] <> bCols[j - 1] + step then
                        invalidArg
                            "bCols"
                            (sprintf
                                "Expected offsets stepping by 1 or all by 2 within each group of 8, got %d after %d at %d"
                                bCols[j]
                                bCols[j - 1]
                                j)

        if m > 0 && n > 0 && k > 0 then
            match box a with
            | :? (float32[])
            | :? (float[]) -> run threads opA opB m n k alpha a offA lda b 0 1 bRows bCols beta c offC ldc
            | _ -> KernelCheck.floatType<'T> "a"

    /// float32 GEMM: C[m×n] ← α·op(A)·op(B) + β·C, row-major. `a` holds op(A) stored as m × k (AsIs) or k × m
    /// (Transposed) at `offA` with leading dimension `lda` (elements between row starts); likewise `b` (k × n or
    /// n × k) and `c` (m × n). Runs on up to `threads` threads; results are bit-identical for every thread count.
    let sgemm
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (alpha: float32)
        (a: float32[])
        (offA: int)
        (lda: int)
        (b: float32[])
        (offB: int)
        (ldb: int)
        (beta: float32)
        (c: float32[])
        (offC: int)
        (ldc: int)
        =
        validate threads opA opB m n k a offA lda b offB ldb c offC ldc

        if m > 0 && n > 0 then
            if k = 0 || alpha = 0.0f then
                scaleC beta c offC ldc m n
            else
                run threads opA opB m n k (float alpha) a offA lda b offB ldb null null (float beta) c offC ldc

    /// float64 GEMM: C[m×n] ← α·op(A)·op(B) + β·C, row-major; arguments as for `sgemm`. The float64 path serves
    /// gradient checks and reference computations.
    let dgemm
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (alpha: float)
        (a: float[])
        (offA: int)
        (lda: int)
        (b: float[])
        (offB: int)
        (ldb: int)
        (beta: float)
        (c: float[])
        (offC: int)
        (ldc: int)
        =
        validate threads opA opB m n k a offA lda b offB ldb c offC ldc

        if m > 0 && n > 0 then
            if k = 0 || alpha = 0.0 then
                scaleC beta c offC ldc m n
            else
                run threads opA opB m n k alpha a offA lda b offB ldb null null beta c offC ldc

    /// GEMM on float32[] or float[] (float64) arrays, dispatching to `sgemm` or `dgemm`; α and β are given as
    /// float and rounded to the element type.
    let gemm
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (alpha: float)
        (a: 'T[])
        (offA: int)
        (lda: int)
        (b: 'T[])
        (offB: int)
        (ldb: int)
        (beta: float)
        (c: 'T[])
        (offC: int)
        (ldc: int)
        =
        match box a, box b, box c with
        | (:? (float32[]) as a), (:? (float32[]) as b), (:? (float32[]) as c) ->
            sgemm threads opA opB m n k (float32 alpha) a offA lda b offB ldb (float32 beta) c offC ldc
        | (:? (float[]) as a), (:? (float[]) as b), (:? (float[]) as c) ->
            dgemm threads opA opB m n k alpha a offA lda b offB ldb beta c offC ldc
        | _ -> KernelCheck.floatType<'T> "a"

    /// Batched GEMM: for i in 0 .. count−1, C_i ← α·op(A_i)·op(B_i) + β·C_i where A_i starts at offA + i·strideA
    /// (likewise B_i, C_i); each product as in `gemm`. With count ≥ threads the products are spread over threads
    /// (each on one thread), else each product uses all threads; either way the results are those of `gemm`.
    let gemmBatched
        (threads: int)
        (opA: MatOp)
        (opB: MatOp)
        (m: int)
        (n: int)
        (k: int)
        (alpha: float)
        (a: 'T[])
        (offA: int)
        (strideA: int)
        (lda: int)
        (b: 'T[])
        (offB: int)
        (strideB: int)
        (ldb: int)
        (beta: float)
        (c: 'T[])
        (offC: int)
        (strideC: int)
        (ldc: int)
        (count: int)
        =
        KernelCheck.positive "threads" threads
        KernelCheck.nonNegative "count" count

        if count > 0 then
            // Validate the last product up front as well as the first, so no thread fails halfway.
            let last = count - 1
            validate 1 opA opB m n k a offA lda b offB ldb c offC ldc

            validate 1 opA opB m n k a (offA + last * strideA) lda b (offB + last * strideB) ldb c (offC + last * strideC) ldc

            let one i t =
                gemm t opA opB m n k alpha a (offA + i * strideA) lda b (offB + i * strideB) ldb beta c (offC + i * strideC) ldc

            if count >= threads && threads > 1 then
                Parallel.For(0, count, ParallelOptions(MaxDegreeOfParallelism = threads), (fun i -> one i 1))
                |> ignore
            else
                for i in 0 .. count - 1 do
                    one i threads
