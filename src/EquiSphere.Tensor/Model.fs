namespace EquiSphere.Tensor

open System.Collections.Generic

/// A differentiable model in DiffSharp's and PyTorch's manner: named parameters (leaves that require
/// gradients), named buffers (state such as running statistics) and named children, giving hierarchical names
/// like "encoder.stage1.conv.weight"; a train/eval mode that propagates to children; `Forward` maps a tensor
/// to a tensor.
[<AbstractClass>]
type Model() =
    let parameters = List<string * Tensor>()
    let buffers = List<string * Tensor>()
    let children = List<string * Model>()
    let mutable training = true

    static let checkName (name: string) (existing: string seq) =
        if System.String.IsNullOrEmpty name || name.Contains '.' then
            invalidArg "name" (sprintf "Expected a non-empty name without '.', got '%s'" name)

        if Seq.contains name existing then
            invalidArg "name" (sprintf "Expected a new name, got '%s' twice" name)

    /// The model applied to an input.
    abstract Forward: Tensor -> Tensor

    /// Registers a parameter under `name` (marked RequiresGrad) and returns it.
    member m.AddParameter(name: string, value: Tensor) =
        checkName name (Seq.append (Seq.map fst parameters) (Seq.map fst buffers))
        value.RequiresGrad <- true
        parameters.Add((name, value))
        value

    /// Registers a buffer (saved in checkpoints, not trained) under `name` and returns it.
    member m.AddBuffer(name: string, value: Tensor) =
        checkName name (Seq.append (Seq.map fst parameters) (Seq.map fst buffers))
        buffers.Add((name, value))
        value

    /// Registers a child model under `name` and returns it.
    member m.AddChild<'M when 'M :> Model>(name: string, child: 'M) : 'M =
        checkName name (Seq.map fst children)
        children.Add((name, child :> Model))
        child

    /// The direct children with their names.
    member _.Children = children.ToArray()

    /// All parameters with hierarchical dotted names, own first, then children's in registration order.
    member m.Parameters: (string * Tensor)[] =
        [|
            yield! parameters

            for cn, c in children do
                for n, p in c.Parameters do
                    yield cn + "." + n, p
        |]

    /// All buffers with hierarchical dotted names.
    member m.Buffers: (string * Tensor)[] =
        [|
            yield! buffers

            for cn, c in children do
                for n, b in c.Buffers do
                    yield cn + "." + n, b
        |]

    /// Total number of parameter elements.
    member m.ParameterCount = m.Parameters |> Array.sumBy (fun (_, p) -> p.Numel)

    /// True in training mode (batch statistics, dropout), false in evaluation mode.
    member _.Training = training

    /// Sets training or evaluation mode on this model and all descendants.
    member m.SetTraining(value: bool) =
        training <- value

        for _, c in children do
            c.SetTraining value

    /// Training mode.
    member m.Train() = m.SetTraining true

    /// Evaluation mode.
    member m.Eval() = m.SetTraining false

    /// Clears the gradients of all parameters and recycles the arrays `Backward` made for them, as
    /// `Optimizer.ZeroGrad` does (same contract: a gradient tensor read before must not be used after it).
    member m.ZeroGrad() =
        for _, p in m.Parameters do
            p.ReleaseGrad()

/// A model from a function (activations and reshapes inside `Sequential`).
[<Sealed>]
type Lambda(f: Tensor -> Tensor) =
    inherit Model()
    /// Applies the function.
    override _.Forward(x) = f x

/// Models applied in order; children are named "0", "1", ... unless names are given.
[<Sealed>]
type Sequential(layers: (string * Model) seq) as this =
    inherit Model()

    do
        for n, l in layers do
            this.AddChild(n, l) |> ignore

    /// Children named by their position.
    new(layers: Model seq) = Sequential(layers |> Seq.mapi (fun i l -> string i, l))

    /// The layers applied left to right.
    override m.Forward(x) =
        m.Children |> Array.fold (fun acc (_, l) -> l.Forward acc) x
