namespace EquiSphere.Tensor

/// Differentiable bilinear and bicubic resizing of the last two axes of [..; H; W] tensors, separable (rows,
/// then columns), with the boundary chosen per axis (`Wrap` for longitude). Law: the reverse rule is the
/// adjoint of the linear map.
[<RequireQualifiedAccess>]
module Upsample =

    let private axis (dim: int) (outer: int) (n: int) (inner: int) (m: int) taps (x: Tensor) =
        let y =
            match x.Storage with
            | S32 a -> S32(RawResample.apply outer n inner m taps float32 a)
            | S64 a -> S64(RawResample.apply outer n inner m taps id a)

        let shape = Array.copy x.ShapeRef
        shape[dim] <- m

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            shape,
            "resample",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a -> S32(RawResample.adjoint outer n inner m taps float32 a)
                    | S64 a -> S64(RawResample.adjoint outer n inner m taps id a)

                [| Tensor.Leaf(back, sh) |]
        )

    /// Resizes [..; H; W] to [..; outH; outW] with the interpolation `kind`; `rows` and `cols` choose the
    /// boundary of each axis.
    let resize (kind: Interpolation) (rows: Boundary) (cols: Boundary) (outH: int, outW: int) (x: Tensor) =
        if x.Rank < 2 then
            invalidArg "x" (sprintf "Expected a tensor of shape [..; H; W], got %s" (Shape.format x.ShapeRef))

        if outH < 1 || outW < 1 then
            invalidArg "size" (sprintf "Expected an output size >= 1, got (%d, %d)" outH outW)

        let r = x.Rank
        let h, w = x.ShapeRef[r - 2], x.ShapeRef[r - 1]
        let planes = Shape.numel x.ShapeRef[.. r - 3]
        let y = axis (r - 2) planes h w outH (RawResample.taps kind rows h outH) x
        axis (r - 1) (planes * outH) w 1 outW (RawResample.taps kind cols w outW) y

    /// Bilinear upsampling by an integer factor with clamped edges (PyTorch's bilinear, align_corners = false).
    let bilinear (factor: int) (x: Tensor) =
        if factor < 1 then
            invalidArg "factor" (sprintf "Expected a scale factor >= 1, got %d" factor)

        resize Bilinear Clamp Clamp (factor * x.ShapeRef[x.Rank - 2], factor * x.ShapeRef[x.Rank - 1]) x

    /// Bicubic upsampling by an integer factor with clamped edges (PyTorch's bicubic, align_corners = false).
    let bicubic (factor: int) (x: Tensor) =
        if factor < 1 then
            invalidArg "factor" (sprintf "Expected a scale factor >= 1, got %d" factor)

        resize Bicubic Clamp Clamp (factor * x.ShapeRef[x.Rank - 2], factor * x.ShapeRef[x.Rank - 1]) x
