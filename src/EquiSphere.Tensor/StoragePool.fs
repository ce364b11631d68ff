namespace EquiSphere.Tensor

open System
open System.Collections.Generic
open System.Runtime.CompilerServices

/// Counters of the storage pool since the process started (or the last `StoragePool.resetStatistics`).
type StoragePoolStatistics =
    {
        /// Element arrays the engine asked for that the pool served with a recycled array.
        Hits: int64
        /// Element arrays the engine asked for that had to be allocated (none of that length was pooled, the
        /// array was too short to pool, or pooling was off).
        Misses: int64
        /// Dead arrays handed back to the pool.
        Returned: int64
        /// Dead arrays dropped to the garbage collector because the pool was full.
        Dropped: int64
        /// Bytes held by the pool now.
        RetainedBytes: int64
    }

/// The thread-static marks of the backward sweep running on a thread: the arrays rented while it runs (weakly
/// held, so dropped temporaries are still collected).
type private SweepMarks() =
    [<ThreadStatic; DefaultValue>]
    static val mutable private fresh: ConditionalWeakTable<obj, obj>

    /// The table of the sweep running on this thread, null outside one.
    static member Fresh
        with get () = SweepMarks.fresh
        and set (v: ConditionalWeakTable<obj, obj>) = SweepMarks.fresh <- v

/// The arrays rented on one thread while a `StorageScope` is open, innermost scope first (`Outer` links the
/// enclosing one).
[<Sealed; AllowNullLiteral>]
type internal ScopeRecord(outer: ScopeRecord) =
    [<ThreadStatic; DefaultValue>]
    static val mutable private current: ScopeRecord

    /// The arrays rented in this scope and not returned, kept or escaped since.
    member val Rented = HashSet<obj>(HashIdentity.Reference)
    /// The enclosing scope on this thread, null for the outermost.
    member _.Outer = outer

    /// The innermost open scope on this thread, null when none is open.
    static member Current
        with get () = ScopeRecord.current
        and set (v: ScopeRecord) = ScopeRecord.current <- v

    /// Removes the array from this scope and every enclosing one.
    static member ForgetEverywhere(a: obj) =
        let mutable r = ScopeRecord.current

        while not (isNull r) do
            r.Rented.Remove a |> ignore
            r <- r.Outer

/// A process-wide pool of dead element arrays (float32[] and float[]), keyed by exact length, that the engine
/// recycles instead of allocating fresh ones. Only the engine returns arrays to it, and only arrays no user
/// code can observe: adjoints created during a backward sweep whose reverse rule has run, that are no tracked
/// leaf's gradient and no other pending adjoint's storage (ownership is counted per array), and scratch arrays
/// an op created and used itself. Ops that overwrite their whole output take their output arrays from the pool
/// (`rent32`/`rent64`), so the adjoints of one layer become the adjoints of the next, and the dead adjoints of
/// one training step become the activations of the next. Arrays shorter than `MinLength` elements are left to
/// the garbage collector. Pooling changes no value: every result is bit-identical with it on or off.
[<RequireQualifiedAccess>]
module StoragePool =

    /// Arrays shorter than this many elements are neither pooled nor tracked (the GC's gen-0 heap handles them
    /// well; the pool targets the large-object heap, arrays of 85,000 bytes and more).
    [<Literal>]
    let MinLength = 16384

    let private gate = obj ()
    let private free32 = Dictionary<int, Stack<float32[]>>()
    let private free64 = Dictionary<int, Stack<float[]>>()
    let private pooled = HashSet<obj>(HashIdentity.Reference)
    let private marker = obj ()
    let mutable private retained = 0L
    let mutable private limit = 1L <<< 30
    let mutable private on = true
    let mutable private hits = 0L
    let mutable private misses = 0L
    let mutable private returned = 0L
    let mutable private dropped = 0L

    /// Whether ops draw from and the engine returns to the pool (default true). Turning it off empties the pool.
    let enabled () = on

    /// Turns pooling on or off process-wide; off also drops every pooled array (`trim`).
    let setEnabled (value: bool) =
        lock gate (fun () ->
            on <- value

            if not value then
                free32.Clear()
                free64.Clear()
                pooled.Clear()
                retained <- 0L)

    /// The most bytes the pool holds (default 1 GiB); arrays returned beyond it are dropped to the GC.
    let limitBytes () = limit

    /// Sets the most bytes the pool holds (≥ 0); excess pooled arrays are dropped at once.
    let setLimitBytes (bytes: int64) =
        if bytes < 0L then
            invalidArg "bytes" (sprintf "Expected a non-negative pool limit in bytes, got %d" bytes)

        lock gate (fun () ->
            limit <- bytes

            if retained > limit then
                free32.Clear()
                free64.Clear()
                pooled.Clear()
                retained <- 0L)

    /// Drops every pooled array to the garbage collector (for example after training, to give memory back).
    let trim () =
        lock gate (fun () ->
            free32.Clear()
            free64.Clear()
            pooled.Clear()
            retained <- 0L)

    /// The pool's counters.
    let statistics () =
        lock gate (fun () ->
            {
                Hits = hits
                Misses = misses
                Returned = returned
                Dropped = dropped
                RetainedBytes = retained
            })

    /// Sets the counters (not the pooled arrays) back to zero.
    let resetStatistics () =
        lock gate (fun () ->
            hits <- 0L
            misses <- 0L
            returned <- 0L
            dropped <- 0L)

    let private take (free: Dictionary<int, Stack<'T[]>>) (n: int) : 'T[] =
        lock gate (fun () ->
            match free.TryGetValue n with
            | true, stack when stack.Count > 0 ->
                let a = stack.Pop()
                pooled.Remove a |> ignore
                retained <- retained - int64 n * int64 sizeof<'T>
                hits <- hits + 1L
                a
            | _ ->
                misses <- misses + 1L
                null)

    let private mark (a: obj) =
        let fresh = SweepMarks.Fresh

        if not (isNull fresh) then
            fresh.AddOrUpdate(a, marker)

        let scope = ScopeRecord.Current

        if not (isNull scope) then
            scope.Rented.Add a |> ignore

    let private rent<'T> (free: Dictionary<int, Stack<'T[]>>) (n: int) : 'T[] =
        if n < MinLength then
            GC.AllocateUninitializedArray<'T> n
        else
            let a = if on then take free n else null

            let a = if isNull a then GC.AllocateUninitializedArray<'T> n else a

            mark a
            a

    /// A float32 array of exactly n elements with arbitrary contents (recycled or new): for ops that overwrite
    /// every element of their output.
    let internal rent32 (n: int) : float32[] = rent free32 n

    /// A float64 array of exactly n elements with arbitrary contents (recycled or new).
    let internal rent64 (n: int) : float[] = rent free64 n

    let private give<'T> (free: Dictionary<int, Stack<'T[]>>) (a: 'T[]) =
        if on && a.Length >= MinLength then
            lock gate (fun () ->
                let bytes = int64 a.Length * int64 sizeof<'T>

                if pooled.Contains a then
                    invalidOp "StoragePool: an array was returned twice (engine bug)"
                elif retained + bytes > limit then
                    dropped <- dropped + 1L
                else
                    match free.TryGetValue a.Length with
                    | true, stack -> stack.Push a
                    | _ ->
                        let stack = Stack<'T[]>()
                        stack.Push a
                        free[a.Length] <- stack

                    pooled.Add a |> ignore
                    retained <- retained + bytes
                    returned <- returned + 1L)

    /// Returns a dead storage to the pool. Only for arrays nothing else references: the engine's dead adjoints
    /// and an op's own scratch storages.
    let internal recycle (s: Storage) =
        match s with
        | S32 a ->
            ScopeRecord.ForgetEverywhere a
            give free32 a
        | S64 a ->
            ScopeRecord.ForgetEverywhere a
            give free64 a

    /// Marks a storage as escaping every open scope on this thread (a leaf's gradient, a gradient returned to
    /// the caller): closing the scopes leaves it alone.
    let internal escape (s: Storage) =
        if not (isNull ScopeRecord.Current) then
            match s with
            | S32 a -> ScopeRecord.ForgetEverywhere a
            | S64 a -> ScopeRecord.ForgetEverywhere a

    /// Opens a scope on this thread: arrays rented from now on are recorded in it.
    let internal openScope () =
        let r = ScopeRecord(ScopeRecord.Current)
        ScopeRecord.Current <- r
        r

    /// Moves a storage from the innermost scope to the enclosing one (or out of all scopes for the outermost).
    let internal keep (r: ScopeRecord) (s: Storage) =
        let a =
            match s with
            | S32 a -> box a
            | S64 a -> box a

        if r.Rented.Remove a && not (isNull r.Outer) then
            r.Outer.Rented.Add a |> ignore

    /// Closes the innermost scope `r` on this thread and returns every array still recorded in it to the pool
    /// (skipping any already pooled).
    let internal closeScope (r: ScopeRecord) =
        if not (obj.ReferenceEquals(ScopeRecord.Current, r)) then
            invalidOp "StorageScope: scopes must be disposed on the thread that opened them, innermost first"

        ScopeRecord.Current <- r.Outer

        for a in r.Rented do
            let inPool = lock gate (fun () -> pooled.Contains a)

            if not inPool then
                match a with
                | :? (float32[]) as x -> give free32 x
                | :? (float[]) as x -> give free64 x
                | _ -> ()

        r.Rented.Clear()

    /// Starts marking the arrays rented on this thread (a backward sweep begins); returns the previous marks to
    /// hand to `endSweep` (sweeps nest).
    let internal beginSweep () =
        let previous = SweepMarks.Fresh
        SweepMarks.Fresh <- ConditionalWeakTable<obj, obj>()
        previous

    /// Ends the marking begun by `beginSweep`.
    let internal endSweep (previous: ConditionalWeakTable<obj, obj>) = SweepMarks.Fresh <- previous

    /// Whether the array was rented on this thread during the running sweep (so no code outside the sweep saw
    /// it before).
    let internal isFresh (a: obj) =
        let fresh = SweepMarks.Fresh
        let mutable v = null
        not (isNull fresh) && fresh.TryGetValue(a, &v)
