namespace EquiSphere.Tensor.Kernels

/// The geometry of a 2D transposed convolution (PyTorch's conv_transpose2d) on NCHW arrays: input x
/// [Batch, InChannels, Height, Width], weight w [InChannels, OutChannels/Groups, KernelHeight, KernelWidth], output
/// y [Batch, OutChannels, OutHeight, OutWidth] with OutHeight = (H − 1)·StrideH − 2·PadH + DilationH·(KH − 1) +
/// OutputPadH + 1 (likewise the width). It is the adjoint of the convolution `ConvTranspose.toConv` describes.
type ConvTranspose2dSpec =
    {
        /// N: images in the batch.
        Batch: int
        /// Input channels (a multiple of Groups).
        InChannels: int
        /// Output channels (a multiple of Groups).
        OutChannels: int
        /// Input height H.
        Height: int
        /// Input width W.
        Width: int
        /// Kernel height KH.
        KernelHeight: int
        /// Kernel width KW.
        KernelWidth: int
        /// Vertical stride (≥ 1).
        StrideH: int
        /// Horizontal stride (≥ 1).
        StrideW: int
        /// Rows cropped from each side of the full output (≥ 0), as PyTorch's `padding`.
        PadH: int
        /// Columns cropped from each side of the full output (≥ 0).
        PadW: int
        /// Extra rows at the bottom of the output (0 ≤ OutputPadH < StrideH), as PyTorch's `output_padding`.
        OutputPadH: int
        /// Extra columns at the right of the output (0 ≤ OutputPadW < StrideW).
        OutputPadW: int
        /// Vertical dilation (≥ 1).
        DilationH: int
        /// Horizontal dilation (≥ 1).
        DilationW: int
        /// Channel groups.
        Groups: int
    }

    /// Output height (H − 1)·StrideH − 2·PadH + DilationH·(KH − 1) + OutputPadH + 1.
    member s.OutHeight =
        (s.Height - 1) * s.StrideH - 2 * s.PadH
        + s.DilationH * (s.KernelHeight - 1)
        + s.OutputPadH
        + 1

    /// Output width (W − 1)·StrideW − 2·PadW + DilationW·(KW − 1) + OutputPadW + 1.
    member s.OutWidth =
        (s.Width - 1) * s.StrideW - 2 * s.PadW
        + s.DilationW * (s.KernelWidth - 1)
        + s.OutputPadW
        + 1

/// 2D transposed convolution on NCHW float32[] or float[] arrays, as the adjoint of a convolution:
/// forward = Conv.backwardData, backwardData = Conv.forward and backwardWeight = Conv.backwardWeight with the
/// roles of input and output exchanged, on the spec `toConv`. Laws: ⟨forward(x, w), y⟩ = ⟨x, backwardData(y, w)⟩
/// = ⟨w, backwardWeight(x, y)⟩, and forward(x, w) = Conv.backwardData(x, w) on `toConv`. Outputs are overwritten.
[<RequireQualifiedAccess>]
module ConvTranspose =

    /// A transposed-convolution spec with stride 1, no padding or output padding, dilation 1 and one group.
    let spec (batch: int) (inChannels: int) (outChannels: int) (height: int, width: int) (kernelHeight: int, kernelWidth: int) =
        {
            Batch = batch
            InChannels = inChannels
            OutChannels = outChannels
            Height = height
            Width = width
            KernelHeight = kernelHeight
            KernelWidth = kernelWidth
            StrideH = 1
            StrideW = 1
            PadH = 0
            PadW = 0
            OutputPadH = 0
            OutputPadW = 0
            DilationH = 1
            DilationW = 1
            Groups = 1
        }

    /// The convolution whose adjoint this is: it maps [N, OutChannels, OutHeight, OutWidth] to
    /// [N, InChannels, Height, Width] with the same kernel, stride, padding, dilation and groups; its weight layout
    /// [InChannels, OutChannels/Groups, KH, KW] is this spec's. Validates the spec (0 ≤ OutputPad < Stride).
    let toConv (s: ConvTranspose2dSpec) : Conv2dSpec =
        KernelCheck.nonNegative "OutputPadH" s.OutputPadH
        KernelCheck.nonNegative "OutputPadW" s.OutputPadW
        KernelCheck.positive "StrideH" s.StrideH
        KernelCheck.positive "StrideW" s.StrideW

        if s.OutputPadH >= s.StrideH then
            invalidArg "OutputPadH" (sprintf "Expected OutputPadH < StrideH = %d, got %d" s.StrideH s.OutputPadH)

        if s.OutputPadW >= s.StrideW then
            invalidArg "OutputPadW" (sprintf "Expected OutputPadW < StrideW = %d, got %d" s.StrideW s.OutputPadW)

        KernelCheck.positive "Height" s.Height
        KernelCheck.positive "Width" s.Width
        KernelCheck.positive "KernelHeight" s.KernelHeight
        KernelCheck.positive "KernelWidth" s.KernelWidth
        KernelCheck.positive "DilationH" s.DilationH
        KernelCheck.positive "DilationW" s.DilationW

        if s.OutHeight < 1 || s.OutWidth < 1 then
            invalidArg
                "PadH"
                (sprintf
                    "Expected a positive output size, got %d × %d (padding %d × %d crops more than the full output)"
                    s.OutHeight
                    s.OutWidth
                    s.PadH
                    s.PadW)

        let c =
            {
                Batch = s.Batch
                InChannels = s.OutChannels
                OutChannels = s.InChannels
                Height = s.OutHeight
                Width = s.OutWidth
                KernelHeight = s.KernelHeight
                KernelWidth = s.KernelWidth
                StrideH = s.StrideH
                StrideW = s.StrideW
                PadH = s.PadH
                PadW = s.PadW
                DilationH = s.DilationH
                DilationW = s.DilationW
                Groups = s.Groups
            }

        Conv.validate c
        c

    /// y ← convTranspose(x, w): x [N, Cin, H, W] at xOff, w [Cin, Cout/G, KH, KW] at wOff, y
    /// [N, Cout, OH, OW] at yOff (overwritten).
    let forward (threads: int) (s: ConvTranspose2dSpec) (x: 'T[]) (xOff: int) (w: 'T[]) (wOff: int) (y: 'T[]) (yOff: int) =
        Conv.backwardData threads (toConv s) x xOff w wOff y yOff

    /// dx ← the adjoint of `forward` in x (the input gradient), a convolution of dy [N, Cout, OH, OW] with w.
    let backwardData (threads: int) (s: ConvTranspose2dSpec) (dy: 'T[]) (dyOff: int) (w: 'T[]) (wOff: int) (dx: 'T[]) (dxOff: int) =
        Conv.forward threads (toConv s) dy dyOff w wOff dx dxOff

    /// dw ← the adjoint of `forward` in w (the weight gradient) from x [N, Cin, H, W] and dy [N, Cout, OH, OW];
    /// deterministic for a fixed thread count.
    let backwardWeight (threads: int) (s: ConvTranspose2dSpec) (x: 'T[]) (xOff: int) (dy: 'T[]) (dyOff: int) (dw: 'T[]) (dwOff: int) =
        Conv.backwardWeight threads (toConv s) dy dyOff x xOff dw dwOff
