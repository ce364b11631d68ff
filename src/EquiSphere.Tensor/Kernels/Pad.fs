namespace EquiSphere.Tensor.Kernels

/// How an axis is extended beyond its ends.
[<RequireQualifiedAccess>]
type PadMode =
    /// Zeros outside the signal.
    | Zeros
    /// Mirror about the edge sample, which is not repeated (PyTorch's "reflect"): x[−i] = x[i],
    /// x[n − 1 + i] = x[n − 1 − i]. Each pad must be smaller than the axis length.
    | Reflect
    /// Periodic continuation (PyTorch's "circular"): x[i] = x[i mod n], for any pad size.
    | Circular

/// The geometry of a 2D padding of Planes (= N·C) row-major Height × Width planes: each plane becomes
/// (Top + Height + Bottom) × (Left + Width + Right), with one mode per axis.
type Pad2dSpec =
    {
        /// Number of planes (N·C for an NCHW array).
        Planes: int
        /// Input height H.
        Height: int
        /// Input width W.
        Width: int
        /// Rows added above (≥ 0).
        Top: int
        /// Rows added below (≥ 0).
        Bottom: int
        /// Columns added on the left (≥ 0).
        Left: int
        /// Columns added on the right (≥ 0).
        Right: int
        /// Mode along the height (rows).
        ModeH: PadMode
        /// Mode along the width (columns).
        ModeW: PadMode
    }

    /// Output height Top + Height + Bottom.
    member s.OutHeight = s.Top + s.Height + s.Bottom

    /// Output width Left + Width + Right.
    member s.OutWidth = s.Left + s.Width + s.Right

/// Padding of NCHW planes along H and W (forward) and its exact adjoint (the gradient): every output sample is
/// one input sample or zero, so forward is a gather and adjoint the matching scatter-add.
/// Law: ⟨forward(x), y⟩ = ⟨x, adjoint(y)⟩; forward with all pads 0 is the identity.
[<RequireQualifiedAccess>]
module Pad =

    /// A spec padding `pad` on every side with the same mode on both axes.
    let spec (planes: int) (height: int, width: int) (mode: PadMode) (pad: int) =
        {
            Planes = planes
            Height = height
            Width = width
            Top = pad
            Bottom = pad
            Left = pad
            Right = pad
            ModeH = mode
            ModeW = mode
        }

    /// The input index that output index i (0 ≤ i < before + n + after) reads along one axis, or −1 for a zero.
    let source (mode: PadMode) (n: int) (before: int) (i: int) =
        let j = i - before

        if j >= 0 && j < n then
            j
        else
            match mode with
            | PadMode.Zeros -> -1
            | PadMode.Reflect -> if j < 0 then -j else 2 * (n - 1) - j
            | PadMode.Circular -> ((j % n) + n) % n

    let private checkAxis (name: string) (mode: PadMode) (n: int) (before: int) (after: int) =
        if mode = PadMode.Reflect && (before >= n || after >= n) then
            invalidArg name (sprintf "Expected reflect padding smaller than the %s %d on each side, got %d and %d" name n before after)

    /// Checks a spec: positive sizes, non-negative pads, reflect pads smaller than their axis.
    let validate (s: Pad2dSpec) =
        KernelCheck.positive "Planes" s.Planes
        KernelCheck.positive "Height" s.Height
        KernelCheck.positive "Width" s.Width
        KernelCheck.nonNegative "Top" s.Top
        KernelCheck.nonNegative "Bottom" s.Bottom
        KernelCheck.nonNegative "Left" s.Left
        KernelCheck.nonNegative "Right" s.Right
        checkAxis "height" s.ModeH s.Height s.Top s.Bottom
        checkAxis "width" s.ModeW s.Width s.Left s.Right

    let private tables (s: Pad2dSpec) =
        Array.init s.OutHeight (source s.ModeH s.Height s.Top), Array.init s.OutWidth (source s.ModeW s.Width s.Left)

    /// The body of `forward` with output planes `yStride` elements apart (≥ OutHeight·OutWidth; the stacked padded
    /// buffers of the convolutions): validates the spec once and builds the row and column tables once for all planes.
    let internal planesInto (s: Pad2dSpec) (yStride: int) (x: 'T[]) (xOff: int) (y: 'T[]) (yOff: int) =
        validate s
        let rows, cols = tables s
        let oh, ow = s.OutHeight, s.OutWidth

        for p in 0 .. s.Planes - 1 do
            let xp = xOff + p * s.Height * s.Width
            let yp = yOff + p * yStride

            for i in 0 .. oh - 1 do
                let dst = yp + i * ow

                if rows[i] < 0 then
                    Array.fill y dst ow Unchecked.defaultof<'T>
                else
                    let src = xp + rows[i] * s.Width
                    Im2col.copyRun x src y (dst + s.Left) s.Width

                    for j in 0 .. s.Left - 1 do
                        y[dst + j] <-
                            if cols[j] < 0 then
                                Unchecked.defaultof<'T>
                            else
                                x[src + cols[j]]

                    for j in s.Left + s.Width .. ow - 1 do
                        y[dst + j] <-
                            if cols[j] < 0 then
                                Unchecked.defaultof<'T>
                            else
                                x[src + cols[j]]

    /// y ← pad(x): x [Planes, H, W] at xOff, y [Planes, OutHeight, OutWidth] at yOff (any element type). Each
    /// output row copies its source row's W samples as one SIMD run and fills its Left + Right border samples
    /// from the column table.
    let forward (s: Pad2dSpec) (x: 'T[]) (xOff: int) (y: 'T[]) (yOff: int) =
        validate s
        KernelCheck.span "x" x xOff (s.Planes * s.Height * s.Width)
        KernelCheck.span "y" y yOff (s.Planes * s.OutHeight * s.OutWidth)
        planesInto s (s.OutHeight * s.OutWidth) x xOff y yOff

    /// The adjoint in two sweeps per plane: first every input row is set to the W interior samples of the output
    /// row that copies it (a SIMD copy, no clearing pass), then the border samples of the interior rows and the
    /// whole border rows are added in output row-major order (interior runs as SIMD adds).
    let inline private adjointImpl (s: Pad2dSpec) (dy: ^T[]) (dyOff: int) (dx: ^T[]) (dxOff: int) =
        let rows, cols = tables s
        let oh, ow = s.OutHeight, s.OutWidth
        let h, w = s.Height, s.Width

        for p in 0 .. s.Planes - 1 do
            let xp = dxOff + p * h * w
            let yp = dyOff + p * oh * ow

            for r in 0 .. h - 1 do
                Im2col.copyRun dy (yp + (s.Top + r) * ow + s.Left) dx (xp + r * w) w

            for i in 0 .. oh - 1 do
                if rows[i] >= 0 then
                    let dst = xp + rows[i] * w
                    let src = yp + i * ow
                    let interior = i >= s.Top && i < s.Top + h

                    for j in 0 .. s.Left - 1 do
                        if cols[j] >= 0 then
                            dx[dst + cols[j]] <- dx[dst + cols[j]] + dy[src + j]

                    if not interior then
                        Im2col.addRun dx dst dy (src + s.Left) w

                    for j in s.Left + w .. ow - 1 do
                        if cols[j] >= 0 then
                            dx[dst + cols[j]] <- dx[dst + cols[j]] + dy[src + j]

    let private adjoint32 s (dy: float32[]) dyOff (dx: float32[]) dxOff = adjointImpl s dy dyOff dx dxOff
    let private adjoint64 s (dy: float[]) dyOff (dx: float[]) dxOff = adjointImpl s dy dyOff dx dxOff

    /// dx ← padᵀ(dy), the adjoint of `forward` (its gradient): every dy sample is added to the input sample it
    /// copies. dy [Planes, OutHeight, OutWidth] at dyOff, dx [Planes, H, W] at dxOff (overwritten); float32[] or float[].
    let adjoint (s: Pad2dSpec) (dy: 'T[]) (dyOff: int) (dx: 'T[]) (dxOff: int) =
        KernelCheck.floatType<'T> "dy"
        validate s
        KernelCheck.span "dy" dy dyOff (s.Planes * s.OutHeight * s.OutWidth)
        KernelCheck.span "dx" dx dxOff (s.Planes * s.Height * s.Width)

        match box dy, box dx with
        | (:? (float32[]) as dy), (:? (float32[]) as dx) -> adjoint32 s dy dyOff dx dxOff
        | (:? (float[]) as dy), (:? (float[]) as dx) -> adjoint64 s dy dyOff dx dxOff
        | _ -> KernelCheck.floatType<'T> "dx"
