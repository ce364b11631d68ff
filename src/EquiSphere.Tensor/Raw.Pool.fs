namespace EquiSphere.Tensor

open System.Threading.Tasks

/// 2D pooling on flat [planes; H; W] arrays (planes = N·C): max pooling with the argmax of each window (index
/// within the plane, the first maximum on ties; padding never wins), and average pooling that divides by the
/// full window size (padding counts as zeros).
[<RequireQualifiedAccess>]
module RawPool =

    /// Max pooling: values [planes; Ho; Wo] and argmax indices into each H·W plane.
    let inline maxForward (planes: int) (h: int) (w: int) (kh, kw) (sh, sw) (ph, pw) (ho: int) (wo: int) (x: ^T[]) =
        let y = Array.zeroCreate (planes * ho * wo)
        let arg = Array.zeroCreate (planes * ho * wo)

        Parallel.For(
            0,
            planes,
            fun pl ->
                let xo, yo = pl * h * w, pl * ho * wo

                for oy in 0 .. ho - 1 do
                    for ox in 0 .. wo - 1 do
                        let mutable best = -1
                        let mutable bv = LanguagePrimitives.GenericZero

                        for u in 0 .. kh - 1 do
                            let iy = oy * sh - ph + u

                            if iy >= 0 && iy < h then
                                for v in 0 .. kw - 1 do
                                    let ix = ox * sw - pw + v

                                    if ix >= 0 && ix < w then
                                        let value = x[xo + iy * w + ix]

                                        if best < 0 || value > bv then
                                            best <- iy * w + ix
                                            bv <- value

                        y[yo + oy * wo + ox] <- bv
                        arg[yo + oy * wo + ox] <- best
        )
        |> ignore

        y, arg

    /// The adjoint of max pooling: dy routed to the argmax positions of each plane.
    let inline maxBackward (planes: int) (h: int) (w: int) (ho: int) (wo: int) (arg: int[]) (dy: ^T[]) =
        let dx = Array.zeroCreate (planes * h * w)

        for pl in 0 .. planes - 1 do
            for i in 0 .. ho * wo - 1 do
                let k = pl * ho * wo + i
                let t = pl * h * w + arg[k]
                dx[t] <- dx[t] + dy[k]

        dx

    /// Average pooling: each output is the window sum divided by kh·kw.
    let inline avgForward (planes: int) (h: int) (w: int) (kh, kw) (sh, sw) (ph, pw) (ho: int) (wo: int) (ofFloat: float -> ^T) (x: ^T[]) =
        let y = Array.zeroCreate (planes * ho * wo)
        let scale = ofFloat (1.0 / float (kh * kw))

        for pl in 0 .. planes - 1 do
            let xo, yo = pl * h * w, pl * ho * wo

            for oy in 0 .. ho - 1 do
                for ox in 0 .. wo - 1 do
                    let mutable s = LanguagePrimitives.GenericZero

                    for u in 0 .. kh - 1 do
                        let iy = oy * sh - ph + u

                        if iy >= 0 && iy < h then
                            for v in 0 .. kw - 1 do
                                let ix = ox * sw - pw + v

                                if ix >= 0 && ix < w then
                                    s <- s + x[xo + iy * w + ix]

                    y[yo + oy * wo + ox] <- s * scale

        y

    /// The adjoint of average pooling.
    let inline avgBackward
        (planes: int)
        (h: int)
        (w: int)
        (kh, kw)
        (sh, sw)
        (ph, pw)
        (ho: int)
        (wo: int)
        (ofFloat: float -> ^T)
        (dy: ^T[])
        =
        let dx = Array.zeroCreate (planes * h * w)
        let scale = ofFloat (1.0 / float (kh * kw))

        for pl in 0 .. planes - 1 do
            let xo, yo = pl * h * w, pl * ho * wo

            for oy in 0 .. ho - 1 do
                for ox in 0 .. wo - 1 do
                    let g = dy[yo + oy * wo + ox] * scale

                    for u in 0 .. kh - 1 do
                        let iy = oy * sh - ph + u

                        if iy >= 0 && iy < h then
                            for v in 0 .. kw - 1 do
                                let ix = ox * sw - pw + v

                                if ix >= 0 && ix < w then
                                    dx[xo + iy * w + ix] <- dx[xo + iy * w + ix] + g

        dx
