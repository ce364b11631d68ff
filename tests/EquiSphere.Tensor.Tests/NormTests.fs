module NormTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

let private stats (x: Tensor) (c: int) =
    let s = x.Shape

    let per =
        [|
            for n in 0 .. s[0] - 1 do
                for i in 0 .. s[2] - 1 do
                    for j in 0 .. s[3] - 1 -> x[[| n; c; i; j |]]
        |]

    let m = Array.average per
    m, per |> Array.averageBy (fun v -> (v - m) * (v - m)), per.Length

[<Fact>]
let ``training-mode batch norm normalizes each channel and updates running statistics`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let x = uniform rng -2.0 5.0 [| 3; 2; 4; 5 |]
        let rm, rv = Tensor.zeros Float64 [| 2 |], Tensor.ones Float64 [| 2 |]
        let gamma, beta = uniform rng 0.5 2.0 [| 2 |], random rng [| 2 |]
        let y = Norm.batchNorm true 0.1 1e-5 rm rv (Some gamma) (Some beta) x

        for c in 0..1 do
            let m, v, count = stats x c
            let my, vy, _ = stats y c
            close "mean" 1e-10 (beta.ToArray()[c]) my
            close "variance" 1e-6 (gamma.ToArray()[c] ** 2.0 * v / (v + 1e-5)) vy
            close "running mean" 1e-12 (0.1 * m) (rm.ToArray()[c])
            close "running var (unbiased)" 1e-12 (0.9 + 0.1 * v * float count / float (count - 1)) (rv.ToArray()[c]))

[<Fact>]
let ``evaluation-mode batch norm uses the running statistics and leaves them unchanged`` () =
    let rng = Random 3
    let x = random rng [| 2; 3; 2; 2 |]
    let rm, rv = random rng [| 3 |], uniform rng 0.5 2.0 [| 3 |]
    let before = rm.ToArray(), rv.ToArray()
    let y = Norm.batchNorm false 0.1 1e-5 rm rv None None x
    let m, v = fst before, snd before

    let expected =
        x.ToArray()
        |> Array.mapi (fun i a -> (a - m[(i / 4) % 3]) / sqrt (v[(i / 4) % 3] + 1e-5))

    closeTo "eval" Tol.f64 expected (y.ToArray())
    Assert.Equal<float[]>(fst before, rm.ToArray())
    Assert.Equal<float[]>(snd before, rv.ToArray())

[<Fact>]
let ``reverse rules of batch norm match finite differences in both modes`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let c = rng.Next(1, 4)
        let x = random rng [| rng.Next(2, 4); c; rng.Next(1, 3); rng.Next(1, 4) |]
        let g, b = uniform rng 0.5 2.0 [| c |], random rng [| c |]

        for training in [ true; false ] do
            let rm, rv = Tensor.zeros Float64 [| c |], uniform rng 0.5 2.0 [| c |]

            check
                (sprintf "batchNorm training=%b" training)
                rng
                (fun xs -> Norm.batchNorm training 0.1 1e-5 rm rv (Some xs[1]) (Some xs[2]) xs[0])
                [| x; g; b |]

        let rm, rv = Tensor.zeros Float64 [| c |], Tensor.ones Float64 [| c |]
        check1 "batchNorm without affine" rng (Norm.batchNorm true 0.1 1e-5 rm rv None None) x)

[<Fact>]
let ``dropout is seeded and preserves the expectation`` () =
    let x = Tensor.ones Float64 [| 20000 |]
    let a = Dropout.dropout 0.3 true (Random 9) x
    let b = Dropout.dropout 0.3 true (Random 9) x
    Assert.Equal<float[]>(a.ToArray(), b.ToArray())
    let v = a.ToArray()
    Assert.All(v, (fun e -> Assert.True(e = 0.0 || abs (e - 1.0 / 0.7) < 1e-12)))
    // mean 1, standard error sqrt(p/(1-p)/n) ≈ 0.0046: allow 5 standard errors
    Assert.InRange(Array.average v, 0.977, 1.023)
    Assert.Same(x, Dropout.dropout 0.3 false (Random 9) x)

[<Fact>]
let ``reverse rule of dropout passes the mask`` () =
    let rng = Random 1
    check1 "dropout" rng (fun t -> Dropout.dropout 0.5 true (Random 42) t) (random rng [| 4; 5 |])

[<Fact>]
let ``float32 batch norm agrees with the float64 reference in both modes and in its gradients`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let x = uniform rng -1.0 3.0 [| 3; 4; 5; 6 |]
        let gamma, beta = uniform rng 0.5 2.0 [| 4 |], random rng [| 4 |]
        let v = random rng [| 3; 4; 5; 6 |]
        let f32 = Tensor.convert Float32

        for training in [ true; false ] do
            let run (cast: Tensor -> Tensor) =
                let rm, rv =
                    cast (Tensor.zeros Float64 [| 4 |]), cast (Tensor.full Float64 [| 4 |] 1.5)

                let f (xs: Tensor[]) =
                    Tensor.sum (Norm.batchNorm training 0.1 1e-5 rm rv (Some xs[1]) (Some xs[2]) xs[0] * cast v)

                let y, grads = Tensor.valueAndGradN f [| cast x; cast gamma; cast beta |]
                Array.append [| y.ToScalar() |] (grads |> Array.collect (fun g -> g.ToArray())), Array.append (rm.ToArray()) (rv.ToArray())

            let (a64, s64), (a32, s32) = run id, run f32
            closeTo (sprintf "values and gradients, training=%b" training) 1e-4 a64 a32
            closeTo (sprintf "running statistics, training=%b" training) Tol.f32 s64 s32)

/// Runs `op` (batch norm then ReLU, fused or not) on fresh running statistics rm0/rv0 and returns its values,
/// the gradients of Σ v ⊙ op(xs) with respect to xs (x, or x, γ, β) and the running statistics afterwards.
let private bnReluRun
    (op: bool -> Tensor -> Tensor -> Tensor option -> Tensor option -> Tensor -> Tensor)
    (training: bool)
    (dtype: Dtype)
    (rm0: float[])
    (rv0: float[])
    (xs: Tensor[])
    (v: Tensor)
    =
    let c = rm0.Length
    let rm, rv = Tensor.ofArray dtype [| c |] rm0, Tensor.ofArray dtype [| c |] rv0

    let f (xs: Tensor[]) =
        let w, b = if xs.Length = 3 then Some xs[1], Some xs[2] else None, None
        op training rm rv w b xs[0]

    let values =
        use _ = Tensor.noGrad ()
        (f xs).ToArray()

    let _, grads = Tensor.valueAndGradN (fun xs -> Tensor.sum (f xs * v)) xs

    Array.concat
        [
            [| values |]
            grads |> Array.map (fun g -> g.ToArray())
            [| rm.ToArray(); rv.ToArray() |]
        ]

let private fusedBnRelu training rm rv w b x =
    Norm.batchNormRelu training 0.1 1e-5 rm rv w b x

let private unfusedBnRelu training rm rv w b x =
    Activation.relu (Norm.batchNorm training 0.1 1e-5 rm rv w b x)

[<Fact>]
let ``fused batch norm + ReLU equals ReLU of batch norm bit for bit in values, gradients and running statistics`` () =
    // Random small shapes (planes of any length, not multiples of the SIMD width) and one of 133 120 elements,
    // which the fused forward splits over the cores; float32 and float64, both modes, with and without γ, β.
    property 12 (fun (seed: int) ->
        let rng = Random seed

        let shape =
            if seed % 4 = 0 then
                [| 4; 8; 64; 65 |]
            else
                [| rng.Next(2, 5); rng.Next(1, 6); rng.Next(1, 8); rng.Next(1, 10) |]

        let c = shape[1]

        for dtype in [ Float32; Float64 ] do
            let cast = Tensor.convert dtype
            let x = cast (uniform rng -1.0 1.5 shape)
            let gamma, beta = cast (uniform rng -1.5 2.0 [| c |]), cast (random rng [| c |])
            let v = cast (random rng shape)

            let rm0, rv0 =
                (random rng [| c |]).ToArray(), (uniform rng 0.5 2.0 [| c |]).ToArray()

            for training in [ true; false ] do
                for xs in [ [| x; gamma; beta |]; [| x |] ] do
                    let a = bnReluRun fusedBnRelu training dtype rm0 rv0 xs v
                    let b = bnReluRun unfusedBnRelu training dtype rm0 rv0 xs v

                    for i in 0 .. a.Length - 1 do
                        Assert.Equal<float[]>(b[i], a[i]))

[<Fact>]
let ``reverse rules of fused batch norm + ReLU match finite differences in both modes`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let c = rng.Next(1, 4)
        let x = random rng [| rng.Next(2, 4); c; rng.Next(1, 3); rng.Next(1, 4) |]
        let g, b = uniform rng 0.5 2.0 [| c |], random rng [| c |]

        for training in [ true; false ] do
            let rm, rv = random rng [| c |], uniform rng 0.5 2.0 [| c |]

            check
                (sprintf "batchNormRelu training=%b" training)
                rng
                (fun xs -> Norm.batchNormRelu training 0.1 1e-5 rm rv (Some xs[1]) (Some xs[2]) xs[0])
                [| x; g; b |]

        let rm, rv = Tensor.zeros Float64 [| c |], Tensor.ones Float64 [| c |]
        check1 "batchNormRelu without affine" rng (Norm.batchNormRelu true 0.1 1e-5 rm rv None None) x)
