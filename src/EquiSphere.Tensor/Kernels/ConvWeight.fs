namespace EquiSphere.Tensor.Kernels

#nowarn "9" // The micro-kernel reads the padded images and dyᵀ and writes dWᵀ through pinned pointers; bounds are checked first.

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open System.Threading
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop

/// The channel-vector direct float32 weight gradient with AVX-512: dWᵀ[kk, co] = Σ_j dy[co, j] · xp[offs[kk] + pix[j]]
/// for the taps kk (`offs`: the tap's shift into the stacked, zero- or mode-padded images, as the forward's
/// `ConvDirect.runChannels` reads them) and the output pixels j (pix(j): where the pixel's window starts on the padded
/// grid). The tile is `Micro.sconvChannels512` with the roles of the forward's tile swapped: its 6 "pixels" are 6 taps
/// (each tap's sample of the current pixel broadcast), its 64 vector lanes are 64 output channels of dyᵀ (dy transposed
/// to pixels × channels once per stack, `transposeDy`), and its K loop runs over the output pixels in blocks of
/// `pixelBlock`, so that a block of dyᵀ (32 KB per panel of 64 channels) stays in L1 while the tiles of the block's
/// taps read it.
///
/// Laws: each dWᵀ element is the sum over the stack's pixels in pixel order, one fused multiply-add per pixel within a
/// block and the block sums added to the stored value block after block; a tile (6 taps × 64 channels) is computed by
/// one thread, so the result does not depend on the thread count or on which thread computes which tile; a tap
/// repeated to fill the last tile writes only the scratch rows past the last tap.
[<RequireQualifiedAccess>]
module internal ConvWeight =

    /// Output channels of one panel of dyᵀ (four Vector512 of float32).
    let panel = ConvDirect.channelPanel

    /// Taps of one register tile.
    let tile = ConvDirect.channelTile

    /// Output pixels per block of the K loop: 128 pixels × 64 channels of dyᵀ (32 KB) stay in L1 while every tile of
    /// a tile group reads them.
    let pixelBlock = 128

    /// Most tiles (6 taps × 64 channels each, of one panel) a worker takes at a time: the tiles of a group share each
    /// block of dyᵀ; fewer when that would leave under 4 groups per worker. One panel of fewer than 8 tiles per worker
    /// (the stem's 9 tiles) is cut into one contiguous group per worker instead, so each worker reads dyᵀ once (the
    /// stem measured 0.55–0.96 of one-tile groups, under load).
    let private groupTiles = 8

    /// Multiply-adds below which the product runs on one thread.
    let private parallelThreshold = 1L <<< 20

    /// Rows of the dWᵀ scratch for k taps: k rounded up to whole tiles of 6.
    let scratchRows (k: int) = (k + tile - 1) / tile * tile

    /// The 16 × 16 block at src (rows ld apart) transposed into dst (rows ldd apart): dst[j·ldd + c] ← src[c·ld + j],
    /// in registers (unpacks of pairs of floats, then of pairs of doubles, then two rounds of 128-bit lane shuffles).
    /// Compiled fully optimized at once: it has no loop, so tiered compilation would run it as tier-0 code first.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private transpose16 (src: nativeptr<float32>) (ld: int) (dst: nativeptr<float32>) (ldd: int) =
        let r0 = Vector512.Load(NativePtr.add src (0 * ld))
        let r1 = Vector512.Load(NativePtr.add src (1 * ld))
        let r2 = Vector512.Load(NativePtr.add src (2 * ld))
        let r3 = Vector512.Load(NativePtr.add src (3 * ld))
        let r4 = Vector512.Load(NativePtr.add src (4 * ld))
        let r5 = Vector512.Load(NativePtr.add src (5 * ld))
        let r6 = Vector512.Load(NativePtr.add src (6 * ld))
        let r7 = Vector512.Load(NativePtr.add src (7 * ld))
        let r8 = Vector512.Load(NativePtr.add src (8 * ld))
        let r9 = Vector512.Load(NativePtr.add src (9 * ld))
        let r10 = Vector512.Load(NativePtr.add src (10 * ld))
        let r11 = Vector512.Load(NativePtr.add src (11 * ld))
        let r12 = Vector512.Load(NativePtr.add src (12 * ld))
        let r13 = Vector512.Load(NativePtr.add src (13 * ld))
        let r14 = Vector512.Load(NativePtr.add src (14 * ld))
        let r15 = Vector512.Load(NativePtr.add src (15 * ld))
        let t0 = Avx512F.UnpackLow(r0, r1).AsDouble()
        let t1 = Avx512F.UnpackHigh(r0, r1).AsDouble()
        let t2 = Avx512F.UnpackLow(r2, r3).AsDouble()
        let t3 = Avx512F.UnpackHigh(r2, r3).AsDouble()
        let t4 = Avx512F.UnpackLow(r4, r5).AsDouble()
        let t5 = Avx512F.UnpackHigh(r4, r5).AsDouble()
        let t6 = Avx512F.UnpackLow(r6, r7).AsDouble()
        let t7 = Avx512F.UnpackHigh(r6, r7).AsDouble()
        let t8 = Avx512F.UnpackLow(r8, r9).AsDouble()
        let t9 = Avx512F.UnpackHigh(r8, r9).AsDouble()
        let t10 = Avx512F.UnpackLow(r10, r11).AsDouble()
        let t11 = Avx512F.UnpackHigh(r10, r11).AsDouble()
        let t12 = Avx512F.UnpackLow(r12, r13).AsDouble()
        let t13 = Avx512F.UnpackHigh(r12, r13).AsDouble()
        let t14 = Avx512F.UnpackLow(r14, r15).AsDouble()
        let t15 = Avx512F.UnpackHigh(r14, r15).AsDouble()
        // u(4i + m), 128-bit lane l: rows 4i .. 4i + 3 at column m + 4l
        let u0 = Avx512F.UnpackLow(t0, t2).AsSingle()
        let u1 = Avx512F.UnpackHigh(t0, t2).AsSingle()
        let u2 = Avx512F.UnpackLow(t1, t3).AsSingle()
        let u3 = Avx512F.UnpackHigh(t1, t3).AsSingle()
        let u4 = Avx512F.UnpackLow(t4, t6).AsSingle()
        let u5 = Avx512F.UnpackHigh(t4, t6).AsSingle()
        let u6 = Avx512F.UnpackLow(t5, t7).AsSingle()
        let u7 = Avx512F.UnpackHigh(t5, t7).AsSingle()
        let u8 = Avx512F.UnpackLow(t8, t10).AsSingle()
        let u9 = Avx512F.UnpackHigh(t8, t10).AsSingle()
        let u10 = Avx512F.UnpackLow(t9, t11).AsSingle()
        let u11 = Avx512F.UnpackHigh(t9, t11).AsSingle()
        let u12 = Avx512F.UnpackLow(t12, t14).AsSingle()
        let u13 = Avx512F.UnpackHigh(t12, t14).AsSingle()
        let u14 = Avx512F.UnpackLow(t13, t15).AsSingle()
        let u15 = Avx512F.UnpackHigh(t13, t15).AsSingle()
        let v00 = Avx512F.Shuffle4x128(u0, u4, 0x44uy)
        let v01 = Avx512F.Shuffle4x128(u0, u4, 0xEEuy)
        let w00 = Avx512F.Shuffle4x128(u8, u12, 0x44uy)
        let w01 = Avx512F.Shuffle4x128(u8, u12, 0xEEuy)
        Vector512.Store(Avx512F.Shuffle4x128(v00, w00, 0x88uy), NativePtr.add dst (0 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v00, w00, 0xDDuy), NativePtr.add dst (4 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v01, w01, 0x88uy), NativePtr.add dst (8 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v01, w01, 0xDDuy), NativePtr.add dst (12 * ldd))
        let v10 = Avx512F.Shuffle4x128(u1, u5, 0x44uy)
        let v11 = Avx512F.Shuffle4x128(u1, u5, 0xEEuy)
        let w10 = Avx512F.Shuffle4x128(u9, u13, 0x44uy)
        let w11 = Avx512F.Shuffle4x128(u9, u13, 0xEEuy)
        Vector512.Store(Avx512F.Shuffle4x128(v10, w10, 0x88uy), NativePtr.add dst (1 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v10, w10, 0xDDuy), NativePtr.add dst (5 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v11, w11, 0x88uy), NativePtr.add dst (9 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v11, w11, 0xDDuy), NativePtr.add dst (13 * ldd))
        let v20 = Avx512F.Shuffle4x128(u2, u6, 0x44uy)
        let v21 = Avx512F.Shuffle4x128(u2, u6, 0xEEuy)
        let w20 = Avx512F.Shuffle4x128(u10, u14, 0x44uy)
        let w21 = Avx512F.Shuffle4x128(u10, u14, 0xEEuy)
        Vector512.Store(Avx512F.Shuffle4x128(v20, w20, 0x88uy), NativePtr.add dst (2 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v20, w20, 0xDDuy), NativePtr.add dst (6 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v21, w21, 0x88uy), NativePtr.add dst (10 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v21, w21, 0xDDuy), NativePtr.add dst (14 * ldd))
        let v30 = Avx512F.Shuffle4x128(u3, u7, 0x44uy)
        let v31 = Avx512F.Shuffle4x128(u3, u7, 0xEEuy)
        let w30 = Avx512F.Shuffle4x128(u11, u15, 0x44uy)
        let w31 = Avx512F.Shuffle4x128(u11, u15, 0xEEuy)
        Vector512.Store(Avx512F.Shuffle4x128(v30, w30, 0x88uy), NativePtr.add dst (3 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v30, w30, 0xDDuy), NativePtr.add dst (7 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v31, w31, 0x88uy), NativePtr.add dst (11 * ldd))
        Vector512.Store(Avx512F.Shuffle4x128(v31, w31, 0xDDuy), NativePtr.add dst (15 * ldd))

    /// dT ← dyᵀ of image b of a stack of P pixels in panels of 64 channels: element (co, j) of the image's group
    /// (dy[src + co·ohw + j]) goes to dT[((co / 64)·P + b·ohw + j)·64 + co mod 64]. Requires rows (the group's output
    /// channels) to be a multiple of 64; checks every read and write first.
    let transposeImage (rows: int) (ohw: int) (p: int) (b: int) (dy: float32[]) (src: int) (dT: float32[]) =
        if rows % panel <> 0 then
            invalidArg "rows" (sprintf "Expected the output channels to be a multiple of %d, got %d" panel rows)

        KernelCheck.span "dy" dy src (rows * ohw)
        KernelCheck.span "dT" dT 0 (rows * p)

        if (b + 1) * ohw > p then
            invalidArg "b" (sprintf "Expected image %d's %d pixels inside the stack's %d pixels" b ohw p)

        // blocks of 16 channels × 16 pixels transposed in registers; the last pixels of a row that fill no block (and
        // every pixel of images under 16 pixels) one by one
        use pd = fixed dy
        use pt = fixed dT
        let full = ohw / 16 * 16

        for q in 0 .. rows / panel - 1 do
            let rowsAt = NativePtr.add pd (src + q * panel * ohw)
            let outAt = NativePtr.add pt ((q * p + b * ohw) * panel)

            for c0 in 0..16 .. panel - 1 do
                for j0 in 0..16 .. full - 1 do
                    transpose16 (NativePtr.add rowsAt (c0 * ohw + j0)) ohw (NativePtr.add outAt (j0 * panel + c0)) panel

                for c in c0 .. c0 + 15 do
                    let i = NativePtr.add rowsAt (c * ohw)

                    for j in full .. ohw - 1 do
                        NativePtr.set outAt (j * panel + c) (NativePtr.get i j)

    /// dWᵀ (+)← the weight gradient of one group of one stack: dT as `transposeDy` lays out `rows` output channels of
    /// P = pix.Length pixels, xp the stacked padded images, `offs` the k taps' shifts into xp, `pix` the pixels'
    /// positions on the padded grid; dWᵀ[kk, r] at dwT[kk·rows + r] for kk < `scratchRows` k (the rows past k are
    /// scratch). With `accumulate` the stack's sums are added to dwT, else they overwrite it. Groups of tiles are dealt
    /// to up to `threads` workers; every element's sum runs in the same order on every path. Checks every read and
    /// write first.
    let run (threads: int) (rows: int) (dT: float32[]) (xp: float32[]) (offs: int[]) (pix: int[]) (dwT: float32[]) (accumulate: bool) =
        let k = offs.Length
        let p = pix.Length

        if rows % panel <> 0 then
            invalidArg "rows" (sprintf "Expected the output channels to be a multiple of %d, got %d" panel rows)

        if k > 0 && p > 0 then
            KernelCheck.span "dT" dT 0 (rows * p)
            KernelCheck.span "dwT" dwT 0 (scratchRows k * rows)
            let lo = Array.min offs + Array.min pix
            let hi = Array.max offs + Array.max pix

            if lo < 0 || hi >= xp.Length then
                invalidArg
                    "xp"
                    (sprintf
                        "Expected every tap of every pixel inside the padded buffer of length %d, got reads from %d to %d"
                        xp.Length
                        lo
                        hi)

            let tiles = scratchRows k / tile
            let panels = rows / panel
            let work = int64 rows * int64 k * int64 p

            let workers =
                if threads <= 1 || work < parallelThreshold then
                    1
                else
                    min threads (tiles * panels)

            // groups of consecutive tiles of one panel: per panel ⌈tiles / per⌉ groups (one per worker for a single
            // panel of few tiles)
            let per =
                if panels = 1 && tiles < 4 * workers * 2 then
                    (tiles + workers - 1) / workers
                else
                    max 1 (min groupTiles (tiles * panels / (4 * workers)))

            let perPanel = (tiles + per - 1) / per
            let groups = panels * perPanel

            use pd = fixed dT
            use px = fixed xp
            use pw = fixed dwT
            use pp = fixed pix
            let dBase = NativePtr.toNativeInt pd
            let xBase = NativePtr.toNativeInt px
            let wBase = NativePtr.toNativeInt pw
            let pBase = NativePtr.toNativeInt pp

            // group gi: panel gi / perPanel, its tiles from (gi mod perPanel)·per; pixel blocks in order
            let group (gi: int) =
                let dq: nativeptr<float32> = NativePtr.ofNativeInt dBase
                let xq: nativeptr<float32> = NativePtr.ofNativeInt xBase
                let wq: nativeptr<float32> = NativePtr.ofNativeInt wBase
                let pq: nativeptr<int> = NativePtr.ofNativeInt pBase
                let q = gi / perPanel
                let t0 = (gi % perPanel) * per
                let t1 = min tiles (t0 + per)
                let tap i = NativePtr.add xq offs[min (k - 1) i]

                for p0 in 0..pixelBlock .. p - 1 do
                    let kc = min pixelBlock (p - p0)
                    let add = accumulate || p0 > 0

                    for t in t0 .. t1 - 1 do
                        let kk = t * tile

                        Micro.sconvChannels512
                            kc
                            (NativePtr.add dq ((q * p + p0) * panel))
                            (NativePtr.add pq p0)
                            (tap kk)
                            (tap (kk + 1))
                            (tap (kk + 2))
                            (tap (kk + 3))
                            (tap (kk + 4))
                            (tap (kk + 5))
                            (NativePtr.add wq (kk * rows + q * panel))
                            rows
                            add

            if workers <= 1 then
                for gi in 0 .. groups - 1 do
                    group gi
            else
                let next = [| -1 |]

                Parallel.For(
                    0,
                    workers,
                    ParallelOptions(MaxDegreeOfParallelism = workers),
                    fun _ ->
                        let mutable gi = Interlocked.Increment(&next[0])

                        while gi < groups do
                            group gi
                            gi <- Interlocked.Increment(&next[0])
                )
                |> ignore
