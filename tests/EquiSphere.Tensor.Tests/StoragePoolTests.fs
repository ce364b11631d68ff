/// Laws of the storage pool: recycling dead adjoints and scoped activations changes no value, and never
/// reclaims a buffer that user code can still observe.
module StoragePoolTests

open System
open Xunit
open EquiSphere.Tensor
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

/// A small residual network whose activations and adjoints (batch 4, 8 × 32 × 32 after the stem) are large
/// enough to be pooled: reflect-padded stem, two pre-activation blocks (one strided with a projection), a fused
/// conv + ReLU head, a reused tensor (an adjoint sum), a reshape view and a max/average pooling branch.
type private Net(rng: Random) =
    let reflect = PadMode.Reflect

    let stem =
        Conv2d(2, 8, 3, rng, padding = 1, rowMode = reflect, colMode = reflect, bias = false)

    let block1 = PreActBlock(8, 8, 1, rng, reflect)
    let block2 = PreActBlock(8, 16, 2, rng, reflect)
    let head = Conv2d(16, 4, 3, rng, padding = 1)

    member _.Stem = stem

    /// Everything after the stem.
    member _.Rest(a: Tensor) =
        let h = head.ForwardRelu(block2.Forward(block1.Forward a))
        let v = Tensor.reshape [| 4; -1 |] h
        // pooling side branch: its input adjoints are pooled (stale values when recycled)
        let pooled =
            a |> Pool.maxPool2d (2, 2) (2, 2) (0, 0) |> Pool.avgPool2d (2, 1) (2, 1) (0, 0)

        v + v * 0.5 + Tensor.reshape [| 4; -1 |] pooled

    member n.Forward(x: Tensor) = n.Rest(stem.Forward x)

    member _.Parameters =
        Array.concat [ stem.Parameters; block1.Parameters; block2.Parameters; head.Parameters ]

let private setup () =
    let rng = Random 7
    let net = Net(rng)
    let x = Tensor.randn Float32 [| 4; 2; 32; 32 |] rng
    let target = Tensor.randn Float32 [| 4; 4 * 16 * 16 |] rng
    net, x, target, SGD(net.Parameters, 0.05, momentum = 0.9)

/// One step's loss, parameter values and gradients, flattened.
let private step (net: Net) (x: Tensor) (target: Tensor) (opt: Optimizer) =
    opt.ZeroGrad()
    let l = Loss.mse (net.Forward x) target
    l.Backward()
    let grads = net.Parameters |> Array.collect (fun (_, p) -> p.Grad.ToArray())
    opt.Step()
    let values = net.Parameters |> Array.collect (fun (_, p) -> p.ToArray())
    Array.concat [ [| l.ToScalar() |]; values; grads ]

/// Four steps with the pool off, on, or on with each step inside a `StorageScope`.
let private fourSteps (pool: bool) (scoped: bool) =
    StoragePool.setEnabled pool

    try
        let net, x, target, opt = setup ()

        [|
            for _ in 1..4 do
                if scoped then
                    use _ = new StorageScope()
                    step net x target opt
                else
                    step net x target opt
        |]
    finally
        StoragePool.setEnabled true

[<Fact>]
let ``training steps are bit-identical with the pool off, on, and inside storage scopes`` () =
    let off = fourSteps false false
    let on = fourSteps true false
    let scoped = fourSteps true true

    for k in 0..3 do
        bitEqual (sprintf "step %d, pool on vs off" (k + 1)) off[k] on[k]
        bitEqual (sprintf "step %d, storage scope vs pool off" (k + 1)) off[k] scoped[k]

[<Fact>]
let ``the sweep recycles dead adjoints and later steps draw from the pool`` () =
    let net, x, target, opt = setup ()
    step net x target opt |> ignore
    let before = StoragePool.statistics ()
    step net x target opt |> ignore
    step net x target opt |> ignore
    let after = StoragePool.statistics ()
    Assert.True(after.Returned > before.Returned, sprintf "expected returns, got %A then %A" before after)
    Assert.True(after.Hits > before.Hits, sprintf "expected hits, got %A then %A" before after)

[<Fact>]
let ``retained intermediates, leaf gradients and requested gradients keep their values after later steps`` () =
    let net, x, target, opt = setup ()
    opt.ZeroGrad()
    let a = net.Stem.Forward x
    let y = net.Rest a
    let loss = Loss.mse y target
    loss.Backward()
    let stemGrad = (snd net.Stem.Parameters[0]).Grad
    let ga = Tensor.grad (fun t -> Loss.mse (net.Rest t) target) a
    opt.Step()

    let aValues, yValues, stemValues, gaValues =
        a.ToArray(), y.ToArray(), stemGrad.ToArray(), ga.ToArray()

    for _ in 1..3 do
        step net x target opt |> ignore

    bitEqual "retained stem output" aValues (a.ToArray())
    bitEqual "retained network output" yValues (y.ToArray())
    // the stem's weight (8 × 2 × 3 × 3) is below the pool's size, so the optimizer's ZeroGrad never recycles its
    // gradient; pooled gradients are recycled by contract (tests below)
    bitEqual "the stem's gradient of the first step" stemValues (stemGrad.ToArray())
    bitEqual "a gradient returned by Tensor.grad" gaValues (ga.ToArray())

[<Fact>]
let ``a tensor kept in a storage scope survives the scope and later scoped steps`` () =
    let net, x, target, opt = setup ()

    let kept, values, grads =
        use scope = new StorageScope()
        opt.ZeroGrad()
        let a = scope.Keep(net.Stem.Forward x)
        // a large leaf (the parameters are below the pool's minimum length) and a gradient from Tensor.grad
        let leaf = a.Detach()
        leaf.RequiresGrad <- true
        (Loss.mse (net.Rest leaf) target).Backward()
        let ga = Tensor.grad (fun t -> Loss.mse (net.Rest t) target) a

        let grads =
            Array.append
                [| leaf.Grad; ga |]
                (net.Parameters
                 |> Array.choose (fun (_, p) -> if isNull p.Grad then None else Some p.Grad))

        a, a.ToArray(), grads |> Array.map (fun g -> g, g.ToArray())

    for _ in 1..3 do
        use _ = new StorageScope()
        // allocates, in the same shapes, what the scopes have given back
        net.Forward x |> ignore

    bitEqual "kept tensor" values (kept.ToArray())

    for g, v in grads do
        bitEqual "a gradient made inside the scope" v (g.ToArray())

[<Fact>]
let ``closing a storage scope gives its activations back to the pool`` () =
    let net, x, _, _ = setup ()
    net.Forward x |> ignore
    let before = StoragePool.statistics ()

    do
        use _ = new StorageScope()
        net.Forward x |> ignore

    let after = StoragePool.statistics ()
    Assert.True(after.Returned > before.Returned, sprintf "expected returns, got %A then %A" before after)

/// The element array of a tensor.
let private arrayOf (t: Tensor) : obj =
    match t.Storage with
    | S32 a -> box a
    | S64 a -> box a

/// A product of x made and dropped on another thread (so no stack slot of the caller keeps it); a long weak
/// reference (it follows the array through its lease's finalizer) to its array.
let private droppedProduct (x: Tensor) =
    Threading.Tasks.Task.Run(fun () -> WeakReference(arrayOf (x * 2.0), true)).Result

let private collectAndFinalize () =
    GC.Collect()
    GC.WaitForPendingFinalizers()
    GC.Collect()

[<Fact>]
let ``a rented array that becomes unreachable goes back to the pool through its lease`` () =
    // a length no other test rents, so the pool's stack of that length holds only this test's arrays
    let x = Tensor.ones Float32 [| 3 * StoragePool.MinLength + 5 |]
    let before = StoragePool.statistics ()
    let dropped = droppedProduct x
    collectAndFinalize ()
    let after = StoragePool.statistics ()
    Assert.True(after.Reclaimed > before.Reclaimed, sprintf "expected a reclaimed array, got %A then %A" before after)
    let next = x * 3.0
    Assert.True(obj.ReferenceEquals(dropped.Target, arrayOf next), "the next rent of that length reuses the array")
    bitEqual "the new product" (Array.create x.Numel 3.0) (next.ToArray())

[<Fact>]
let ``dead rented arrays are reused without explicit collections, and not when reclaiming is off`` () =
    let x = Tensor.ones Float32 [| 4 * StoragePool.MinLength + 11 |]

    let reuses (count: int) =
        let seen = Runtime.CompilerServices.ConditionalWeakTable<obj, obj>()
        let mutable reused = 0

        for _ in 1..count do
            let a = arrayOf (x * 2.0)
            let mutable v = null

            if seen.TryGetValue(a, &v) then
                reused <- reused + 1
            else
                seen.Add(a, null)

        reused

    // 400 products of 256 KB: 100 MB rented, dropped one after the other; the pool starts a collection once
    // `collectAfterBytes` (≥ 32 MB) were rented since the last full one
    Assert.True(StoragePool.collectAfterBytes () >= StoragePool.MinCollectBytes)
    let on = reuses 400
    Assert.True(on >= 200, sprintf "expected most of 400 products to reuse a reclaimed array, %d did" on)
    StoragePool.setReclaimsUnreachable false

    let off =
        try
            Assert.False(StoragePool.reclaimsUnreachable ())
            reuses 100
        finally
            StoragePool.setReclaimsUnreachable true

    Assert.Equal(0, off)

/// One step with full collections between the forward pass and the backward pass, and allocations of the step's
/// lengths after each, that would overwrite any reachable buffer the pool wrongly reclaimed: the loss, the
/// gradients, a retained intermediate and a view of another.
let private stepThroughCollections (reclaim: bool) =
    StoragePool.setReclaimsUnreachable reclaim

    try
        let net, x, target, opt = setup ()

        [|
            for _ in 1..2 do
                opt.ZeroGrad()
                let a = net.Stem.Forward x
                let view = Tensor.reshape [| 4; -1 |] (a * 1.5)
                let y = net.Rest a
                let loss = Loss.mse y target

                for _ in 1..2 do
                    collectAndFinalize ()
                    net.Forward x |> ignore

                loss.Backward()
                collectAndFinalize ()
                net.Forward x |> ignore
                let grads = net.Parameters |> Array.collect (fun (_, p) -> p.Grad.ToArray())
                opt.Step()
                Array.concat [ [| loss.ToScalar() |]; a.ToArray(); view.ToArray(); y.ToArray(); grads ]
        |]
    finally
        StoragePool.setReclaimsUnreachable true

[<Fact>]
let ``reclaiming never recycles a buffer that a graph, a tensor or a view still reaches`` () =
    let off = stepThroughCollections false
    let on = stepThroughCollections true

    for k in 0 .. off.Length - 1 do
        bitEqual (sprintf "step %d, reclaiming on vs off" (k + 1)) off[k] on[k]

[<Fact>]
let ``max pooling's pooled argmax arrays change no value when recycled with stale contents`` () =
    // [2; 8; 64; 64] → [2; 8; 32; 32]: 16 384 argmax entries, a pooled length
    let gradients (pool: bool) =
        StoragePool.setEnabled pool

        try
            [|
                for seed in 1..3 do
                    use _ = new StorageScope()
                    let x = Tensor.randn Float32 [| 2; 8; 64; 64 |] (Random seed)
                    x.RequiresGrad <- true
                    let y = Pool.maxPool2d (2, 2) (2, 2) (0, 0) x
                    (Tensor.sum (y * y)).Backward()
                    Array.append (y.ToArray()) (x.Grad.ToArray())
            |]
        finally
            StoragePool.setEnabled true

    let off = gradients false
    let on = gradients true

    for k in 0..2 do
        bitEqual (sprintf "input %d, pool on vs off" (k + 1)) off[k] on[k]

[<Fact>]
let ``adjoints a reverse rule passes through or returns from outside the sweep are never recycled`` () =
    let rng = Random 11
    let n = 2 * StoragePool.MinLength
    let constant = Tensor.randn Float32 [| n |] rng
    let constantValues = constant.ToArray()
    // a rule that hands its output adjoint to both inputs, and one that returns a tensor made before the sweep
    let passTwice =
        Op.define "passTwice" (fun xs -> xs[0] + xs[1]) (fun _ _ g -> [| Some g; Some g |])

    let giveConstant =
        Op.defineUnary "giveConstant" (fun t -> t * 1.0) (fun _ _ _ -> constant)

    let p = Tensor.randn Float32 [| n |] rng
    p.RequiresGrad <- true

    for _ in 1..3 do
        p.ZeroGrad()
        let y = giveConstant (passTwice [| p; p * 2.0 |])
        (Tensor.sum (y * y)).Backward()
        // allocations of the recycled lengths, which would overwrite a wrongly recycled buffer
        for _ in 1..4 do
            (p * 3.0 + p).ToArray() |> ignore

        bitEqual "the constant adjoint" constantValues (constant.ToArray())
        // p's adjoint: constant (passed through) + 2·constant (through p·2), in float32
        let expected =
            constantValues |> Array.map (fun c -> float (float32 c + float32 c * 2.0f))

        bitEqual "p's gradient" expected (p.Grad.ToArray())

[<Fact>]
let ``storage scopes must be closed innermost first`` () =
    let outer = new StorageScope()
    let inner = new StorageScope()
    throwsWith<InvalidOperationException> [ "innermost first" ] (fun () -> outer.Dispose())
    inner.Dispose()
    // the failed Dispose left the outer scope open: arrays rented now are still recorded in it
    let x = Tensor.ones Float32 [| 2 * StoragePool.MinLength |]
    let y = x * 2.0
    let before = StoragePool.statistics ()
    outer.Dispose()
    let after = StoragePool.statistics ()
    Assert.True(after.Returned > before.Returned, "disposing the outer scope in order closes it")
    Assert.Equal(2 * StoragePool.MinLength, y.Numel)
    throwsWith<InvalidOperationException> [ "already disposed" ] (fun () -> outer.Keep(Tensor.zeros Float32 [| 2 |]) |> ignore)

[<Fact>]
let ``trim empties the pool and the limit rejects negative sizes`` () =
    let net, x, target, opt = setup ()
    step net x target opt |> ignore
    StoragePool.trim ()
    Assert.Equal(0L, (StoragePool.statistics ()).RetainedBytes)
    throwsWith<ArgumentException> [ "bytes"; "-1" ] (fun () -> StoragePool.setLimitBytes -1L)
    Assert.Equal(1L <<< 30, StoragePool.limitBytes ())

[<Fact>]
let ``conv backwardWeight equals the direct sum when a thread's share of the batch is empty`` () =
    // batch 4 over 3 threads: chunks of 2 images leave the third thread none; its pooled partial sum must count
    // as zero even when the pool hands back a buffer with stale values (the second call). The images are too
    // large to share one stack: stride 1 (the shifted path) or stride 2 with more than 1024 output pixels (the
    // chunked im2col path).
    property 6 (fun (seed: int) ->
        let rng = Random seed
        let stride = rng.Next(1, 3)

        let size () =
            if stride = 1 then rng.Next(33, 41) else rng.Next(66, 72)

        let s =
            { Conv.spec 4 (rng.Next(1, 4)) (rng.Next(1, 4)) (size (), size ()) (3, 3) with
                StrideH = stride
                StrideW = stride
                PadH = 1
                PadW = 1
            }

        let x, dy = randomArray rng s.InputLength, randomArray rng s.OutputLength
        // dw[j] = ⟨conv(x, e_j), dy⟩ with e_j the j-th unit weight
        let expected =
            Array.init s.WeightLength (fun j -> fst (dot (conv s x (Array.init s.WeightLength (fun i -> if i = j then 1.0 else 0.0))) dy))

        for call in 1..2 do
            let dw = Array.create s.WeightLength nan
            Conv.backwardWeight 3 s x 0 dy 0 dw 0
            closeTo (sprintf "float64, call %d" call) KTol.f64 expected dw
            let dw32 = Array.create s.WeightLength nanf
            Conv.backwardWeight 3 s (Array.map float32 x) 0 (Array.map float32 dy) 0 dw32 0
            closeTo (sprintf "float32, call %d" call) KTol.f32 expected (Array.map float dw32))

/// Three SGD steps of loss = mse((a + b)·x, target) + mse(a·x, target) + mse((c + d)·x, target) with parameters
/// a … d of 256 × 128 (pooled sizes; a's adjoint is a sum, the add hands c and d one adjoint): per step the loss,
/// the gradients as read right after `Backward`, and the parameters.
let private recyclingSteps (pool: bool) =
    StoragePool.setEnabled pool

    try
        let rng = Random 3
        let a = Tensor.randn Float32 [| 256; 128 |] rng |> Tensor.requireGrad
        let b = Tensor.randn Float32 [| 256; 128 |] rng |> Tensor.requireGrad
        let c = Tensor.randn Float32 [| 256; 128 |] rng |> Tensor.requireGrad
        let d = Tensor.randn Float32 [| 256; 128 |] rng |> Tensor.requireGrad
        let x = Tensor.randn Float32 [| 128; 64 |] rng
        let target = Tensor.randn Float32 [| 256; 64 |] rng
        let ps = [| a; b; c; d |]
        let opt = SGD(ps |> Array.mapi (fun i p -> string i, p), 0.01)

        [|
            for _ in 1..3 do
                opt.ZeroGrad()

                let l =
                    Loss.mse (Tensor.matmul (a + b) x) target
                    + Loss.mse (Tensor.matmul a x) target
                    + Loss.mse (Tensor.matmul (c + d) x) target

                l.Backward()
                let grads = ps |> Array.collect (fun p -> p.Grad.ToArray())
                opt.Step()
                yield Array.concat [ [| l.ToScalar() |]; grads; ps |> Array.collect (fun p -> p.ToArray()) ]
        |]
    finally
        StoragePool.setEnabled true

[<Fact>]
let ``the optimizer's ZeroGrad recycles the gradients Backward made and changes no value`` () =
    let off = recyclingSteps false
    let on = recyclingSteps true

    for k in 0..2 do
        bitEqual (sprintf "step %d, pool on vs off" (k + 1)) off[k] on[k]

    // the arrays really come back: a step after ZeroGrad draws the gradients' arrays from the pool (a length no
    // other test uses, 251 · 131, so tests running in parallel cannot take it)
    let rng = Random 5
    let w = Tensor.randn Float32 [| 251; 131 |] rng |> Tensor.requireGrad
    let x = Tensor.randn Float32 [| 131; 67 |] rng
    let opt = SGD([| "w", w |], 0.01)
    let loss () = Tensor.sum (Tensor.matmul w x)
    (loss ()).Backward()

    let first =
        match w.Grad.Storage with
        | S32 arr -> arr
        | S64 _ -> failwith "expected float32"

    opt.ZeroGrad()
    Assert.Null(w.Grad)
    (loss ()).Backward()

    let second =
        match w.Grad.Storage with
        | S32 arr -> arr
        | S64 _ -> failwith "expected float32"

    Assert.True(obj.ReferenceEquals(first, second), "expected the second gradient in the first gradient's array")

[<Fact>]
let ``gradients set by hand, cleared per tensor or passed in as a seed are never recycled`` () =
    let rng = Random 9
    let w = Tensor.randn Float32 [| 256; 128 |] rng |> Tensor.requireGrad
    let x = Tensor.randn Float32 [| 128; 64 |] rng
    let opt = SGD([| "w", w |], 0.01)
    let loss () = Tensor.sum (Tensor.matmul w x)
    let byHand = Tensor.randn Float32 [| 256; 128 |] rng
    let handValues = byHand.ToArray()
    w.Grad <- byHand
    opt.ZeroGrad()
    (loss ()).Backward()
    let kept = w.Grad
    let keptValues = kept.ToArray()
    // Tensor.ZeroGrad clears without recycling: the gradient read before stays valid
    w.ZeroGrad()

    for _ in 1..3 do
        (loss () * 2.0).Backward()
        opt.ZeroGrad()

    // an adjoint the caller passed in (the seed of a leaf's own backward pass) is the caller's
    let seed = Tensor.randn Float32 [| 256; 128 |] rng
    let seedValues = seed.ToArray()
    w.Backward seed
    opt.ZeroGrad()

    for _ in 1..3 do
        (Tensor.sum (w * w)).Backward()
        opt.ZeroGrad()

    bitEqual "a seed adjoint passed to Backward" seedValues (seed.ToArray())
    bitEqual "a gradient set by hand" handValues (byHand.ToArray())
    bitEqual "a gradient cleared with Tensor.ZeroGrad" keptValues (kept.ToArray())
