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

    let private threads () = Kernels.Gemm.defaultThreads

    let private spec (cfg: Conv2dConfig) (x: int[]) (w: int[]) : Kernels.Conv2dSpec =
        {
            Batch = x[0]
            InChannels = x[1]
            OutChannels = w[0]
            Height = x[2]
            Width = x[3]
            KernelHeight = w[2]
            KernelWidth = w[3]
            StrideH = fst cfg.Stride
            StrideW = snd cfg.Stride
            PadH = fst cfg.Padding
            PadW = snd cfg.Padding
            DilationH = fst cfg.Dilation
            DilationW = snd cfg.Dilation
            Groups = cfg.Groups
        }

    let private transposeSpec (cfg: Conv2dConfig) (outputPadding: int * int) (x: int[]) (w: int[]) : Kernels.ConvTranspose2dSpec =
        {
            Batch = x[0]
            InChannels = x[1]
            OutChannels = w[1] * cfg.Groups
            Height = x[2]
            Width = x[3]
            KernelHeight = w[2]
            KernelWidth = w[3]
            StrideH = fst cfg.Stride
            StrideW = snd cfg.Stride
            PadH = fst cfg.Padding
            PadW = snd cfg.Padding
            OutputPadH = fst outputPadding
            OutputPadW = snd outputPadding
            DilationH = fst cfg.Dilation
            DilationW = snd cfg.Dilation
            Groups = cfg.Groups
        }

    /// Runs a kernel `k a b out` on two storages of one dtype into a new storage of `n` elements. The storage is
    /// allocated uninitialized: every kernel overwrites its whole output (Kernels' convention).
    let private run2 (op: string) (n: int) (k: obj -> obj -> obj -> unit) (a: Storage) (b: Storage) =
        match a, b with
        | S32 x, S32 y ->
            let o = StoragePool.rent32 n
            k x y o
            S32 o
        | S64 x, S64 y ->
            let o = StoragePool.rent64 n
            k x y o
            S64 o
        | _ -> invalidArg "weight" (sprintf "%s: expected operands of the same dtype, got %A and %A" op a.Dtype b.Dtype)

    let private call (f32: float32[] -> float32[] -> float32[] -> unit) (f64: float[] -> float[] -> float[] -> unit) =
        fun (a: obj) (b: obj) (o: obj) ->
            match a, b, o with
            | (:? (float32[]) as a), (:? (float32[]) as b), (:? (float32[]) as o) -> f32 a b o
            | (:? (float[]) as a), (:? (float[]) as b), (:? (float[]) as o) -> f64 a b o
            | _ -> invalidOp "conv: dtype mismatch"

    /// Adds bias[c] to every element of channel c of [N; C; plane] storage (in place), the element range cut by
    /// `RawSplit.run` (each element gets one addition, so the chunking does not change the result).
    let private addBias (n: int) (c: int) (plane: int) (y: Storage) (b: Storage) =
        let overPlanes (body: int -> int -> int -> unit) =
            RawSplit.run (n * c * plane) (fun start count ->
                let stop = start + count
                let mutable k = start / plane

                while k * plane < stop do
                    let lo = max start (k * plane)
                    let hi = min stop ((k + 1) * plane)
                    body (k % c) lo (hi - lo)
                    k <- k + 1)

        match y, b with
        | S32 a, S32 bv ->
            overPlanes (fun ch lo len ->
                System.Numerics.Tensors.TensorPrimitives.Add(
                    System.ReadOnlySpan<float32>(a, lo, len),
                    bv[ch],
                    System.Span<float32>(a, lo, len)
                ))
        | S64 a, S64 bv ->
            overPlanes (fun ch lo len ->
                System.Numerics.Tensors.TensorPrimitives.Add(
                    System.ReadOnlySpan<float>(a, lo, len),
                    bv[ch],
                    System.Span<float>(a, lo, len)
                ))
        | _ -> invalidArg "bias" (sprintf "conv: expected a bias of the input's dtype, got %A" b.Dtype)

    /// The sum of [N; C; plane] over N and the plane, per channel: the adjoint of `addBias`. Channels are summed
    /// in parallel (a fixed split by channel), each over n = 0, 1, .. in order, so the result does not depend
    /// on the thread count.
    let private channelSum (n: int) (c: int) (plane: int) (g: Storage) =
        let acc = Array.zeroCreate c

        let perChannel (sum: int -> float) =
            if RawSplit.parts (n * c * plane) > 1 then
                System.Threading.Tasks.Parallel.For(0, c, fun ch -> acc[ch] <- sum ch) |> ignore
            else
                for ch in 0 .. c - 1 do
                    acc[ch] <- sum ch

        match g with
        | S32 a ->
            perChannel (fun ch ->
                let mutable s = 0.0

                for i in 0 .. n - 1 do
                    s <-
                        s
                        + float (
                            System.Numerics.Tensors.TensorPrimitives.Sum(System.ReadOnlySpan<float32>(a, (i * c + ch) * plane, plane))
                        )

                s)
        | S64 a ->
            perChannel (fun ch ->
                let mutable s = 0.0

                for i in 0 .. n - 1 do
                    s <-
                        s
                        + System.Numerics.Tensors.TensorPrimitives.Sum(System.ReadOnlySpan<float>(a, (i * c + ch) * plane, plane))

                s)

        Storage.ofFloats g.Dtype acc

    let private checkBias (o: int) (bias: Tensor option) =
        match bias with
        | Some b when b.ShapeRef <> [| o |] ->
            invalidArg "bias" (sprintf "Expected a bias of shape [O=%d], got %s" o (Shape.format b.ShapeRef))
        | _ -> ()

    /// The input, weight and bias adjoints of conv2d for the output adjoint dy (null where not tracked).
    let private conv2dReverse
        (modes: PadMode * PadMode)
        (s: Kernels.Conv2dSpec)
        (t: int)
        (input: Tensor)
        (weight: Tensor)
        (bias: Tensor option)
        (out: int[])
        (dy: Storage)
        =
        [|
            if input.IsTracked then
                let dx =
                    run2
                        "conv2d"
                        s.InputLength
                        (call (fun g w dx -> Kernels.ConvPadded.backwardData t s modes g 0 w 0 dx 0) (fun g w dx ->
                            Kernels.ConvPadded.backwardData t s modes g 0 w 0 dx 0))
                        dy
                        weight.Storage

                Tensor.Leaf(dx, input.ShapeRef)
            else
                null
            if weight.IsTracked then
                let dw =
                    run2
                        "conv2d"
                        s.WeightLength
                        (call (fun x g dw -> Kernels.ConvPadded.backwardWeight t s modes x 0 g 0 dw 0) (fun x g dw ->
                            Kernels.ConvPadded.backwardWeight t s modes x 0 g 0 dw 0))
                        input.Storage
                        dy

                Tensor.Leaf(dw, weight.ShapeRef)
            else
                null
            if bias.IsSome then
                Tensor.Leaf(channelSum out[0] out[1] (out[2] * out[3]) dy, [| out[1] |])
        |]

    /// The convolution without bias, its padding filled by `modes`: output shape, kernel spec, thread count and
    /// values.
    let private conv2dValues (modes: PadMode * PadMode) (cfg: Conv2dConfig) (weight: Tensor) (bias: Tensor option) (input: Tensor) =
        let out =
            Shape.conv2d input.ShapeRef weight.ShapeRef cfg.Stride cfg.Padding cfg.Dilation cfg.Groups

        checkBias out[1] bias
        let s = spec cfg input.ShapeRef weight.ShapeRef
        let t = threads ()

        let y =
            run2
                "conv2d"
                s.OutputLength
                (call (fun x w y -> Kernels.ConvPadded.forward t s modes x 0 w 0 y 0) (fun x w y ->
                    Kernels.ConvPadded.forward t s modes x 0 w 0 y 0))
                input.Storage
                weight.Storage

        out, s, t, y

    /// y[n, o] = Σ_c w[o, c] ⋆ x[n, c] (+ bias[o]): input [N; C; H; W], weight [O; C/groups; kh; kw], optional bias
    /// [O] → [N; O; Ho; Wo] with Ho = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1. Reverse: backward-data, backward-weight
    /// and the per-channel sum of the adjoint.
    let conv2d (cfg: Conv2dConfig) (weight: Tensor) (bias: Tensor option) (input: Tensor) =
        let modes = PadMode.Zeros, PadMode.Zeros
        let out, s, t, y = conv2dValues modes cfg weight bias input

        bias
        |> Option.iter (fun b -> addBias out[0] out[1] (out[2] * out[3]) y b.Storage)

        let inputs = Array.append [| input; weight |] (Option.toArray bias)
        Tensor.Make(y, out, "conv2d", inputs, fun dy -> conv2dReverse modes s t input weight bias out dy.Storage)

    /// `conv2d` whose padding `cfg.Padding` = (rows, columns) is filled by `rowMode` along the rows and `colMode`
    /// along the columns (`PadMode.Reflect`: each pad smaller than its axis; `Circular`; `Zeros`: `conv2d`)
    /// instead of zeros, as one op without the padded tensor (`Kernels.ConvPadded`: stride-1 convolutions fill
    /// the border of the buffer they copy each image into anyway). Law: when either mode is not `Zeros`, values
    /// and the input, weight and bias gradients equal, bit for bit, those of `conv2d { cfg with Padding = (0, 0) }
    /// weight bias` applied to `Pad.pad2d (rowMode, ph, ph) (colMode, pw, pw) input`; with both `Zeros` it is
    /// `conv2d cfg` (equal up to rounding).
    let conv2dPadded (rowMode: PadMode, colMode: PadMode) (cfg: Conv2dConfig) (weight: Tensor) (bias: Tensor option) (input: Tensor) =
        let modes = rowMode, colMode
        let out, s, t, y = conv2dValues modes cfg weight bias input

        bias
        |> Option.iter (fun b -> addBias out[0] out[1] (out[2] * out[3]) y b.Storage)

        let inputs = Array.append [| input; weight |] (Option.toArray bias)
        Tensor.Make(y, out, "conv2dPadded", inputs, fun dy -> conv2dReverse modes s t input weight bias out dy.Storage)

    /// `conv2dPadded (rowMode, colMode) cfg weight bias input + residual` as one op (the second convolution of
    /// a residual block and its skip connection): the residual [N; O; Ho; Wo] (the output's shape and dtype) is
    /// added into the convolution's own output buffer after the bias, in one pass split over the cores, so the
    /// sum needs no tensor of its own; the reverse rule is the convolution's, and the output adjoint itself is
    /// the residual's. Modes `Zeros` give `conv2d cfg`. Law: values and the input, weight, bias and residual
    /// gradients equal, bit for bit, those of `conv2dPadded (rowMode, colMode) cfg weight bias input + residual`
    /// (one IEEE addition per element either way).
    let conv2dPaddedAdd
        (rowMode: PadMode, colMode: PadMode)
        (cfg: Conv2dConfig)
        (weight: Tensor)
        (bias: Tensor option)
        (residual: Tensor)
        (input: Tensor)
        =
        if isNull residual then
            nullArg "residual"

        let modes = rowMode, colMode
        let out, s, t, y = conv2dValues modes cfg weight bias input

        if residual.ShapeRef <> out then
            invalidArg
                "residual"
                (sprintf
                    "Expected a residual of the convolution's output shape %s, got %s"
                    (Shape.format out)
                    (Shape.format residual.ShapeRef))

        if residual.Dtype <> input.Dtype then
            invalidArg "residual" (sprintf "Expected a residual of dtype %A (the input's), got %A" input.Dtype residual.Dtype)

        bias
        |> Option.iter (fun b -> addBias out[0] out[1] (out[2] * out[3]) y b.Storage)

        RawElementwise.addInto y residual.Storage

        let inputs =
            Array.concat [ [| input; weight |]; Option.toArray bias; [| residual |] ]

        Tensor.Make(
            y,
            out,
            "conv2dPaddedAdd",
            inputs,
            fun dy -> Array.append (conv2dReverse modes s t input weight bias out dy.Storage) [| dy |]
        )

    /// ReLU(conv2d cfg weight bias input) as one op: the bias add and max(·, 0) run in one pass over the
    /// convolution's output (no separate ReLU tensor), and the reverse rule masks the adjoint where the output is
    /// 0 before the convolution's reverse. Law: equal, value and gradients bit for bit, to
    /// `Activation.relu (conv2d cfg weight bias input)`.
    let conv2dRelu (cfg: Conv2dConfig) (weight: Tensor) (bias: Tensor option) (input: Tensor) =
        let modes = PadMode.Zeros, PadMode.Zeros
        let out, s, t, y = conv2dValues modes cfg weight bias input
        let plane = out[2] * out[3]
        let c = out[1]

        RawSplit.run (out[0] * c * plane) (fun start count ->
            let stop = start + count
            let mutable k = start / plane

            while k * plane < stop do
                let lo = max start (k * plane)
                let len = min stop ((k + 1) * plane) - lo

                match y, bias |> Option.map (fun b -> b.Storage) with
                | S32 a, Some(S32 bv) ->
                    let span = System.Span<float32>(a, lo, len)
                    System.Numerics.Tensors.TensorPrimitives.Add(System.ReadOnlySpan<float32>(a, lo, len), bv[k % c], span)
                    System.Numerics.Tensors.TensorPrimitives.Max(System.ReadOnlySpan<float32>(a, lo, len), 0.0f, span)
                | S64 a, Some(S64 bv) ->
                    let span = System.Span<float>(a, lo, len)
                    System.Numerics.Tensors.TensorPrimitives.Add(System.ReadOnlySpan<float>(a, lo, len), bv[k % c], span)
                    System.Numerics.Tensors.TensorPrimitives.Max(System.ReadOnlySpan<float>(a, lo, len), 0.0, span)
                | S32 a, None ->
                    System.Numerics.Tensors.TensorPrimitives.Max(
                        System.ReadOnlySpan<float32>(a, lo, len),
                        0.0f,
                        System.Span<float32>(a, lo, len)
                    )
                | S64 a, None ->
                    System.Numerics.Tensors.TensorPrimitives.Max(
                        System.ReadOnlySpan<float>(a, lo, len),
                        0.0,
                        System.Span<float>(a, lo, len)
                    )
                | _ -> invalidArg "bias" (sprintf "conv: expected a bias of the input's dtype, got %A" bias.Value.Dtype)

                k <- k + 1)

        let inputs = Array.append [| input; weight |] (Option.toArray bias)

        Tensor.Make(
            y,
            out,
            "conv2dRelu",
            inputs,
            fun dy ->
                let masked = RawElementwise.leakyMask 0.0 y dy.Storage
                let grads = conv2dReverse modes s t input weight bias out masked
                // the masked adjoint is this rule's own scratch, dead once the convolution's reverse has run
                StoragePool.recycle masked
                grads
        )

    /// The transposed convolution (the adjoint of conv2d in its input, as in PyTorch): input [N; C; H; W],
    /// weight [C; O/groups; kh; kw], optional bias [O] → [N; O; Ho; Wo] with
    /// Ho = (H − 1)s − 2p + d(kh − 1) + outputPadding + 1. `outputPadding` (rows, columns) resolves the size
    /// ambiguity of strided convolutions.
    let convTranspose2d (cfg: Conv2dConfig) (outputPadding: int * int) (weight: Tensor) (bias: Tensor option) (input: Tensor) =
        let out =
            Shape.convTranspose2d input.ShapeRef weight.ShapeRef cfg.Stride cfg.Padding outputPadding cfg.Dilation cfg.Groups

        checkBias out[1] bias
        let s = transposeSpec cfg outputPadding input.ShapeRef weight.ShapeRef
        let t = threads ()
        let n = Shape.numel out

        let y =
            run2
                "convTranspose2d"
                n
                (call (fun x w y -> Kernels.ConvTranspose.forward t s x 0 w 0 y 0) (fun x w y ->
                    Kernels.ConvTranspose.forward t s x 0 w 0 y 0))
                input.Storage
                weight.Storage

        let plane = out[2] * out[3]
        bias |> Option.iter (fun b -> addBias out[0] out[1] plane y b.Storage)
        let inputs = Array.append [| input; weight |] (Option.toArray bias)

        Tensor.Make(
            y,
            out,
            "convTranspose2d",
            inputs,
            fun dy ->
                [|
                    if input.IsTracked then
                        let dx =
                            run2
                                "convTranspose2d"
                                input.Numel
                                (call (fun g w dx -> Kernels.ConvTranspose.backwardData t s g 0 w 0 dx 0) (fun g w dx ->
                                    Kernels.ConvTranspose.backwardData t s g 0 w 0 dx 0))
                                dy.Storage
                                weight.Storage

                        Tensor.Leaf(dx, input.ShapeRef)
                    else
                        null
                    if weight.IsTracked then
                        let dw =
                            run2
                                "convTranspose2d"
                                weight.Numel
                                (call (fun x g dw -> Kernels.ConvTranspose.backwardWeight t s x 0 g 0 dw 0) (fun x g dw ->
                                    Kernels.ConvTranspose.backwardWeight t s x 0 g 0 dw 0))
                                input.Storage
                                dy.Storage

                        Tensor.Leaf(dw, weight.ShapeRef)
                    else
                        null
                    if bias.IsSome then
                        Tensor.Leaf(channelSum out[0] out[1] plane dy.Storage, [| out[1] |])
                |]
        )
