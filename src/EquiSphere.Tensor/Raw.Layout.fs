namespace EquiSphere.Tensor

/// Layout kernels on flat row-major arrays of any element type: permutation, broadcasting expansion and its
/// adjoint (summation back to a shape), narrowing and its adjoint, concatenation, gather and scatter-add.
/// Shapes are validated by `Shape` before these run.
[<RequireQualifiedAccess>]
module RawLayout =

    /// Strides of `shape` seen inside the larger broadcast shape `target`: 0 along broadcast (size-1 or
    /// missing) dimensions, the contiguous stride otherwise.
    let broadcastStrides (shape: int[]) (target: int[]) =
        let s = Shape.strides shape
        let off = target.Length - shape.Length

        Array.init target.Length (fun i ->
            if i < off then 0
            elif shape[i - off] = 1 && target[i] <> 1 then 0
            else s[i - off])

    /// Calls `body outOffset inOffset` for every element of `outShape`, with `inStrides` giving the input
    /// offset step per output axis (row-major order over the output).
    let inline iterStrided (outShape: int[]) (inStrides: int[]) ([<InlineIfLambda>] body: int -> int -> unit) =
        let r = outShape.Length
        let n = Shape.numel outShape

        if n > 0 then
            if r = 0 then
                body 0 0
            else
                let idx = Array.zeroCreate r
                let last = outShape[r - 1]
                let ls = inStrides[r - 1]
                let mutable o = 0
                let mutable inOff = 0

                while o < n do
                    let mutable j = inOff

                    for k in 0 .. last - 1 do
                        body (o + k) j
                        j <- j + ls

                    o <- o + last
                    // advance the odometer over axes 0 .. r-2
                    let mutable ax = r - 2
                    let mutable carry = true

                    while carry && ax >= 0 do
                        idx[ax] <- idx[ax] + 1
                        inOff <- inOff + inStrides[ax]

                        if idx[ax] < outShape[ax] then
                            carry <- false
                        else
                            inOff <- inOff - inStrides[ax] * outShape[ax]
                            idx[ax] <- 0
                            ax <- ax - 1

    /// The permuted copy: output axis i is input axis perm[i].
    let permute (shape: int[]) (perm: int[]) (a: 'T[]) : 'T[] =
        let outShape = perm |> Array.map (fun p -> shape[p])
        let s = Shape.strides shape
        let inStrides = perm |> Array.map (fun p -> s[p])
        let out = Array.zeroCreate a.Length
        iterStrided outShape inStrides (fun o i -> out[o] <- a[i])
        out

    /// `a` of `shape` broadcast (copied) to `target`.
    let expand (shape: int[]) (target: int[]) (a: 'T[]) : 'T[] =
        let out = Array.zeroCreate (Shape.numel target)
        iterStrided target (broadcastStrides shape target) (fun o i -> out[o] <- a[i])
        out

    /// The adjoint of `expand`: sums `a` of the broadcast shape `source` back to `target`.
    let inline sumTo (source: int[]) (target: int[]) (a: ^T[]) : ^T[] =
        let out = Array.zeroCreate (Shape.numel target)
        iterStrided source (broadcastStrides target source) (fun o i -> out[i] <- out[i] + a[o])
        out

    /// Elements [start, start + length) along axis `dim`.
    let narrow (shape: int[]) (dim: int) (start: int) (length: int) (a: 'T[]) : 'T[] =
        let outer = Shape.numel shape[.. dim - 1]
        let inner = Shape.numel shape[dim + 1 ..]
        let out = Array.zeroCreate (outer * length * inner)

        for o in 0 .. outer - 1 do
            Array.blit a ((o * shape[dim] + start) * inner) out (o * length * inner) (length * inner)

        out

    /// The adjoint of `narrow`: `a` (the narrowed block) placed into zeros of `shape`.
    let unnarrow (shape: int[]) (dim: int) (start: int) (length: int) (a: 'T[]) : 'T[] =
        let outer = Shape.numel shape[.. dim - 1]
        let inner = Shape.numel shape[dim + 1 ..]
        let out = Array.zeroCreate (Shape.numel shape)

        for o in 0 .. outer - 1 do
            Array.blit a (o * length * inner) out ((o * shape[dim] + start) * inner) (length * inner)

        out

    /// Concatenation along axis `dim` of arrays with the given shapes.
    let concat (shapes: int[][]) (dim: int) (arrays: 'T[][]) : 'T[] =
        let first: int[] = shapes[0]
        let outer = Shape.numel first[.. dim - 1]
        let inner = Shape.numel first[dim + 1 ..]
        let total = shapes |> Array.sumBy (fun s -> s[dim])
        let out = Array.zeroCreate (outer * total * inner)
        let mutable at = 0

        for t in 0 .. arrays.Length - 1 do
            let len = shapes[t][dim] * inner

            for o in 0 .. outer - 1 do
                Array.blit arrays[t] (o * len) out (o * total * inner + at) len

            at <- at + len

        out

    /// out[.., i, ..] = a[.., index[.., i, ..], ..] along axis `dim`; `index` has the output's shape and
    /// agrees with `shape` on every other axis.
    let gather (shape: int[]) (dim: int) (indexShape: int[]) (index: int[]) (a: 'T[]) : 'T[] =
        let outer = Shape.numel indexShape[.. dim - 1]
        let inner = Shape.numel indexShape[dim + 1 ..]
        let len, k = shape[dim], indexShape[dim]
        let out = Array.zeroCreate index.Length

        for o in 0 .. outer - 1 do
            for j in 0 .. k - 1 do
                for i in 0 .. inner - 1 do
                    let p = (o * k + j) * inner + i
                    out[p] <- a[(o * len + index[p]) * inner + i]

        out

    /// The adjoint of `gather`: zeros of `shape` with `a` added at the gathered positions.
    let inline scatterAdd (shape: int[]) (dim: int) (indexShape: int[]) (index: int[]) (a: ^T[]) : ^T[] =
        let outer = Shape.numel indexShape[.. dim - 1]
        let inner = Shape.numel indexShape[dim + 1 ..]
        let len, k = shape[dim], indexShape[dim]
        let out = Array.zeroCreate (Shape.numel shape)

        for o in 0 .. outer - 1 do
            for j in 0 .. k - 1 do
                for i in 0 .. inner - 1 do
                    let p = (o * k + j) * inner + i
                    let q = (o * len + index[p]) * inner + i
                    out[q] <- out[q] + a[p]

        out

    /// Maxima over the axes `dims` (already normalized) and the flat input index of each maximum (the first
    /// one on ties); the result has `shape` with those axes set to 1.
    let inline maxDims (shape: int[]) (dims: int[]) (a: ^T[]) : ^T[] * int[] =
        let target = shape |> Array.mapi (fun i d -> if Array.contains i dims then 1 else d)
        let n = Shape.numel target
        let out = Array.zeroCreate n
        let arg = Array.create n -1

        iterStrided shape (broadcastStrides target shape) (fun i o ->
            // i: input offset (row-major), o: output offset
            if arg[o] < 0 || a[i] > out[o] then
                out[o] <- a[i]
                arg[o] <- i)

        out, arg
