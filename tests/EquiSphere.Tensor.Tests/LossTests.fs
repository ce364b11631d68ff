module LossTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

[<Fact>]
let ``losses match their scalar definitions`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let shape = shapeOf rng 2 5

        let p, t, w =
            Tensor.scale 3.0 (random rng shape), random rng shape, uniform rng 0.0 2.0 shape

        let pv, tv, wv = p.ToArray(), t.ToArray(), w.ToArray()
        let delta = 0.5 + rng.NextDouble()

        let hub d =
            if abs d <= delta then
                0.5 * d * d
            else
                delta * (abs d - 0.5 * delta)

        close "mse" Tol.f64 (Array.map2 (fun a b -> (a - b) ** 2.0) pv tv |> Array.average) ((Loss.mse p t).ToScalar())
        close "huber" Tol.f64 (Array.map2 (fun a b -> hub (a - b)) pv tv |> Array.average) ((Loss.huber delta p t).ToScalar())

        close
            "weighted huber"
            Tol.f64
            (Array.init pv.Length (fun i -> wv[i] * hub (pv[i] - tv[i])) |> Array.average)
            ((Loss.huberWeighted delta w p t).ToScalar()))

[<Fact>]
let ``cross-entropy equals the mean negative log-probability of the targets`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let n, k = rng.Next(1, 6), rng.Next(2, 6)
        let logits = Tensor.scale 4.0 (random rng [| n; k |])
        let targets = Array.init n (fun _ -> rng.Next k)
        let v = logits.ToArray()

        let expected =
            Array.init n (fun i ->
                let row = v[i * k .. i * k + k - 1]
                log (row |> Array.sumBy exp) - row[targets[i]])
            |> Array.average

        close "crossEntropy" Tol.f64 expected ((Loss.crossEntropy targets logits).ToScalar()))

[<Fact>]
let ``cosine loss is zero for parallel and two for opposite vectors`` () =
    let a = Tensor.ofArray Float64 [| 2; 3 |] [| 1.0; 2.0; 3.0; -1.0; 0.5; 2.0 |]
    close "parallel" 1e-12 0.0 ((Loss.cosine 1 a (Tensor.scale 2.5 a)).ToScalar())
    close "opposite" 1e-12 2.0 ((Loss.cosine 1 a (Tensor.neg a)).ToScalar())

[<Fact>]
let ``reverse rules of losses match finite differences`` () =
    property 15 (fun (seed: int) ->
        let rng = Random seed

        let p, t, w =
            Tensor.scale 3.0 (random rng [| 3; 4 |]), random rng [| 3; 4 |], uniform rng 0.0 2.0 [| 1; rng.Next(1, 2) * 4 |]

        check "mse" rng (fun xs -> Loss.mse xs[0] xs[1]) [| p; t |]
        check "huber" rng (fun xs -> Loss.huber 1.0 xs[0] xs[1]) [| p; t |]
        check "weighted huber" rng (fun xs -> Loss.huberWeighted 0.7 xs[2] xs[0] xs[1]) [| p; t; w |]
        check1 "crossEntropy" rng (Loss.crossEntropy [| 0; 3; 1 |]) p
        check "cosine" rng (fun xs -> Loss.cosine 1 xs[0] xs[1]) [| p; t |])
