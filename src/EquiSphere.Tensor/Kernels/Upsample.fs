namespace EquiSphere.Tensor.Kernels

/// The interpolation of `Upsample`.
[<RequireQualifiedAccess>]
type UpsampleMode =
    /// Linear along each axis (2 taps).
    | Bilinear
    /// Keys' cubic convolution along each axis with coefficient a = −0.75 (4 taps), as PyTorch's bicubic.
    | Bicubic

/// The geometry of 2D upsampling of Planes (= N·C) row-major Height × Width planes by integer factors to
/// (FactorH·Height) × (FactorW·Width).
type Upsample2dSpec =
    {
        /// Number of planes (N·C for an NCHW array).
        Planes: int
        /// Input height H.
        Height: int
        /// Input width W.
        Width: int
        /// Integer vertical factor (≥ 1).
        FactorH: int
        /// Integer horizontal factor (≥ 1).
        FactorW: int
        /// Interpolation kernel.
        Mode: UpsampleMode
        /// Whether the width is periodic (longitude on a spherical grid): taps past either end wrap around instead
        /// of being clamped to the edge.
        WrapW: bool
    }

    /// Output height FactorH · Height.
    member s.OutHeight = s.FactorH * s.Height

    /// Output width FactorW · Width.
    member s.OutWidth = s.FactorW * s.Width

/// Bilinear and bicubic upsampling with PyTorch's align_corners = false convention: output sample o of an axis
/// sits at input coordinate (o + ½)/factor − ½. Bilinear clamps negative coordinates to 0 and repeats the edge;
/// bicubic uses taps ⌊c⌋ − 1 … ⌊c⌋ + 2 with Keys' weights (a = −0.75) and clamps tap indices to the edge. With
/// WrapW the width taps wrap periodically (no clamping). The map is separable and linear; `backward` is its adjoint.
/// Laws: a constant plane maps to the same constant (weights sum to 1); ⟨forward(x), y⟩ = ⟨x, backward(y)⟩.
[<RequireQualifiedAccess>]
module Upsample =

    /// A spec upsampling by `factor` on both axes, clamped at every edge.
    let spec (planes: int) (height: int, width: int) (mode: UpsampleMode) (factor: int) =
        {
            Planes = planes
            Height = height
            Width = width
            FactorH = factor
            FactorW = factor
            Mode = mode
            WrapW = false
        }

    /// Keys' cubic convolution weight at distance t (a = −0.75): 1 at 0, 0 at other integers, 0 beyond 2.
    let cubicWeight (t: float) =
        let a = -0.75
        let t = abs t

        if t <= 1.0 then
            ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
        elif t < 2.0 then
            ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a
        else
            0.0

    /// Taps of one axis: for output o, `taps` input indices and weights at [o·taps + q].
    let axisTaps (mode: UpsampleMode) (wrap: bool) (n: int) (factor: int) =
        let outN = n * factor
        let taps = if mode = UpsampleMode.Bilinear then 2 else 4
        let index = Array.zeroCreate (outN * taps)
        let weight = Array.zeroCreate (outN * taps)

        let place i =
            if wrap then ((i % n) + n) % n else min (n - 1) (max 0 i)

        for o in 0 .. outN - 1 do
            let c = (float o + 0.5) / float factor - 0.5

            match mode with
            | UpsampleMode.Bilinear ->
                let c = if wrap then c else max 0.0 c
                let i0 = int (floor c)
                let t = c - float i0
                index[2 * o] <- place i0
                index[2 * o + 1] <- place (i0 + 1)
                weight[2 * o] <- 1.0 - t
                weight[2 * o + 1] <- t
            | UpsampleMode.Bicubic ->
                let i0 = int (floor c)
                let t = c - float i0

                for q in 0..3 do
                    index[4 * o + q] <- place (i0 - 1 + q)
                    weight[4 * o + q] <- cubicWeight (t + 1.0 - float q)

        index, weight, taps

    /// Checks a spec: positive sizes and factors.
    let validate (s: Upsample2dSpec) =
        KernelCheck.positive "Planes" s.Planes
        KernelCheck.positive "Height" s.Height
        KernelCheck.positive "Width" s.Width
        KernelCheck.positive "FactorH" s.FactorH
        KernelCheck.positive "FactorW" s.FactorW

    let inline private forwardImpl (ofFloat: float -> ^T) (s: Upsample2dSpec) (x: ^T[]) xOff (y: ^T[]) yOff =
        let hi, hw, ht = axisTaps s.Mode false s.Height s.FactorH
        let wi, ww, wt = axisTaps s.Mode s.WrapW s.Width s.FactorW
        let hw, ww = Array.map ofFloat hw, Array.map ofFloat ww
        let oh, ow = s.OutHeight, s.OutWidth
        let tmp: ^T[] = Array.zeroCreate (s.Height * ow)

        for p in 0 .. s.Planes - 1 do
            let xp = xOff + p * s.Height * s.Width

            for h in 0 .. s.Height - 1 do
                for o in 0 .. ow - 1 do
                    let mutable acc = LanguagePrimitives.GenericZero

                    for q in 0 .. wt - 1 do
                        acc <- acc + ww[o * wt + q] * x[xp + h * s.Width + wi[o * wt + q]]

                    tmp[h * ow + o] <- acc

            let yp = yOff + p * oh * ow

            for o in 0 .. oh - 1 do
                let dst = yp + o * ow

                for j in 0 .. ow - 1 do
                    y[dst + j] <- LanguagePrimitives.GenericZero

                for q in 0 .. ht - 1 do
                    let wgt = hw[o * ht + q]
                    let src = hi[o * ht + q] * ow

                    for j in 0 .. ow - 1 do
                        y[dst + j] <- y[dst + j] + wgt * tmp[src + j]

    let inline private backwardImpl (ofFloat: float -> ^T) (s: Upsample2dSpec) (dy: ^T[]) dyOff (dx: ^T[]) dxOff =
        let hi, hw, ht = axisTaps s.Mode false s.Height s.FactorH
        let wi, ww, wt = axisTaps s.Mode s.WrapW s.Width s.FactorW
        let hw, ww = Array.map ofFloat hw, Array.map ofFloat ww
        let oh, ow = s.OutHeight, s.OutWidth
        let tmp: ^T[] = Array.zeroCreate (s.Height * ow)
        System.Array.Clear(dx, dxOff, s.Planes * s.Height * s.Width)

        for p in 0 .. s.Planes - 1 do
            System.Array.Clear tmp
            let yp = dyOff + p * oh * ow

            for o in 0 .. oh - 1 do
                let src = yp + o * ow

                for q in 0 .. ht - 1 do
                    let wgt = hw[o * ht + q]
                    let dst = hi[o * ht + q] * ow

                    for j in 0 .. ow - 1 do
                        tmp[dst + j] <- tmp[dst + j] + wgt * dy[src + j]

            let xp = dxOff + p * s.Height * s.Width

            for h in 0 .. s.Height - 1 do
                for o in 0 .. ow - 1 do
                    let g = tmp[h * ow + o]

                    for q in 0 .. wt - 1 do
                        let k = xp + h * s.Width + wi[o * wt + q]
                        dx[k] <- dx[k] + ww[o * wt + q] * g

    /// y ← upsample(x): x [Planes, H, W] at xOff, y [Planes, FactorH·H, FactorW·W] at yOff; float32[] or float[].
    let forward (s: Upsample2dSpec) (x: 'T[]) (xOff: int) (y: 'T[]) (yOff: int) =
        KernelCheck.floatType<'T> "x"
        validate s
        KernelCheck.span "x" x xOff (s.Planes * s.Height * s.Width)
        KernelCheck.span "y" y yOff (s.Planes * s.OutHeight * s.OutWidth)

        match box x, box y with
        | (:? (float32[]) as x), (:? (float32[]) as y) -> forwardImpl float32 s x xOff y yOff
        | (:? (float[]) as x), (:? (float[]) as y) -> forwardImpl id s x xOff y yOff
        | _ -> KernelCheck.floatType<'T> "y"

    /// dx ← upsampleᵀ(dy), the adjoint of `forward` (its gradient): dy [Planes, FactorH·H, FactorW·W] at dyOff,
    /// dx [Planes, H, W] at dxOff (overwritten).
    let backward (s: Upsample2dSpec) (dy: 'T[]) (dyOff: int) (dx: 'T[]) (dxOff: int) =
        KernelCheck.floatType<'T> "dy"
        validate s
        KernelCheck.span "dy" dy dyOff (s.Planes * s.OutHeight * s.OutWidth)
        KernelCheck.span "dx" dx dxOff (s.Planes * s.Height * s.Width)

        match box dy, box dx with
        | (:? (float32[]) as dy), (:? (float32[]) as dx) -> backwardImpl float32 s dy dyOff dx dxOff
        | (:? (float[]) as dy), (:? (float[]) as dx) -> backwardImpl id s dy dyOff dx dxOff
        | _ -> KernelCheck.floatType<'T> "dx"
