namespace EquiSphere.Tensor

/// Differentiable 2D max and average pooling on [N; C; H; W]; kernel, stride and padding are (rows, columns).
[<RequireQualifiedAccess>]
module Pool =

    /// Window maxima: [N; C; H; W] → [N; C; Ho; Wo], Ho = ⌊(H + 2p − k)/s⌋ + 1; padding never wins. The adjoint
    /// flows to the (first) maximum of each window.
    let maxPool2d (kernel: int * int) (stride: int * int) (padding: int * int) (x: Tensor) =
        let out = Shape.pool2d x.ShapeRef kernel stride padding
        let planes, h, w = out[0] * out[1], x.ShapeRef[2], x.ShapeRef[3]
        let ho, wo = out[2], out[3]

        let y, arg =
            match x.Storage with
            | S32 a ->
                let v, i = RawPool.maxForward planes h w kernel stride padding ho wo a
                S32 v, i
            | S64 a ->
                let v, i = RawPool.maxForward planes h w kernel stride padding ho wo a
                S64 v, i

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            out,
            "maxPool2d",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a -> S32(RawPool.maxBackward planes h w ho wo arg a)
                    | S64 a -> S64(RawPool.maxBackward planes h w ho wo arg a)

                [| Tensor.Leaf(back, sh) |]
        )

    /// Window means (the divisor is the full window size kh·kw, padding counts as zeros).
    let avgPool2d (kernel: int * int) (stride: int * int) (padding: int * int) (x: Tensor) =
        let out = Shape.pool2d x.ShapeRef kernel stride padding
        let planes, h, w = out[0] * out[1], x.ShapeRef[2], x.ShapeRef[3]
        let ho, wo = out[2], out[3]

        let y =
            match x.Storage with
            | S32 a -> S32(RawPool.avgForward planes h w kernel stride padding ho wo float32 a)
            | S64 a -> S64(RawPool.avgForward planes h w kernel stride padding ho wo id a)

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            out,
            "avgPool2d",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a -> S32(RawPool.avgBackward planes h w kernel stride padding ho wo float32 a)
                    | S64 a -> S64(RawPool.avgBackward planes h w kernel stride padding ho wo id a)

                [| Tensor.Leaf(back, sh) |]
        )
