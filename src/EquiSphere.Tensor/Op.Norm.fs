namespace EquiSphere.Tensor

/// Differentiable batch normalization over [N; C; ..] tensors (statistics per channel over the batch and all
/// spatial axes), with running statistics for evaluation.
[<RequireQualifiedAccess>]
module Norm =

    open System

    let private floats (t: Tensor) = t.ToArray()

    /// Checks the operands, computes the statistics (updating the running ones in training mode) and returns
    /// (n, c, p, γ, mean, 1/√(var + ε), scale = γ/√(var + ε), shift = β − mean·scale), all per channel in float64.
    let private prepare
        (training: bool)
        (momentum: float)
        (eps: float)
        (runningMean: Tensor)
        (runningVar: Tensor)
        (weight: Tensor option)
        (bias: Tensor option)
        (x: Tensor)
        =
        if x.Rank < 2 then
            invalidArg "x" (sprintf "Expected an input of shape [N; C; ..], got %s" (Shape.format x.ShapeRef))

        let n, c = x.ShapeRef[0], x.ShapeRef[1]
        let p = Shape.numel x.ShapeRef[2..]

        for name, t in
            [
                "runningMean", Some runningMean
                "runningVar", Some runningVar
                "weight", weight
                "bias", bias
            ] do
            match t with
            | Some t when t.ShapeRef <> [| c |] || t.Dtype <> x.Dtype ->
                invalidArg
                    name
                    (sprintf "Expected %s of shape [C=%d] and dtype %A, got %s %A" name c x.Dtype (Shape.format t.ShapeRef) t.Dtype)
            | _ -> ()

        if training && n * p < 2 then
            invalidArg "x" (sprintf "Expected more than one value per channel in training mode, got %s" (Shape.format x.ShapeRef))

        let gamma = weight |> Option.map floats |> Option.defaultValue (Array.create c 1.0)
        let beta = bias |> Option.map floats |> Option.defaultValue (Array.zeroCreate c)

        let mean, var =
            if training then
                let mean, var =
                    match x.Storage with
                    | S32 a -> RawNorm.stats32 n c p a
                    | S64 a -> RawNorm.stats n c p a

                let corr = float (n * p) / float (n * p - 1)

                match runningMean.Storage, runningVar.Storage with
                | S32 rm, S32 rv ->
                    for i in 0 .. c - 1 do
                        rm[i] <- float32 ((1.0 - momentum) * float rm[i] + momentum * mean[i])
                        rv[i] <- float32 ((1.0 - momentum) * float rv[i] + momentum * var[i] * corr)
                | S64 rm, S64 rv ->
                    for i in 0 .. c - 1 do
                        rm[i] <- (1.0 - momentum) * rm[i] + momentum * mean[i]
                        rv[i] <- (1.0 - momentum) * rv[i] + momentum * var[i] * corr
                | _ -> ()

                mean, var
            else
                floats runningMean, floats runningVar

        let invStd = var |> Array.map (fun v -> 1.0 / sqrt (v + eps))
        let scale = Array.init c (fun i -> gamma[i] * invStd[i])
        let shift = Array.init c (fun i -> beta[i] - mean[i] * scale[i])
        n, c, p, gamma, mean, invStd, scale, shift

    /// The adjoints [dx; dγ; dβ] (dγ, dβ only for the operands given) from dx and the channel sums Σg·x̂, Σg.
    let private adjoints (x: Tensor) (weight: Tensor option) (bias: Tensor option) (c: int) dx (sg: float[]) (sgx: float[]) =
        Array.concat
            [
                [| dx |]
                (if weight.IsSome then
                     [| Tensor.Leaf(Storage.ofFloats x.Dtype sgx, [| c |]) |]
                 else
                     [||])
                (if bias.IsSome then
                     [| Tensor.Leaf(Storage.ofFloats x.Dtype sg, [| c |]) |]
                 else
                     [||])
            ]

    /// Batch norm. In training mode normalizes with the batch mean and biased variance, and updates
    /// `runningMean`/`runningVar` in place: r ← (1 − momentum)·r + momentum·batch (the variance with Bessel's
    /// correction, as PyTorch). In evaluation mode normalizes with the running statistics. Then y = x̂·γ + β
    /// when `weight` γ and `bias` β ([C]) are given. Running statistics are [C] tensors of x's dtype.
    let batchNorm
        (training: bool)
        (momentum: float)
        (eps: float)
        (runningMean: Tensor)
        (runningVar: Tensor)
        (weight: Tensor option)
        (bias: Tensor option)
        (x: Tensor)
        =
        let n, c, p, gamma, mean, invStd, scale, shift =
            prepare training momentum eps runningMean runningVar weight bias x

        let y =
            match x.Storage with
            | S32 a -> S32(RawNorm.affine32 n c p scale shift a)
            | S64 a -> S64(RawNorm.affine n c p scale shift id a)

        let inputs = Array.concat [ [| x |]; Option.toArray weight; Option.toArray bias ]

        Tensor.Make(
            y,
            x.ShapeRef,
            "batchNorm",
            inputs,
            fun g ->
                let sg, sgx =
                    match x.Storage, g.Storage with
                    | S32 a, S32 b -> RawNorm.reduceGrad32 n c p mean invStd a b
                    | S64 a, S64 b -> RawNorm.reduceGrad n c p mean invStd a b
                    | _ -> invalidOp "batchNorm: dtype mismatch"

                let dx =
                    if not x.IsTracked then
                        null
                    elif training then
                        let s =
                            match x.Storage, g.Storage with
                            | S32 a, S32 b -> S32(RawNorm.trainBackward32 n c p mean invStd gamma sg sgx a b)
                            | S64 a, S64 b -> S64(RawNorm.trainBackward n c p mean invStd gamma sg sgx id a b)
                            | _ -> invalidOp "batchNorm: dtype mismatch"

                        Tensor.Leaf(s, x.ShapeRef)
                    else
                        let s =
                            match g.Storage with
                            | S32 b -> S32(RawNorm.affine32 n c p scale (Array.zeroCreate c) b)
                            | S64 b -> S64(RawNorm.affine n c p scale (Array.zeroCreate c) id b)

                        Tensor.Leaf(s, x.ShapeRef)

                adjoints x weight bias c dx sg sgx
        )

    /// ReLU of `batchNorm` as one op (the pre-activation of a residual block): the same arguments, values and
    /// gradients bit for bit as `Activation.relu (batchNorm training momentum eps runningMean runningVar weight
    /// bias x)`, the running statistics updated the same way, but without the intermediate tensor: in float32 the
    /// normalization and the max share one pass over each plane, and the reverse rule masks the adjoint where
    /// the output is 0 in registers while it forms the channel sums and dx (no masked temporary).
    let batchNormRelu
        (training: bool)
        (momentum: float)
        (eps: float)
        (runningMean: Tensor)
        (runningVar: Tensor)
        (weight: Tensor option)
        (bias: Tensor option)
        (x: Tensor)
        =
        let n, c, p, gamma, mean, invStd, scale, shift =
            prepare training momentum eps runningMean runningVar weight bias x

        let y =
            match x.Storage with
            | S32 a -> S32(RawNorm.affineRelu32 n c p scale shift a)
            | S64 a ->
                let z = RawNorm.affine n c p scale shift id a
                Numerics.Tensors.TensorPrimitives.Max(ReadOnlySpan z, 0.0, Span z)
                S64 z

        let inputs = Array.concat [ [| x |]; Option.toArray weight; Option.toArray bias ]

        Tensor.Make(
            y,
            x.ShapeRef,
            "batchNormRelu",
            inputs,
            fun g ->
                match x.Storage, y, g.Storage with
                | S32 a, S32 yv, S32 b ->
                    let sg, sgx, dx =
                        RawNorm.reluBackward32 training x.IsTracked n c p mean invStd gamma scale a yv b

                    adjoints x weight bias c (if isNull dx then null else Tensor.Leaf(S32 dx, x.ShapeRef)) sg sgx
                | S64 a, S64 yv, S64 b ->
                    let gm =
                        match RawElementwise.leakyMask 0.0 (S64 yv) (S64 b) with
                        | S64 gm -> gm
                        | _ -> invalidOp "batchNormRelu: dtype mismatch"

                    let sg, sgx = RawNorm.reduceGrad n c p mean invStd a gm

                    let dx =
                        if not x.IsTracked then
                            null
                        elif training then
                            Tensor.Leaf(S64(RawNorm.trainBackward n c p mean invStd gamma sg sgx id a gm), x.ShapeRef)
                        else
                            Tensor.Leaf(S64(RawNorm.affine n c p scale (Array.zeroCreate c) id gm), x.ShapeRef)

                    adjoints x weight bias c dx sg sgx
                | _ -> invalidOp "batchNormRelu: dtype mismatch"
        )
