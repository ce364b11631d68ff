namespace EquiSphere.Tensor

open System

/// Differentiable activations: ReLU, leaky ReLU, PReLU (learnable slope per channel), sigmoid, tanh,
/// softmax and log-softmax along an axis.
[<RequireQualifiedAccess>]
module Activation =

    /// max(x, 0); the adjoint passes where x > 0.
    let relu (x: Tensor) =
        let y =
            RawElementwise.unarySplit
                (fun a o i n -> Numerics.Tensors.TensorPrimitives.Max(ReadOnlySpan(a, i, n), 0.0f, Span(o, i, n)))
                (fun a o i n -> Numerics.Tensors.TensorPrimitives.Max(ReadOnlySpan(a, i, n), 0.0, Span(o, i, n)))
                x.Storage

        let sh = x.ShapeRef

        Tensor.Make(y, sh, "relu", [| x |], fun g -> [| Tensor.Leaf(RawElementwise.leakyMask 0.0 x.Storage g.Storage, sh) |])

    /// x for x > 0, slope·x otherwise.
    let leakyRelu (slope: float) (x: Tensor) =
        // x where x > 0, else slope·x: the same SIMD select as the adjoint, applied to x itself
        let y = RawElementwise.leakyMask slope x.Storage x.Storage

        let sh = x.ShapeRef

        Tensor.Make(y, sh, "leakyRelu", [| x |], fun g -> [| Tensor.Leaf(RawElementwise.leakyMask slope x.Storage g.Storage, sh) |])

    /// PReLU: x for x > 0, a[c]·x otherwise, with the learnable slope `a` of shape [C] (per channel of
    /// [N; C; ..]) or [1] (shared). Written as relu(x) + a·(x − relu(x)), so both adjoints come from the
    /// composed rules.
    let prelu (slope: Tensor) (x: Tensor) =
        let c = if x.Rank >= 2 then x.ShapeRef[1] else 1

        if slope.ShapeRef <> [| c |] && slope.ShapeRef <> [| 1 |] then
            invalidArg "slope" (sprintf "Expected a slope of shape [C=%d] or [1], got %s" c (Shape.format slope.ShapeRef))

        let bshape = Array.init x.Rank (fun i -> if i = 1 then slope.ShapeRef[0] else 1)
        let pos = relu x
        pos + Tensor.reshape bshape slope * (x - pos)

    /// 1/(1 + e⁻ˣ).
    let sigmoid (x: Tensor) = Tensor.sigmoid x

    /// tanh x.
    let tanh (x: Tensor) = Tensor.tanh x

    /// log Σ exp(x) along `dim` (kept as size 1), stabilized by the detached maximum.
    let logSumExp (dim: int) (x: Tensor) =
        let m = (Tensor.maxDims [| dim |] true x).Detach()
        m + Tensor.log (Tensor.sumDims [| dim |] true (Tensor.exp (x - m)))

    /// log softmax along `dim`: x − log Σ exp(x).
    let logSoftmax (dim: int) (x: Tensor) = x - logSumExp dim x

    /// softmax along `dim`: exp(x) / Σ exp(x); the values along `dim` sum to 1.
    let softmax (dim: int) (x: Tensor) = Tensor.exp (logSoftmax dim x)
