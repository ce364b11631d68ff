namespace EquiSphere.Tensor

open System

/// Shape validation and shape inference in one place: every op calls a function here first, which throws
/// `ArgumentException` naming the parameter, the expected and the actual shape, and returns the output shape.
/// Shapes are row-major dimension arrays; `[||]` is a scalar.
[<RequireQualifiedAccess>]
module Shape =

    /// "[2; 3]" for `[|2; 3|]`, "[]" for a scalar.
    let format (shape: int[]) =
        "[" + (shape |> Array.map string |> String.concat "; ") + "]"

    /// Number of elements: the product of the dimensions (1 for a scalar).
    let numel (shape: int[]) =
        let mutable n = 1

        for d in shape do
            n <- n * d

        n

    /// Row-major strides of a contiguous tensor of this shape (the last stride is 1).
    let strides (shape: int[]) =
        let s = Array.zeroCreate shape.Length
        let mutable acc = 1

        for i in shape.Length - 1 .. -1 .. 0 do
            s[i] <- acc
            acc <- acc * shape[i]

        s

    /// Throws unless every dimension is non-negative.
    let check (name: string) (shape: int[]) =
        if isNull shape then
            nullArg name

        if shape |> Array.exists (fun d -> d < 0) then
            invalidArg name (sprintf "Expected non-negative dimensions, got %s" (format shape))

    /// A dimension index in [0, rank): negative values count from the end (−1 is the last axis).
    let axis (name: string) (rank: int) (dim: int) =
        let d = if dim < 0 then dim + rank else dim

        if d < 0 || d >= rank then
            invalidArg name (sprintf "Expected a dimension in [-%d, %d) for a tensor of rank %d, got %d" rank rank rank dim)

        d

    /// The broadcast shape of two shapes under NumPy rules (align on the right; a dimension of 1 stretches).
    let broadcast2 (a: int[]) (b: int[]) =
        let r = max a.Length b.Length

        Array.init r (fun i ->
            let da = if i < r - a.Length then 1 else a[i - (r - a.Length)]
            let db = if i < r - b.Length then 1 else b[i - (r - b.Length)]

            if da = db || db = 1 then
                da
            elif da = 1 then
                db
            else
                invalidArg "b" (sprintf "Expected shapes that broadcast, got %s and %s" (format a) (format b)))

    /// Throws unless `target` is `shape` broadcast to a larger shape, i.e. `broadcast2 shape target = target`.
    let expandable (shape: int[]) (target: int[]) =
        if target.Length < shape.Length then
            invalidArg
                "shape"
                (sprintf "Expected a target shape of rank >= %d to expand %s into, got %s" shape.Length (format shape) (format target))

        let off = target.Length - shape.Length

        for i in 0 .. shape.Length - 1 do
            if shape[i] <> 1 && shape[i] <> target[i + off] then
                invalidArg "shape" (sprintf "Expected a shape that %s expands to, got %s" (format shape) (format target))

    /// The shape a reshape produces; one dimension may be −1 and is inferred.
    let reshape (shape: int[]) (target: int[]) =
        let n = numel shape
        let unknown = target |> Array.filter (fun d -> d = -1) |> Array.length

        if unknown > 1 || target |> Array.exists (fun d -> d < -1) then
            invalidArg "shape" (sprintf "Expected non-negative dimensions and at most one -1, got %s" (format target))

        let known = target |> Array.fold (fun acc d -> if d = -1 then acc else acc * d) 1

        let result =
            if unknown = 1 then
                if known = 0 || n % known <> 0 then
                    invalidArg "shape" (sprintf "Expected a shape with %d elements, got %s (from %s)" n (format target) (format shape))

                target |> Array.map (fun d -> if d = -1 then n / known else d)
            else
                target

        if numel result <> n then
            invalidArg "shape" (sprintf "Expected a shape with %d elements (from %s), got %s" n (format shape) (format target))

        result

    /// The shape after permuting axes: output axis i is input axis `perm[i]`; `perm` must be a permutation.
    let permute (shape: int[]) (perm: int[]) =
        if isNull perm then
            nullArg "perm"

        let sorted = Array.sort perm

        if perm.Length <> shape.Length || sorted <> Array.init shape.Length id then
            invalidArg
                "perm"
                (sprintf
                    "Expected a permutation of [0 .. %d] for a tensor of shape %s, got %s"
                    (shape.Length - 1)
                    (format shape)
                    (format perm))

        perm |> Array.map (fun p -> shape[p])

    /// The shape after reducing `dims` (normalized, deduplicated) with or without keeping them as size 1.
    let reduce (shape: int[]) (dims: int[]) (keepDim: bool) =
        let ds = dims |> Array.map (axis "dims" shape.Length) |> Array.distinct

        let out =
            shape
            |> Array.mapi (fun i d ->
                if Array.contains i ds then
                    (if keepDim then Some 1 else None)
                else
                    Some d)
            |> Array.choose id

        ds, out

    /// Checks a range [start, start + length) along `dim` and returns the narrowed shape.
    let narrow (shape: int[]) (dim: int) (start: int) (length: int) =
        let d = axis "dim" shape.Length dim

        if start < 0 || length < 0 || start + length > shape[d] then
            invalidArg
                "start"
                (sprintf
                    "Expected a range [start, start + length) within [0, %d) along dimension %d of %s, got [%d, %d)"
                    shape[d]
                    d
                    (format shape)
                    start
                    (start + length))

        let out = Array.copy shape
        out[d] <- length
        d, out

    /// Checks that shapes agree except along `dim` and returns the concatenated shape.
    let concat (shapes: int[][]) (dim: int) =
        if isNull shapes || shapes.Length = 0 then
            invalidArg "tensors" "Expected at least one tensor to concatenate, got none"

        let first = shapes[0]
        let d = axis "dim" first.Length dim

        for s in shapes do
            if
                s.Length <> first.Length
                || (Array.indexed s |> Array.exists (fun (i, x) -> i <> d && x <> first[i]))
            then
                invalidArg "tensors" (sprintf "Expected shapes equal to %s except along dimension %d, got %s" (format first) d (format s))

        let out = Array.copy first
        out[d] <- shapes |> Array.sumBy (fun s -> s[d])
        d, out

    /// The shape of a matrix product: [.., m, k] × [.., k, n] → [.., m, n] with broadcast batch dims;
    /// a rank-1 operand is not accepted (reshape it to a matrix first).
    let matmul (a: int[]) (b: int[]) =
        if a.Length < 2 || b.Length < 2 then
            invalidArg "b" (sprintf "Expected operands of rank >= 2 for matmul, got %s and %s" (format a) (format b))

        let m, k = a[a.Length - 2], a[a.Length - 1]
        let k2, n = b[b.Length - 2], b[b.Length - 1]

        if k <> k2 then
            invalidArg
                "b"
                (sprintf "Expected inner dimensions to agree for matmul [..; m; k] x [..; k; n], got %s and %s" (format a) (format b))

        let batch = broadcast2 a[.. a.Length - 3] b[.. b.Length - 3]
        Array.append batch [| m; n |]

    /// Output size of a strided window along one axis: ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1.
    let convOut (n: int) (k: int) (stride: int) (pad: int) (dilation: int) =
        (n + 2 * pad - dilation * (k - 1) - 1) / stride + 1

    let private positive (name: string) (v: int) =
        if v < 1 then
            invalidArg name (sprintf "Expected %s >= 1, got %d" name v)

    /// Shape of conv2d: input [N; C; H; W], weight [O; C/groups; kh; kw] → [N; O; Ho; Wo], with
    /// Ho = convOut H kh stride padding dilation (likewise W). Stride, padding and dilation are (h, w) pairs.
    let conv2d (input: int[]) (weight: int[]) (sh, sw) (ph, pw) (dh, dw) (groups: int) =
        if input.Length <> 4 then
            invalidArg "input" (sprintf "Expected an input of shape [N; C; H; W], got %s" (format input))

        if weight.Length <> 4 then
            invalidArg "weight" (sprintf "Expected a weight of shape [O; C/groups; kh; kw], got %s" (format weight))

        positive "stride" sh
        positive "stride" sw
        positive "dilation" dh
        positive "dilation" dw
        positive "groups" groups

        if ph < 0 || pw < 0 then
            invalidArg "padding" (sprintf "Expected padding >= 0, got (%d, %d)" ph pw)

        let c, o = input[1], weight[0]

        if c % groups <> 0 || o % groups <> 0 then
            invalidArg "groups" (sprintf "Expected groups=%d to divide input channels %d and output channels %d" groups c o)

        if weight[1] <> c / groups then
            invalidArg
                "weight"
                (sprintf
                    "Expected a weight of shape [%d; C/groups=%d; kh; kw] for input %s, got %s"
                    o
                    (c / groups)
                    (format input)
                    (format weight))

        let ho = convOut input[2] weight[2] sh ph dh
        let wo = convOut input[3] weight[3] sw pw dw

        if ho < 1 || wo < 1 then
            invalidArg
                "input"
                (sprintf "Expected an input at least as large as the dilated kernel %s, got %s" (format weight[2..]) (format input))

        [| input[0]; o; ho; wo |]

    /// Shape of conv-transpose2d: input [N; C; H; W], weight [C; O/groups; kh; kw] → [N; O; Ho; Wo] with
    /// Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1 (likewise W).
    let convTranspose2d (input: int[]) (weight: int[]) (sh, sw) (ph, pw) (oph, opw) (dh, dw) (groups: int) =
        if input.Length <> 4 then
            invalidArg "input" (sprintf "Expected an input of shape [N; C; H; W], got %s" (format input))

        if weight.Length <> 4 then
            invalidArg "weight" (sprintf "Expected a weight of shape [C; O/groups; kh; kw], got %s" (format weight))

        positive "stride" sh
        positive "stride" sw
        positive "dilation" dh
        positive "dilation" dw
        positive "groups" groups

        if weight[0] <> input[1] || input[1] % groups <> 0 then
            invalidArg
                "weight"
                (sprintf
                    "Expected a weight of shape [C=%d; O/groups; kh; kw] with groups=%d dividing C, got %s"
                    input[1]
                    groups
                    (format weight))

        if oph < 0 || opw < 0 || oph >= max sh dh || opw >= max sw dw then
            invalidArg "outputPadding" (sprintf "Expected 0 <= outputPadding < max(stride, dilation), got (%d, %d)" oph opw)

        let ho = (input[2] - 1) * sh - 2 * ph + dh * (weight[2] - 1) + oph + 1
        let wo = (input[3] - 1) * sw - 2 * pw + dw * (weight[3] - 1) + opw + 1

        if ho < 1 || wo < 1 then
            invalidArg
                "padding"
                (sprintf "Expected padding small enough for a non-empty output, got (%d, %d) for input %s" ph pw (format input))

        [| input[0]; weight[1] * groups; ho; wo |]

    /// Shape of 2D pooling: [N; C; H; W] → [N; C; Ho; Wo] with Ho = convOut H kh sh ph 1.
    let pool2d (input: int[]) (kh, kw) (sh, sw) (ph, pw) =
        if input.Length <> 4 then
            invalidArg "input" (sprintf "Expected an input of shape [N; C; H; W], got %s" (format input))

        positive "kernel" kh
        positive "kernel" kw
        positive "stride" sh
        positive "stride" sw

        if ph < 0 || pw < 0 || 2 * ph > kh || 2 * pw > kw then
            invalidArg "padding" (sprintf "Expected 0 <= padding <= kernel/2, got (%d, %d) for kernel (%d, %d)" ph pw kh kw)

        let ho = convOut input[2] kh sh ph 1
        let wo = convOut input[3] kw sw pw 1

        if ho < 1 || wo < 1 then
            invalidArg "input" (sprintf "Expected an input of at least the kernel size (%d, %d), got %s" kh kw (format input))

        [| input[0]; input[1]; ho; wo |]

    /// Throws unless two shapes are equal; `what` names the operand.
    let same (what: string) (expected: int[]) (actual: int[]) =
        if expected <> actual then
            invalidArg what (sprintf "Expected %s of shape %s, got %s" what (format expected) (format actual))

    /// Throws unless the shape has the given rank; `layout` names the axes ("[N; C; H; W]").
    let rank (what: string) (layout: string) (r: int) (actual: int[]) =
        if actual.Length <> r then
            invalidArg what (sprintf "Expected %s of shape %s, got %s" what layout (format actual))
