namespace EquiSphere.Tensor.Kernels

#nowarn "9" // The micro-kernel reads the padded images and dyᵀ and writes dWᵀ through pinned pointers; bounds are checked first.

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
    /// block of dyᵀ; fewer when that would leave under 4 groups per worker (the stem's 9 tiles).
    let private groupTiles = 8

    /// Multiply-adds below which the product runs on one thread.
    let private parallelThreshold = 1L <<< 20

    /// Rows of the dWᵀ scratch for k taps: k rounded up to whole tiles of 6.
    let scratchRows (k: int) = (k + tile - 1) / tile * tile

    /// dT ← dyᵀ of image b of a stack of P pixels in panels of 64 channels: element (co, j) of the image's group
    /// (dy[src + co·ohw + j]) goes to dT[((co / 64)·P + b·ohw + j)·64 + co mod 64], in blocks of 16 pixels so each
    /// channel's run of 16 values is read contiguously while the block's 16 rows of dT stay in L1. Requires rows (the
    /// group's output channels) to be a multiple of 64.
    let transposeImage (rows: int) (ohw: int) (p: int) (b: int) (dy: float32[]) (src: int) (dT: float32[]) =
        if rows % panel <> 0 then
            invalidArg "rows" (sprintf "Expected the output channels to be a multiple of %d, got %d" panel rows)

        KernelCheck.span "dy" dy src (rows * ohw)
        KernelCheck.span "dT" dT 0 (rows * p)

        if (b + 1) * ohw > p then
            invalidArg "b" (sprintf "Expected image %d's %d pixels inside the stack's %d pixels" b ohw p)

        for j0 in 0..16 .. ohw - 1 do
            let j1 = min ohw (j0 + 16)

            for co in 0 .. rows - 1 do
                let row = src + co * ohw
                let dst = ((co / panel) * p + b * ohw) * panel + co % panel

                for j in j0 .. j1 - 1 do
                    dT[dst + j * panel] <- dy[row + j]

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

            // groups of consecutive tiles of one panel: per panel ⌈tiles / per⌉ groups
            let per = max 1 (min groupTiles (tiles * panels / (4 * workers)))
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
