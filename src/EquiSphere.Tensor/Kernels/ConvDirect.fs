namespace EquiSphere.Tensor.Kernels

#nowarn "9" // The micro-kernel reads the padded images and writes the output through pinned pointers; bounds are checked first.

open System.Runtime.Intrinsics
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop

/// The direct (unpacked) float32 products behind convolutions with AVX-512: the convolution's GEMM D = A·B, with A
/// [rows × k] the weights packed once per call and B never formed: B's element (kk, j) is xp[offs[kk] + pix(j)], the
/// sample under tap kk (`offs`: the tap's shift into the stacked, zero- or mode-padded images) of output pixel j
/// (pix(j): where the pixel's window starts on the padded grid). Two register tiles:
/// - `run` (`Micro.sconv512`): 8 output channels × 3 column vectors of 16 pixels that are consecutive on the padded
///   grid, loaded straight from the padded images (`src` per vector) and written to D at `dst` per vector; for the
///   stride-1 layers with long output rows (the encoder's 32 × 32 and 16 × 16), whose 64–128 output channels let a
///   packed B panel serve only 8–16 tiles.
/// - `runChannels` (`Micro.sconvChannels512`): 6 output pixels at any positions (strided, stacked images) × 64
///   output channels as the vector lanes, each pixel's sample broadcast, the result written transposed (Dᵀ); for
///   small or strided outputs (8 × 8, 4 × 4, 2 × 2), where a vector of pixels would straddle output rows.
///
/// Laws: every D element is Σ_kk A[r, kk]·B[kk, j] accumulated by fused multiply-adds in kk order (`run`: in one
/// pass; `runChannels`: in passes of 128 taps added in order), so it equals the naive sum up to rounding and does
/// not depend on the thread count or on which tile computes it; a column vector or pixel repeated to fill the last
/// tile is computed again with the same result.
[<RequireQualifiedAccess>]
module internal ConvDirect =

    /// Rows of a packed weight panel: the register tile's height. The output rows must be a multiple of it.
    let panelRows = 8

    /// Pixels of one column vector (a Vector512 of float32).
    let lanes = 16

    /// Whether the direct product runs for element type 'T on this machine: float32 with AVX-512 (the Vector256
    /// and float64 paths keep the packed GEMM).
    let supports<'T> = typeof<'T> = typeof<float32> && Gemm.usesVector512

    /// Products below this many multiply-adds run on one thread.
    let private parallelThreshold = 1L <<< 18

    /// Packs `groups` row-major weight matrices of `rows` × `k` (matrix g at wOff + g·rows·k, leading dimension k)
    /// into `packed` as panels of `height` rows, k-major with a panel's rows contiguous: element (g, r, kk) goes to
    /// ((g·rows/height + r/height)·k + kk)·height + r mod height, panels spread over up to `threads` threads.
    /// Requires rows to be a multiple of `height` and `packed` to hold groups·rows·k elements. Panel by panel in
    /// blocks of 16 taps: a block's destination (height × 16 values) stays in L1 while the rows are read 16
    /// consecutive values at a time.
    let private packPanels (height: int) (threads: int) (groups: int) (rows: int) (k: int) (w: float32[]) (wOff: int) (packed: float32[]) =
        if rows % height <> 0 then
            invalidArg "rows" (sprintf "Expected the output rows to be a multiple of %d, got %d" height rows)

        KernelCheck.span "w" w wOff (groups * rows * k)
        KernelCheck.span "packed" packed 0 (groups * rows * k)
        let panels = groups * (rows / height)

        let pack (panel: int) =
            let src = wOff + panel * height * k
            let dst = panel * k * height

            for k0 in 0..16 .. k - 1 do
                let k1 = min k (k0 + 16)

                for r in 0 .. height - 1 do
                    let row = src + r * k

                    for kk in k0 .. k1 - 1 do
                        packed[dst + kk * height + r] <- w[row + kk]

        if threads > 1 && panels > 1 && int64 panels * int64 height * int64 k >= 65536L then
            Parallel.For(0, panels, ParallelOptions(MaxDegreeOfParallelism = threads), pack)
            |> ignore
        else
            for panel in 0 .. panels - 1 do
                pack panel

    /// The weights as `run` reads them: `packPanels` with panels of 8 rows (rows a multiple of 8).
    let packWeights (threads: int) (groups: int) (rows: int) (k: int) (w: float32[]) (wOff: int) (packed: float32[]) =
        packPanels panelRows threads groups rows k w wOff packed

    /// D ← A·B for one group: A the packed panels of `rows` rows at aOff (as `packWeights` lays out one group),
    /// B read from xp through `offs` (k tap shifts) and `src` (V column vectors), D written at d[dBase + r·ldd + dst[v]]
    /// (16 values per row and vector). Tiles of 3 column vectors are split over up to `threads` threads in contiguous
    /// ranges. Checks that every read stays inside xp and every write inside d.
    let run
        (threads: int)
        (rows: int)
        (a: float32[])
        (aOff: int)
        (xp: float32[])
        (offs: int[])
        (src: int[])
        (d: float32[])
        (dBase: int)
        (dst: int[])
        (ldd: int)
        =
        let k = offs.Length
        let v = src.Length

        if rows % panelRows <> 0 then
            invalidArg "rows" (sprintf "Expected the output rows to be a multiple of %d, got %d" panelRows rows)

        if dst.Length <> v then
            invalidArg "dst" (sprintf "Expected one destination per column vector (%d), got %d" v dst.Length)

        KernelCheck.span "a" a aOff (rows * k)

        if k > 0 && v > 0 && rows > 0 then
            let lowest (xs: int[]) = Array.min xs
            let highest (xs: int[]) = Array.max xs

            if lowest offs + lowest src < 0 || highest offs + highest src + lanes > xp.Length then
                invalidArg
                    "xp"
                    (sprintf
                        "Expected every tap of every column vector inside the padded buffer of length %d, got reads from %d to %d"
                        xp.Length
                        (lowest offs + lowest src)
                        (highest offs + highest src + lanes))

            if
                dBase + lowest dst < 0
                || int64 dBase + int64 (rows - 1) * int64 ldd + int64 (highest dst + lanes) > int64 d.Length
            then
                invalidArg
                    "d"
                    (sprintf
                        "Expected %d rows of leading dimension %d at %d (column vectors from %d to %d) inside an array of length %d"
                        rows
                        ldd
                        dBase
                        (lowest dst)
                        (highest dst + lanes)
                        d.Length)

            let tiles = (v + 2) / 3
            let panels = rows / panelRows
            let work = int64 rows * int64 k * int64 v * int64 lanes

            let parts =
                if threads <= 1 || work < parallelThreshold then
                    1
                else
                    min threads tiles

            use pa = fixed a
            use px = fixed xp
            use pd = fixed d
            use po = fixed offs
            let aBase = NativePtr.toNativeInt (NativePtr.add pa aOff)
            let xBase = NativePtr.toNativeInt px
            let dStart = NativePtr.toNativeInt (NativePtr.add pd dBase)
            let oBase = NativePtr.toNativeInt po

            let range (t0: int) (t1: int) =
                let ap: nativeptr<float32> = NativePtr.ofNativeInt aBase
                let xq: nativeptr<float32> = NativePtr.ofNativeInt xBase
                let dq: nativeptr<float32> = NativePtr.ofNativeInt dStart
                let oq: nativeptr<int> = NativePtr.ofNativeInt oBase

                for t in t0 .. t1 - 1 do
                    let j0 = 3 * t
                    let j1 = min (v - 1) (j0 + 1)
                    let j2 = min (v - 1) (j0 + 2)

                    let b0, b1, b2 =
                        NativePtr.add xq src[j0], NativePtr.add xq src[j1], NativePtr.add xq src[j2]

                    for p in 0 .. panels - 1 do
                        let rowBase = p * panelRows * ldd

                        Micro.sconv512
                            k
                            (NativePtr.add ap (p * panelRows * k))
                            oq
                            b0
                            b1
                            b2
                            (NativePtr.add dq (rowBase + dst[j0]))
                            (NativePtr.add dq (rowBase + dst[j1]))
                            (NativePtr.add dq (rowBase + dst[j2]))
                            ldd
                            false

            if parts <= 1 then
                range 0 tiles
            else
                let chunk = (tiles + parts - 1) / parts

                Parallel.For(
                    0,
                    parts,
                    ParallelOptions(MaxDegreeOfParallelism = parts),
                    fun i -> range (i * chunk) (min tiles ((i + 1) * chunk))
                )
                |> ignore

    /// Output channels of a packed panel of the channel-vector product (four Vector512 of float32).
    let channelPanel = 64

    /// Output pixels of a channel-vector tile.
    let channelTile = 6

    /// Taps per pass of the channel-vector tiles: a pass's packed weights (128 taps × 64 channels, 32 KB) stay in L1
    /// while every tile of the stack reads them; the tiles' partial sums are added to Dᵀ pass after pass (the 4 × 4
    /// layers measured 0.83–0.84 of the old time this way against 0.90–0.93 with one pass over all taps, 2 threads).
    let private channelDepth = 128

    /// The weights as `runChannels` reads them: `packPanels` with panels of 64 rows (rows a multiple of 64).
    let packChannels (threads: int) (groups: int) (rows: int) (k: int) (w: float32[]) (wOff: int) (packed: float32[]) =
        packPanels channelPanel threads groups rows k w wOff packed

    /// Dᵀ ← (A·B)ᵀ for one group with the output channels as vector lanes: A the packed panels of `rows` rows at aOff
    /// (as `packChannels` lays out one group), B's column j the samples xp[pix[j] + offs[kk]] of output pixel j (any
    /// positions: strided, stacked images), Dᵀ[j, r] written at dT[j·rows + r] for the P = pix.Length pixels rounded
    /// up to whole tiles of 6 (the rows past P repeat pixel P − 1 and hold its values). Each element is accumulated
    /// in k order, in passes of 128 taps (one fused multiply-add per tap within a pass, each pass's sum added to the
    /// stored partial sum), the same way on every path. Tiles are split over up to `threads` threads in contiguous
    /// ranges. Checks that every read stays inside xp and every write inside dT.
    let runChannels (threads: int) (rows: int) (a: float32[]) (aOff: int) (xp: float32[]) (offs: int[]) (pix: int[]) (dT: float32[]) =
        let k = offs.Length
        let p = pix.Length

        if rows % channelPanel <> 0 then
            invalidArg "rows" (sprintf "Expected the output rows to be a multiple of %d, got %d" channelPanel rows)

        KernelCheck.span "a" a aOff (rows * k)

        if k > 0 && p > 0 then
            let tiles = (p + channelTile - 1) / channelTile
            KernelCheck.span "dT" dT 0 (tiles * channelTile * rows)
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

            let panels = rows / channelPanel
            let work = int64 rows * int64 k * int64 p

            let parts =
                if threads <= 1 || work < parallelThreshold then
                    1
                else
                    min threads tiles

            use pa = fixed a
            use px = fixed xp
            use pd = fixed dT
            use po = fixed offs
            let aBase = NativePtr.toNativeInt (NativePtr.add pa aOff)
            let xBase = NativePtr.toNativeInt px
            let dBase = NativePtr.toNativeInt pd
            let oBase = NativePtr.toNativeInt po

            let range (t0: int) (t1: int) =
                let ap: nativeptr<float32> = NativePtr.ofNativeInt aBase
                let xq: nativeptr<float32> = NativePtr.ofNativeInt xBase
                let dq: nativeptr<float32> = NativePtr.ofNativeInt dBase
                let oq: nativeptr<int> = NativePtr.ofNativeInt oBase
                let at j = NativePtr.add xq pix[min (p - 1) j]

                for q in 0 .. panels - 1 do
                    let wq = NativePtr.add ap (q * k * channelPanel)

                    for k0 in 0..channelDepth .. k - 1 do
                        let kc = min channelDepth (k - k0)

                        for t in t0 .. t1 - 1 do
                            let j = t * channelTile

                            Micro.sconvChannels512
                                kc
                                (NativePtr.add wq (k0 * channelPanel))
                                (NativePtr.add oq k0)
                                (at j)
                                (at (j + 1))
                                (at (j + 2))
                                (at (j + 3))
                                (at (j + 4))
                                (at (j + 5))
                                (NativePtr.add dq (j * rows + q * channelPanel))
                                rows
                                (k0 > 0)

            if parts <= 1 then
                range 0 tiles
            else
                let chunk = (tiles + parts - 1) / parts

                Parallel.For(
                    0,
                    parts,
                    ParallelOptions(MaxDegreeOfParallelism = parts),
                    fun i -> range (i * chunk) (min tiles ((i + 1) * chunk))
                )
                |> ignore
