namespace EquiSphere.Tensor

open System

/// A gradient-based optimizer over named parameters: `Step` updates every parameter that has a gradient, in
/// place; `State` lists its named state tensors (for checkpoints) and `LoadState` restores them.
[<AbstractClass>]
type Optimizer(parameters: (string * Tensor)[], learningRate: float) =
    let mutable lr = learningRate
    let mutable steps = 0L

    static let chunk = 4096

    static let load (s: Storage) (offset: int) (count: int) (dst: float[]) =
        match s with
        | S32 a ->
            for j in 0 .. count - 1 do
                dst[j] <- float a[offset + j]
        | S64 a -> Array.blit a offset dst 0 count

    static let store (src: float[]) (offset: int) (count: int) (s: Storage) =
        match s with
        | S32 a ->
            for j in 0 .. count - 1 do
                a[offset + j] <- float32 src[j]
        | S64 a -> Array.blit src 0 a offset count

    do
        if isNull parameters then
            nullArg "parameters"

        if not (learningRate >= 0.0) then
            invalidArg "learningRate" (sprintf "Expected a learning rate >= 0, got %g" learningRate)

    /// The parameters with their names.
    member _.Parameters = parameters

    /// The current learning rate (set it from a schedule between steps).
    member _.LearningRate
        with get () = lr
        and set (v: float) =
            if not (v >= 0.0) then
                invalidArg "LearningRate" (sprintf "Expected a learning rate >= 0, got %g" v)

            lr <- v

    /// Number of steps taken.
    member _.StepCount
        with get () = steps
        and set (v: int64) = steps <- v

    /// Updates elements [offset, offset + count) of parameter `index` from its gradient at step t ≥ 1: `p` and
    /// `g` hold those elements (as float64) at [0, count); the new values are written back into `p`.
    abstract Update: index: int * offset: int * p: float[] * g: float[] * count: int * t: int64 -> unit

    /// Named state tensors (momentum buffers, moments), names "<parameter>.<slot>"; they share the optimizer's
    /// buffers, so writing into them restores the state.
    abstract State: (string * Tensor)[]

    /// The update of elements [offset, offset + count) of float32 parameter `index` in place, straight on the
    /// parameter and gradient arrays, giving exactly what `Update` gives on the widened values (the same float64
    /// operations, one rounding to float32 per element); false when the optimizer has no such path (then `Step`
    /// goes through `Update`).
    abstract UpdateSingle: index: int * offset: int * p: float32[] * g: float32[] * count: int * t: int64 -> bool

    default _.UpdateSingle(_, _, _, _, _, _) = false

    /// Clears the gradients of all parameters and hands the arrays that `Backward` made for them back to the
    /// storage pool, so the next backward pass writes its gradients there instead of into fresh memory (as
    /// PyTorch's `zero_grad` frees them to its caching allocator). Contract: a gradient tensor read before
    /// `ZeroGrad` must not be used after it (copy what you keep, e.g. with `Tensor.toArray`); a gradient set
    /// by hand through `Grad` is never recycled while it is reachable.
    member _.ZeroGrad() =
        for _, p in parameters do
            p.ReleaseGrad()

    /// One update of every parameter with a gradient, parameters in parallel (each element's update is
    /// independent, so the result does not depend on the thread count); the arithmetic runs in float64, on
    /// chunks of 4096 elements stored back in the parameter's dtype, or for float32 parameters through
    /// `UpdateSingle` where the optimizer has it (the same values).
    member o.Step() =
        steps <- steps + 1L
        let t = steps

        // one pair of float64 chunk buffers per worker, not per parameter
        Threading.Tasks.Parallel.For(
            0,
            parameters.Length,
            (fun () -> struct (Array.zeroCreate<float> chunk, Array.zeroCreate<float> chunk)),
            (fun i _ (struct (pv: float[], gv: float[]) as buffers) ->
                let p = snd parameters[i]

                let direct =
                    not (isNull p.Grad)
                    && (match p.Storage, p.Grad.Storage with
                        | S32 pa, S32 ga -> o.UpdateSingle(i, 0, pa, ga, p.Numel, t)
                        | _ -> false)

                if not (isNull p.Grad) && not direct then
                    let mutable offset = 0

                    while offset < p.Numel do
                        let count = min chunk (p.Numel - offset)
                        load p.Storage offset count pv
                        load p.Grad.Storage offset count gv
                        o.Update(i, offset, pv, gv, count, t)
                        store pv offset count p.Storage
                        offset <- offset + count

                buffers),
            (fun _ -> ())
        )
        |> ignore

    /// Restores state saved from `State` (same names and shapes); throws naming a missing or mismatched tensor.
    member o.LoadState(state: (string * Tensor)[]) =
        let given = dict state

        for name, t in o.State do
            match given.TryGetValue name with
            | true, v ->
                Shape.same name t.ShapeRef v.ShapeRef

                match t.Storage, Storage.convert t.Dtype v.Storage with
                | S32 dst, S32 src -> Array.blit src 0 dst 0 dst.Length
                | S64 dst, S64 src -> Array.blit src 0 dst 0 dst.Length
                | _ -> ()
            | _ -> invalidArg "state" (sprintf "Expected optimizer state '%s' of shape %s, it is missing" name (Shape.format t.ShapeRef))

/// Stochastic gradient descent (PyTorch's form): g ← ∇ + λp; with momentum μ, b ← μb + g (b = g on the first
/// step) and the update uses b (or g + μb with Nesterov); p ← p − η·update.
[<Sealed>]
type SGD(parameters: (string * Tensor)[], learningRate: float, ?momentum: float, ?weightDecay: float, ?nesterov: bool) =
    inherit Optimizer(parameters, learningRate)
    let mu = defaultArg momentum 0.0
    let wd = defaultArg weightDecay 0.0
    let nesterov = defaultArg nesterov false

    let buffers =
        parameters |> Array.map (fun (_, p) -> Array.zeroCreate<float> p.Numel)

    /// The momentum buffers as "<parameter>.momentum" (float64, shared; empty without momentum).
    override _.State =
        if mu = 0.0 then
            [||]
        else
            parameters
            |> Array.mapi (fun i (n, p) -> n + ".momentum", Tensor.ofStorage p.Shape (S64 buffers[i]))

    /// One SGD update of parameter `index`.
    override o.Update(index, offset, p, g, count, _) =
        let lr = o.LearningRate
        let b = buffers[index]

        for j in 0 .. count - 1 do
            let gj = g[j] + wd * p[j]
            let k = offset + j

            let d =
                if mu = 0.0 then
                    gj
                else
                    // the buffer starts at zero, so the first step gives b = g as in PyTorch
                    b[k] <- mu * b[k] + gj
                    if nesterov then gj + mu * b[k] else b[k]

            p[j] <- p[j] - lr * d

    /// `Update` on float32 arrays with SIMD: each vector of float32 values is widened to float64, updated with the
    /// operations of `Update` in the same order (no fused multiply-adds), and narrowed once.
    override o.UpdateSingle(index, offset, p, g, count, _) =
        let lr = o.LearningRate
        let b = buffers[index]
        let w = Numerics.Vector<float32>.Count
        let half = Numerics.Vector<float>.Count

        let vlr, vwd, vmu =
            Numerics.Vector<float> lr, Numerics.Vector<float> wd, Numerics.Vector<float> mu

        let inline step (pv: Numerics.Vector<float>) (gv: Numerics.Vector<float>) (k: int) =
            let gj = gv + vwd * pv

            let d =
                if mu = 0.0 then
                    gj
                else
                    let bk = vmu * Numerics.Vector<float>(b, k) + gj
                    bk.CopyTo(b, k)
                    if nesterov then gj + vmu * bk else bk

            pv - vlr * d

        let mutable j = offset

        while j + w <= offset + count do
            let mutable pLo = Numerics.Vector<float>.Zero
            let mutable pHi = Numerics.Vector<float>.Zero
            let mutable gLo = Numerics.Vector<float>.Zero
            let mutable gHi = Numerics.Vector<float>.Zero
            Numerics.Vector.Widen(Numerics.Vector<float32>(p, j), &pLo, &pHi)
            Numerics.Vector.Widen(Numerics.Vector<float32>(g, j), &gLo, &gHi)
            Numerics.Vector.Narrow(step pLo gLo j, step pHi gHi (j + half)).CopyTo(p, j)
            j <- j + w

        while j < offset + count do
            let gj = float g[j] + wd * float p[j]

            let d =
                if mu = 0.0 then
                    gj
                else
                    b[j] <- mu * b[j] + gj
                    if nesterov then gj + mu * b[j] else b[j]

            p[j] <- float32 (float p[j] - lr * d)
            j <- j + 1

        true

/// Adam (Kingma and Ba 2015): m ← β1·m + (1 − β1)g, v ← β2·v + (1 − β2)g², p ← p − η·m̂/(√v̂ + ε) with
/// m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ). Weight decay λ is added to the gradient (L2), or, when `decoupled`
/// (AdamW, Loshchilov and Hutter 2019), applied as p ← p − ηλp before the update.
[<Sealed>]
type Adam
    (parameters: (string * Tensor)[], learningRate: float, ?beta1: float, ?beta2: float, ?eps: float, ?weightDecay: float, ?decoupled: bool)
    =
    inherit Optimizer(parameters, learningRate)
    let b1 = defaultArg beta1 0.9
    let b2 = defaultArg beta2 0.999
    let eps = defaultArg eps 1e-8
    let wd = defaultArg weightDecay 0.0
    let decoupled = defaultArg decoupled false
    let m = parameters |> Array.map (fun (_, p) -> Array.zeroCreate<float> p.Numel)
    let v = parameters |> Array.map (fun (_, p) -> Array.zeroCreate<float> p.Numel)

    do
        if b1 < 0.0 || b1 >= 1.0 || b2 < 0.0 || b2 >= 1.0 then
            invalidArg "beta1" (sprintf "Expected betas in [0, 1), got (%g, %g)" b1 b2)

    /// First and second moments as "<parameter>.m" and "<parameter>.v" (float64, shared with the optimizer).
    override _.State =
        parameters
        |> Array.mapi (fun i (n, p) ->
            [|
                n + ".m", Tensor.ofStorage p.Shape (S64 m[i])
                n + ".v", Tensor.ofStorage p.Shape (S64 v[i])
            |])
        |> Array.concat

    /// One Adam update of parameter `index` at step t.
    override o.Update(index, offset, p, g, count, t) =
        let lr = o.LearningRate
        let mi, vi = m[index], v[index]
        let c1 = 1.0 - Math.Pow(b1, float t)
        let c2 = 1.0 - Math.Pow(b2, float t)

        for j in 0 .. count - 1 do
            let k = offset + j

            if decoupled then
                p[j] <- p[j] - lr * wd * p[j]

            let gj = if decoupled then g[j] else g[j] + wd * p[j]
            mi[k] <- b1 * mi[k] + (1.0 - b1) * gj
            vi[k] <- b2 * vi[k] + (1.0 - b2) * gj * gj
            p[j] <- p[j] - lr * (mi[k] / c1) / (sqrt (vi[k] / c2) + eps)

/// Learning-rate schedules: functions from the step (or epoch) index, starting at 0, to a learning rate.
[<RequireQualifiedAccess>]
module Schedule =

    /// `initial` until the first boundary, then the rate paired with the last boundary passed:
    /// piecewise 1e-3 [32, 2e-4; 40, 4e-5] gives 1e-3 for t < 32, 2e-4 for 32 ≤ t < 40, 4e-5 after.
    let piecewise (initial: float) (boundaries: (int * float) list) (t: int) =
        boundaries
        |> List.sortBy fst
        |> List.fold (fun lr (b, v) -> if t >= b then v else lr) initial

    /// Cosine annealing from `maxLr` at t = 0 to `minLr` at t = total (constant after):
    /// minLr + ½(maxLr − minLr)(1 + cos(π·t/total)).
    let cosine (maxLr: float) (minLr: float) (total: int) (t: int) =
        if total <= 0 then
            invalidArg "total" (sprintf "Expected a positive number of steps, got %d" total)

        let s = float (min t total) / float total
        minLr + 0.5 * (maxLr - minLr) * (1.0 + cos (Math.PI * s))
