namespace EquiSphere.Tensor

/// Settings of a 2D convolution; all pairs are (rows, columns).
type Conv2dConfig =
    {
        /// Step between output positions.
        Stride: int * int
        /// Zeros added on both sides of each axis (other padding modes: pad with `Pad.pad2d` first).
        Padding: int * int
        /// Spacing between kernel taps.
        Dilation: int * int
        /// Channel groups: input and output channels split into this many independent convolutions.
        Groups: int
    }

    /// Stride 1, no padding, no dilation, one group.
    static member Default =
        {
            Stride = (1, 1)
            Padding = (0, 0)
            Dilation = (1, 1)
            Groups = 1
        }

/// Differentiable 2D convolution and transposed convolution on [N; C; H; W] tensors (cross-correlation, as in
/// PyTorch), by im2col + GEMM. Law: `convTranspose2d` is the adjoint of `conv2d` in its input.
[<RequireQualifiedAccess>]
module Conv =

    let private geometry (cfg: Conv2dConfig) (x: int[]) (w: int[]) (y: int[]) =
        {
            N = x[0]
            C = x[1]
            H = x[2]
            W = x[3]
            O = w[0]
            KH = w[2]
            KW = w[3]
            Stride = cfg.Stride
            Padding = cfg.Padding
            Dilation = cfg.Dilation
            Groups = cfg.Groups
            HO = y[2]
            WO = y[3]
        }

    let private fwd g (x: Storage) (w: Storage) =
        match x, w with
        | S32 a, S32 b -> S32(RawConv.forward g a b)
        | S64 a, S64 b -> S64(RawConv.forward g a b)
        | _ -> invalidArg "weight" (sprintf "conv: expected input and weight of the same dtype, got %A and %A" x.Dtype w.Dtype)

    let private bwdData g (dy: Storage) (w: Storage) =
        match dy, w with
        | S32 a, S32 b -> S32(RawConv.backwardData g a b)
        | S64 a, S64 b -> S64(RawConv.backwardData g a b)
        | _ -> invalidArg "weight" "conv: dtype mismatch"

    let private bwdWeight g (x: Storage) (dy: Storage) =
        match x, dy with
        | S32 a, S32 b -> S32(RawConv.backwardWeight g a b)
        | S64 a, S64 b -> S64(RawConv.backwardWeight g a b)
        | _ -> invalidArg "input" "conv: dtype mismatch"

    /// Adds bias[c] to every element of channel c of [N; C; plane] storage (in place).
    let private addBias (n: int) (c: int) (plane: int) (y: Storage) (b: Storage) =
        match y, b with
        | S32 a, S32 bv ->
            for i in 0 .. n * c - 1 do
                let v = bv[i % c]
                let s = System.Span<float32>(a, i * plane, plane)

                for j in 0 .. plane - 1 do
                    s[j] <- s[j] + v
        | S64 a, S64 bv ->
            for i in 0 .. n * c - 1 do
                let v = bv[i % c]

                for j in i * plane .. (i + 1) * plane - 1 do
                    a[j] <- a[j] + v
        | _ -> invalidArg "bias" (sprintf "conv: expected a bias of the input's dtype, got %A" b.Dtype)

    /// The sum of [N; C; plane] over N and the plane, per channel: the adjoint of `addBias`.
    let private channelSum (n: int) (c: int) (plane: int) (g: Storage) =
        let acc = Array.zeroCreate c

        match g with
        | S32 a ->
            for i in 0 .. n * c - 1 do
                acc[i % c] <-
                    acc[i % c]
                    + float (System.Numerics.Tensors.TensorPrimitives.Sum(System.ReadOnlySpan<float32>(a, i * plane, plane)))
        | S64 a ->
            for i in 0 .. n * c - 1 do
                acc[i % c] <-
                    acc[i % c]
                    + System.Numerics.Tensors.TensorPrimitives.Sum(System.ReadOnlySpan<float>(a, i * plane, plane))

        Storage.ofFloats g.Dtype acc

    let private checkBias (o: int) (bias: Tensor option) =
        match bias with
        | Some b when b.ShapeRef <> [| o |] ->
            invalidArg "bias" (sprintf "Expected a bias of shape [O=%d], got %s" o (Shape.format b.ShapeRef))
        | _ -> ()

    /// y[n, o] = Σ_c w[o, c] ⋆ x[n, c] (+ bias[o]): input [N; C; H; W], weight [O; C/groups; kh; kw], optional bias
    /// [O] → [N; O; Ho; Wo] with Ho = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1. Reverse: backward-data, backward-weight
    /// and the per-channel sum of the adjoint.
    let conv2d (cfg: Conv2dConfig) (weight: Tensor) (bias: Tensor option) (input: Tensor) =
        let out =
            Shape.conv2d input.ShapeRef weight.ShapeRef cfg.Stride cfg.Padding cfg.Dilation cfg.Groups

        checkBias out[1] bias
        let g = geometry cfg input.ShapeRef weight.ShapeRef out
        let y = fwd g input.Storage weight.Storage
        bias |> Option.iter (fun b -> addBias g.N g.O (g.HO * g.WO) y b.Storage)
        let inputs = Array.append [| input; weight |] (Option.toArray bias)

        Tensor.Make(
            y,
            out,
            "conv2d",
            inputs,
            fun dy ->
                [|
                    (if input.IsTracked then
                         Tensor.Leaf(bwdData g dy.Storage weight.Storage, input.ShapeRef)
                     else
                         null)
                    (if weight.IsTracked then
                         Tensor.Leaf(bwdWeight g input.Storage dy.Storage, weight.ShapeRef)
                     else
                         null)
                    if bias.IsSome then
                        Tensor.Leaf(channelSum g.N g.O (g.HO * g.WO) dy.Storage, [| g.O |])
                |]
        )

    /// The transposed convolution (the adjoint of conv2d in its input, as in PyTorch): input [N; C; H; W],
    /// weight [C; O/groups; kh; kw], optional bias [O] → [N; O; Ho; Wo] with
    /// Ho = (H − 1)s − 2p + d(kh − 1) + outputPadding + 1. `outputPadding` (rows, columns) resolves the size
    /// ambiguity of strided convolutions.
    let convTranspose2d (cfg: Conv2dConfig) (outputPadding: int * int) (weight: Tensor) (bias: Tensor option) (input: Tensor) =
        let out =
            Shape.convTranspose2d input.ShapeRef weight.ShapeRef cfg.Stride cfg.Padding outputPadding cfg.Dilation cfg.Groups

        checkBias out[1] bias
        // the conv whose input is our output and whose output is our input
        let g = geometry cfg out weight.ShapeRef input.ShapeRef
        let g = { g with O = input.ShapeRef[1] }
        let y = bwdData g input.Storage weight.Storage

        bias
        |> Option.iter (fun b -> addBias out[0] out[1] (out[2] * out[3]) y b.Storage)

        let inputs = Array.append [| input; weight |] (Option.toArray bias)

        Tensor.Make(
            y,
            out,
            "convTranspose2d",
            inputs,
            fun dy ->
                [|
                    (if input.IsTracked then
                         Tensor.Leaf(fwd g dy.Storage weight.Storage, input.ShapeRef)
                     else
                         null)
                    (if weight.IsTracked then
                         Tensor.Leaf(bwdWeight g dy.Storage input.Storage, weight.ShapeRef)
                     else
                         null)
                    if bias.IsSome then
                        Tensor.Leaf(channelSum out[0] out[1] (out[2] * out[3]) dy.Storage, [| out[1] |])
                |]
        )
