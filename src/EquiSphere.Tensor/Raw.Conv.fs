namespace EquiSphere.Tensor

open System
open System.Threading.Tasks

/// The geometry of a 2D convolution: input [N; C; H; W], weight [O; C/groups; kh; kw], output [N; O; Ho; Wo].
type ConvGeometry =
    {
        /// Batch size N.
        N: int
        /// Input channels C.
        C: int
        /// Input height H.
        H: int
        /// Input width W.
        W: int
        /// Output channels O.
        O: int
        /// Kernel height.
        KH: int
        /// Kernel width.
        KW: int
        /// Stride (rows, columns).
        Stride: int * int
        /// Zero padding (rows, columns).
        Padding: int * int
        /// Dilation (rows, columns).
        Dilation: int * int
        /// Channel groups.
        Groups: int
        /// Output height.
        HO: int
        /// Output width.
        WO: int
    }

/// Convolution by im2col + GEMM on flat row-major arrays: forward, backward-data (col2im of Wᵀ·dY) and
/// backward-weight (dY·colᵀ). Samples run in parallel; the weight gradient is reduced over fixed sample chunks
/// in order, so results depend only on the thread count.
[<RequireQualifiedAccess>]
module RawConv =

    /// Unfolds channels [c0, c0 + cg) of sample `x[xOff..]` into `col`: row q = (c·kh + u)·kw + v, column
    /// p = y·Wo + x (layout [cg·kh·kw; Ho·Wo]), or transposed ([Ho·Wo; cg·kh·kw]) when `transposed`.
    let inline im2col (g: ConvGeometry) (c0: int) (cg: int) (x: ^T[]) (xOff: int) (col: ^T[]) (transposed: bool) =
        let sh, sw = g.Stride
        let ph, pw = g.Padding
        let dh, dw = g.Dilation
        let p = g.HO * g.WO
        let q = cg * g.KH * g.KW

        for c in 0 .. cg - 1 do
            let plane = xOff + (c0 + c) * g.H * g.W

            for u in 0 .. g.KH - 1 do
                for v in 0 .. g.KW - 1 do
                    let row = (c * g.KH + u) * g.KW + v

                    for oy in 0 .. g.HO - 1 do
                        let iy = oy * sh - ph + u * dh

                        for ox in 0 .. g.WO - 1 do
                            let ix = ox * sw - pw + v * dw

                            let value =
                                if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W then
                                    x[plane + iy * g.W + ix]
                                else
                                    LanguagePrimitives.GenericZero

                            let pp = oy * g.WO + ox

                            if transposed then
                                col[pp * q + row] <- value
                            else
                                col[row * p + pp] <- value

    /// The adjoint of `im2col` (non-transposed layout): adds `col` back into channels [c0, c0 + cg) of `dx`.
    let inline col2im (g: ConvGeometry) (c0: int) (cg: int) (col: ^T[]) (dx: ^T[]) (dxOff: int) =
        let sh, sw = g.Stride
        let ph, pw = g.Padding
        let dh, dw = g.Dilation
        let p = g.HO * g.WO

        for c in 0 .. cg - 1 do
            let plane = dxOff + (c0 + c) * g.H * g.W

            for u in 0 .. g.KH - 1 do
                for v in 0 .. g.KW - 1 do
                    let row = (c * g.KH + u) * g.KW + v

                    for oy in 0 .. g.HO - 1 do
                        let iy = oy * sh - ph + u * dh

                        if iy >= 0 && iy < g.H then
                            for ox in 0 .. g.WO - 1 do
                                let ix = ox * sw - pw + v * dw

                                if ix >= 0 && ix < g.W then
                                    dx[plane + iy * g.W + ix] <- dx[plane + iy * g.W + ix] + col[row * p + oy * g.WO + ox]

    /// y = conv(x, w): x [N; C; H; W], w [O; C/groups; kh; kw] → y [N; O; Ho; Wo].
    let inline forward (g: ConvGeometry) (x: ^T[]) (w: ^T[]) : ^T[] =
        let cg, og = g.C / g.Groups, g.O / g.Groups
        let p = g.HO * g.WO
        let q = cg * g.KH * g.KW
        let y = Array.zeroCreate (g.N * g.O * p)

        Parallel.For(
            0,
            g.N,
            (fun () -> Array.zeroCreate (q * p)),
            (fun n _ (col: ^T[]) ->
                for grp in 0 .. g.Groups - 1 do
                    im2col g (grp * cg) cg x (n * g.C * g.H * g.W) col false
                    RawGemm.gemm og p q w (grp * og * q) col 0 y ((n * g.O + grp * og) * p)

                col),
            (fun _ -> ())
        )
        |> ignore

        y

    /// dx = convᵀ(dy, w): the adjoint of `forward` in x, [N; O; Ho; Wo] → [N; C; H; W].
    let inline backwardData (g: ConvGeometry) (dy: ^T[]) (w: ^T[]) : ^T[] =
        let cg, og = g.C / g.Groups, g.O / g.Groups
        let p = g.HO * g.WO
        let q = cg * g.KH * g.KW
        // per group, Wᵀ [q × og]
        let wt = Array.init g.Groups (fun grp -> RawGemm.transpose og q w (grp * og * q))
        let dx = Array.zeroCreate (g.N * g.C * g.H * g.W)

        Parallel.For(
            0,
            g.N,
            (fun () -> Array.zeroCreate (q * p)),
            (fun n _ (col: ^T[]) ->
                for grp in 0 .. g.Groups - 1 do
                    Array.Clear col
                    RawGemm.gemm q p og wt[grp] 0 dy ((n * g.O + grp * og) * p) col 0
                    col2im g (grp * cg) cg col dx (n * g.C * g.H * g.W)

                col),
            (fun _ -> ())
        )
        |> ignore

        dx

    /// Number of sample chunks the weight gradient is reduced over (fixed by the thread count).
    let chunks (n: int) =
        max 1 (min n Environment.ProcessorCount)

    /// dw = Σ_n dy_n · col(x_n)ᵀ: the adjoint of `forward` in w, shape [O; C/groups; kh; kw].
    let inline backwardWeight (g: ConvGeometry) (x: ^T[]) (dy: ^T[]) : ^T[] =
        let cg, og = g.C / g.Groups, g.O / g.Groups
        let p = g.HO * g.WO
        let q = cg * g.KH * g.KW
        let nc = chunks g.N
        let partial = Array.init nc (fun _ -> Array.zeroCreate (g.O * q))

        Parallel.For(
            0,
            nc,
            fun ci ->
                let acc: ^T[] = partial[ci]
                let rows = Array.zeroCreate (p * q)

                for n in ci * g.N / nc .. (ci + 1) * g.N / nc - 1 do
                    for grp in 0 .. g.Groups - 1 do
                        im2col g (grp * cg) cg x (n * g.C * g.H * g.W) rows true
                        RawGemm.gemm og q p dy ((n * g.O + grp * og) * p) rows 0 acc (grp * og * q)
        )
        |> ignore

        let dw = partial[0]

        for ci in 1 .. nc - 1 do
            let src = partial[ci]

            for i in 0 .. dw.Length - 1 do
                dw[i] <- dw[i] + src[i]

        dw
