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
        /// Rented arrays that the garbage collector found unreachable and that went back to the pool (counted
        /// apart from `Returned`, the arrays the engine returned itself).
        Reclaimed: int64
        /// Full collections the pool started itself to reclaim unreachable arrays (see `StoragePool`).
        Collections: int64
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
/// Arrays the engine cannot return itself (the forward activations of a step outside a `StorageScope`, a
/// gradient dropped by `Tensor.ZeroGrad`) come back when the garbage collector finds them unreachable: each
/// rented array carries a lease (a finalizable object tied to the array by a `ConditionalWeakTable`, which does not
/// keep the array alive), and the lease's finalizer hands the array back once no thread, tensor, closure or
/// scope can reach it. Such arrays are found only by full collections; when a rent misses and at least
/// `collectAfterBytes` bytes were rented since the last full collection, the pool runs one itself
/// (`GC.Collect` + `GC.WaitForPendingFinalizers`), then tries again. On this VM a fresh page costs 4–14 µs on its
/// first touch (a 16 MB activation up to 56 ms), a full collection of the benchmarks' heaps about a millisecond.
/// If a collection reclaims less than a quarter of what was rented since the last one (the arrays were alive), or
/// pauses the process for more than 5 % of the time since the previous one (a large managed heap), the threshold
/// doubles; otherwise it halves, down to the minimum.
[<RequireQualifiedAccess>]
module StoragePool =

    /// Arrays shorter than this many elements are neither pooled nor tracked (the GC's gen-0 heap handles them
    /// well; the pool targets the large-object heap, arrays of 85,000 bytes and more).
    [<Literal>]
    let MinLength = 16384

    let private gate = obj ()
    let private free32 = Dictionary<int, Stack<float32[]>>()
    let private free64 = Dictionary<int, Stack<float[]>>()
    let private freeIndices = Dictionary<int, Stack<int[]>>()
    let private pooled = HashSet<obj>(HashIdentity.Reference)
    let private marker = obj ()
    let mutable private retained = 0L
    let mutable private limit = 1L <<< 30
    let mutable private on = true
    let mutable private hits = 0L
    let mutable private misses = 0L
    let mutable private returned = 0L
    let mutable private dropped = 0L
    let mutable private reclaimed = 0L
    let mutable private reclaimedBytes = 0L
    let mutable private collections = 0L
    let mutable private reclaiming = true

    /// The least number of bytes rented since the last full collection before a missing rent starts one.
    [<Literal>]
    let MinCollectBytes = 32L <<< 20

    let mutable private collectAfter = MinCollectBytes
    let mutable private rentedSince = 0L
    let mutable private lastFull = GC.CollectionCount 2
    let mutable private collecting = false

    /// Whether ops draw from and the engine returns to the pool (default true). Turning it off empties the pool.
    let enabled () = on

    /// Turns pooling on or off process-wide; off also drops every pooled array (`trim`).
    let setEnabled (value: bool) =
        lock gate (fun () ->
            on <- value

            if not value then
                free32.Clear()
                free64.Clear()
                freeIndices.Clear()
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
                freeIndices.Clear()
                pooled.Clear()
                retained <- 0L)

    /// Drops every pooled array to the garbage collector (for example after training, to give memory back).
    let trim () =
        lock gate (fun () ->
            free32.Clear()
            free64.Clear()
            freeIndices.Clear()
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
                Reclaimed = reclaimed
                Collections = collections
                RetainedBytes = retained
            })

    /// Sets the counters (not the pooled arrays) back to zero.
    let resetStatistics () =
        lock gate (fun () ->
            hits <- 0L
            misses <- 0L
            returned <- 0L
            dropped <- 0L
            reclaimed <- 0L
            collections <- 0L)

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

    /// Puts a dead array in the pool (or drops it when the pool is full); `fromCollector` counts it as reclaimed.
    let private store<'T> (free: Dictionary<int, Stack<'T[]>>) (fromCollector: bool) (a: 'T[]) =
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

                if fromCollector then
                    reclaimed <- reclaimed + 1L
                    reclaimedBytes <- reclaimedBytes + bytes
                else
                    returned <- returned + 1L)

    /// Hands an array that the collector found unreachable back to the pool (from its lease's finalizer, on the
    /// finalizer thread; never throws there).
    let private reclaim (a: obj) =
        if on && reclaiming then
            try
                match a with
                | :? (float32[]) as x -> store free32 true x
                | :? (float[]) as x -> store free64 true x
                | :? (int[]) as x -> store freeIndices true x
                | _ -> ()
            with _ ->
                ()

    /// The lease of a rented array: reachable exactly as long as the array is (through `leases`), so its
    /// finalizer runs once nothing else can reach the array, and returns it to the pool.
    [<Sealed; AllowNullLiteral>]
    type private Lease(array: obj) =
        override _.Finalize() = reclaim array

    /// Rented array → its lease. The table holds the array weakly; the lease, which references the array, lives
    /// as long as the array does.
    let private leases = ConditionalWeakTable<obj, Lease>()

    /// Withdraws the lease of an array the engine returns itself (its finalizer must not return it again).
    let private cancelLease (a: obj) =
        match leases.TryGetValue a with
        | true, lease ->
            GC.SuppressFinalize lease
            leases.Remove a |> ignore
        | _ -> ()

    /// Whether a missing rent may start a full collection now (enough rented since the last full one, none
    /// running); claims the collection when so.
    let private claimCollection () =
        lock gate (fun () ->
            let full = GC.CollectionCount 2

            if full <> lastFull then
                // a full collection ran since (its finalizers return what it found): count afresh
                lastFull <- full
                rentedSince <- 0L

            if on && reclaiming && not collecting && rentedSince >= collectAfter then
                collecting <- true
                true
            else
                false)

    /// The share of wall time the pool may spend in the collections it starts (measured from the end of one to
    /// the end of the next).
    [<Literal>]
    let private PauseBudget = 0.05

    let mutable private lastCollectionEnd = 0L

    /// A full collection whose finalizers return the unreachable rented arrays; adapts `collectAfter`: it doubles
    /// when the collection reclaimed less than a quarter of what was rented since the last one, or when its pause
    /// exceeded `PauseBudget` of the time since the previous one (a large managed heap, as in FSI, makes each
    /// collection expensive: then the pool collects less often); otherwise it halves, down to `MinCollectBytes`.
    let private collectUnreachable () =
        let before, rented = lock gate (fun () -> reclaimedBytes, rentedSince)
        let start = Diagnostics.Stopwatch.GetTimestamp()

        try
            GC.Collect(2, GCCollectionMode.Forced, true, false)
            GC.WaitForPendingFinalizers()
        finally
            let finish = Diagnostics.Stopwatch.GetTimestamp()

            lock gate (fun () ->
                let got = reclaimedBytes - before
                let pause = float (finish - start)
                let interval = float (finish - lastCollectionEnd)
                let costly = lastCollectionEnd > 0L && pause > PauseBudget * interval
                collections <- collections + 1L

                collectAfter <-
                    if 4L * got < rented || costly then
                        min (collectAfter * 2L) (1L <<< 36)
                    else
                        max MinCollectBytes (collectAfter / 2L)

                lastCollectionEnd <- finish
                rentedSince <- 0L
                lastFull <- GC.CollectionCount 2
                collecting <- false)

    let private rent<'T> (free: Dictionary<int, Stack<'T[]>>) (n: int) : 'T[] =
        if n < MinLength then
            GC.AllocateUninitializedArray<'T> n
        else
            let a = if on then take free n else null

            let a =
                if isNull a && claimCollection () then
                    collectUnreachable ()
                    take free n
                else
                    a

            let a = if isNull a then GC.AllocateUninitializedArray<'T> n else a

            if on && reclaiming then
                leases.AddOrUpdate(a, Lease(a))
                lock gate (fun () -> rentedSince <- rentedSince + int64 n * int64 sizeof<'T>)

            mark a
            a

    /// A float32 array of exactly n elements with arbitrary contents (recycled or new): for ops that overwrite
    /// every element of their output.
    let internal rent32 (n: int) : float32[] = rent free32 n

    /// A float64 array of exactly n elements with arbitrary contents (recycled or new).
    let internal rent64 (n: int) : float[] = rent free64 n

    /// An int32 array of exactly n elements with arbitrary contents (recycled or new): for index outputs that an
    /// op overwrites whole (max pooling's argmax). Pooled like the element arrays (scopes, leases), never returned
    /// by the backward sweep.
    let internal rentIndices (n: int) : int[] = rent freeIndices n

    let private give<'T> (free: Dictionary<int, Stack<'T[]>>) (a: 'T[]) =
        if a.Length >= MinLength then
            cancelLease a

            if on then
                store free false a

    /// Whether rented arrays that become unreachable come back to the pool through their leases (default true).
    let reclaimsUnreachable () = reclaiming

    /// Turns the reclaiming of unreachable rented arrays on or off process-wide (off: such arrays go to the
    /// garbage collector, and the pool never starts a collection). Arrays rented while it was on keep their
    /// leases; those finalized while it is off are dropped.
    let setReclaimsUnreachable (value: bool) =
        lock gate (fun () -> reclaiming <- value)

    /// Bytes rented since the last full collection after which a missing rent starts one (adapted as the
    /// module's comment says; at least `MinCollectBytes`).
    let collectAfterBytes () = collectAfter

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
                | :? (int[]) as x -> give freeIndices x
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
