namespace EquiSphere.Tensor

open System
open System.Collections.Generic
open System.Diagnostics

/// Time spent in one op name while a `Profile` session was recording on this thread.
type OpTiming =
    {
        /// The op name as recorded on the tape ("conv2d", "relu", "add", ...); engine phases are in parentheses
        /// ("(graph order)", "(adjoint sum)").
        Op: string
        /// Number of forward calls.
        ForwardCalls: int
        /// Wall seconds attributed to forward calls: the time since the previous op finished on this thread
        /// (so glue code between two ops counts toward the second).
        ForwardSeconds: float
        /// Number of reverse-rule calls during `Backward`.
        BackwardCalls: int
        /// Wall seconds spent in reverse rules (including the ops they call).
        BackwardSeconds: float
    }

/// Per-op wall-clock profiling of the tape on the current thread. `start` begins a session, `stop` ends it
/// and returns the totals per op name. While no session is active the cost is one thread-static read per op.
/// Forward time of an op is the time from the end of the previous op (or from `start`) to the moment its
/// output is made; backward time is the time of its reverse rule. Ops called from inside a reverse rule are
/// not counted as forward calls.
[<RequireQualifiedAccess>]
module Profile =

    type private Entry() =
        member val ForwardCalls = 0 with get, set
        member val ForwardTicks = 0L with get, set
        member val BackwardCalls = 0 with get, set
        member val BackwardTicks = 0L with get, set

    /// The recording state of one thread.
    type private Session() =
        member val Entries = Dictionary<string, Entry>() with get
        member val LastMark = Stopwatch.GetTimestamp() with get, set
        member val InBackward = 0 with get, set

        member s.Get(name: string) =
            match s.Entries.TryGetValue name with
            | true, e -> e
            | _ ->
                let e = Entry()
                s.Entries[name] <- e
                e

    [<AbstractClass; Sealed>]
    type private Current =
        [<ThreadStatic; DefaultValue>]
        static val mutable private session: Session

        static member Session
            with get () = Current.session
            and set (v: Session) = Current.session <- v

    /// True while a session records on this thread.
    let isActive () = not (isNull (box Current.Session))

    /// Begins a session on this thread (replacing any active one).
    let start () = Current.Session <- Session()

    /// Ends the session on this thread and returns the totals per op name, largest total time first; empty
    /// when no session was active.
    let stop () : OpTiming[] =
        let s = Current.Session
        Current.Session <- Unchecked.defaultof<_>

        if isNull (box s) then
            [||]
        else
            let f = float Stopwatch.Frequency

            [|
                for KeyValue(name, e) in s.Entries ->
                    {
                        Op = name
                        ForwardCalls = e.ForwardCalls
                        ForwardSeconds = float e.ForwardTicks / f
                        BackwardCalls = e.BackwardCalls
                        BackwardSeconds = float e.BackwardTicks / f
                    }
            |]
            |> Array.sortByDescending (fun t -> t.ForwardSeconds + t.BackwardSeconds)

    /// Called by the engine when op `name` has made its output: attributes the time since the last mark.
    let internal forwardDone (name: string) =
        let s = Current.Session

        if not (isNull (box s)) && s.InBackward = 0 then
            let now = Stopwatch.GetTimestamp()
            let e = s.Get name
            e.ForwardCalls <- e.ForwardCalls + 1
            e.ForwardTicks <- e.ForwardTicks + (now - s.LastMark)
            s.LastMark <- now

    /// Runs `f` as backward work of `name` (a reverse rule or an engine phase), timing it when a session records.
    let internal backward (name: string) (f: unit -> 'T) : 'T =
        let s = Current.Session

        if isNull (box s) then
            f ()
        else
            let t0 = Stopwatch.GetTimestamp()
            s.InBackward <- s.InBackward + 1

            try
                f ()
            finally
                s.InBackward <- s.InBackward - 1
                let now = Stopwatch.GetTimestamp()

                if s.InBackward = 0 then
                    let e = s.Get name
                    e.BackwardCalls <- e.BackwardCalls + 1
                    e.BackwardTicks <- e.BackwardTicks + (now - t0)
                    s.LastMark <- now
