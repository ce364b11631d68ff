namespace EquiSphere.Tensor.Kernels

#nowarn "9" // The 2 × 2 fast path reads and writes through pinned pointers; every bound is checked before.

open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

/// The geometry of 2D pooling over Planes (= N·C) row-major Height × Width planes: windows KernelHeight ×
/// KernelWidth at strides StrideH, StrideW over the input padded by PadH, PadW on each side (padding never wins a
/// max; 2·pad ≤ kernel as in PyTorch); output OutHeight × OutWidth, rounding down (PyTorch's ceil_mode = false).
type Pool2dSpec =
    {
        /// Number of planes (N·C for an NCHW array).
        Planes: int
        /// Input height H.
        Height: int
        /// Input width W.
        Width: int
        /// Window height.
        KernelHeight: int
        /// Window width.
        KernelWidth: int
        /// Vertical stride.
        StrideH: int
        /// Horizontal stride.
        StrideW: int
        /// Implicit padding above and below (2·PadH ≤ KernelHeight).
        PadH: int
        /// Implicit padding left and right (2·PadW ≤ KernelWidth).
        PadW: int
    }

    /// Output height ⌊(H + 2·PadH − KernelHeight) / StrideH⌋ + 1.
    member s.OutHeight = (s.Height + 2 * s.PadH - s.KernelHeight) / s.StrideH + 1

    /// Output width ⌊(W + 2·PadW − KernelWidth) / StrideW⌋ + 1.
    member s.OutWidth = (s.Width + 2 * s.PadW - s.KernelWidth) / s.StrideW + 1

/// Max and average pooling on float32[] or float[] arrays, forward and backward. Max pooling returns, per output,
/// the index h·W + w of the winning sample within its plane (the first maximum in row-major window order; NaN wins,
/// as in PyTorch); its backward adds each output gradient to that sample. Laws: the backward maps are the adjoints
/// of the forward maps (for max pooling, of the linear map "gather at argmax"); outputs are overwritten.
[<RequireQualifiedAccess>]
module Pool =

    /// A spec with square windows `kernel`, stride `stride` and padding `pad` on both axes.
    let spec (planes: int) (height: int, width: int) (kernel: int) (stride: int) (pad: int) =
        {
            Planes = planes
            Height = height
            Width = width
            KernelHeight = kernel
            KernelWidth = kernel
            StrideH = stride
            StrideW = stride
            PadH = pad
            PadW = pad
        }

    /// Checks a spec: positive sizes, windows and strides, 0 ≤ 2·pad ≤ window, a window that fits the padded input.
    let validate (s: Pool2dSpec) =
        KernelCheck.positive "Planes" s.Planes
        KernelCheck.positive "Height" s.Height
        KernelCheck.positive "Width" s.Width
        KernelCheck.positive "KernelHeight" s.KernelHeight
        KernelCheck.positive "KernelWidth" s.KernelWidth
        KernelCheck.positive "StrideH" s.StrideH
        KernelCheck.positive "StrideW" s.StrideW
        KernelCheck.nonNegative "PadH" s.PadH
        KernelCheck.nonNegative "PadW" s.PadW

        if 2 * s.PadH > s.KernelHeight || 2 * s.PadW > s.KernelWidth then
            invalidArg
                "PadH"
                (sprintf
                    "Expected padding at most half the window (2·pad ≤ kernel), got pad %d × %d for a %d × %d window"
                    s.PadH
                    s.PadW
                    s.KernelHeight
                    s.KernelWidth)

        if s.Height + 2 * s.PadH < s.KernelHeight || s.Width + 2 * s.PadW < s.KernelWidth then
            invalidArg
                "KernelHeight"
                (sprintf
                    "Expected the %d × %d window to fit into the padded input %d × %d"
                    s.KernelHeight
                    s.KernelWidth
                    (s.Height + 2 * s.PadH)
                    (s.Width + 2 * s.PadW))

    let private checkArrays (s: Pool2dSpec) (xName: string) (x: 'T[]) (xOff: int) (yName: string) (y: 'T[]) (yOff: int) =
        KernelCheck.floatType<'T> xName
        validate s
        KernelCheck.span xName x xOff (s.Planes * s.Height * s.Width)
        KernelCheck.span yName y yOff (s.Planes * s.OutHeight * s.OutWidth)

    let inline private maxImpl (s: Pool2dSpec) (x: ^T[]) xOff (y: ^T[]) yOff (arg: int[]) argOff =
        let oh, ow, hw = s.OutHeight, s.OutWidth, s.Height * s.Width

        for p in 0 .. s.Planes - 1 do
            let xp = xOff + p * hw

            for i in 0 .. oh - 1 do
                let h0 = i * s.StrideH - s.PadH
                let hLo, hHi = max 0 h0, min s.Height (h0 + s.KernelHeight)

                for j in 0 .. ow - 1 do
                    let w0 = j * s.StrideW - s.PadW
                    let wLo, wHi = max 0 w0, min s.Width (w0 + s.KernelWidth)
                    let mutable best = x[xp + hLo * s.Width + wLo]
                    let mutable at = hLo * s.Width + wLo

                    for h in hLo .. hHi - 1 do
                        for w in wLo .. wHi - 1 do
                            let v = x[xp + h * s.Width + w]

                            if (v > best || v <> v) && best = best then
                                best <- v
                                at <- h * s.Width + w

                    let o = (p * oh + i) * ow + j
                    y[yOff + o] <- best
                    arg[argOff + o] <- at

    /// Whether a spec is 2 × 2 windows at stride 2 without padding (the conv-net's pooling), which has a SIMD path.
    let private isPair (s: Pool2dSpec) =
        s.KernelHeight = 2
        && s.KernelWidth = 2
        && s.StrideH = 2
        && s.StrideW = 2
        && s.PadH = 0
        && s.PadW = 0

    /// The tournament step of "first maximum, NaN wins" for a candidate r that comes after l in window order:
    /// take r when r > l or r is NaN, unless l is already NaN.
    let inline private takeRight (l: Vector512<float32>) (r: Vector512<float32>) =
        Vector512.AndNot(Vector512.GreaterThan(r, l) ||| Vector512.IsNaN r, Vector512.IsNaN l)

    /// 2 × 2 / stride 2 max pooling on float32 with AVX-512, 16 outputs per step. Each window (a, b / c, d) is
    /// decided as first-max(first-max(a, b), first-max(c, d)), which equals the row-major scan: the left pair wins
    /// ties and keeps its first NaN. Columns past the last multiple of 16 go through the scalar scan.
    let private maxPair32 (s: Pool2dSpec) (x: float32[]) xOff (y: float32[]) yOff (arg: int[]) argOff =
        let oh, ow, wd, hw = s.OutHeight, s.OutWidth, s.Width, s.Height * s.Width

        let even =
            Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)

        let odd = even + Vector512<int>.One
        let lanes2 = even
        let offB = Vector512<int>.One
        let offC = Vector512.Create wd
        let offD = Vector512.Create(wd + 1)
        let vectorCols = ow / 16 * 16
        use px = fixed x
        use py = fixed y
        use pa = fixed arg

        for p in 0 .. s.Planes - 1 do
            let xp = NativePtr.add px (xOff + p * hw)

            for i in 0 .. oh - 1 do
                let r0 = NativePtr.add xp (2 * i * wd)
                let r1 = NativePtr.add r0 wd
                let o = (p * oh + i) * ow
                let yRow = NativePtr.add py (yOff + o)
                let aRow = NativePtr.add pa (argOff + o)
                let mutable j = 0

                while j < vectorCols do
                    let t0 = Vector512.Load(NativePtr.add r0 (2 * j))
                    let t1 = Vector512.Load(NativePtr.add r0 (2 * j + 16))
                    let u0 = Vector512.Load(NativePtr.add r1 (2 * j))
                    let u1 = Vector512.Load(NativePtr.add r1 (2 * j + 16))
                    let a = Avx512F.PermuteVar16x32x2(t0, even, t1)
                    let b = Avx512F.PermuteVar16x32x2(t0, odd, t1)
                    let c = Avx512F.PermuteVar16x32x2(u0, even, u1)
                    let d = Avx512F.PermuteVar16x32x2(u0, odd, u1)
                    let mab = takeRight a b
                    let top = Vector512.ConditionalSelect(mab, b, a)
                    let topAt = mab.AsInt32() &&& offB
                    let mcd = takeRight c d
                    let bottom = Vector512.ConditionalSelect(mcd, d, c)
                    let bottomAt = Vector512.ConditionalSelect(mcd.AsInt32(), offD, offC)
                    let m = takeRight top bottom
                    let at = Vector512.ConditionalSelect(m.AsInt32(), bottomAt, topAt)
                    Vector512.Store(Vector512.ConditionalSelect(m, bottom, top), NativePtr.add yRow j)
                    let cornerAt = Vector512.Create(2 * i * wd + 2 * j) + lanes2
                    Vector512.Store(cornerAt + at, NativePtr.add aRow j)
                    j <- j + 16

                for jj in vectorCols .. ow - 1 do
                    let corner = 2 * i * wd + 2 * jj
                    let mutable best = NativePtr.get xp corner
                    let mutable at = corner

                    for step in 1..3 do
                        let q = corner + (step >>> 1) * wd + (step &&& 1)
                        let v = NativePtr.get xp q

                        if (v > best || v <> v) && best = best then
                            best <- v
                            at <- q

                    NativePtr.set yRow jj best
                    NativePtr.set aRow jj at

    let private max32 s (x: float32[]) xOff (y: float32[]) yOff arg argOff =
        if isPair s && s.OutWidth >= 16 && Avx512F.IsSupported then
            maxPair32 s x xOff y yOff arg argOff
        else
            maxImpl s x xOff y yOff arg argOff

    let private max64 s (x: float[]) xOff (y: float[]) yOff arg argOff = maxImpl s x xOff y yOff arg argOff

    /// Max pooling: y[p, i, j] = max of the window of output (i, j) in plane p, and argmax[p, i, j] = h·W + w of
    /// the winner. x [Planes, H, W] at xOff; y and argmax [Planes, OutHeight, OutWidth] at yOff and argOff.
    let maxForward (s: Pool2dSpec) (x: 'T[]) (xOff: int) (y: 'T[]) (yOff: int) (argmax: int[]) (argOff: int) =
        checkArrays s "x" x xOff "y" y yOff
        KernelCheck.span "argmax" argmax argOff (s.Planes * s.OutHeight * s.OutWidth)

        match box x, box y with
        | (:? (float32[]) as x), (:? (float32[]) as y) -> max32 s x xOff y yOff argmax argOff
        | (:? (float[]) as x), (:? (float[]) as y) -> max64 s x xOff y yOff argmax argOff
        | _ -> KernelCheck.floatType<'T> "y"

    let inline private maxBackImpl (s: Pool2dSpec) (dy: ^T[]) dyOff (arg: int[]) argOff (dx: ^T[]) dxOff =
        let outPlane, hw = s.OutHeight * s.OutWidth, s.Height * s.Width
        System.Array.Clear(dx, dxOff, s.Planes * hw)

        for p in 0 .. s.Planes - 1 do
            for o in 0 .. outPlane - 1 do
                let k = p * outPlane + o
                let i = dxOff + p * hw + arg[argOff + k]
                dx[i] <- dx[i] + dy[dyOff + k]

    let private maxBack32 s (dy: float32[]) dyOff arg argOff (dx: float32[]) dxOff =
        maxBackImpl s dy dyOff arg argOff dx dxOff

    let private maxBack64 s (dy: float[]) dyOff arg argOff (dx: float[]) dxOff =
        maxBackImpl s dy dyOff arg argOff dx dxOff

    /// The gradient of max pooling: dx (overwritten) gets every dy[p, i, j] added at argmax[p, i, j] of plane p.
    let maxBackward (s: Pool2dSpec) (dy: 'T[]) (dyOff: int) (argmax: int[]) (argOff: int) (dx: 'T[]) (dxOff: int) =
        checkArrays s "dx" dx dxOff "dy" dy dyOff
        KernelCheck.span "argmax" argmax argOff (s.Planes * s.OutHeight * s.OutWidth)
        let hw = s.Height * s.Width

        for k in argOff .. argOff + s.Planes * s.OutHeight * s.OutWidth - 1 do
            if argmax[k] < 0 || argmax[k] >= hw then
                invalidArg "argmax" (sprintf "Expected argmax indices in [0, H·W = %d), got %d at %d" hw argmax[k] k)

        match box dy, box dx with
        | (:? (float32[]) as dy), (:? (float32[]) as dx) -> maxBack32 s dy dyOff argmax argOff dx dxOff
        | (:? (float[]) as dy), (:? (float[]) as dx) -> maxBack64 s dy dyOff argmax argOff dx dxOff
        | _ -> KernelCheck.floatType<'T> "dx"

    /// The divisor of output (i, j): the window area when `countPad` (padding counts as zeros), else the number of
    /// input samples in the window.
    let private divisor (s: Pool2dSpec) (countPad: bool) (i: int) (j: int) =
        if countPad then
            s.KernelHeight * s.KernelWidth
        else
            let h0, w0 = i * s.StrideH - s.PadH, j * s.StrideW - s.PadW

            (min s.Height (h0 + s.KernelHeight) - max 0 h0)
            * (min s.Width (w0 + s.KernelWidth) - max 0 w0)

    let inline private avgImpl (ofInt: int -> ^T) (s: Pool2dSpec) countPad (x: ^T[]) xOff (y: ^T[]) yOff =
        let oh, ow, hw = s.OutHeight, s.OutWidth, s.Height * s.Width

        for p in 0 .. s.Planes - 1 do
            let xp = xOff + p * hw

            for i in 0 .. oh - 1 do
                let h0 = i * s.StrideH - s.PadH

                for j in 0 .. ow - 1 do
                    let w0 = j * s.StrideW - s.PadW
                    let mutable acc = LanguagePrimitives.GenericZero

                    for h in max 0 h0 .. min s.Height (h0 + s.KernelHeight) - 1 do
                        for w in max 0 w0 .. min s.Width (w0 + s.KernelWidth) - 1 do
                            acc <- acc + x[xp + h * s.Width + w]

                    y[yOff + (p * oh + i) * ow + j] <- acc / ofInt (divisor s countPad i j)

    let inline private avgBackImpl (ofInt: int -> ^T) (s: Pool2dSpec) countPad (dy: ^T[]) dyOff (dx: ^T[]) dxOff =
        let oh, ow, hw = s.OutHeight, s.OutWidth, s.Height * s.Width
        System.Array.Clear(dx, dxOff, s.Planes * hw)

        for p in 0 .. s.Planes - 1 do
            let xp = dxOff + p * hw

            for i in 0 .. oh - 1 do
                let h0 = i * s.StrideH - s.PadH

                for j in 0 .. ow - 1 do
                    let w0 = j * s.StrideW - s.PadW
                    let g = dy[dyOff + (p * oh + i) * ow + j] / ofInt (divisor s countPad i j)

                    for h in max 0 h0 .. min s.Height (h0 + s.KernelHeight) - 1 do
                        for w in max 0 w0 .. min s.Width (w0 + s.KernelWidth) - 1 do
                            let k = xp + h * s.Width + w
                            dx[k] <- dx[k] + g

    /// Average pooling: y[p, i, j] = (Σ of the window's input samples) / divisor, where the divisor is the window
    /// area when `countPad` (PyTorch's count_include_pad = true) or the number of samples inside the input.
    let avgForward (s: Pool2dSpec) (countPad: bool) (x: 'T[]) (xOff: int) (y: 'T[]) (yOff: int) =
        checkArrays s "x" x xOff "y" y yOff

        match box x, box y with
        | (:? (float32[]) as x), (:? (float32[]) as y) -> avgImpl float32 s countPad x xOff y yOff
        | (:? (float[]) as x), (:? (float[]) as y) -> avgImpl float s countPad x xOff y yOff
        | _ -> KernelCheck.floatType<'T> "y"

    /// The gradient (adjoint) of `avgForward`: each dy[p, i, j] / divisor is added to every input sample of its
    /// window; dx overwritten.
    let avgBackward (s: Pool2dSpec) (countPad: bool) (dy: 'T[]) (dyOff: int) (dx: 'T[]) (dxOff: int) =
        checkArrays s "dx" dx dxOff "dy" dy dyOff

        match box dy, box dx with
        | (:? (float32[]) as dy), (:? (float32[]) as dx) -> avgBackImpl float32 s countPad dy dyOff dx dxOff
        | (:? (float[]) as dy), (:? (float[]) as dx) -> avgBackImpl float s countPad dy dyOff dx dxOff
        | _ -> KernelCheck.floatType<'T> "dx"
