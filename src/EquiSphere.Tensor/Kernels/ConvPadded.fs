namespace EquiSphere.Tensor.Kernels

open System.Buffers
open System.Threading.Tasks

/// 2D convolution whose padding (PadH rows above and below, PadW columns left and right) is filled by a
/// `PadMode` per axis instead of zeros: conv(padᵐ(x)) with padᵐ the `Pad` of the spec's padding and the convolution
/// itself unpadded, on NCHW float32[] or float[] arrays with offsets. When either mode is not `Zeros`, it computes
/// exactly what `Pad.forward` into a buffer followed by `Conv.forward` of that buffer computes (bit for bit, on
/// every path; likewise the weight gradient, and the input gradient with `Pad.adjoint` except on the ring path
/// below), without the padded tensor where it can: the convolutions that already copy each image into a padded
/// buffer (stride 1, and strided ones whose taps the GEMM gathers) fill that buffer's border by the modes; other
/// convolutions pad into a pooled buffer first.
/// The input gradient of a stride-1 convolution padded by one row and column of an input of at least 8 × 8 and at
/// most 128 samples (the encoder's 8 × 8 stage) is the zero-padded convolution's input gradient plus the ring of
/// the padded grid (`usesRing`; equal to the folded form up to rounding); every other input gradient is the
/// unpadded convolution's on the padded grid (a pooled buffer) folded back by `Pad.adjoint`.
/// Laws: ⟨forward(x, w), y⟩ = ⟨x, backwardData(y, w)⟩ = ⟨w, backwardWeight(x, y)⟩; with both modes `Zeros` the
/// three functions are `Conv.forward`, `Conv.backwardData` and `Conv.backwardWeight`.
[<RequireQualifiedAccess>]
module ConvPadded =

    /// The padding of spec s's input by the modes: `planes` planes of H × W, PadH/PadW on each side.
    let padSpec (s: Conv2dSpec) (modeH: PadMode, modeW: PadMode) (planes: int) : Pad2dSpec =
        {
            Planes = planes
            Height = s.Height
            Width = s.Width
            Top = s.PadH
            Bottom = s.PadH
            Left = s.PadW
            Right = s.PadW
            ModeH = modeH
            ModeW = modeW
        }

    /// The unpadded convolution on the padded input: H + 2·PadH by W + 2·PadW, no padding.
    let unpadded (s: Conv2dSpec) =
        { s with
            Height = s.Height + 2 * s.PadH
            Width = s.Width + 2 * s.PadW
            PadH = 0
            PadW = 0
        }

    let private isZeros (modeH: PadMode, modeW: PadMode) =
        modeH = PadMode.Zeros && modeW = PadMode.Zeros

    let private rent<'T> (count: int) = ArrayPool<'T>.Shared.Rent(max 1 count)
    let private giveBack<'T> (a: 'T[]) = ArrayPool<'T>.Shared.Return a

    /// Runs `body first count` over min(threads, planes) contiguous groups of planes (in parallel when more than
    /// one and the work is large): every plane is padded or folded on its own, so the split does not change
    /// the result.
    let private overPlanes (threads: int) (planes: int) (elements: int) (body: int -> int -> unit) =
        let parts = if elements < 65536 then 1 else max 1 (min threads planes)

        if parts <= 1 then
            body 0 planes
        else
            let per = (planes + parts - 1) / parts

            Parallel.For(
                0,
                parts,
                ParallelOptions(MaxDegreeOfParallelism = parts),
                fun k ->
                    let first = k * per

                    if first < planes then
                        body first (min per (planes - first))
            )
            |> ignore

    /// xp ← padᵐ(x) for all N·Cin planes (xp laid out as the unpadded spec's input).
    let private padAll (threads: int) (s: Conv2dSpec) (modes: PadMode * PadMode) (x: 'T[]) (xOff: int) (xp: 'T[]) =
        let ps = padSpec s modes (s.Batch * s.InChannels)
        let hw, phw = s.Height * s.Width, ps.OutHeight * ps.OutWidth

        overPlanes threads ps.Planes (ps.Planes * phw) (fun first count ->
            Pad.forward { ps with Planes = count } x (xOff + first * hw) xp (first * phw))

    /// The padded-buffer filler of `Conv.forwardWith`: `channels` planes of the image at xBase, plane c padded by
    /// the modes into xp at dst + c·channelStride (row length wp = W + 2·PadW).
    let private fill (modes: PadMode * PadMode) =
        fun (s: Conv2dSpec) (x: 'T[]) (xBase: int) (channels: int) (_wp: int) (channelStride: int) (dst: int) (xp: 'T[]) ->
            Pad.planesInto (padSpec s modes channels) channelStride x xBase xp dst

    let private check (s: Conv2dSpec) (modes: PadMode * PadMode) =
        Conv.validate s
        Pad.validate (padSpec s modes 1)

    /// The shared body of `forward` and `backwardWeight` for non-zero modes, which both read x through the padding:
    /// checks the arguments, then runs `direct` when the convolution reads padded values through its fill
    /// (`readsFill s`: the paths that copy each image into a padded buffer), else `padded u xp` with x padded into
    /// a pooled buffer xp of the unpadded spec u.
    let private throughPadding
        (readsFill: Conv2dSpec -> bool)
        (threads: int)
        (s: Conv2dSpec)
        (modes: PadMode * PadMode)
        (x: 'T[])
        (xOff: int)
        (direct: unit -> unit)
        (padded: Conv2dSpec -> 'T[] -> unit)
        =
        KernelCheck.floatType<'T> "x"
        check s modes
        KernelCheck.positive "threads" threads
        KernelCheck.span "x" x xOff s.InputLength

        if readsFill s then
            direct ()
        else
            let u = unpadded s
            let xp = rent<'T> u.InputLength
            padAll threads s modes x xOff xp
            padded u xp
            giveBack xp

    /// y ← conv(padᵐ(x), w): x [N, Cin, H, W] at xOff, w [Cout, Cin/G, KH, KW] at wOff, y [N, Cout, OH, OW] at yOff
    /// (OH, OW as `Conv2dSpec` computes them with the padding). Reflect padding must be smaller than its axis.
    let forward
        (threads: int)
        (s: Conv2dSpec)
        (modes: PadMode * PadMode)
        (x: 'T[])
        (xOff: int)
        (w: 'T[])
        (wOff: int)
        (y: 'T[])
        (yOff: int)
        =
        if isZeros modes then
            Conv.forward threads s x xOff w wOff y yOff
        else
            throughPadding
                Conv.readsThroughFill<'T>
                threads
                s
                modes
                x
                xOff
                (fun () -> Conv.forwardWith (fill modes) threads s x xOff w wOff y yOff)
                (fun u xp -> Conv.forward threads u xp 0 w wOff y yOff)

    /// Whether the input gradient takes the interior-plus-ring path (`ringBackwardData`): stride 1, dilation 1,
    /// one group, a padding of one row and one column, not both modes `Zeros`, and an input of at least 8 × 8 and
    /// at most 128 samples. On smaller images the exact im2col input gradient of the unpadded convolution does
    /// less work; on larger ones the ring is a small part of the padded grid and the strided passes over the
    /// ring's columns cost what the fold saves (16 × 16 and 32 × 32 measured no faster).
    let usesRing (s: Conv2dSpec) (modes: PadMode * PadMode) =
        not (isZeros modes)
        && s.StrideH = 1
        && s.StrideW = 1
        && s.DilationH = 1
        && s.DilationW = 1
        && s.Groups = 1
        && s.PadH = 1
        && s.PadW = 1
        && s.Height >= 8
        && s.Width >= 8
        && s.Height * s.Width <= 128

    /// dx[image b, channel c][at[j]] += col[c·ldc + b·len + j] for images b in [b0, b1), every channel c and ring
    /// position j of one strip with at[j] ≥ 0 (the input sample the ring position reads; −1: a zero); ldc = N·len.
    /// Image by image and channel by channel, so consecutive j touch neighbouring samples of one plane.
    let inline private foldStrip (s: Conv2dSpec) (at: int[]) (col: ^T[]) (dx: ^T[]) (dxOff: int) (b0: int) (b1: int) =
        let len = at.Length
        let ldc = s.Batch * len
        let hw = s.Height * s.Width

        for b in b0 .. b1 - 1 do
            for c in 0 .. s.InChannels - 1 do
                let xBase = dxOff + (b * s.InChannels + c) * hw
                let cBase = c * ldc + b * len

                for j in 0 .. len - 1 do
                    let q = at[j]

                    if q >= 0 then
                        dx[xBase + q] <- dx[xBase + q] + col[cBase + j]

    let private foldStrip32 s at (col: float32[]) (dx: float32[]) dxOff b0 b1 = foldStrip s at col dx dxOff b0 b1
    let private foldStrip64 s at (col: float[]) (dx: float[]) dxOff b0 b1 = foldStrip s at col dx dxOff b0 b1

    /// The input gradient of a stride-1 convolution padded by one row and column (`usesRing`) as the interior
    /// plus the ring: the interior of the padded grid's input gradient is the zero-padded convolution's input
    /// gradient (`Conv.backwardData` of s itself), and each sample of the one-pixel ring around it is reached by
    /// one row or column of kernel taps only (the top row of the padded grid by kernel row 0 from output row 0,
    /// the bottom row by kernel row KH − 1 from output row OH − 1, the left and right columns alike), so the
    /// ring costs four thin GEMMs over all images — Aᵀ [Cout·taps × Cin] the taps' weights, B [Cout·taps × N·len]
    /// the output gradient's edge line shifted per tap — computed two at a time on the workers (one GEMM thread
    /// each), whose results are then added where the modes map the ring (`Pad.source`). The corners belong to
    /// the top and bottom strips. Equal to the padded-grid input gradient folded by `Pad.adjoint` up to rounding
    /// (the sums group differently); deterministic, and bit-identical across thread counts (each strip is one
    /// single-threaded GEMM, the folds run in a fixed order).
    let private ringBackwardData
        (threads: int)
        (s: Conv2dSpec)
        (modes: PadMode * PadMode)
        (dy: 'T[])
        (dyOff: int)
        (w: 'T[])
        (wOff: int)
        (dx: 'T[])
        (dxOff: int)
        =
        Conv.backwardData threads s dy dyOff w wOff dx dxOff
        let modeH, modeW = modes
        let n, cin, cout = s.Batch, s.InChannels, s.OutChannels
        let kh, kw, oh, ow = s.KernelHeight, s.KernelWidth, s.OutHeight, s.OutWidth
        let hp, wp = s.Height + 2, s.Width + 2
        let ohw = oh * ow

        // (horizontal, fixed kernel row or column, output row or column, ring position of sample j): horizontal
        // strips run along a padded row (wp samples, taps along kernel row `fixedTap` from output row `line`),
        // vertical ones along a padded column without the corners (hp − 2 samples)
        let strips =
            [|
                if modeH <> PadMode.Zeros then
                    yield true, 0, 0, (fun j -> struct (0, j))
                    yield true, kh - 1, oh - 1, (fun j -> struct (hp - 1, j))
                if modeW <> PadMode.Zeros then
                    yield false, 0, 0, (fun j -> struct (j + 1, 0))
                    yield false, kw - 1, ow - 1, (fun j -> struct (j + 1, wp - 1))
            |]

        let size (horizontal: bool) =
            if horizontal then kw, wp else kh, hp - 2

        // C [Cin × N·len] of strip i into cs[i]
        let cs =
            strips
            |> Array.map (fun (horizontal, _, _, _) ->
                let _, len = size horizontal
                ArrayPool<'T>.Shared.Rent(cin * n * len))

        let compute (i: int) =
            let horizontal, fixedTap, line, _ = strips[i]
            let taps, len = size horizontal
            let kdim, cols = cout * taps, n * len
            let at = ArrayPool<'T>.Shared.Rent(kdim * cin)
            let bm = ArrayPool<'T>.Shared.Rent(kdim * cols)

            for co in 0 .. cout - 1 do
                for t in 0 .. taps - 1 do
                    let r, q = if horizontal then fixedTap, t else t, fixedTap
                    let row = (co * taps + t) * cin

                    for ci in 0 .. cin - 1 do
                        at[row + ci] <- w[wOff + ((co * cin + ci) * kh + r) * kw + q]

            let limit = if horizontal then ow else oh

            for co in 0 .. cout - 1 do
                for t in 0 .. taps - 1 do
                    let row = (co * taps + t) * cols
                    // sample j reads output column j − t of row `line` (horizontal) or output row j + 1 − t of
                    // column `line` (vertical): j in [lo, hi) lands inside the output, the rest is zero
                    let shift = if horizontal then t else t - 1
                    let lo = min len (max 0 shift)
                    let hi = max lo (min len (limit + shift))

                    for b in 0 .. n - 1 do
                        let src = dyOff + (b * cout + co) * ohw
                        let dst = row + b * len
                        Im2col.zeroRun bm dst lo

                        if horizontal then
                            Im2col.copyRun dy (src + line * ow + lo - shift) bm (dst + lo) (hi - lo)
                        else
                            for j in lo .. hi - 1 do
                                bm[dst + j] <- dy[src + (j - shift) * ow + line]

                        Im2col.zeroRun bm (dst + hi) (len - hi)

            Gemm.gemm 1 MatOp.Transposed MatOp.AsIs cin cols kdim 1.0 at 0 cin bm 0 cols 0.0 cs[i] 0 cols
            ArrayPool<'T>.Shared.Return at
            ArrayPool<'T>.Shared.Return bm

        if threads > 1 && strips.Length > 1 then
            Parallel.For(0, strips.Length, ParallelOptions(MaxDegreeOfParallelism = threads), compute)
            |> ignore
        else
            for i in 0 .. strips.Length - 1 do
                compute i

        for i in 0 .. strips.Length - 1 do
            let horizontal, _, _, pos = strips[i]
            let _, len = size horizontal

            let at =
                Array.init len (fun j ->
                    let struct (r, q) = pos j
                    let sr = Pad.source modeH s.Height s.PadH r
                    let sq = Pad.source modeW s.Width s.PadW q
                    if sr >= 0 && sq >= 0 then sr * s.Width + sq else -1)

            // images are folded independently (each writes its own planes), split over the workers
            let fold b0 b1 =
                match box cs[i], box dx with
                | (:? (float32[]) as c), (:? (float32[]) as d) -> foldStrip32 s at c d dxOff b0 b1
                | (:? (float[]) as c), (:? (float[]) as d) -> foldStrip64 s at c d dxOff b0 b1
                | _ -> invalidOp "unreachable: element types were checked"

            let parts = min threads n

            if parts > 1 then
                let per = (n + parts - 1) / parts

                Parallel.For(0, parts, ParallelOptions(MaxDegreeOfParallelism = parts), fun p -> fold (p * per) (min n ((p + 1) * per)))
                |> ignore
            else
                fold 0 n

            ArrayPool<'T>.Shared.Return cs[i]

    /// The input gradient through the padded grid: the unpadded convolution's input gradient into a pooled
    /// buffer, folded back by `Pad.adjoint`.
    let private backwardDataFolded
        (threads: int)
        (s: Conv2dSpec)
        (modes: PadMode * PadMode)
        (dy: 'T[])
        (dyOff: int)
        (w: 'T[])
        (wOff: int)
        (dx: 'T[])
        (dxOff: int)
        =
        let u = unpadded s
        let dxp = rent<'T> u.InputLength
        Conv.backwardData threads u dy dyOff w wOff dxp 0
        let ps = padSpec s modes (s.Batch * s.InChannels)
        let hw, phw = s.Height * s.Width, ps.OutHeight * ps.OutWidth

        overPlanes threads ps.Planes (ps.Planes * phw) (fun first count ->
            Pad.adjoint { ps with Planes = count } dxp (first * phw) dx (dxOff + first * hw))

        giveBack dxp

    /// dx ← the adjoint of `forward` in x (dx overwritten): for stride-1 convolutions padded by one row and
    /// column of inputs of 8 × 8 to 128 samples (`usesRing`) the zero-padded input gradient plus the ring of the padded
    /// grid (equal to the folded form below up to rounding), otherwise the unpadded convolution's input gradient
    /// on the padded grid, folded back by `Pad.adjoint` (bit for bit `Pad.adjoint` of `Conv.backwardData`).
    let backwardData
        (threads: int)
        (s: Conv2dSpec)
        (modes: PadMode * PadMode)
        (dy: 'T[])
        (dyOff: int)
        (w: 'T[])
        (wOff: int)
        (dx: 'T[])
        (dxOff: int)
        =
        if isZeros modes then
            Conv.backwardData threads s dy dyOff w wOff dx dxOff
        else
            KernelCheck.floatType<'T> "dy"
            check s modes
            KernelCheck.positive "threads" threads
            KernelCheck.span "dx" dx dxOff s.InputLength

            if usesRing s modes then
                ringBackwardData threads s modes dy dyOff w wOff dx dxOff
            else
                backwardDataFolded threads s modes dy dyOff w wOff dx dxOff


    /// dw ← the adjoint of `forward` in w (dw overwritten); like `Conv.backwardWeight`, bit-identical across runs
    /// with a fixed thread count.
    let backwardWeight
        (threads: int)
        (s: Conv2dSpec)
        (modes: PadMode * PadMode)
        (x: 'T[])
        (xOff: int)
        (dy: 'T[])
        (dyOff: int)
        (dw: 'T[])
        (dwOff: int)
        =
        if isZeros modes then
            Conv.backwardWeight threads s x xOff dy dyOff dw dwOff
        else
            throughPadding
                Conv.weightReadsThroughFill<'T>
                threads
                s
                modes
                x
                xOff
                (fun () -> Conv.backwardWeightWith (fill modes) threads s x xOff dy dyOff dw dwOff)
                (fun u xp -> Conv.backwardWeight threads u xp 0 dy dyOff dw dwOff)
