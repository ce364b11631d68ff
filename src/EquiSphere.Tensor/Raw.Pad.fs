namespace EquiSphere.Tensor

/// How a padded axis is filled beyond the edge.
type PadMode =
    /// Zeros outside the input.
    | Zeros
    /// Mirror without repeating the edge sample: x[−1] = x[1] (needs padding < size).
    | Reflect
    /// Periodic wrap-around: x[−1] = x[n − 1] (needs padding ≤ size); longitude on the sphere.
    | Circular

/// Padding of the two last axes of [planes; H; W] arrays, the mode chosen per axis, and its adjoint.
[<RequireQualifiedAccess>]
module RawPad =

    /// The source index of padded position i (before-padding `before`, input size n), or −1 for a zero.
    let source (mode: PadMode) (n: int) (before: int) (i: int) =
        let j = i - before

        match mode with
        | Zeros -> if j >= 0 && j < n then j else -1
        | Circular -> ((j % n) + n) % n
        | Reflect ->
            if n = 1 then
                0
            else
                let period = 2 * (n - 1)
                let m = ((j % period) + period) % period
                if m < n then m else period - m

    /// Source index maps for one axis of output length `len`.
    let indexMap (mode: PadMode) (n: int) (before: int) (len: int) = Array.init len (source mode n before)

    /// Pads [planes; h; w] by (top, bottom) rows with `rowMode` and (left, right) columns with `colMode`.
    let forward (planes: int) (h: int) (w: int) (rowMode, top: int, bottom: int) (colMode, left: int, right: int) (x: 'T[]) : 'T[] =
        let ho, wo = h + top + bottom, w + left + right
        let ri, ci = indexMap rowMode h top ho, indexMap colMode w left wo
        let y = Array.zeroCreate (planes * ho * wo)

        for pl in 0 .. planes - 1 do
            for i in 0 .. ho - 1 do
                if ri[i] >= 0 then
                    let src = pl * h * w + ri[i] * w
                    let dst = pl * ho * wo + i * wo

                    for j in 0 .. wo - 1 do
                        if ci[j] >= 0 then
                            y[dst + j] <- x[src + ci[j]]

        y

    /// The adjoint of `forward`: each padded element's adjoint is added to its source element.
    let inline backward
        (planes: int)
        (h: int)
        (w: int)
        (rowMode, top: int, bottom: int)
        (colMode, left: int, right: int)
        (dy: ^T[])
        : ^T[] =
        let ho, wo = h + top + bottom, w + left + right
        let ri, ci = indexMap rowMode h top ho, indexMap colMode w left wo
        let dx = Array.zeroCreate (planes * h * w)

        for pl in 0 .. planes - 1 do
            for i in 0 .. ho - 1 do
                if ri[i] >= 0 then
                    let dst = pl * h * w + ri[i] * w
                    let src = pl * ho * wo + i * wo

                    for j in 0 .. wo - 1 do
                        if ci[j] >= 0 then
                            dx[dst + ci[j]] <- dx[dst + ci[j]] + dy[src + j]

        dx
