namespace EquiSphere.Tensor

/// Differentiable 2D max and average pooling on [N; C; H; W]; kernel, stride and padding are (rows, columns).
[<RequireQualifiedAccess>]
module Pool =

    let private spec (x: Tensor) (kh, kw) (sh, sw) (ph, pw) : Kernels.Pool2dSpec =
        {
            Planes = x.ShapeRef[0] * x.ShapeRef[1]
            Height = x.ShapeRef[2]
            Width = x.ShapeRef[3]
            KernelHeight = kh
            KernelWidth = kw
            StrideH = sh
            StrideW = sw
            PadH = ph
            PadW = pw
        }

    /// Window maxima: [N; C; H; W] → [N; C; Ho; Wo], Ho = ⌊(H + 2p − k)/s⌋ + 1; padding never wins. The adjoint
    /// flows to the (first) maximum of each window.
    let maxPool2d (kernel: int * int) (stride: int * int) (padding: int * int) (x: Tensor) =
        let out = Shape.pool2d x.ShapeRef kernel stride padding
        let s = spec x kernel stride padding
        let n = Shape.numel out
        let arg = StoragePool.rentIndices n

        let y =
            match x.Storage with
            | S32 a ->
                let y = StoragePool.rent32 n
                Kernels.Pool.maxForward s a 0 y 0 arg 0
                S32 y
            | S64 a ->
                let y = StoragePool.rent64 n
                Kernels.Pool.maxForward s a 0 y 0 arg 0
                S64 y

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            out,
            "maxPool2d",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a ->
                        let dx = StoragePool.rent32 x.Numel
                        Kernels.Pool.maxBackward s a 0 arg 0 dx 0
                        S32 dx
                    | S64 a ->
                        let dx = StoragePool.rent64 x.Numel
                        Kernels.Pool.maxBackward s a 0 arg 0 dx 0
                        S64 dx

                [| Tensor.Leaf(back, sh) |]
        )

    /// Window means; the divisor is the full window size kh·kw (padding counts as zeros, PyTorch's
    /// count_include_pad = true).
    let avgPool2d (kernel: int * int) (stride: int * int) (padding: int * int) (x: Tensor) =
        let out = Shape.pool2d x.ShapeRef kernel stride padding
        let s = spec x kernel stride padding
        let n = Shape.numel out

        let y =
            match x.Storage with
            | S32 a ->
                let y = StoragePool.rent32 n
                Kernels.Pool.avgForward s true a 0 y 0
                S32 y
            | S64 a ->
                let y = StoragePool.rent64 n
                Kernels.Pool.avgForward s true a 0 y 0
                S64 y

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            out,
            "avgPool2d",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a ->
                        let dx = StoragePool.rent32 x.Numel
                        Kernels.Pool.avgBackward s true a 0 dx 0
                        S32 dx
                    | S64 a ->
                        let dx = StoragePool.rent64 x.Numel
                        Kernels.Pool.avgBackward s true a 0 dx 0
                        S64 dx

                [| Tensor.Leaf(back, sh) |]
        )
