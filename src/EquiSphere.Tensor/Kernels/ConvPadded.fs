namespace EquiSphere.Tensor.Kernels

open System.Buffers
open System.Threading.Tasks

/// 2D convolution whose padding (PadH rows above and below, PadW columns left and right) is filled by a
/// `PadMode` per axis instead of zeros: conv(padᵐ(x)) with padᵐ the `Pad` of the spec's padding and the convolution
/// itself unpadded, on NCHW float32[] or float[] arrays with offsets. When either mode is not `Zeros`, it computes
/// exactly what `Pad.forward` into a buffer followed by `Conv.forward` of that buffer computes (bit for bit, on
/// every path; likewise the two gradients with `Pad.adjoint`), without the padded
/// tensor where it can: the stride-1 convolutions, which already copy each image into a padded buffer, fill that
/// buffer's border by the modes; other convolutions pad into a pooled buffer first. The input gradient is the
/// unpadded convolution's input gradient on the padded grid (a pooled buffer) folded back by `Pad.adjoint`.
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
            let ps = padSpec s modes 1

            for c in 0 .. channels - 1 do
                Pad.forward ps x (xBase + c * s.Height * s.Width) xp (dst + c * channelStride)

    let private check (s: Conv2dSpec) (modes: PadMode * PadMode) =
        Conv.validate s
        Pad.validate (padSpec s modes 1)

    /// The shared body of `forward` and `backwardWeight` for non-zero modes, which both read x through the padding:
    /// checks the arguments, then runs `direct` when the convolution reads padded values through its fill (stride-1
    /// paths), else `padded u xp` with x padded into a pooled buffer xp of the unpadded spec u.
    let private throughPadding
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

        if Conv.readsThroughFill s then
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
            throughPadding threads s modes x xOff (fun () -> Conv.forwardWith (fill modes) threads s x xOff w wOff y yOff) (fun u xp ->
                Conv.forward threads u xp 0 w wOff y yOff)

    /// dx ← the adjoint of `forward` in x: the unpadded convolution's input gradient on the padded grid, folded
    /// back by `Pad.adjoint` (dx overwritten).
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
            let u = unpadded s
            let dxp = rent<'T> u.InputLength
            Conv.backwardData threads u dy dyOff w wOff dxp 0
            let ps = padSpec s modes (s.Batch * s.InChannels)
            let hw, phw = s.Height * s.Width, ps.OutHeight * ps.OutWidth

            overPlanes threads ps.Planes (ps.Planes * phw) (fun first count ->
                Pad.adjoint { ps with Planes = count } dxp (first * phw) dx (dxOff + first * hw))

            giveBack dxp

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
                threads
                s
                modes
                x
                xOff
                (fun () -> Conv.backwardWeightWith (fill modes) threads s x xOff dy dyOff dw dwOff)
                (fun u xp -> Conv.backwardWeight threads u xp 0 dy dyOff dw dwOff)
