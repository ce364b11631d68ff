namespace EquiSphere.Tensor

/// The extension point for new differentiable ops, usable from any assembly: a forward function on values
/// plus a reverse rule mapping the output adjoint to input adjoints (DiffSharp's reverse-mode rule). The
/// engine records the op, runs the rule during `Backward`/`Tensor.grad`, sums adjoints of reused inputs and
/// checks that each returned adjoint has its input's shape and dtype.
[<RequireQualifiedAccess>]
module Op =

    /// Defines an op of any arity. `forward inputs` computes the output from the (detached) input values with
    /// gradients off, so it may use any tensor functions. `reverse inputs output adjoint` returns one adjoint
    /// per input (Some, shaped like the input) or None for inputs that are not differentiable; it also runs
    /// with gradients off; the adjoints it creates belong to the engine (which recycles them once dead, see
    /// `StoragePool`), so it must not keep references to them. Law: the adjoints are the vector–Jacobian product
    /// ⟨adjoint, ∂output/∂inputᵢ⟩, which the tests check against central finite differences.
    let define
        (name: string)
        (forward: Tensor[] -> Tensor)
        (reverse: Tensor[] -> Tensor -> Tensor -> Tensor option[])
        : Tensor[] -> Tensor =
        if isNull (box forward) then
            nullArg (nameof forward)

        if isNull (box reverse) then
            nullArg (nameof reverse)

        fun (inputs: Tensor[]) ->
            if isNull inputs || inputs |> Array.exists isNull then
                nullArg (nameof inputs)

            let detached = inputs |> Array.map (fun t -> t.Detach())

            let y =
                use _ = GradMode.Suspend()
                forward detached

            if isNull y then
                invalidOp (sprintf "Op '%s': forward returned null" name)

            let out = y.Detach()

            Tensor.Make(
                y.Storage,
                y.ShapeRef,
                name,
                inputs,
                fun g ->
                    let r = reverse detached out g

                    if isNull r || r.Length <> inputs.Length then
                        invalidOp (sprintf "Op '%s': expected %d adjoints from the reverse rule" name inputs.Length)

                    r |> Array.map (fun o -> defaultArg o null)
            )

    /// Defines a one-input op: `reverse x y adjoint` returns the input adjoint.
    let defineUnary (name: string) (forward: Tensor -> Tensor) (reverse: Tensor -> Tensor -> Tensor -> Tensor) : Tensor -> Tensor =
        let f =
            define name (fun xs -> forward xs[0]) (fun xs y g -> [| Some(reverse xs[0] y g) |])

        fun x -> f [| x |]

    /// Defines a two-input op: `reverse a b y adjoint` returns the two input adjoints.
    let defineBinary
        (name: string)
        (forward: Tensor -> Tensor -> Tensor)
        (reverse: Tensor -> Tensor -> Tensor -> Tensor -> Tensor * Tensor)
        : Tensor -> Tensor -> Tensor =
        let f =
            define name (fun xs -> forward xs[0] xs[1]) (fun xs y g ->
                let ga, gb = reverse xs[0] xs[1] y g
                [| Some ga; Some gb |])

        fun a b -> f [| a; b |]
