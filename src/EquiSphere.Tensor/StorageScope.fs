namespace EquiSphere.Tensor

open System

/// An opt-in scope, in TorchSharp's spirit, in which the engine reclaims the forward intermediates of a
/// training step: every large element array (at least `StoragePool.MinLength` elements) that an op allocates on
/// this thread while the scope is open goes back to `StoragePool` when the scope is disposed, so the next step's
/// activations reuse this step's memory instead of fresh pages. Exempt: tracked leaves' gradients (`Grad`, set
/// by `Backward`) and gradients returned by `Tensor.grad`/`vjp` (they escape automatically), every storage made
/// outside the scope (parameters, inputs, optimizer state, running statistics, which ops update in place), and
/// tensors passed to `Keep`. Contract: after `Dispose`, no other tensor made inside the scope may be read (its
/// buffer is recycled); small tensors (a loss, per-channel sums) are never recycled. Scopes nest and must be
/// disposed innermost first on the thread that opened them. With the pool off (`StoragePool.setEnabled false`)
/// a scope reclaims nothing. Values never depend on scopes: steps run with and without one are bit-identical.
[<Sealed>]
type StorageScope() =
    let record = StoragePool.openScope ()
    let mutable disposed = false

    /// Exempts the tensor's storage (shared by its views) from this scope: it survives `Dispose` (it moves to
    /// the enclosing scope, if any). Returns the tensor.
    member _.Keep(t: Tensor) : Tensor =
        if isNull t then
            nullArg "t"

        if disposed then
            invalidOp "StorageScope.Keep: the scope is already disposed"

        StoragePool.keep record t.Storage
        t

    /// Closes the scope and returns the storages recorded in it to the pool.
    member _.Dispose() =
        if not disposed then
            // closing out of order throws and leaves the scope open, to be disposed again in order
            StoragePool.closeScope record
            disposed <- true

    interface IDisposable with
        /// Closes the scope (as `Dispose`).
        member s.Dispose() = s.Dispose()
