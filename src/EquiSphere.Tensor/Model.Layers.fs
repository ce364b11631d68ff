namespace EquiSphere.Tensor

open System

/// Fully connected layer y = x·Wᵀ + b: weight [out; in] (Kaiming-uniform with gain 1/√3 like PyTorch's
/// default, i.e. U(−1/√in, 1/√in)), bias [out] from the same bound. Input [..; in] → [..; out].
[<Sealed>]
type Linear(inFeatures: int, outFeatures: int, rng: Random, ?bias: bool, ?dtype: Dtype) as this =
    inherit Model()
    let dtype = defaultArg dtype Float32
    let bound = 1.0 / sqrt (float inFeatures)

    let weight =
        this.AddParameter("weight", Tensor.uniform dtype [| outFeatures; inFeatures |] -bound bound rng)

    let b =
        if defaultArg bias true then
            Some(this.AddParameter("bias", Tensor.uniform dtype [| outFeatures |] -bound bound rng))
        else
            None

    /// The weight [out; in].
    member _.Weight = weight
    /// The bias [out], if any.
    member _.Bias = b

    /// x·Wᵀ + b.
    override _.Forward(x) =
        let y = Tensor.matmul x (Tensor.transpose 0 1 weight)

        match b with
        | Some b -> y + b
        | None -> y

/// 2D convolution layer: weight [out; in/groups; k; k] (Kaiming normal), optional bias [out] (zeros),
/// "same"-style padding `padding` filled by `rowMode`/`colMode`, fused into the convolution for every mode
/// (`Conv.conv2dPadded` for reflect and circular).
[<Sealed>]
type Conv2d
    (
        inChannels: int,
        outChannels: int,
        kernel: int,
        rng: Random,
        ?stride: int,
        ?padding: int,
        ?rowMode: PadMode,
        ?colMode: PadMode,
        ?bias: bool,
        ?groups: int,
        ?dilation: int,
        ?dtype: Dtype
    ) as this =
    inherit Model()
    let dtype = defaultArg dtype Float32
    let groups = defaultArg groups 1
    let stride = defaultArg stride 1
    let padding = defaultArg padding 0
    let dilation = defaultArg dilation 1
    let rowMode = defaultArg rowMode PadMode.Zeros
    let colMode = defaultArg colMode PadMode.Zeros

    let weight =
        this.AddParameter("weight", Init.kaimingNormal dtype [| outChannels; inChannels / groups; kernel; kernel |] rng)

    let b =
        if defaultArg bias true then
            Some(this.AddParameter("bias", Tensor.zeros dtype [| outChannels |]))
        else
            None

    let fused = rowMode = PadMode.Zeros && colMode = PadMode.Zeros

    let cfg =
        {
            Stride = (stride, stride)
            Padding = (if fused then (padding, padding) else (0, 0))
            Dilation = (dilation, dilation)
            Groups = groups
        }

    /// The weight [out; in/groups; k; k].
    member _.Weight = weight
    /// The bias [out], if any.
    member _.Bias = b

    member private _.Padded(x: Tensor) =
        if fused || padding = 0 then
            x
        else
            Pad.pad2d (rowMode, padding, padding) (colMode, padding, padding) x

    /// Convolves with the padding filled by the modes (`Conv.conv2dPadded`, no padded tensor; zeros:
    /// `Conv.conv2d`).
    override _.Forward(x) =
        if fused || padding = 0 then
            Conv.conv2d cfg weight b x
        else
            Conv.conv2dPadded
                (rowMode, colMode)
                { cfg with
                    Padding = (padding, padding)
                }
                weight
                b
                x

    /// Forward x + residual as one op (`Conv.conv2dPaddedAdd`: the residual is added into the convolution's
    /// output buffer, no tensor for the sum): the same values and gradients bit for bit as `c.Forward x +
    /// residual`. The residual has the output's shape and dtype.
    member _.ForwardAdd(x: Tensor, residual: Tensor) =
        Conv.conv2dPaddedAdd
            (if fused || padding = 0 then
                 PadMode.Zeros, PadMode.Zeros
             else
                 rowMode, colMode)
            { cfg with
                Padding = (padding, padding)
            }
            weight
            b
            residual
            x

    /// ReLU(Forward x) as one fused op (`Conv.conv2dRelu`, after an explicit `Pad.pad2d` for reflect or
    /// circular padding): the same values and gradients bit for bit, without a separate ReLU pass and tensor.
    member c.ForwardRelu(x: Tensor) =
        Conv.conv2dRelu cfg weight b (c.Padded x)

/// Transposed 2D convolution layer: weight [in; out/groups; k; k] (Kaiming normal), optional bias [out].
/// Output size (H − 1)·stride − 2·padding + k + outputPadding.
[<Sealed>]
type ConvTranspose2d
    (
        inChannels: int,
        outChannels: int,
        kernel: int,
        rng: Random,
        ?stride: int,
        ?padding: int,
        ?outputPadding: int,
        ?bias: bool,
        ?dtype: Dtype
    ) as this =
    inherit Model()
    let dtype = defaultArg dtype Float32
    let stride = defaultArg stride 1
    let padding = defaultArg padding 0
    let op = defaultArg outputPadding 0

    let weight =
        this.AddParameter("weight", Init.kaimingNormal dtype [| inChannels; outChannels; kernel; kernel |] rng)

    let b =
        if defaultArg bias true then
            Some(this.AddParameter("bias", Tensor.zeros dtype [| outChannels |]))
        else
            None

    let cfg =
        {
            Stride = (stride, stride)
            Padding = (padding, padding)
            Dilation = (1, 1)
            Groups = 1
        }

    /// The weight [in; out; k; k].
    member _.Weight = weight

    /// The transposed convolution.
    override _.Forward(x) =
        Conv.convTranspose2d cfg (op, op) weight b x

/// Batch normalization over channels of [N; C; ..] with running statistics (buffers "runningMean",
/// "runningVar") and, when `affine`, a learnable scale "weight" (ones) and shift "bias" (zeros).
[<Sealed>]
type BatchNorm2d(channels: int, ?affine: bool, ?momentum: float, ?eps: float, ?dtype: Dtype) as this =
    inherit Model()
    let dtype = defaultArg dtype Float32
    let momentum = defaultArg momentum 0.1
    let eps = defaultArg eps 1e-5
    let affine = defaultArg affine true
    let runningMean = this.AddBuffer("runningMean", Tensor.zeros dtype [| channels |])
    let runningVar = this.AddBuffer("runningVar", Tensor.ones dtype [| channels |])

    let weight =
        if affine then
            Some(this.AddParameter("weight", Tensor.ones dtype [| channels |]))
        else
            None

    let bias =
        if affine then
            Some(this.AddParameter("bias", Tensor.zeros dtype [| channels |]))
        else
            None

    /// The running mean [C].
    member _.RunningMean = runningMean
    /// The running (unbiased) variance [C].
    member _.RunningVar = runningVar

    /// Batch statistics in training mode, running statistics in evaluation mode.
    override m.Forward(x) =
        Norm.batchNorm m.Training momentum eps runningMean runningVar weight bias x

    /// ReLU(Forward x) as one fused op (`Norm.batchNormRelu`): the same values, gradients and running-statistic
    /// updates bit for bit, without a separate ReLU pass and tensor.
    member m.ForwardRelu(x: Tensor) =
        Norm.batchNormRelu m.Training momentum eps runningMean runningVar weight bias x

/// PReLU with a learnable slope per channel (or one shared slope when channels = 1), initialized to `init`.
[<Sealed>]
type PReLU(channels: int, ?init: float, ?dtype: Dtype) as this =
    inherit Model()
    let dtype = defaultArg dtype Float32

    let slope =
        this.AddParameter("weight", Tensor.full dtype [| channels |] (defaultArg init 0.25))

    /// The slope [C].
    member _.Slope = slope

    /// x for x > 0, slope·x otherwise.
    override _.Forward(x) = Activation.prelu slope x

/// Pre-activation residual block (He et al. 2016, "Identity Mappings"): h = BN → ReLU → conv3×3(stride) → BN →
/// ReLU → conv3×3; output h + skip, where skip is x, or a 1×1 strided conv of the pre-activated x when the
/// stride or channel count changes. Convolutions pad by 1 with `padMode` on both axes. Each BN → ReLU is one
/// fused op (`BatchNorm2d.ForwardRelu`).
[<Sealed>]
type PreActBlock(inChannels: int, outChannels: int, stride: int, rng: Random, ?padMode: PadMode, ?dtype: Dtype) as this =
    inherit Model()
    let dtype = defaultArg dtype Float32
    let mode = defaultArg padMode PadMode.Zeros
    let bn1 = this.AddChild("bn1", BatchNorm2d(inChannels, dtype = dtype))

    let conv1 =
        this.AddChild(
            "conv1",
            Conv2d(
                inChannels,
                outChannels,
                3,
                rng,
                stride = stride,
                padding = 1,
                rowMode = mode,
                colMode = mode,
                bias = false,
                dtype = dtype
            )
        )

    let bn2 = this.AddChild("bn2", BatchNorm2d(outChannels, dtype = dtype))

    let conv2 =
        this.AddChild(
            "conv2",
            Conv2d(outChannels, outChannels, 3, rng, padding = 1, rowMode = mode, colMode = mode, bias = false, dtype = dtype)
        )

    let shortcut =
        if stride <> 1 || inChannels <> outChannels then
            Some(this.AddChild("shortcut", Conv2d(inChannels, outChannels, 1, rng, stride = stride, bias = false, dtype = dtype)))
        else
            None

    /// h(x) + skip(x), the sum added into the second convolution's output (`Conv2d.ForwardAdd`).
    override _.Forward(x) =
        let a = bn1.ForwardRelu x

        let skip =
            match shortcut with
            | Some s -> s.Forward a
            | None -> x

        conv2.ForwardAdd(bn2.ForwardRelu(conv1.Forward a), skip)
