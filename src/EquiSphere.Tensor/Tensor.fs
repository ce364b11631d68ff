namespace EquiSphere.Tensor

open System
open System.Collections.Generic

/// Whether operations record the graph for reverse-mode differentiation on this thread.
type GradMode private () =
    [<ThreadStatic; DefaultValue>]
    static val mutable private depth: int

    /// True unless inside a `Tensor.noGrad` scope on this thread.
    static member Enabled = GradMode.depth = 0

    /// Enters a no-gradient scope; disposing the result leaves it (scopes nest).
    static member Suspend() =
        GradMode.depth <- GradMode.depth + 1

        { new IDisposable with
            member _.Dispose() = GradMode.depth <- GradMode.depth - 1
        }

/// A dense, contiguous, row-major tensor of float32 or float64 values that records, while gradients are
/// enabled, the op that produced it (its node in the reverse-mode graph). Values are immutable except through
/// optimizers, which update parameters in place. Arithmetic operators broadcast NumPy-style.
[<Sealed; AllowNullLiteral>]
type Tensor internal (storage: Storage, shape: int[], node: Node) =
    let mutable requiresGrad = false
    let mutable grad: Tensor = null
    // whether `grad`'s element array was made by `Backward` for this leaf alone (no other tensor shares it)
    let mutable gradOwned = false

    /// The element buffer (row-major, contiguous); shared, do not mutate outside optimizers.
    member _.Storage = storage
    /// The dimensions (a copy).
    member _.Shape = Array.copy shape
    /// The dimensions, not copied: callers must not mutate it.
    member internal _.ShapeRef = shape
    /// The element type.
    member _.Dtype = storage.Dtype
    /// Number of dimensions.
    member _.Rank = shape.Length
    /// Number of elements.
    member _.Numel = storage.Length
    /// The node that produced this tensor, null for leaves.
    member internal _.Node = node
    /// True for tensors not produced by a recorded op (inputs, parameters, constants).
    member _.IsLeaf = isNull node

    /// Whether a leaf collects a gradient in `Grad` when `Backward` runs; only leaves can be marked.
    member _.RequiresGrad
        with get () = requiresGrad
        and set (v: bool) =
            if not (isNull node) && v then
                invalidOp "Only leaf tensors can be marked RequiresGrad; this tensor was produced by an op (use Detach first)"

            requiresGrad <- v

    /// The gradient accumulated by `Backward` (same shape and dtype), or null before any backward pass.
    /// `Optimizer.ZeroGrad` and `Model.ZeroGrad` hand an array `Backward` made for this leaf back to the storage
    /// pool: a gradient tensor read before them must not be used after them (`ZeroGrad` on the tensor itself, or a
    /// gradient set here by hand, is never recycled while it is reachable).
    member _.Grad
        with get () = grad
        and set (v: Tensor) =
            if not (isNull v) && (v.ShapeRef <> shape || v.Dtype <> storage.Dtype) then
                invalidArg
                    "Grad"
                    (sprintf
                        "Expected a gradient of shape %s and dtype %A, got %s %A"
                        (Shape.format shape)
                        storage.Dtype
                        (Shape.format v.ShapeRef)
                        v.Dtype)

            grad <- v
            gradOwned <- false

    /// Sets the gradient from `Backward`; `owned`: its array was made for this leaf alone, so `ReleaseGrad` may
    /// hand it back to the storage pool.
    member internal _.SetGrad(v: Tensor, owned: bool) =
        grad <- v
        gradOwned <- owned

    /// Clears the gradient and, when `Backward` made its array for this leaf alone, returns the array to the
    /// storage pool, so the next backward pass reuses it instead of fresh memory (`Optimizer.ZeroGrad` and
    /// `Model.ZeroGrad`). A gradient tensor read before must not be used afterwards.
    member internal _.ReleaseGrad() =
        if gradOwned && not (isNull grad) then
            StoragePool.recycle grad.Storage

        grad <- null
        gradOwned <- false

    /// True when reverse mode must propagate through this tensor (a marked leaf or a recorded op's output).
    member _.IsTracked = requiresGrad || not (isNull node)

    /// The values as float64, row-major (a copy).
    member _.ToArray() = Storage.toFloats storage

    /// The single value of a one-element tensor.
    member _.ToScalar() =
        if storage.Length <> 1 then
            invalidOp (sprintf "Expected a tensor with one element, got shape %s" (Shape.format shape))

        Storage.item 0 storage

    /// The element at a full multi-index, as float64.
    member _.Item
        with get (index: int[]) =
            if index.Length <> shape.Length then
                invalidArg "index" (sprintf "Expected %d indices for shape %s, got %d" shape.Length (Shape.format shape) index.Length)

            let s = Shape.strides shape
            let mutable off = 0

            for i in 0 .. index.Length - 1 do
                if index[i] < 0 || index[i] >= shape[i] then
                    invalidArg
                        "index"
                        (sprintf "Index %d out of range [0, %d) along dimension %d of %s" index[i] shape[i] i (Shape.format shape))

                off <- off + index[i] * s[i]

            Storage.item off storage

    /// The same values as a new leaf that does not track gradients (shares the buffer).
    member _.Detach() = Tensor(storage, shape, null)

    /// Clears the accumulated gradient (the gradient tensor itself stays valid for whoever holds it).
    member _.ZeroGrad() =
        grad <- null
        gradOwned <- false

    /// "Tensor[2; 3] Float32" followed by up to 8 values.
    override _.ToString() =
        let vals = Storage.toFloats storage

        let shown =
            vals |> Array.truncate 8 |> Array.map (sprintf "%.5g") |> String.concat ", "

        let more = if vals.Length > 8 then ", ..." else ""
        sprintf "Tensor%s %A [%s%s]" (Shape.format shape) storage.Dtype shown more

    /// A tensor produced by op `name` from `inputs`: records a node with the reverse rule (output adjoint →
    /// input adjoints, null where an input needs none) when gradients are enabled and an input is tracked.
    static member internal Make(storage: Storage, shape: int[], name: string, inputs: Tensor[], reverse: Tensor -> Tensor[]) =
        Profile.forwardDone name

        if GradMode.Enabled && inputs |> Array.exists (fun t -> t.IsTracked) then
            Tensor(storage, shape, Node(name, inputs, reverse))
        else
            Tensor(storage, shape, null)

    /// A leaf tensor over a storage (validated length).
    static member internal Leaf(storage: Storage, shape: int[]) =
        if Shape.numel shape <> storage.Length then
            invalidArg "shape" (sprintf "Expected %d values for shape %s, got %d" (Shape.numel shape) (Shape.format shape) storage.Length)

        Tensor(storage, Array.copy shape, null)

    /// Reverse sweep from `root` with adjoint `seed`: visits the recorded graph in reverse topological order
    /// (an explicit stack, so deep graphs do not overflow), sums adjoints of reused tensors, and returns the
    /// adjoints of the tracked leaves reached. The sweep owns the adjoints its reverse rules create: it counts,
    /// per element array, the pending adjoints and leaf gradients that use it, and once a node's rule has run,
    /// an array rented during this sweep (`StoragePool.isFresh`) that no pending adjoint or leaf gradient uses
    /// any more goes back to `StoragePool`. Reverse rules must not keep the adjoints they return.
    static member internal Sweep(root: Tensor, seed: Tensor) =
        let struct (leaves, _) = Tensor.SweepWithOwnership(root, seed)
        leaves

    /// `Sweep`, and the leaves whose adjoint array the sweep rented for that leaf alone (no other adjoint or
    /// tensor shares it).
    static member internal SweepWithOwnership(root: Tensor, seed: Tensor) =
        let marks = StoragePool.beginSweep ()

        try
            Tensor.SweepOwned(root, seed)
        finally
            StoragePool.endSweep marks

    /// The element array of a tensor, as the key of ownership counts.
    static member private ArrayOf(t: Tensor) : obj =
        match t.Storage with
        | S32 a -> box a
        | S64 a -> box a

    /// `Sweep`'s body, run while the sweep marks the arrays it rents.
    static member private SweepOwned(root: Tensor, seed: Tensor) =
        let cmp = HashIdentity.Reference

        let order: List<Tensor> =
            Profile.backward "(graph order)" (fun () -> Tensor.Order root)

        let adj = Dictionary<Tensor, Tensor>(cmp)
        let leaves = Dictionary<Tensor, Tensor>(cmp)
        // sums made by the sweep itself and referenced only from `adj`: safe to accumulate into in place
        let owned = HashSet<Tensor>(cmp)
        // per element array: the pending adjoints and leaf gradients that use it (leaf gradients are never
        // released, so their arrays never drop to zero)
        let uses = Dictionary<obj, int>(HashIdentity.Reference)

        let hold (t: Tensor) =
            let key = Tensor.ArrayOf t

            match uses.TryGetValue key with
            | true, n -> uses[key] <- n + 1
            | _ -> uses[key] <- 1

        let drop (t: Tensor) =
            let key = Tensor.ArrayOf t

            match uses.TryGetValue key with
            | true, n when n > 1 -> uses[key] <- n - 1
            | true, _ -> uses.Remove key |> ignore
            | _ -> ()

        // dead candidates of one node: released once the whole node is processed, at most once per array
        let candidates = List<Tensor>()
        let released = HashSet<obj>(HashIdentity.Reference)

        let releaseDead () =
            released.Clear()

            for c in candidates do
                let key = Tensor.ArrayOf c

                if not (uses.ContainsKey key) && StoragePool.isFresh key && released.Add key then
                    StoragePool.recycle c.Storage

            candidates.Clear()

        adj[root] <- seed
        hold seed

        use _ = GradMode.Suspend()

        for k in order.Count - 1 .. -1 .. 0 do
            let t = order[k]

            match adj.TryGetValue t with
            | true, g ->
                adj.Remove t |> ignore
                // from here on g may be shared (a rule can pass it through to several inputs)
                owned.Remove g |> ignore

                if isNull t.Node then
                    // a leaf's adjoint stays held: it is returned to the caller
                    leaves[t] <- g
                else
                    let n = t.Node
                    let grads = Profile.backward n.Name (fun () -> n.Reverse g)

                    if grads.Length <> n.Inputs.Length then
                        invalidOp (sprintf "Op '%s': reverse rule returned %d adjoints for %d inputs" n.Name grads.Length n.Inputs.Length)

                    for i in 0 .. grads.Length - 1 do
                        let input, gi = n.Inputs[i], grads[i]

                        if input.IsTracked && not (isNull gi) then
                            if gi.ShapeRef <> input.ShapeRef || gi.Dtype <> input.Dtype then
                                invalidOp (
                                    sprintf
                                        "Op '%s': reverse rule returned an adjoint of shape %s %A for input %d of shape %s %A"
                                        n.Name
                                        (Shape.format gi.ShapeRef)
                                        gi.Dtype
                                        i
                                        (Shape.format input.ShapeRef)
                                        input.Dtype
                                )

                            match adj.TryGetValue input with
                            | true, prev ->
                                Profile.backward "(adjoint sum)" (fun () ->
                                    if
                                        (owned.Contains prev || Tensor.Exclusive(uses, prev))
                                        && not (Tensor.SameBuffer(prev, gi))
                                    then
                                        Tensor.AddInPlace(prev, gi)
                                    else
                                        let sum = Tensor.AddSame(prev, gi)
                                        owned.Add sum |> ignore
                                        adj[input] <- sum
                                        hold sum
                                        drop prev
                                        candidates.Add prev)

                                candidates.Add gi
                            | _ ->
                                adj[input] <- gi
                                hold gi
                        elif not (isNull gi) then
                            // an adjoint for an untracked input: dead at once
                            candidates.Add gi

                    drop g
                    candidates.Add g
                    releaseDead ()
            | _ -> ()

        // the leaves' adjoints go to the caller: an open `StorageScope` must not reclaim them
        let owned = HashSet<Tensor>(cmp)

        for KeyValue(leaf, g) in leaves do
            StoragePool.escape g.Storage
            let key = Tensor.ArrayOf g

            match uses.TryGetValue key with
            | true, 1 when StoragePool.isFresh key -> owned.Add leaf |> ignore
            | _ -> ()

        struct (leaves, owned)

    /// The tracked tensors reachable from `root`, inputs before the tensors made from them (an explicit
    /// stack, so deep graphs do not overflow).
    static member internal Order(root: Tensor) : List<Tensor> =
        let order = List<Tensor>()
        let visited = HashSet<Tensor>(HashIdentity.Reference)
        let stack = Stack<struct (Tensor * bool)>()
        stack.Push(struct (root, false))

        while stack.Count > 0 do
            let struct (t, expanded) = stack.Pop()

            if expanded then
                order.Add t
            elif visited.Add t then
                stack.Push(struct (t, true))

                if not (isNull t.Node) then
                    for i in t.Node.Inputs do
                        if i.IsTracked && not (visited.Contains i) then
                            stack.Push(struct (i, false))

        order

    /// True when both tensors view the same element array.
    static member internal SameBuffer(a: Tensor, b: Tensor) =
        match a.Storage, b.Storage with
        | S32 x, S32 y -> obj.ReferenceEquals(x, y)
        | S64 x, S64 y -> obj.ReferenceEquals(x, y)
        | _ -> false

    /// acc += b elementwise (equal shapes and dtypes) in place, split over the cores by `RawSplit.run`; only for
    /// buffers the sweep owns exclusively. Same rounding as `AddSame` (one IEEE addition per element), so
    /// results are bit-identical.
    static member internal AddInPlace(acc: Tensor, b: Tensor) =
        RawElementwise.addInto acc.Storage b.Storage

    /// Whether the sweep may accumulate into the pending adjoint `t` in place: its array was rented during this
    /// sweep (`StoragePool.isFresh`: no forward tensor and no caller sees it) and no other pending adjoint or
    /// leaf gradient uses it (`uses` counts one).
    static member private Exclusive(uses: Dictionary<obj, int>, t: Tensor) =
        let key = Tensor.ArrayOf t

        match uses.TryGetValue key with
        | true, 1 -> StoragePool.isFresh key
        | _ -> false

    /// Elementwise sum of two tensors of equal shape without recording (for adjoint accumulation).
    static member internal AddSame(a: Tensor, b: Tensor) =
        Tensor(RawElementwise.add a.ShapeRef a.Storage b.ShapeRef b.Storage a.ShapeRef, a.ShapeRef, null)

    /// Reverse mode from this tensor with the given output adjoint (same shape): adds the adjoint of every
    /// tracked leaf reached into its `Grad`.
    member t.Backward(seed: Tensor) =
        if isNull seed then
            nullArg "seed"

        Shape.same "seed" shape seed.ShapeRef

        if seed.Dtype <> storage.Dtype then
            invalidArg "seed" (sprintf "Expected a seed adjoint of dtype %A, got %A" storage.Dtype seed.Dtype)

        let struct (leaves, owned) = Tensor.SweepWithOwnership(t, seed)

        for KeyValue(leaf, g) in leaves do
            if leaf.RequiresGrad then
                if isNull leaf.Grad then
                    leaf.SetGrad(g.Detach(), owned.Contains leaf)
                else
                    let sum = Tensor.AddSame(leaf.Grad, g)
                    StoragePool.escape sum.Storage
                    leaf.SetGrad(sum, false)

    /// Reverse mode from a one-element tensor (a loss) with adjoint 1.
    member t.Backward() =
        if storage.Length <> 1 then
            invalidOp (
                sprintf "Backward() needs a one-element tensor (a loss), got shape %s; pass a seed adjoint instead" (Shape.format shape)
            )

        t.Backward(Tensor(Storage.full storage.Dtype 1 1.0, shape, null))

    /// `t` broadcast to `target` (a copy); the reverse rule sums back (`SumTo`).
    member t.Expand(target: int[]) : Tensor =
        Shape.expandable shape target

        if target = shape then
            t
        else
            let s =
                match storage with
                | S32 a -> S32(RawLayout.expand shape target a)
                | S64 a -> S64(RawLayout.expand shape target a)

            Tensor.Make(s, Array.copy target, "expand", [| t |], fun g -> [| g.SumTo shape |])

    /// The sum of `t` over broadcast axes down to `target` (the adjoint of `Expand`).
    member t.SumTo(target: int[]) : Tensor =
        Shape.expandable target shape

        if target = shape then
            t
        else
            let s =
                match storage with
                | S32 a -> S32(RawLayout.sumTo shape target a)
                | S64 a -> S64(RawLayout.sumTo shape target a)

            Tensor.Make(s, Array.copy target, "sumTo", [| t |], fun g -> [| g.Expand shape |])

    /// a + b with broadcasting; the adjoints are the output adjoint summed to each operand's shape.
    static member (+)(a: Tensor, b: Tensor) : Tensor =
        let out = Shape.broadcast2 a.ShapeRef b.ShapeRef

        Tensor.Make(
            RawElementwise.add a.ShapeRef a.Storage b.ShapeRef b.Storage out,
            out,
            "add",
            [| a; b |],
            fun g -> [| g.SumTo a.ShapeRef; g.SumTo b.ShapeRef |]
        )

    /// a − b with broadcasting.
    static member (-)(a: Tensor, b: Tensor) : Tensor =
        let out = Shape.broadcast2 a.ShapeRef b.ShapeRef

        Tensor.Make(
            RawElementwise.sub a.ShapeRef a.Storage b.ShapeRef b.Storage out,
            out,
            "sub",
            [| a; b |],
            fun g -> [| g.SumTo a.ShapeRef; (-g).SumTo b.ShapeRef |]
        )

    /// a · b elementwise with broadcasting; adjoints g·b and g·a summed to the operand shapes.
    static member (*)(a: Tensor, b: Tensor) : Tensor =
        let out = Shape.broadcast2 a.ShapeRef b.ShapeRef

        Tensor.Make(
            RawElementwise.mul a.ShapeRef a.Storage b.ShapeRef b.Storage out,
            out,
            "mul",
            [| a; b |],
            fun g ->
                [|
                    (if a.IsTracked then
                         (g * b.Detach()).SumTo a.ShapeRef
                     else
                         null)
                    (if b.IsTracked then
                         (g * a.Detach()).SumTo b.ShapeRef
                     else
                         null)
                |]
        )

    /// a / b elementwise with broadcasting; adjoints g/b and −g·a/b².
    static member (/)(a: Tensor, b: Tensor) : Tensor =
        let out = Shape.broadcast2 a.ShapeRef b.ShapeRef

        Tensor.Make(
            RawElementwise.div a.ShapeRef a.Storage b.ShapeRef b.Storage out,
            out,
            "div",
            [| a; b |],
            fun g ->
                let b0 = b.Detach()

                [|
                    (if a.IsTracked then (g / b0).SumTo a.ShapeRef else null)
                    (if b.IsTracked then
                         (-(g * a.Detach()) / (b0 * b0)).SumTo b.ShapeRef
                     else
                         null)
                |]
        )

    /// −a.
    static member (~-)(a: Tensor) : Tensor =
        Tensor.Make(RawElementwise.scale -1.0 a.Storage, a.ShapeRef, "neg", [| a |], fun g -> [| -g |])

    /// a + s for a scalar s.
    static member (+)(a: Tensor, s: float) : Tensor =
        Tensor.Make(RawElementwise.shift s a.Storage, a.ShapeRef, "addScalar", [| a |], fun g -> [| g |])

    /// s + a for a scalar s.
    static member (+)(s: float, a: Tensor) : Tensor = a + s

    /// a − s for a scalar s.
    static member (-)(a: Tensor, s: float) : Tensor = a + (-s)

    /// s − a for a scalar s.
    static member (-)(s: float, a: Tensor) : Tensor = (-a) + s

    /// a · s for a scalar s.
    static member (*)(a: Tensor, s: float) : Tensor =
        Tensor.Make(RawElementwise.scale s a.Storage, a.ShapeRef, "mulScalar", [| a |], fun g -> [| g * s |])

    /// s · a for a scalar s.
    static member (*)(s: float, a: Tensor) : Tensor = a * s

    /// a / s for a scalar s.
    static member (/)(a: Tensor, s: float) : Tensor = a * (1.0 / s)

    /// s / a elementwise for a scalar s; adjoint −g·s/a².
    static member (/)(s: float, a: Tensor) : Tensor =
        let y = RawElementwise.rdiv s a.Storage

        Tensor.Make(
            y,
            a.ShapeRef,
            "rdivScalar",
            [| a |],
            fun g ->
                let a0 = a.Detach()
                [| -(g * s) / (a0 * a0) |]
        )

/// A recorded op in the reverse-mode graph: its name, its inputs and its reverse rule.
and [<Sealed; AllowNullLiteral>] internal Node(name: string, inputs: Tensor[], reverse: Tensor -> Tensor[]) =
    member _.Name: string = name
    member _.Inputs: Tensor[] = inputs
    member _.Reverse: Tensor -> Tensor[] = reverse
