namespace EquiSphere.Tensor

/// Differentiable losses, each returning a rank-0 tensor (mean over elements unless stated otherwise).
[<RequireQualifiedAccess>]
module Loss =

    let private same (what: string) (a: Tensor) (b: Tensor) = Shape.same what a.ShapeRef b.ShapeRef

    /// Mean squared error: mean((prediction − target)²).
    let mse (prediction: Tensor) (target: Tensor) =
        same "target" prediction target
        let d = prediction - target
        Tensor.mean (d * d)

    /// Per-element Huber of d = prediction − target: ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond (continuous with a
    /// continuous derivative at |d| = δ).
    let huberElements (delta: float) (prediction: Tensor) (target: Tensor) =
        if not (delta > 0.0) then
            invalidArg "delta" (sprintf "Expected δ > 0, got %g" delta)

        same "target" prediction target
        let ad = Tensor.abs (prediction - target)

        let q =
            Tensor.where (Tensor.le ad (Tensor.scalar ad.Dtype delta)) ad (Tensor.full ad.Dtype [||] delta)

        0.5 * q * q + delta * (ad - q)

    /// Huber loss with threshold δ, mean over elements.
    let huber (delta: float) (prediction: Tensor) (target: Tensor) =
        Tensor.mean (huberElements delta prediction target)

    /// Huber loss with threshold δ and per-element weights (broadcast to the prediction), mean over elements:
    /// mean(w ⊙ huber(d)).
    let huberWeighted (delta: float) (weights: Tensor) (prediction: Tensor) (target: Tensor) =
        Shape.expandable weights.ShapeRef prediction.ShapeRef
        Tensor.mean (huberElements delta prediction target * weights)

    /// Cross-entropy of logits [N; K] against class indices (N values in [0, K)), mean over the batch:
    /// mean_n(log Σ_k e^{x_nk} − x_{n,t_n}).
    let crossEntropy (targets: int[]) (logits: Tensor) =
        if logits.Rank <> 2 then
            invalidArg "logits" (sprintf "Expected logits of shape [N; K], got %s" (Shape.format logits.ShapeRef))

        if isNull targets || targets.Length <> logits.ShapeRef[0] then
            invalidArg
                "targets"
                (sprintf "Expected %d class indices, got %d" logits.ShapeRef[0] (if isNull targets then 0 else targets.Length))

        let logp = Activation.logSoftmax 1 logits
        -(Tensor.mean (Tensor.gather 1 [| targets.Length; 1 |] targets logp))

    /// Cosine similarity ⟨a, b⟩/(|a||b|) along `dim` (that axis removed); `eps` guards zero norms.
    let cosineSimilarity (dim: int) (eps: float) (a: Tensor) (b: Tensor) =
        same "b" a b
        let dot = Tensor.sumDims [| dim |] false (a * b)
        let na = Tensor.sqrt (Tensor.sumDims [| dim |] false (a * a) + eps * eps)
        let nb = Tensor.sqrt (Tensor.sumDims [| dim |] false (b * b) + eps * eps)
        dot / (na * nb)

    /// Cosine loss: mean(1 − cos(a, b)) along `dim`.
    let cosine (dim: int) (a: Tensor) (b: Tensor) =
        Tensor.mean (1.0 - cosineSimilarity dim 1e-8 a b)
