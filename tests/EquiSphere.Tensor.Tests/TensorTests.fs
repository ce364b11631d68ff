module TensorTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

/// Naive broadcast oracle: the value of `t` at the multi-index of `outShape`'s flat position `o`.
let private broadcastAt (t: Tensor) (outShape: int[]) (o: int) =
    let v = t.ToArray()
    let s = t.Shape
    let idx = Array.zeroCreate outShape.Length
    let mutable r = o

    for i in outShape.Length - 1 .. -1 .. 0 do
        idx[i] <- r % outShape[i]
        r <- r / outShape[i]

    let off = outShape.Length - s.Length
    let mutable flat = 0

    for i in 0 .. s.Length - 1 do
        flat <- flat * s[i] + (if s[i] = 1 then 0 else idx[i + off])

    v[flat]

let private broadcastPair (rng: Random) =
    let out = shapeOf rng (rng.Next(1, 4)) 3

    let drop (s: int[]) =
        s[rng.Next(0, s.Length) ..]
        |> Array.map (fun d -> if rng.Next 3 = 0 then 1 else d)

    drop out, drop out

[<Fact>]
let ``creation functions fill the requested shape`` () =
    let t = Tensor.full Float32 [| 2; 3 |] 1.5
    Assert.Equal<int[]>([| 2; 3 |], t.Shape)
    Assert.All(t.ToArray(), (fun v -> Assert.Equal(1.5, v)))
    Assert.Equal<float[]>([| 0.0; 0.5; 1.0; 1.5 |], (Tensor.arange Float64 0.0 2.0 0.5).ToArray())
    Assert.Equal(Float32, (Tensor.zeros Float32 [| 4 |]).Dtype)
    Assert.Equal(6.0, (Tensor.ones Float64 [| 2; 3 |]).ToArray() |> Array.sum)

[<Fact>]
let ``seeded random tensors are reproducible and have the requested moments`` () =
    let a = Tensor.randn Float64 [| 20000 |] (Random 7)
    let b = Tensor.randn Float64 [| 20000 |] (Random 7)
    Assert.Equal<float[]>(a.ToArray(), b.ToArray())
    let v = a.ToArray()
    let m = Array.average v
    let sd = sqrt (v |> Array.averageBy (fun x -> (x - m) * (x - m)))
    // 4 standard errors of the mean and of the standard deviation for n = 20000
    Assert.InRange(m, -0.03, 0.03)
    Assert.InRange(sd, 0.98, 1.02)
    Assert.All((Tensor.rand Float32 [| 100 |] (Random 1)).ToArray(), (fun x -> Assert.InRange(x, 0.0, 1.0)))

[<Fact>]
let ``broadcasting arithmetic matches a naive oracle`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let sa, sb = broadcastPair rng
        let a, b = random rng sa, uniform rng 0.5 2.0 sb
        let out = Shape.broadcast2 sa sb

        for name, op, f in
            [
                "add", (+), (fun (x: float) y -> x + y)
                "sub", (-), (fun x y -> x - y)
                "mul", (*), (fun x y -> x * y)
                "div", (/), (fun x y -> x / y)
            ] do
            let expected =
                Array.init (Shape.numel out) (fun o -> f (broadcastAt a out o) (broadcastAt b out o))

            closeTo name Tol.f64 expected ((op a b: Tensor).ToArray()))

[<Fact>]
let ``float32 arithmetic agrees with float64 to float32 rounding`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let sa, sb = broadcastPair rng
        let a, b = random rng sa, uniform rng 0.5 2.0 sb
        let a32, b32 = Tensor.convert Float32 a, Tensor.convert Float32 b
        closeTo "a*b/(a+b)" Tol.f32 ((a * b / (a + b + 3.0)).ToArray()) ((a32 * b32 / (a32 + b32 + 3.0)).ToArray()))

[<Fact>]
let ``mixing dtypes is an error naming both`` () =
    throwsWith<ArgumentException> [ "Float32"; "Float64" ] (fun () -> Tensor.zeros Float32 [| 2 |] + Tensor.zeros Float64 [| 2 |] |> ignore)

[<Fact>]
let ``permute moves every element to its permuted index`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let shape = shapeOf rng (rng.Next(1, 5)) 4
        let perm = Array.init shape.Length id |> Array.sortBy (fun _ -> rng.Next())
        let t = random rng shape
        let p = Tensor.permute perm t
        let ps = p.Shape
        let idx = Array.zeroCreate shape.Length

        for o in 0 .. p.Numel - 1 do
            let mutable r = o

            for i in ps.Length - 1 .. -1 .. 0 do
                idx[i] <- r % ps[i]
                r <- r / ps[i]

            let src = Array.zeroCreate shape.Length

            for i in 0 .. perm.Length - 1 do
                src[perm[i]] <- idx[i]

            Assert.Equal(t[src], p[Array.copy idx]))

[<Fact>]
let ``narrow concat and split are inverse`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let shape = shapeOf rng (rng.Next(1, 4)) 5
        let d = rng.Next shape.Length
        let t = random rng shape
        let cut = rng.Next(0, shape[d] + 1)
        let parts = Tensor.split d [| cut; shape[d] - cut |] t
        Assert.Equal<float[]>(t.ToArray(), (Tensor.concat d parts).ToArray())
        Assert.Equal<float[]>(parts[0].ToArray(), (Tensor.narrow d 0 cut t).ToArray()))

[<Fact>]
let ``stack adds an axis and select recovers each piece`` () =
    let rng = Random 3
    let xs = Array.init 3 (fun _ -> random rng [| 2; 4 |])
    let s = Tensor.stack 1 xs
    Assert.Equal<int[]>([| 2; 3; 4 |], s.Shape)

    for i in 0..2 do
        Assert.Equal<float[]>(xs[i].ToArray(), (Tensor.select 1 i s).ToArray())

[<Fact>]
let ``gather picks the indexed elements`` () =
    let t = Tensor.ofArray Float64 [| 2; 3 |] [| 1.0; 2.0; 3.0; 4.0; 5.0; 6.0 |]
    let g = Tensor.gather 1 [| 2; 2 |] [| 2; 0; 1; 1 |] t
    Assert.Equal<float[]>([| 3.0; 1.0; 5.0; 5.0 |], g.ToArray())
    throwsWith<ArgumentException> [ "[0, 3)"; "got 3" ] (fun () -> Tensor.gather 1 [| 2; 1 |] [| 0; 3 |] t |> ignore)

[<Fact>]
let ``reductions match naive sums and maxima`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let shape = shapeOf rng 3 4
        let t = random rng shape
        let v = t.ToArray()
        let d = rng.Next 3
        let s = Tensor.sumDims [| d |] false t
        let m = Tensor.maxDims [| d |] true t
        let strides = Shape.strides shape

        for o in 0 .. s.Numel - 1 do
            // position o in the reduced shape → base offset in t
            let rest =
                shape |> Array.mapi (fun i n -> i, n) |> Array.filter (fun (i, _) -> i <> d)

            let mutable r = o
            let mutable baseOff = 0

            for (i, n) in Array.rev rest do
                baseOff <- baseOff + (r % n) * strides[i]
                r <- r / n

            let vals = Array.init shape[d] (fun k -> v[baseOff + k * strides[d]])
            close "sum" Tol.f64 (Array.sum vals) (s.ToArray()[o])
            close "max" Tol.f64 (Array.max vals) (m.ToArray()[o])

        close "total" Tol.f64 (Array.sum v) ((Tensor.sum t).ToScalar())
        close "mean" Tol.f64 (Array.average v) ((Tensor.mean t).ToScalar()))

[<Fact>]
let ``matmul matches the triple loop`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b, m, k, n = rng.Next(1, 3), rng.Next(1, 40), rng.Next(1, 40), rng.Next(1, 70)
        let x, y = random rng [| b; m; k |], random rng [| b; k; n |]
        let xv, yv = x.ToArray(), y.ToArray()

        let expected =
            Array.init (b * m * n) (fun o ->
                let bi, i, j = o / (m * n), (o / n) % m, o % n
                Seq.sum (seq { for p in 0 .. k - 1 -> xv[(bi * m + i) * k + p] * yv[(bi * k + p) * n + j] }))

        closeTo "batched" Tol.f64 expected ((Tensor.matmul x y).ToArray())
        let y32 = Tensor.convert Float32 y
        closeTo "float32" 1e-4 expected ((Tensor.matmul (Tensor.convert Float32 x) y32).ToArray()))

[<Fact>]
let ``where comparisons and maximum select elementwise`` () =
    let a = Tensor.ofArray Float64 [| 4 |] [| 1.0; 5.0; -2.0; 3.0 |]
    let b = Tensor.ofArray Float64 [| 4 |] [| 2.0; 4.0; -2.0; 0.0 |]
    Assert.Equal<float[]>([| 0.0; 1.0; 0.0; 1.0 |], (Tensor.gt a b).ToArray())
    Assert.Equal<float[]>([| 1.0; 0.0; 1.0; 0.0 |], (Tensor.le a b).ToArray())
    Assert.Equal<float[]>([| 2.0; 5.0; -2.0; 3.0 |], (Tensor.maximum a b).ToArray())
    Assert.Equal<float[]>([| 2.0; 5.0; -2.0; 3.0 |], (Tensor.where (Tensor.gt a b) a b).ToArray())

[<Fact>]
let ``reverse rules of arithmetic match finite differences under broadcasting`` () =
    property 25 (fun (seed: int) ->
        let rng = Random seed
        let sa, sb = broadcastPair rng
        let a, b = random rng sa, uniform rng 0.5 2.0 sb
        check "add" rng (fun xs -> xs[0] + xs[1]) [| a; b |]
        check "sub" rng (fun xs -> xs[0] - xs[1]) [| a; b |]
        check "mul" rng (fun xs -> xs[0] * xs[1]) [| a; b |]
        check "div" rng (fun xs -> xs[0] / xs[1]) [| a; b |]
        check "pow" rng (fun xs -> Tensor.pow xs[1] xs[0]) [| a; b |]
        check "scalar ops" rng (fun xs -> 2.0 - xs[0] * 3.0 + 1.0 / (xs[1] + 1.0)) [| a; b |]
        check "where" rng (fun xs -> Tensor.where (Tensor.gt xs[0] (Tensor.scalar Float64 0.0)) xs[0] xs[1]) [| a; b |])

[<Fact>]
let ``reverse rules of unary math match finite differences`` () =
    property 25 (fun (seed: int) ->
        let rng = Random seed
        let x = uniform rng 0.2 2.0 (shapeOf rng 2 4)
        let s = random rng (shapeOf rng 2 4)
        check1 "exp" rng Tensor.exp s
        check1 "log" rng Tensor.log x
        check1 "sqrt" rng Tensor.sqrt x
        check1 "abs" rng Tensor.abs s
        check1 "tanh" rng Tensor.tanh s
        check1 "sigmoid" rng Tensor.sigmoid s
        check1 "powScalar" rng (Tensor.powScalar 2.5) x
        check1 "neg" rng Tensor.neg s
        check1 "sin" rng Tensor.sin s
        check1 "cos" rng Tensor.cos s
        check1 "acos" rng Tensor.acos (Tensor.scale 0.9 s)
        check1 "clamp" rng (Tensor.clamp -0.5 0.25) s)

[<Fact>]
let ``reverse rules of layout ops match finite differences on permuted and sliced inputs`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let p, q, r = rng.Next(1, 4), rng.Next(2, 5), rng.Next(1, 4)
        let x = random rng [| p; q; r |]
        let perm = [| 0; 1; 2 |] |> Array.sortBy (fun _ -> rng.Next())
        check1 "permute" rng (Tensor.permute perm) x
        check1 "transpose" rng (Tensor.transpose 0 2) x
        check1 "reshape" rng (Tensor.reshape [| q; -1 |]) x
        let start = rng.Next(0, q - 1)
        check1 "narrow of permuted" rng (Tensor.permute [| 1; 0; 2 |] >> Tensor.narrow 0 start (q - start) >> Tensor.exp) x
        check1 "slice" rng (Tensor.slice [| (0, p); (start, q) |]) x
        check1 "expand" rng (Tensor.reshape [| p; 1; q; r |] >> Tensor.expand [| p; 3; q; r |]) x
        check1 "concat with reuse" rng (fun t -> Tensor.concat 1 [| t; t * t; Tensor.narrow 1 start 1 t |]) x
        let axis = rng.Next 4
        check1 "stack" rng (fun t -> Tensor.stack axis [| t; Tensor.tanh t |]) x
        let k = rng.Next(1, 5)
        check1 "gather" rng (Tensor.gather 1 [| p; k; r |] (Array.init (p * k * r) (fun _ -> rng.Next q))) x)

[<Fact>]
let ``reverse rules of reductions and matmul match finite differences`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng (shapeOf rng 3 4)
        let d = rng.Next 3
        check1 "sum" rng Tensor.sum x
        check1 "mean" rng Tensor.mean x
        check1 "sumDims" rng (Tensor.sumDims [| d; (d + 1) % 3 |] false) x
        check1 "meanDims keep" rng (Tensor.meanDims [| d |] true) x
        let keep = rng.Next 2 = 0
        check1 "maxDims" rng (Tensor.maxDims [| d |] keep) x
        let bt, m, k, n = rng.Next(1, 3), rng.Next(1, 4), rng.Next(1, 5), rng.Next(1, 4)
        let a, b = random rng [| bt; m; k |], random rng [| k; n |]
        check "matmul with broadcast batch" rng (fun xs -> Tensor.matmul xs[0] xs[1]) [| a; b |]

        check
            "matmul of transposed"
            rng
            (fun xs -> Tensor.matmul (Tensor.transpose 1 2 xs[0]) xs[1])
            [| random rng [| bt; k; m |]; random rng [| bt; k; n |] |])

[<Fact>]
let ``reused inputs accumulate their adjoints`` () =
    let x = Tensor.ofArray Float64 [| 3 |] [| 1.0; 2.0; 3.0 |]
    // f = Σ x·x + x  → ∂f/∂x = 2x + 1
    let g = Tensor.grad (fun x -> Tensor.sum (x * x + x)) x
    Assert.Equal<float[]>([| 3.0; 5.0; 7.0 |], g.ToArray())

[<Fact>]
let ``backward accumulates into the gradients of marked leaves`` () =
    let w = Tensor.ofArray Float64 [| 2 |] [| 1.0; -1.0 |] |> Tensor.requireGrad
    let x = Tensor.ofArray Float64 [| 2 |] [| 3.0; 4.0 |]
    (Tensor.sum (w * x)).Backward()
    Assert.Equal<float[]>([| 3.0; 4.0 |], w.Grad.ToArray())
    (Tensor.sum (w * x)).Backward()
    Assert.Equal<float[]>([| 6.0; 8.0 |], w.Grad.ToArray())
    Assert.Null(x.Grad)
    w.ZeroGrad()
    Assert.Null(w.Grad)

[<Fact>]
let ``no-grad scopes record nothing`` () =
    let w = Tensor.ones Float64 [| 2 |] |> Tensor.requireGrad

    let y =
        use _ = Tensor.noGrad ()
        w * 2.0

    Assert.True(y.IsLeaf)
    Assert.False(y.IsTracked)
    Assert.True((w * 2.0).IsTracked)

[<Fact>]
let ``deep graphs do not overflow the stack`` () =
    let x = Tensor.ofArray Float64 [| 1 |] [| 0.5 |]
    // 20000 chained ops: f(x) = x + 20000·0.001 has derivative 1; with a product chain the derivative is 1.0001^n
    let g =
        Tensor.grad (fun x -> Seq.fold (fun acc _ -> acc * 1.0001) x (seq { 1..20000 }) |> Tensor.sum) x

    close "d/dx" 1e-9 (Math.Pow(1.0001, 20000.0)) (g.ToArray()[0])

[<Fact>]
let ``grad is pure and leaves parameter gradients untouched`` () =
    let w = Tensor.ofArray Float64 [| 2 |] [| 2.0; 3.0 |] |> Tensor.requireGrad
    let x = Tensor.ofArray Float64 [| 2 |] [| 1.0; 1.0 |]
    let v, g = Tensor.valueAndGrad (fun x -> Tensor.sum (w * x * x)) x
    Assert.Equal(5.0, v.ToScalar())
    Assert.Equal<float[]>([| 4.0; 6.0 |], g.ToArray())
    Assert.Null(w.Grad)

[<Fact>]
let ``vjp equals the gradient of the weighted sum`` () =
    let rng = Random 5
    let x = random rng [| 3; 2 |]
    let v = random rng [| 2; 3 |]
    let f = Tensor.transpose 0 1 >> Tensor.exp
    let a = Tensor.vjp f x v
    let b = Tensor.grad (fun x -> Tensor.sum (f x * v)) x
    closeTo "vjp" Tol.f64 (b.ToArray()) (a.ToArray())

[<Fact>]
let ``backward on a non-scalar needs a seed`` () =
    let x = Tensor.ones Float64 [| 2 |] |> Tensor.requireGrad
    throwsWith<InvalidOperationException> [ "one-element"; "[2]" ] (fun () -> (x * 2.0).Backward())

[<Fact>]
let ``unary math matches System.Math elementwise`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let shape = shapeOf rng (rng.Next(0, 4)) 4
        let x = uniform rng 0.1 3.0 shape
        let s = random rng shape
        let xv, sv = x.ToArray(), s.ToArray()
        closeTo "exp" Tol.f64 (Array.map Math.Exp sv) ((Tensor.exp s).ToArray())
        closeTo "log" Tol.f64 (Array.map Math.Log xv) ((Tensor.log x).ToArray())
        closeTo "sqrt" Tol.f64 (Array.map Math.Sqrt xv) ((Tensor.sqrt x).ToArray())
        closeTo "abs" Tol.f64 (Array.map (fun (a: float) -> Math.Abs a) sv) ((Tensor.abs s).ToArray())
        closeTo "tanh" Tol.f64 (Array.map Math.Tanh sv) ((Tensor.tanh s).ToArray())
        closeTo "pow" Tol.f64 (Array.map2 (fun a b -> Math.Pow(a, b)) xv sv) ((Tensor.pow x s).ToArray())
        closeTo "powScalar" Tol.f64 (Array.map (fun a -> Math.Pow(a, 1.7)) xv) ((Tensor.powScalar 1.7 x).ToArray())
        closeTo "sin" Tol.f64 (Array.map Math.Sin sv) ((Tensor.sin s).ToArray())
        closeTo "cos" Tol.f64 (Array.map Math.Cos sv) ((Tensor.cos s).ToArray())
        closeTo "acos" Tol.f64 (Array.map Math.Acos sv) ((Tensor.acos s).ToArray())
        closeTo "clamp" Tol.f64 (Array.map (fun a -> max -0.5 (min 0.25 a)) sv) ((Tensor.clamp -0.5 0.25 s).ToArray())
        closeTo "reciprocal" Tol.f64 (Array.map (fun a -> 2.0 / a) xv) ((2.0 / x).ToArray()))
