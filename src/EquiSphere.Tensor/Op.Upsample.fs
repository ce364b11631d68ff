namespace EquiSphere.Tensor

/// Differentiable bilinear and bicubic upsampling of the last two axes of [..; H; W] tensors by integer
/// factors (PyTorch's align_corners = false; edges clamped, or the width wrapped periodically for longitude).
/// Law: the reverse rule is the adjoint of the linear map.
[<RequireQualifiedAccess>]
module Upsample =

    /// Upsamples [..; H; W] to [..; factorH·H; factorW·W] with `mode`; `wrapWidth` makes the width periodic.
    let upsample (mode: UpsampleMode) (factorH: int, factorW: int) (wrapWidth: bool) (x: Tensor) =
        if x.Rank < 2 then
            invalidArg "x" (sprintf "Expected a tensor of shape [..; H; W], got %s" (Shape.format x.ShapeRef))

        if factorH < 1 || factorW < 1 then
            invalidArg "factor" (sprintf "Expected scale factors >= 1, got (%d, %d)" factorH factorW)

        let r = x.Rank

        let spec: Kernels.Upsample2dSpec =
            {
                Planes = Shape.numel x.ShapeRef[.. r - 3]
                Height = x.ShapeRef[r - 2]
                Width = x.ShapeRef[r - 1]
                FactorH = factorH
                FactorW = factorW
                Mode = mode
                WrapW = wrapWidth
            }

        let out = Array.append x.ShapeRef[.. r - 3] [| spec.OutHeight; spec.OutWidth |]
        let n = Shape.numel out

        let y =
            match x.Storage with
            | S32 a ->
                let y = Array.zeroCreate n
                Kernels.Upsample.forward spec a 0 y 0
                S32 y
            | S64 a ->
                let y = Array.zeroCreate n
                Kernels.Upsample.forward spec a 0 y 0
                S64 y

        let sh = x.ShapeRef

        Tensor.Make(
            y,
            out,
            "upsample",
            [| x |],
            fun g ->
                let back =
                    match g.Storage with
                    | S32 a ->
                        let dx = Array.zeroCreate x.Numel
                        Kernels.Upsample.backward spec a 0 dx 0
                        S32 dx
                    | S64 a ->
                        let dx = Array.zeroCreate x.Numel
                        Kernels.Upsample.backward spec a 0 dx 0
                        S64 dx

                [| Tensor.Leaf(back, sh) |]
        )

    /// Bilinear upsampling by an integer factor with clamped edges.
    let bilinear (factor: int) (x: Tensor) =
        upsample UpsampleMode.Bilinear (factor, factor) false x

    /// Bicubic upsampling by an integer factor with clamped edges (Keys, a = −0.75).
    let bicubic (factor: int) (x: Tensor) =
        upsample UpsampleMode.Bicubic (factor, factor) false x
