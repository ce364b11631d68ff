namespace EquiSphere.Tensor.Kernels

open System
open System.Buffers
open System.Threading.Tasks

/// The geometry of a 2D convolution (cross-correlation, as in PyTorch's conv2d) on NCHW arrays:
/// input x [Batch, InChannels, Height, Width], weight w [OutChannels, InChannels/Groups, KernelHeight, KernelWidth],
/// output y [Batch, OutChannels, OutHeight, OutWidth], with symmetric zero padding PadH/PadW on each side,
/// y[n, co, oh, ow] = Σ_{ci in group(co), kh, kw} w[co, ci, kh, kw] · x[n, ci, oh·StrideH − PadH + kh·DilationH,
/// ow·StrideW − PadW + kw·DilationW] (zero outside the image). Other padding modes go through `Pad` first.
type Conv2dSpec =
    {
        /// N: images in the batch.
        Batch: int
        /// Input channels (a multiple of Groups).
        InChannels: int
        /// Output channels (a multiple of Groups).
        OutChannels: int
        /// Input height H.
        Height: int
        /// Input width W.
        Width: int
        /// Kernel height KH.
        KernelHeight: int
        /// Kernel width KW.
        KernelWidth: int
        /// Vertical stride (≥ 1).
        StrideH: int
        /// Horizontal stride (≥ 1).
        StrideW: int
        /// Zero rows added above and below (≥ 0).
        PadH: int
        /// Zero columns added left and right (≥ 0).
        PadW: int
        /// Vertical dilation (≥ 1): spacing of kernel taps.
        DilationH: int
        /// Horizontal dilation (≥ 1).
        DilationW: int
        /// Channel groups: output channel co sees input channels of its group only.
        Groups: int
    }

    /// Output height ⌊(H + 2·PadH − DilationH·(KH − 1) − 1) / StrideH⌋ + 1.
    member s.OutHeight =
        (s.Height + 2 * s.PadH - s.DilationH * (s.KernelHeight - 1) - 1) / s.StrideH + 1

    /// Output width ⌊(W + 2·PadW − DilationW·(KW − 1) − 1) / StrideW⌋ + 1.
    member s.OutWidth =
        (s.Width + 2 * s.PadW - s.DilationW * (s.KernelWidth - 1) - 1) / s.StrideW + 1

    /// Elements of the input: Batch · InChannels · Height · Width.
    member s.InputLength = s.Batch * s.InChannels * s.Height * s.Width

    /// Elements of the weight: OutChannels · (InChannels / Groups) · KernelHeight · KernelWidth.
    member s.WeightLength =
        s.OutChannels * (s.InChannels / s.Groups) * s.KernelHeight * s.KernelWidth

    /// Elements of the output: Batch · OutChannels · OutHeight · OutWidth.
    member s.OutputLength = s.Batch * s.OutChannels * s.OutHeight * s.OutWidth

/// im2col and col2im for one image and one group: the column matrix has (InChannels/Groups)·KH·KW rows, row
/// (ci·KH + kh)·KW + kw, and OutHeight·OutWidth columns; entry (row, oh·OW + ow) is the input sample under tap
/// (kh, kw) of output pixel (oh, ow), zero in the padding.
module internal Im2col =

    /// The output columns [lo, hi) whose tap at kernel column offset `start` = kw·DilationW − PadW lands inside
    /// [0, W): iw = ow·StrideW + start.
    let inline validRange (start: int) (stride: int) (width: int) (outWidth: int) =
        let lo = if start >= 0 then 0 else (-start + stride - 1) / stride

        let hi =
            if width - 1 - start < 0 then
                0
            else
                (width - 1 - start) / stride + 1

        let lo = min lo outWidth
        lo, max lo (min hi outWidth)

    /// Output rows per im2col chunk: the chunk's column matrix (Kg × rows·OW) stays within about 512 KB, so it is
    /// still in L2 when the GEMM packs it; the rows are spread evenly over the chunks.
    let chunkRows (s: Conv2dSpec) (kg: int) (elementBytes: int) =
        let most = max 1 (min s.OutHeight ((512 * 1024) / (elementBytes * kg * s.OutWidth)))
        let chunks = (s.OutHeight + most - 1) / most
        (s.OutHeight + chunks - 1) / chunks

    /// dst[di ..< di + count] ← src[si ..< si + count], SIMD-wide (short runs: no call into memmove).
    let copyRun (src: 'T[]) (si: int) (dst: 'T[]) (di: int) (count: int) =
        let w = System.Numerics.Vector<'T>.Count
        let mutable i = 0

        while i + w <= count do
            System.Numerics.Vector<'T>(src, si + i).CopyTo(dst, di + i)
            i <- i + w

        while i < count do
            dst[di + i] <- src[si + i]
            i <- i + 1

    /// dst[di ..< di + count] ← 0 (count ≤ 0: nothing).
    let zeroRun (dst: 'T[]) (di: int) (count: int) =
        for i in di .. di + count - 1 do
            dst[i] <- Unchecked.defaultof<'T>

    /// Fills the columns of output rows [y0, y1) of the column matrix of `channels` channels of the image at
    /// `xBase` into `col`: a Kg × (y1 − y0)·OW block at colOff with leading dimension ld (row r at colOff + r·ld).
    let packAt (s: Conv2dSpec) (x: 'T[]) (xBase: int) (channels: int) (y0: int) (y1: int) (col: 'T[]) (colOff: int) (ld: int) =
        let ow = s.OutWidth

        for ci in 0 .. channels - 1 do
            for kh in 0 .. s.KernelHeight - 1 do
                for kw in 0 .. s.KernelWidth - 1 do
                    let row = colOff + ((ci * s.KernelHeight + kh) * s.KernelWidth + kw) * ld
                    let startW = kw * s.DilationW - s.PadW
                    let lo, hi = validRange startW s.StrideW s.Width ow

                    for y in y0 .. y1 - 1 do
                        let ih = y * s.StrideH - s.PadH + kh * s.DilationH
                        let dst = row + (y - y0) * ow

                        if ih < 0 || ih >= s.Height then
                            zeroRun col dst ow
                        else
                            let src = xBase + (ci * s.Height + ih) * s.Width + startW
                            zeroRun col dst lo

                            if s.StrideW = 1 then
                                copyRun x (src + lo) col (dst + lo) (hi - lo)
                            else
                                for xo in lo .. hi - 1 do
                                    col[dst + xo] <- x[src + xo * s.StrideW]

                            zeroRun col (dst + hi) (ow - hi)

    /// `packAt` from col[0] with leading dimension (y1 − y0)·OW: a Kg × (y1 − y0)·OW row-major matrix.
    let pack (s: Conv2dSpec) (x: 'T[]) (xBase: int) (channels: int) (y0: int) (y1: int) (col: 'T[]) =
        packAt s x xBase channels y0 y1 col 0 ((y1 - y0) * s.OutWidth)

    /// dst[di + i] += src[si + i] for i < count, SIMD-wide (System.Numerics.Vector) with a scalar tail.
    let inline addRun (dst: ^T[]) (di: int) (src: ^T[]) (si: int) (count: int) =
        let w = System.Numerics.Vector< ^T>.Count
        let mutable i = 0

        while i + w <= count do
            let sum =
                System.Numerics.Vector< ^T>(dst, di + i)
                + System.Numerics.Vector< ^T>(src, si + i)

            sum.CopyTo(dst, di + i)
            i <- i + w

        while i < count do
            dst[di + i] <- dst[di + i] + src[si + i]
            i <- i + 1

    /// Adds the chunk of output rows [y0, y1) at colOff (leading dimension ld) of `col` back onto channels of the
    /// image at `dxBase` (the adjoint of `packAt`).
    let inline unpack (s: Conv2dSpec) (col: ^T[]) (colOff: int) (ld: int) (channels: int) (y0: int) (y1: int) (dx: ^T[]) (dxBase: int) =
        let ow = s.OutWidth

        for ci in 0 .. channels - 1 do
            for kh in 0 .. s.KernelHeight - 1 do
                for kw in 0 .. s.KernelWidth - 1 do
                    let row = colOff + ((ci * s.KernelHeight + kh) * s.KernelWidth + kw) * ld
                    let startW = kw * s.DilationW - s.PadW
                    let lo, hi = validRange startW s.StrideW s.Width ow

                    for y in y0 .. y1 - 1 do
                        let ih = y * s.StrideH - s.PadH + kh * s.DilationH

                        if ih >= 0 && ih < s.Height then
                            let dst = dxBase + (ci * s.Height + ih) * s.Width + startW
                            let src = row + (y - y0) * ow

                            if s.StrideW = 1 then
                                addRun dx (dst + lo) col (src + lo) (hi - lo)
                            else
                                for xo in lo .. hi - 1 do
                                    let i = dst + xo * s.StrideW
                                    dx[i] <- dx[i] + col[src + xo]

    let private unpack32 s (col: float32[]) colOff ld channels y0 y1 (dx: float32[]) dxBase =
        unpack s col colOff ld channels y0 y1 dx dxBase

    let private unpack64 s (col: float[]) colOff ld channels y0 y1 (dx: float[]) dxBase =
        unpack s col colOff ld channels y0 y1 dx dxBase

    /// `unpack` on float32[] or float[] arrays.
    let unpackAny (s: Conv2dSpec) (col: 'T[]) (colOff: int) (ld: int) (channels: int) (y0: int) (y1: int) (dx: 'T[]) (dxBase: int) =
        match box col, box dx with
        | (:? (float32[]) as c), (:? (float32[]) as d) -> unpack32 s c colOff ld channels y0 y1 d dxBase
        | (:? (float[]) as c), (:? (float[]) as d) -> unpack64 s c colOff ld channels y0 y1 d dxBase
        | _ -> KernelCheck.floatType<'T> "dx"

    /// Σ of `parts` arrays element-wise into dst[dOff ..], in order (float32[] or float[]).
    let sumInto (parts: 'T[][]) (count: int) (dst: 'T[]) (dOff: int) =
        match box dst with
        | :? (float32[]) as d ->
            let ps = parts |> Array.map (fun p -> unbox<float32[]>(box p))

            for i in 0 .. count - 1 do
                let mutable acc = ps[0][i]

                for t in 1 .. ps.Length - 1 do
                    acc <- acc + ps[t][i]

                d[dOff + i] <- acc
        | :? (float[]) as d ->
            let ps = parts |> Array.map (fun p -> unbox<float[]>(box p))

            for i in 0 .. count - 1 do
                let mutable acc = ps[0][i]

                for t in 1 .. ps.Length - 1 do
                    acc <- acc + ps[t][i]

                d[dOff + i] <- acc
        | _ -> KernelCheck.floatType<'T> "dw"

/// 2D convolution on NCHW float32[] or float[] (float64) arrays with offsets, as one GEMM per image and group: a
/// 1 × 1, stride 1, unpadded convolution multiplies the image directly; other stride-1 convolutions read the columns
/// as shifted rows of the zero-padded image (no im2col; the input gradient is the forward convolution with the
/// flipped kernel); strided ones gather their taps from the padded images in the GEMM's packer too (forward, and
/// the weight gradient when output rows hold a multiple of 8 pixels) and otherwise use im2col. Small images share
/// a GEMM: stacked one below the other in the padded buffer, or with their column matrices side by side. With AVX-512,
/// float32 forwards (and so stride-1 input gradients) of the shapes that `usesDirect` names skip the GEMM's packing of
/// the image: a direct product reads the taps straight from the stacked padded buffer (`ConvDirect`: 8 output
/// channels × 48 pixels per register tile for 32 × 32 and 16 × 16 outputs, 64 output channels × 6 pixels for smaller
/// or strided ones). The three functions are the forward map and
/// its two adjoints: ⟨forward(x, w), y⟩ = ⟨x, backwardData(y, w)⟩ = ⟨w, backwardWeight(x, y)⟩. Every output array
/// is overwritten, not accumulated into. Threads split the batch (or, for a batch smaller than the thread count,
/// each GEMM); forward and backwardData are bit-identical for every thread count, backwardWeight for a fixed one
/// (it sums per-thread partial weight gradients in thread order), and for every thread count where `usesDirectWeight`
/// holds (float32 with AVX-512, Cout/Groups a multiple of 64, at least 4 output pixels: a channel-vector direct
/// product over stacks of images in order, `ConvWeight`, whose tiles of 6 taps × 64 output channels are each summed
/// by one thread).
[<RequireQualifiedAccess>]
module Conv =

    /// A convolution spec with stride 1, no padding, dilation 1 and one group; set other fields with `{ s with … }`.
    let spec (batch: int) (inChannels: int) (outChannels: int) (height: int, width: int) (kernelHeight: int, kernelWidth: int) =
        {
            Batch = batch
            InChannels = inChannels
            OutChannels = outChannels
            Height = height
            Width = width
            KernelHeight = kernelHeight
            KernelWidth = kernelWidth
            StrideH = 1
            StrideW = 1
            PadH = 0
            PadW = 0
            DilationH = 1
            DilationW = 1
            Groups = 1
        }

    /// Checks a spec: positive sizes, strides, dilations and groups, non-negative padding, channels divisible by
    /// groups, and a kernel that fits into the padded input (output at least 1 × 1).
    let validate (s: Conv2dSpec) =
        KernelCheck.positive "Batch" s.Batch
        KernelCheck.positive "InChannels" s.InChannels
        KernelCheck.positive "OutChannels" s.OutChannels
        KernelCheck.positive "Height" s.Height
        KernelCheck.positive "Width" s.Width
        KernelCheck.positive "KernelHeight" s.KernelHeight
        KernelCheck.positive "KernelWidth" s.KernelWidth
        KernelCheck.positive "StrideH" s.StrideH
        KernelCheck.positive "StrideW" s.StrideW
        KernelCheck.nonNegative "PadH" s.PadH
        KernelCheck.nonNegative "PadW" s.PadW
        KernelCheck.positive "DilationH" s.DilationH
        KernelCheck.positive "DilationW" s.DilationW
        KernelCheck.positive "Groups" s.Groups

        if s.InChannels % s.Groups <> 0 then
            invalidArg "InChannels" (sprintf "Expected InChannels = %d to be divisible by Groups = %d" s.InChannels s.Groups)

        if s.OutChannels % s.Groups <> 0 then
            invalidArg "OutChannels" (sprintf "Expected OutChannels = %d to be divisible by Groups = %d" s.OutChannels s.Groups)

        let extentH = s.DilationH * (s.KernelHeight - 1) + 1
        let extentW = s.DilationW * (s.KernelWidth - 1) + 1

        if s.Height + 2 * s.PadH < extentH then
            invalidArg
                "KernelHeight"
                (sprintf
                    "Expected the dilated kernel height %d to fit into the padded input height %d + 2·%d = %d"
                    extentH
                    s.Height
                    s.PadH
                    (s.Height + 2 * s.PadH))

        if s.Width + 2 * s.PadW < extentW then
            invalidArg
                "KernelWidth"
                (sprintf
                    "Expected the dilated kernel width %d to fit into the padded input width %d + 2·%d = %d"
                    extentW
                    s.Width
                    s.PadW
                    (s.Width + 2 * s.PadW))

    let private isPointwise (s: Conv2dSpec) =
        s.KernelHeight = 1
        && s.KernelWidth = 1
        && s.StrideH = 1
        && s.StrideW = 1
        && s.PadH = 0
        && s.PadW = 0

    /// Runs `work scratch u` for units u = 0 .. units − 1 on `threads` workers that take the next unit as they
    /// finish one (an atomic counter), each with its own scratch from `init`: a worker slowed by another process
    /// on its core takes fewer units instead of holding up the rest. Which worker runs a unit never changes what
    /// the unit computes.
    let private dealUnits (threads: int) (units: int) (init: unit -> 'S) (work: 'S -> int -> unit) (release: 'S -> unit) =
        let next = [| -1 |]

        Parallel.For(
            0,
            threads,
            ParallelOptions(MaxDegreeOfParallelism = threads),
            fun _ ->
                let scratch = init ()
                let mutable u = Threading.Interlocked.Increment(&next[0])

                while u < units do
                    work scratch u
                    u <- Threading.Interlocked.Increment(&next[0])

                release scratch
        )
        |> ignore

    /// Runs `perImage t n` for every image n, where t is the thread count the image's GEMMs may use: with
    /// batch ≥ threads > 1, images are dealt to the workers one at a time (`dealUnits`) with t = 1; else images
    /// run in order with t = threads. `init` makes one scratch value per worker.
    let private forImages (threads: int) (batch: int) (init: unit -> 'S) (perImage: 'S -> int -> int -> unit) (release: 'S -> unit) =
        if threads > 1 && batch >= threads then
            dealUnits threads batch init (fun scratch n -> perImage scratch 1 n) release
        else
            let scratch = init ()

            for n in 0 .. batch - 1 do
                perImage scratch threads n

            release scratch

    let private rent<'T> (count: int) = ArrayPool<'T>.Shared.Rent(max 1 count)
    let private giveBack<'T> (a: 'T[]) = ArrayPool<'T>.Shared.Return a

    /// Stride-1 convolutions skip im2col: on the zero-padded image xp [Cig, Hp, Wp] (Hp = H + 2·PadH,
    /// Wp = W + 2·PadW), row (ci·KH + kh)·KW + kw of the column matrix is the contiguous run of xp starting at
    /// ci·Hp·Wp + kh·DilationH·Wp + kw·DilationW, read on a "wide" output grid of OH rows of Wp columns (of which
    /// the first OW are real). One GEMM with these gathered rows gives the output on the wide grid. Only when
    /// more than half of the wide grid is output (OH·OW > Hp·Wp / 2): tiny images (the encoder's 4 × 4 and
    /// 2 × 2 outputs of 6 × 6 and 4 × 4 inputs, its 1 × 1 head) would spend most of the GEMM on dropped columns,
    /// and the stacked im2col path computes exactly the output columns.
    let private isShifted (s: Conv2dSpec) =
        s.StrideH = 1
        && s.StrideW = 1
        && not (isPointwise s)
        && 2 * s.OutHeight * s.OutWidth > (s.Height + 2 * s.PadH) * (s.Width + 2 * s.PadW)

    /// Small images are stacked: nb padded images of one channel lie one below the other in xp
    /// [Cig, nb·Hp, Wp], so one GEMM covers nb images (the rows between two images' outputs are computed and
    /// dropped). Returns (Hp, Wp, wide columns n = ((nb − 1)·Hp + OH − 1)·Wp + OW, row offsets of the column
    /// matrix into xp); image b's output row r is wide row b·Hp + r.
    let private shiftedLayout (s: Conv2dSpec) (cig: int) (nb: int) =
        let hp, wp = s.Height + 2 * s.PadH, s.Width + 2 * s.PadW
        let nw = ((nb - 1) * hp + s.OutHeight - 1) * wp + s.OutWidth

        let rows =
            Array.init (cig * s.KernelHeight * s.KernelWidth) (fun r ->
                let ci, tap =
                    r / (s.KernelHeight * s.KernelWidth), r % (s.KernelHeight * s.KernelWidth)

                let kh, kw = tap / s.KernelWidth, tap % s.KernelWidth
                ci * nb * hp * wp + kh * s.DilationH * wp + kw * s.DilationW)

        hp, wp, nw, rows

    /// The positions on the wide grid of the output pixels of nb stacked images, image by image, row-major:
    /// pixel (r, c) of image b at (b·Hp + r·StrideH)·Wp + c·StrideW. The GEMMs gather exactly these columns
    /// (`Gemm.gemmRowsCols`), so the Wp − OW padding columns of each row and the Hp − OH rows between images
    /// cost nothing (stride 1), and a strided convolution reads its taps without an im2col matrix.
    let private outputColumns (s: Conv2dSpec) (nb: int) =
        let hp, wp = s.Height + 2 * s.PadH, s.Width + 2 * s.PadW
        let oh, ow = s.OutHeight, s.OutWidth

        Array.init (nb * oh * ow) (fun j -> ((j / (oh * ow)) * hp + ((j / ow) % oh) * s.StrideH) * wp + (j % ow) * s.StrideW)

    /// Strided convolutions (stride > 1 along an axis) gather their column matrix from the padded images like the
    /// stride-1 ones: row (ci·KH + kh)·KW + kw of the column matrix starts at the same offset into the stacked
    /// padded buffer (`shiftedLayout`), and the columns are the strided output positions (`outputColumns`). The
    /// GEMM's packer reads the taps there (AVX-512 compacts runs of stride 2), so no im2col matrix is written.
    /// Only for output rows of 8 pixels or more: shorter runs are copied one by one, and the encoder's 4 × 4 and
    /// 2 × 2 stride-2 outputs measured faster with the stacked im2col path.
    let private isGathered (s: Conv2dSpec) =
        (s.StrideH > 1 || s.StrideW > 1) && s.OutWidth >= 8

    /// Whether the weight gradient of a strided convolution gathers too: the transposing packer reads eight
    /// consecutive output pixels of one row as one vector, so the output rows must hold a multiple of 8 pixels
    /// and the horizontal stride be at most 2 (the encoder's 16 × 16 and 8 × 8 stride-2 outputs; its 4 × 4 and
    /// 2 × 2 ones use the stacked im2col path).
    let private gathersWeight (s: Conv2dSpec) =
        isGathered s && s.StrideW <= 2 && s.OutWidth % 8 = 0

    /// Elements past a stacked padded buffer that the packers may read (stride-2 runs are loaded as whole
    /// vectors and compacted: one element past the last one gathered).
    let private slack = 64

    /// Wide columns a stack aims for: below this a GEMM's n is too small to fill the register tiles and amortize
    /// the packing of the weights (the 2 × 2 … 16 × 16 stages of the encoder); 34 × 34 padded images and larger
    /// are never stacked.
    let private stackColumns = 2048

    /// Images per stack for images of `plane` = Hp·Wp padded samples when a worker handles `chunk` images.
    let private stackSize (plane: int) (chunk: int) =
        max 1 (min chunk (stackColumns / plane))

    /// Elements of the largest stacked column matrix (8 MB of float32): the GEMM packs it block by block, so it
    /// need not fit a cache; the bound only caps the scratch buffer.
    let private stackElements = 1 <<< 21

    /// Whether the im2col path stacks images: not 1 × 1 unpadded, outputs small enough (OH·OW ≤ 1024) that two
    /// or more images fit one stack, and one image's whole column matrix within `stackElements` (the stride-2
    /// 3 × 3 layers of the encoder's second stage, 576 × 256, no longer run as two GEMMs of 128 columns per
    /// image).
    let private stacksIm2col (s: Conv2dSpec) (kg: int) (_elementBytes: int) =
        not (isPointwise s)
        && 2 * s.OutHeight * s.OutWidth <= stackColumns
        && kg * s.OutHeight * s.OutWidth <= stackElements

    /// Images per im2col stack when a worker handles `chunk` images: about `stackColumns` output columns, and a
    /// column matrix of at most `stackElements` elements.
    let private im2colStack (kg: int) (ohw: int) (chunk: int) =
        max 1 (min chunk (min (stackColumns / ohw) (stackElements / (kg * ohw))))

    /// Images per stack of a strided (gathered) convolution when a worker handles `chunk` images: about
    /// `stackColumns` output columns, and a padded buffer of at most `stackElements` elements.
    let private gatheredStack (cig: int) (plane: int) (ohw: int) (chunk: int) =
        max 1 (min chunk (min (stackColumns / ohw) (stackElements / (cig * plane))))

    /// xp ← channels [xBase ..] of an image, zero-padded to Hp × Wp, channel c at dst + c·channelStride: every
    /// element of each Hp × Wp plane is written (the border with zeros), so the buffer needs no clearing first.
    let private padImage (s: Conv2dSpec) (x: 'T[]) (xBase: int) (channels: int) (wp: int) (channelStride: int) (dst: int) (xp: 'T[]) =
        let right = wp - s.PadW - s.Width

        for ci in 0 .. channels - 1 do
            let plane = dst + ci * channelStride
            Im2col.zeroRun xp plane (s.PadH * wp)

            for h in 0 .. s.Height - 1 do
                let row = plane + (s.PadH + h) * wp
                Im2col.zeroRun xp row s.PadW
                Im2col.copyRun x (xBase + (ci * s.Height + h) * s.Width) xp (row + s.PadW) s.Width
                Im2col.zeroRun xp (row + s.PadW + s.Width) right

            Im2col.zeroRun xp (plane + (s.PadH + s.Height) * wp) (s.PadH * wp)

    /// Runs `perStack scratch t n0 n1` over stacks [n0, n1) of at most `stack images` images each (a function of
    /// the images one worker handles), dealt to threads as `forImages` deals images.
    let private forStacks
        (threads: int)
        (batch: int)
        (stack: int -> int)
        (init: int -> 'S)
        (perStack: 'S -> int -> int -> int -> unit)
        (release: 'S -> unit)
        =
        let run (scratch: 'S) (size: int) (t: int) (lo: int) (hi: int) =
            for n0 in lo..size .. hi - 1 do
                perStack scratch t n0 (min hi (n0 + size))

        if threads > 1 && batch >= threads then
            // as many stacks per worker as its even share of the batch needs at the size that share would use,
            // the batch split evenly over all of them (sizes differ by one image at most: 32 images in stacks of
            // up to 6 are 6 stacks of 5–6, not five of 6 and one of 2), dealt one at a time
            let most = stack ((batch + threads - 1) / threads)
            let units = threads * ((((batch + threads - 1) / threads) + most - 1) / most)
            let units = min batch units

            dealUnits
                threads
                units
                (fun () -> init most)
                (fun scratch u -> perStack scratch 1 (u * batch / units) ((u + 1) * batch / units))
                release
        else
            let size = stack batch
            let scratch = init size
            run scratch size threads 0 batch
            release scratch

    /// How a stride-1 (shifted) forward uses the direct product `ConvDirect.run` (float32 with AVX-512, Cout/G a
    /// multiple of 8): 1 = exact columns, when the output rows hold a multiple of 16 pixels (each column vector is 16
    /// pixels of one output row, written straight into y: the encoder's 32 × 32 and 16 × 16 layers); 2 = the wide
    /// grid, when the rows do not and at least 3/4 of the wide grid's columns are output pixels (consecutive 16-wide
    /// runs of the stack's wide grid into a scratch, the Wp − OW padding columns computed and dropped: the 34 × 34
    /// outputs of the 32 × 32 layers' input gradients); 0 = the packed GEMM (`Gemm.gemmRowsCols`). The choice depends
    /// only on the padded and output sizes, the channels and the kernel, never on the padding itself, so a
    /// convolution and the same one on an input padded beforehand take the same path (`ConvPadded`'s law).
    let private directMode<'T> (s: Conv2dSpec) =
        let cog = s.OutChannels / s.Groups
        let wp = s.Width + 2 * s.PadW

        if not (ConvDirect.supports<'T> && isShifted s && cog % ConvDirect.panelRows = 0) then
            0
        elif s.OutWidth % ConvDirect.lanes = 0 then
            1
        elif 4 * s.OutWidth >= 3 * wp && s.OutWidth >= 2 * ConvDirect.lanes then
            2
        else
            0

    /// Whether the forward runs the channel-vector direct product (`ConvDirect.runChannels`): float32 with AVX-512,
    /// Cout/G a multiple of 64, a kernel of more than one tap, at least 128 taps per output (Cin/G·KH·KW: the stem's
    /// 49 spend more on the tiles' overhead than they save), at least 4 output pixels per image (the head's single
    /// pixel per image would make three tiles per stack read its 4 MB of weights), not taken by `directMode`, and for
    /// strided convolutions outputs of at most 64 pixels (the 16 × 16 stride-2 layer gathers as fast on the packed
    /// path). These are the encoder's 8 × 8, 4 × 4 and 2 × 2 layers, stride 1 and 2, and the input gradients of its
    /// 16 × 16, 8 × 8 and 4 × 4 layers where they are forward convolutions with the kernel flipped. Like
    /// `directMode`, the choice ignores the padding itself.
    let private channelsMode<'T> (s: Conv2dSpec) =
        let cog = s.OutChannels / s.Groups
        let taps = s.KernelHeight * s.KernelWidth
        let ohw = s.OutHeight * s.OutWidth

        ConvDirect.supports<'T>
        && cog % ConvDirect.channelPanel = 0
        && taps > 1
        && (s.InChannels / s.Groups) * taps >= 128
        && ohw >= 4
        && directMode<'T> s = 0
        && ((s.StrideH = 1 && s.StrideW = 1) || ohw <= 64)

    /// Output pixels a stack of the channel-vector path aims for (384 and 1536 measured the same on the 8 × 8 and
    /// 4 × 4 layers).
    let private channelPixels = 768

    /// Images per stack of the channel-vector path when a worker handles `chunk` images: about `channelPixels`
    /// output pixels, and a padded buffer of at most `stackElements` elements.
    let private channelStack (cig: int) (plane: int) (ohw: int) (chunk: int) =
        max 1 (min chunk (min (channelPixels / ohw) (stackElements / (cig * plane))))

    /// Whether the float32 forward of s runs one of the direct products of `ConvDirect` on this machine (AVX-512):
    /// the register tile of 8 output channels × 48 pixels for stride 1 with Cout/Groups a multiple of 8, an output
    /// covering over half of the padded input, and output rows of a multiple of 16 pixels (exact columns) or of at
    /// least 32 pixels and 3/4 of the padded width (the wide grid); else the tile of 64 output channels × 6 pixels
    /// for Cout/Groups a multiple of 64, at least 128 taps per output, at least 4 output pixels per image and, when
    /// strided, at most 64. The input gradient of a stride-1 convolution is a forward convolution (Cin and Cout
    /// swapped, the kernel flipped) and takes a direct product when that one does.
    let usesDirect (s: Conv2dSpec) =
        validate s
        directMode<float32> s <> 0 || channelsMode<float32> s

    /// Wide-grid columns of a stack of nb images rounded up to whole column vectors (`directMode` 2).
    let private wideColumns (s: Conv2dSpec) (nb: int) =
        let _, _, nw, _ = shiftedLayout s 1 nb
        (nw + ConvDirect.lanes - 1) / ConvDirect.lanes * ConvDirect.lanes

    /// The column vectors of `directMode` 1 for nb stacked images: vector (b, r, q) holds output pixels
    /// 16q .. 16q + 15 of row r of image b; it starts at (b·Hp + r)·Wp + 16q on the stacked padded grid and goes to
    /// b·Cout·OH·OW + r·OW + 16q of the output (channel rows OH·OW apart).
    let private exactVectors (s: Conv2dSpec) (nb: int) =
        let hp, wp = s.Height + 2 * s.PadH, s.Width + 2 * s.PadW
        let oh, ow = s.OutHeight, s.OutWidth
        let per = ow / ConvDirect.lanes
        let count = nb * oh * per

        let src =
            Array.init count (fun i ->
                let b, rest = i / (oh * per), i % (oh * per)
                (b * hp + rest / per) * wp + (rest % per) * ConvDirect.lanes)

        let dst =
            Array.init count (fun i ->
                let b, rest = i / (oh * per), i % (oh * per)

                b * s.OutChannels * oh * ow
                + (rest / per) * ow
                + (rest % per) * ConvDirect.lanes)

        src, dst

    /// `forward` whose stride-1 (shifted) path fills each stack's padded buffer with `fill` (`padImage`'s
    /// arguments: zero padding there; `ConvPadded` passes reflect or circular borders).
    let internal forwardWith
        (fill: Conv2dSpec -> 'T[] -> int -> int -> int -> int -> int -> 'T[] -> unit)
        (threads: int)
        (s: Conv2dSpec)
        (x: 'T[])
        (xOff: int)
        (w: 'T[])
        (wOff: int)
        (y: 'T[])
        (yOff: int)
        =
        KernelCheck.floatType<'T> "x"
        KernelCheck.positive "threads" threads
        validate s
        KernelCheck.span "x" x xOff s.InputLength
        KernelCheck.span "w" w wOff s.WeightLength
        KernelCheck.span "y" y yOff s.OutputLength
        let cig, cog = s.InChannels / s.Groups, s.OutChannels / s.Groups
        let kg = cig * s.KernelHeight * s.KernelWidth
        let ohw = s.OutHeight * s.OutWidth
        let hw = s.Height * s.Width

        let mode = directMode<'T> s

        if channelsMode<'T> s then
            // The channel-vector direct product: output channels as vector lanes, pixels read in place.
            let hp, wp, _, _ = shiftedLayout s cig 1
            let plane = hp * wp
            // every element is written by the packing: a pooled buffer, given back after the stacks
            let packed = rent<float32> s.WeightLength
            ConvDirect.packChannels threads s.Groups cog kg (unbox<float32[]>(box w)) wOff packed
            let tile = ConvDirect.channelTile

            forStacks
                threads
                s.Batch
                (channelStack cig plane ohw)
                (fun size -> rent<'T>(cig * size * plane + slack), rent<float32>((size * ohw + tile - 1) / tile * tile * cog))
                (fun (xp, dT) t n0 n1 ->
                    let nb = n1 - n0
                    let _, _, _, offs = shiftedLayout s cig nb
                    let pix = outputColumns s nb
                    let xs = unbox<float32[]>(box xp)
                    let ys = unbox<float32[]>(box y)

                    for g in 0 .. s.Groups - 1 do
                        // every element of the stack's planes is written by the fill (borders included)
                        for b in 0 .. nb - 1 do
                            fill s x (xOff + ((n0 + b) * s.InChannels + g * cig) * hw) cig wp (nb * plane) (b * plane) xp

                        ConvDirect.runChannels t cog packed (g * cog * kg) xs offs pix dT

                        // Dᵀ back to channel planes in blocks of 16 pixels: each channel's 16 values are written
                        // contiguously while the block's 16 rows of Dᵀ stay in L1
                        for b in 0 .. nb - 1 do
                            let yBase = yOff + ((n0 + b) * s.OutChannels + g * cog) * ohw

                            for j0 in 0..16 .. ohw - 1 do
                                let j1 = min ohw (j0 + 16)

                                for co in 0 .. cog - 1 do
                                    let dst = yBase + co * ohw

                                    for j in j0 .. j1 - 1 do
                                        ys[dst + j] <- dT[(b * ohw + j) * cog + co])
                (fun (xp, dT) ->
                    giveBack xp
                    giveBack dT)

            giveBack packed
        elif mode <> 0 then
            // Stride 1 with the direct product: the weights packed once for all stacks, B read in place.
            let hp, wp, _, _ = shiftedLayout s cig 1
            let plane = hp * wp
            // every element is written by the packing: a pooled buffer, given back after the stacks
            let packed = rent<float32> s.WeightLength
            ConvDirect.packWeights threads s.Groups cog kg (unbox<float32[]>(box w)) wOff packed

            forStacks
                threads
                s.Batch
                (stackSize plane)
                (fun size ->
                    let scratch = if mode = 2 then cog * wideColumns s size else 0
                    rent<'T>(cig * size * plane + slack), rent<float32> scratch)
                (fun (xp, yw) t n0 n1 ->
                    let nb = n1 - n0
                    let _, _, _, offs = shiftedLayout s cig nb
                    let xs = unbox<float32[]>(box xp)
                    let ys = unbox<float32[]>(box y)

                    for g in 0 .. s.Groups - 1 do
                        // every element of the stack's planes is written by the fill (borders included)
                        for b in 0 .. nb - 1 do
                            fill s x (xOff + ((n0 + b) * s.InChannels + g * cig) * hw) cig wp (nb * plane) (b * plane) xp

                        let aOff = g * cog * kg

                        if mode = 1 then
                            let src, dst = exactVectors s nb
                            let yBase = yOff + (n0 * s.OutChannels + g * cog) * ohw
                            ConvDirect.run t cog packed aOff xs offs src ys yBase dst ohw
                        else
                            let cols = wideColumns s nb
                            let vectors = Array.init (cols / ConvDirect.lanes) (fun v -> v * ConvDirect.lanes)
                            ConvDirect.run t cog packed aOff xs offs vectors yw 0 vectors cols

                            for b in 0 .. nb - 1 do
                                let yBase = yOff + ((n0 + b) * s.OutChannels + g * cog) * ohw

                                for co in 0 .. cog - 1 do
                                    for r in 0 .. s.OutHeight - 1 do
                                        Im2col.copyRun yw (co * cols + (b * hp + r) * wp) ys (yBase + co * ohw + r * s.OutWidth) s.OutWidth)
                (fun (xp, yw) ->
                    giveBack xp
                    giveBack yw)

            giveBack packed
        elif isShifted s || isGathered s then
            let hp, wp, _, _ = shiftedLayout s cig 1
            let plane = hp * wp

            forStacks
                threads
                s.Batch
                (if isShifted s then
                     stackSize plane
                 else
                     gatheredStack cig plane ohw)
                (fun size -> rent<'T>(cig * size * plane + slack), rent<'T>(cog * size * ohw))
                (fun (xp, yw) t n0 n1 ->
                    let nb = n1 - n0
                    let _, _, _, bRows = shiftedLayout s cig nb
                    let cols = outputColumns s nb

                    for g in 0 .. s.Groups - 1 do
                        // every element of the stack's planes is written by the fill (borders included)
                        for b in 0 .. nb - 1 do
                            fill s x (xOff + ((n0 + b) * s.InChannels + g * cig) * hw) cig wp (nb * plane) (b * plane) xp

                        let wBase = wOff + g * cog * kg

                        if nb = 1 then
                            // one image: C is the image's output block itself
                            let yBase = yOff + (n0 * s.OutChannels + g * cog) * ohw
                            Gemm.gemmRowsCols t MatOp.AsIs MatOp.AsIs cog cols.Length kg 1.0 w wBase kg xp bRows cols 0.0 y yBase ohw
                        else
                            let ld = nb * ohw
                            Gemm.gemmRowsCols t MatOp.AsIs MatOp.AsIs cog ld kg 1.0 w wBase kg xp bRows cols 0.0 yw 0 ld

                            for b in 0 .. nb - 1 do
                                let yBase = yOff + ((n0 + b) * s.OutChannels + g * cog) * ohw

                                for co in 0 .. cog - 1 do
                                    Im2col.copyRun yw (co * ld + b * ohw) y (yBase + co * ohw) ohw)
                (fun (xp, yw) ->
                    giveBack xp
                    giveBack yw)
        elif stacksIm2col s kg sizeof<'T> then
            // Small outputs: the column matrices of nb images side by side (image b's columns at b·OH·OW, leading
            // dimension nb·OH·OW), one GEMM, and the nb output blocks copied out.
            forStacks
                threads
                s.Batch
                (im2colStack kg ohw)
                (fun size -> rent<'T>(kg * size * ohw), rent<'T>(cog * size * ohw))
                (fun (col, yc) t n0 n1 ->
                    let ld = (n1 - n0) * ohw

                    for g in 0 .. s.Groups - 1 do
                        for b in 0 .. n1 - n0 - 1 do
                            Im2col.packAt s x (xOff + ((n0 + b) * s.InChannels + g * cig) * hw) cig 0 s.OutHeight col (b * ohw) ld

                        Gemm.gemm t MatOp.AsIs MatOp.AsIs cog ld kg 1.0 w (wOff + g * cog * kg) kg col 0 ld 0.0 yc 0 ld

                        for b in 0 .. n1 - n0 - 1 do
                            for co in 0 .. cog - 1 do
                                Im2col.copyRun yc (co * ld + b * ohw) y (yOff + ((n0 + b) * s.OutChannels + g * cog + co) * ohw) ohw)
                (fun (col, yc) ->
                    giveBack col
                    giveBack yc)
        else
            let pointwise = isPointwise s
            let rows = Im2col.chunkRows s kg sizeof<'T>
            let ow = s.OutWidth

            forImages
                threads
                s.Batch
                (fun () -> if pointwise then [||] else rent<'T>(kg * rows * ow))
                (fun col t n ->
                    for g in 0 .. s.Groups - 1 do
                        let xBase = xOff + (n * s.InChannels + g * cig) * hw
                        let yBase = yOff + (n * s.OutChannels + g * cog) * ohw
                        let wBase = wOff + g * cog * kg

                        if pointwise then
                            Gemm.gemm t MatOp.AsIs MatOp.AsIs cog ohw kg 1.0 w wBase kg x xBase ohw 0.0 y yBase ohw
                        else
                            for y0 in 0..rows .. s.OutHeight - 1 do
                                let y1 = min s.OutHeight (y0 + rows)
                                let cols = (y1 - y0) * ow
                                Im2col.pack s x xBase cig y0 y1 col
                                Gemm.gemm t MatOp.AsIs MatOp.AsIs cog cols kg 1.0 w wBase kg col 0 cols 0.0 y (yBase + y0 * ow) ohw)
                (fun col ->
                    if not pointwise then
                        giveBack col)

    /// y ← conv(x, w): x [N, Cin, H, W] at xOff, w [Cout, Cin/G, KH, KW] at wOff, y [N, Cout, OH, OW] at yOff.
    let forward (threads: int) (s: Conv2dSpec) (x: 'T[]) (xOff: int) (w: 'T[]) (wOff: int) (y: 'T[]) (yOff: int) =
        forwardWith padImage threads s x xOff w wOff y yOff

    /// dx ← convᵀ_x(dy, w), the adjoint of `forward` in x (its gradient with respect to the input): dy
    /// [N, Cout, OH, OW] at dyOff, w at wOff, dx [N, Cin, H, W] at dxOff (overwritten).
    let backwardData (threads: int) (s: Conv2dSpec) (dy: 'T[]) (dyOff: int) (w: 'T[]) (wOff: int) (dx: 'T[]) (dxOff: int) =
        KernelCheck.floatType<'T> "dy"
        KernelCheck.positive "threads" threads
        validate s
        KernelCheck.span "dy" dy dyOff s.OutputLength
        KernelCheck.span "w" w wOff s.WeightLength
        KernelCheck.span "dx" dx dxOff s.InputLength
        let cig, cog = s.InChannels / s.Groups, s.OutChannels / s.Groups
        let kg = cig * s.KernelHeight * s.KernelWidth
        let ohw = s.OutHeight * s.OutWidth
        let hw = s.Height * s.Width

        let fullPad =
            s.PadH <= s.DilationH * (s.KernelHeight - 1)
            && s.PadW <= s.DilationW * (s.KernelWidth - 1)

        // The flipped forward computes Cin/G output rows per GEMM: below 8 (the register tile's height) most of
        // each tile would be padding, and im2col's Kg-row GEMM does better (the 3-channel first layer). It also
        // computes every input pixel's full gather of K taps, while only OH·OW·K (output pixel, tap) pairs exist:
        // when the input has over 3/2 as many pixels as the output (the unpadded convolution behind a
        // reflect-padded 8 × 8 layer: 100 against 64), the stacked im2col path's exact GEMM plus col2im does less
        // work (measured 5 % less CPU time there; at 16 × 16, 324 against 256, it was no faster).
        let scatterCheaper =
            2 * s.Height * s.Width > 3 * s.OutHeight * s.OutWidth
            && stacksIm2col s kg sizeof<'T>

        if isShifted s && fullPad && cig >= 8 && not scatterCheaper then
            // Stride 1: the input gradient is the forward convolution of dy, padded by dilation·(K − 1) − pad, with
            // the kernel flipped in space and its channel axes swapped per group.
            // every element is written below: a pooled buffer, given back after the flipped forward
            let flipped = rent<'T> s.WeightLength
            let taps = s.KernelHeight * s.KernelWidth

            for g in 0 .. s.Groups - 1 do
                for co in 0 .. cog - 1 do
                    for ci in 0 .. cig - 1 do
                        for tap in 0 .. taps - 1 do
                            flipped[((g * cig + ci) * cog + co) * taps + (taps - 1 - tap)] <-
                                w[wOff + ((g * cog + co) * cig + ci) * taps + tap]

            let adjoint =
                { s with
                    InChannels = s.OutChannels
                    OutChannels = s.InChannels
                    Height = s.OutHeight
                    Width = s.OutWidth
                    PadH = s.DilationH * (s.KernelHeight - 1) - s.PadH
                    PadW = s.DilationW * (s.KernelWidth - 1) - s.PadW
                }

            forward threads adjoint dy dyOff flipped 0 dx dxOff
            giveBack flipped
        elif stacksIm2col s kg sizeof<'T> then
            // Small outputs: dy of nb images side by side (leading dimension nb·OH·OW), one GEMM for their column
            // matrices, each image's block added back by col2im.
            forStacks
                threads
                s.Batch
                (im2colStack kg ohw)
                (fun size -> rent<'T>(kg * size * ohw), rent<'T>(cog * size * ohw))
                (fun (col, dys) t n0 n1 ->
                    let ld = (n1 - n0) * ohw

                    for g in 0 .. s.Groups - 1 do
                        for b in 0 .. n1 - n0 - 1 do
                            for co in 0 .. cog - 1 do
                                Im2col.copyRun dy (dyOff + ((n0 + b) * s.OutChannels + g * cog + co) * ohw) dys (co * ld + b * ohw) ohw

                        Gemm.gemm t MatOp.Transposed MatOp.AsIs kg ld cog 1.0 w (wOff + g * cog * kg) kg dys 0 ld 0.0 col 0 ld

                        for b in 0 .. n1 - n0 - 1 do
                            let dxBase = dxOff + ((n0 + b) * s.InChannels + g * cig) * hw
                            Array.Clear(dx, dxBase, cig * hw)
                            Im2col.unpackAny s col (b * ohw) ld cig 0 s.OutHeight dx dxBase)
                (fun (col, dys) ->
                    giveBack col
                    giveBack dys)
        else
            let pointwise = isPointwise s
            let rows = Im2col.chunkRows s kg sizeof<'T>
            let ow = s.OutWidth

            forImages
                threads
                s.Batch
                (fun () -> if pointwise then [||] else rent<'T>(kg * rows * ow))
                (fun col t n ->
                    for g in 0 .. s.Groups - 1 do
                        let dxBase = dxOff + (n * s.InChannels + g * cig) * hw
                        let dyBase = dyOff + (n * s.OutChannels + g * cog) * ohw
                        let wBase = wOff + g * cog * kg

                        if pointwise then
                            Gemm.gemm t MatOp.Transposed MatOp.AsIs kg ohw cog 1.0 w wBase kg dy dyBase ohw 0.0 dx dxBase hw
                        else
                            Array.Clear(dx, dxBase, cig * hw)

                            for y0 in 0..rows .. s.OutHeight - 1 do
                                let y1 = min s.OutHeight (y0 + rows)
                                let cols = (y1 - y0) * ow
                                Gemm.gemm t MatOp.Transposed MatOp.AsIs kg cols cog 1.0 w wBase kg dy (dyBase + y0 * ow) ohw 0.0 col 0 cols
                                Im2col.unpackAny s col 0 cols cig y0 y1 dx dxBase)
                (fun col ->
                    if not pointwise then
                        giveBack col)

    /// Whether the weight gradient runs the channel-vector direct product (`ConvWeight.run`): float32 with AVX-512,
    /// Cout/G a multiple of 64 and at least 4 output pixels per image (the head's single pixel per image measured no
    /// faster than the GEMM, which writes its 1 M weights once instead of through a transposed scratch). Like
    /// `directMode`, the choice ignores the padding itself (it reads the padded images through the fill), so a
    /// convolution and the same one on an input padded beforehand take the same path.
    let private weightChannelsMode<'T> (s: Conv2dSpec) =
        ConvDirect.supports<'T>
        && (s.OutChannels / s.Groups) % ConvWeight.panel = 0
        && s.OutHeight * s.OutWidth >= 4

    /// Output pixels a stack of the channel-vector weight gradient aims for: its padded images and dyᵀ stay within
    /// about 1 MB (the 32 × 32 layers' stacks of 2 images), and the 2 × 2 … 8 × 8 layers run the whole batch at once.
    let private weightPixels = 2048

    /// Images per stack of the channel-vector weight gradient: about `weightPixels` output pixels, and a padded
    /// buffer of at most `stackElements` elements; a function of the padded and output sizes only.
    let private weightStack (cig: int) (plane: int) (ohw: int) (batch: int) =
        max 1 (min batch (min (weightPixels / ohw) (stackElements / (cig * plane))))

    /// Whether the float32 weight gradient of s runs the channel-vector direct product of `ConvWeight` on this machine
    /// (AVX-512, Cout/Groups a multiple of 64, at least 4 output pixels per image: every layer of the encoder but its
    /// head): dyᵀ of a stack of images as 64-channel vectors against each tap's
    /// samples read in place from the padded images, summed in an order that does not depend on the thread count.
    let usesDirectWeight (s: Conv2dSpec) =
        validate s
        weightChannelsMode<float32> s

    /// The channel-vector weight gradient (`weightChannelsMode`): stacks of images in order; per stack and group, the
    /// images padded by `fill` and dy transposed (images split over the threads), then `ConvWeight.run` adds the
    /// stack's sums to dWᵀ; dw is dWᵀ transposed at the end.
    let private backwardWeightChannels
        (fill: Conv2dSpec -> 'T[] -> int -> int -> int -> int -> int -> 'T[] -> unit)
        (threads: int)
        (s: Conv2dSpec)
        (x: 'T[])
        (xOff: int)
        (dy: 'T[])
        (dyOff: int)
        (dw: 'T[])
        (dwOff: int)
        =
        let cig, cog = s.InChannels / s.Groups, s.OutChannels / s.Groups
        let kg = cig * s.KernelHeight * s.KernelWidth
        let ohw = s.OutHeight * s.OutWidth
        let hw = s.Height * s.Width
        let hp, wp, _, _ = shiftedLayout s cig 1
        let plane = hp * wp
        let size = weightStack cig plane ohw s.Batch
        let rowsT = ConvWeight.scratchRows kg
        // every element is written: the fill writes whole planes, the transpose every pixel of the stack, the
        // first stack overwrites dWᵀ
        let xp = rent<'T>(cig * size * plane + slack)
        let dT = rent<float32>(cog * size * ohw)
        let dwT = Array.init s.Groups (fun _ -> rent<float32>(rowsT * cog))
        let xs = unbox<float32[]>(box xp)
        let dys = unbox<float32[]>(box dy)

        for m0 in 0..size .. s.Batch - 1 do
            let nb = min size (s.Batch - m0)
            let _, _, _, offs = shiftedLayout s cig nb
            let pix = outputColumns s nb

            for g in 0 .. s.Groups - 1 do
                let prepare b =
                    fill s x (xOff + ((m0 + b) * s.InChannels + g * cig) * hw) cig wp (nb * plane) (b * plane) xp
                    let src = dyOff + ((m0 + b) * s.OutChannels + g * cog) * ohw
                    ConvWeight.transposeImage cog ohw (nb * ohw) b dys src dT

                if threads > 1 && nb > 1 then
                    Parallel.For(0, nb, ParallelOptions(MaxDegreeOfParallelism = threads), prepare)
                    |> ignore
                else
                    for b in 0 .. nb - 1 do
                        prepare b

                ConvWeight.run threads cog dT xs offs pix dwT[g] (m0 > 0)

        let dws = unbox<float32[]>(box dw)

        // dWᵀ back to weight rows in blocks of 16 channels × 16 taps
        for g in 0 .. s.Groups - 1 do
            let src = dwT[g]

            let block (c: int) =
                let c0 = c * 16
                let c1 = min cog (c0 + 16)

                for k0 in 0..16 .. kg - 1 do
                    let k1 = min kg (k0 + 16)

                    for co in c0 .. c1 - 1 do
                        let dst = dwOff + (g * cog + co) * kg

                        for kk in k0 .. k1 - 1 do
                            dws[dst + kk] <- src[kk * cog + co]

            let blocks = (cog + 15) / 16

            if threads > 1 && cog * kg >= 65536 then
                Parallel.For(0, blocks, ParallelOptions(MaxDegreeOfParallelism = threads), block)
                |> ignore
            else
                for c in 0 .. blocks - 1 do
                    block c

            giveBack src

        giveBack xp
        giveBack dT

    /// The GEMM paths of the weight gradient (stride-1 shifted, strided gathered, stacked or per-image im2col).
    let private backwardWeightGemm
        (fill: Conv2dSpec -> 'T[] -> int -> int -> int -> int -> int -> 'T[] -> unit)
        (threads: int)
        (s: Conv2dSpec)
        (x: 'T[])
        (xOff: int)
        (dy: 'T[])
        (dyOff: int)
        (dw: 'T[])
        (dwOff: int)
        =
        KernelCheck.floatType<'T> "x"
        KernelCheck.positive "threads" threads
        validate s
        KernelCheck.span "x" x xOff s.InputLength
        KernelCheck.span "dy" dy dyOff s.OutputLength
        KernelCheck.span "dw" dw dwOff s.WeightLength
        let cig, cog = s.InChannels / s.Groups, s.OutChannels / s.Groups
        let kg = cig * s.KernelHeight * s.KernelWidth
        let ohw = s.OutHeight * s.OutWidth
        let hw = s.Height * s.Width
        let pointwise = isPointwise s
        let rows = Im2col.chunkRows s kg sizeof<'T>
        let ow = s.OutWidth
        let parts = min threads s.Batch
        let chunk = (s.Batch + parts - 1) / parts

        // Stride 1: the GEMM reads the gathered rows of the padded images (stacked when small) against dy on the
        // wide grid (zero in the columns that are no output pixel).
        let accumulateShifted (target: 'T[]) (tOff: int) (t: int) (n0: int) (n1: int) =
            let hp, wp, _, _ = shiftedLayout s cig 1
            let plane = hp * wp

            let size =
                if isShifted s then
                    stackSize plane (n1 - n0)
                else
                    gatheredStack cig plane ohw (n1 - n0)

            let _, _, nwMax, _ = shiftedLayout s cig size
            let oh, ow = s.OutHeight, s.OutWidth
            // exact pixel columns when the transposing packer can read them eight at a time (always when strided)
            let exact = ow % 8 = 0
            let xp = rent<'T>(cig * size * plane + slack)
            let dyw = rent<'T>(cog * nwMax)

            for m0 in n0..size .. n1 - 1 do
                let nb = min size (n1 - m0)
                let _, _, nw, bRows = shiftedLayout s cig nb
                let beta = if m0 = n0 then 0.0 else 1.0

                for g in 0 .. s.Groups - 1 do
                    // every element of the stack's planes is written by the fill (borders included)
                    for b in 0 .. nb - 1 do
                        fill s x (xOff + ((m0 + b) * s.InChannels + g * cig) * hw) cig wp (nb * plane) (b * plane) xp

                    let dwBase = tOff + g * cog * kg

                    if exact then
                        // k runs over the output pixels only: dy of the stack as [cog, nb·OH·OW] against the gathered
                        // rows read at the pixels' positions (rows of OW = 8j pixels keep eight k consecutive)
                        let cols = outputColumns s nb
                        let ld = nb * ohw

                        if nb = 1 then
                            let dyBase = dyOff + (m0 * s.OutChannels + g * cog) * ohw
                            Gemm.gemmRowsCols t MatOp.AsIs MatOp.Transposed cog kg ld 1.0 dy dyBase ohw xp bRows cols beta target dwBase kg
                        else
                            for b in 0 .. nb - 1 do
                                let dyBase = dyOff + ((m0 + b) * s.OutChannels + g * cog) * ohw

                                for co in 0 .. cog - 1 do
                                    Im2col.copyRun dy (dyBase + co * ohw) dyw (co * ld + b * ohw) ohw

                            Gemm.gemmRowsCols t MatOp.AsIs MatOp.Transposed cog kg ld 1.0 dyw 0 ld xp bRows cols beta target dwBase kg
                    else
                        Array.Clear(dyw, 0, cog * nw)

                        for b in 0 .. nb - 1 do
                            let dyBase = dyOff + ((m0 + b) * s.OutChannels + g * cog) * ohw

                            for co in 0 .. cog - 1 do
                                for r in 0 .. oh - 1 do
                                    Im2col.copyRun dy (dyBase + (co * oh + r) * ow) dyw (co * nw + (b * hp + r) * wp) ow

                        Gemm.gemmRows t MatOp.AsIs MatOp.Transposed cog kg nw 1.0 dyw 0 nw xp bRows beta target dwBase kg

            giveBack xp
            giveBack dyw

        // Images [n0, n1) into target (at tOff), with `t` threads per GEMM; the first image overwrites.
        let accumulateIm2col (target: 'T[]) (tOff: int) (t: int) (n0: int) (n1: int) =
            let col = if pointwise then [||] else rent<'T>(kg * rows * ow)

            for n in n0 .. n1 - 1 do
                let beta = if n = n0 then 0.0 else 1.0

                for g in 0 .. s.Groups - 1 do
                    let xBase = xOff + (n * s.InChannels + g * cig) * hw
                    let dyBase = dyOff + (n * s.OutChannels + g * cog) * ohw
                    let dwBase = tOff + g * cog * kg

                    if pointwise then
                        Gemm.gemm t MatOp.AsIs MatOp.Transposed cog kg ohw 1.0 dy dyBase ohw x xBase hw beta target dwBase kg
                    else
                        for y0 in 0..rows .. s.OutHeight - 1 do
                            let y1 = min s.OutHeight (y0 + rows)
                            let cols = (y1 - y0) * ow
                            let beta = if y0 = 0 then beta else 1.0
                            Im2col.pack s x xBase cig y0 y1 col

                            Gemm.gemm
                                t
                                MatOp.AsIs
                                MatOp.Transposed
                                cog
                                kg
                                cols
                                1.0
                                dy
                                (dyBase + y0 * ow)
                                ohw
                                col
                                0
                                cols
                                beta
                                target
                                dwBase
                                kg

            if not pointwise then
                giveBack col

        // Small outputs: images [n0, n1) in stacks, the column matrices and dy of a stack side by side.
        let accumulateStacked (target: 'T[]) (tOff: int) (t: int) (n0: int) (n1: int) =
            let size = im2colStack kg ohw (n1 - n0)
            let col = rent<'T>(kg * size * ohw)
            let dys = rent<'T>(cog * size * ohw)

            for m0 in n0..size .. n1 - 1 do
                let nb = min size (n1 - m0)
                let ld = nb * ohw
                let beta = if m0 = n0 then 0.0 else 1.0

                for g in 0 .. s.Groups - 1 do
                    for b in 0 .. nb - 1 do
                        let n = m0 + b
                        Im2col.packAt s x (xOff + (n * s.InChannels + g * cig) * hw) cig 0 s.OutHeight col (b * ohw) ld

                        for co in 0 .. cog - 1 do
                            Im2col.copyRun dy (dyOff + (n * s.OutChannels + g * cog + co) * ohw) dys (co * ld + b * ohw) ohw

                    Gemm.gemm t MatOp.AsIs MatOp.Transposed cog kg ld 1.0 dys 0 ld col 0 ld beta target (tOff + g * cog * kg) kg

            giveBack col
            giveBack dys

        let accumulate =
            if isShifted s || gathersWeight s then accumulateShifted
            elif stacksIm2col s kg sizeof<'T> then accumulateStacked
            else accumulateIm2col

        if parts <= 1 then
            accumulate dw dwOff threads 0 s.Batch
        else
            // pooled: each worker's first image overwrites its partial sum (β = 0)
            let partials = Array.init parts (fun _ -> rent<'T> s.WeightLength)

            Parallel.For(
                0,
                parts,
                ParallelOptions(MaxDegreeOfParallelism = parts),
                fun t ->
                    let n0, n1 = t * chunk, min s.Batch ((t + 1) * chunk)

                    if n0 < n1 then
                        accumulate partials[t] 0 1 n0 n1
                    else
                        Array.Clear(partials[t], 0, s.WeightLength)
            )
            |> ignore

            Im2col.sumInto partials s.WeightLength dw dwOff

            for p in partials do
                giveBack p

    /// `backwardWeight` whose stride-1 (shifted), gathered and channel-vector paths fill the padded images with
    /// `fill` (as `forwardWith`).
    let internal backwardWeightWith
        (fill: Conv2dSpec -> 'T[] -> int -> int -> int -> int -> int -> 'T[] -> unit)
        (threads: int)
        (s: Conv2dSpec)
        (x: 'T[])
        (xOff: int)
        (dy: 'T[])
        (dyOff: int)
        (dw: 'T[])
        (dwOff: int)
        =
        KernelCheck.floatType<'T> "x"
        KernelCheck.positive "threads" threads
        validate s
        KernelCheck.span "x" x xOff s.InputLength
        KernelCheck.span "dy" dy dyOff s.OutputLength
        KernelCheck.span "dw" dw dwOff s.WeightLength

        if weightChannelsMode<'T> s then
            backwardWeightChannels fill threads s x xOff dy dyOff dw dwOff
        else
            backwardWeightGemm fill threads s x xOff dy dyOff dw dwOff

    /// dw ← convᵀ_w(x, dy), the adjoint of `forward` in w (its gradient with respect to the weight): x at xOff,
    /// dy [N, Cout, OH, OW] at dyOff, dw [Cout, Cin/G, KH, KW] at dwOff (overwritten). Where `usesDirectWeight`
    /// holds, stacks of images are summed in order and the taps split over the threads (bit-identical for every
    /// thread count); otherwise the batch is split into min(threads, N) contiguous chunks whose partial sums are added
    /// in chunk order (bit-identical for a fixed thread count).
    let backwardWeight (threads: int) (s: Conv2dSpec) (x: 'T[]) (xOff: int) (dy: 'T[]) (dyOff: int) (dw: 'T[]) (dwOff: int) =
        backwardWeightWith padImage threads s x xOff dy dyOff dw dwOff

    /// Whether `forwardWith` reads the input through `fill` (the stride-1 shifted path or the strided gathered
    /// one) and the same convolution on the input padded beforehand (padding 0) takes that path too (not for 1 × 1
    /// kernels, which are pointwise once unpadded), so that filling the border in `fill` changes no sum.
    let internal readsThroughFill<'T> (s: Conv2dSpec) =
        (isShifted s || isGathered s || channelsMode<'T> s)
        && not (s.KernelHeight = 1 && s.KernelWidth = 1)

    /// `readsThroughFill` for `backwardWeightWith`: the stride-1 path, or the gathering strided one.
    let internal weightReadsThroughFill<'T> (s: Conv2dSpec) =
        (isShifted s || gathersWeight s || weightChannelsMode<'T> s)
        && not (s.KernelHeight = 1 && s.KernelWidth = 1)
