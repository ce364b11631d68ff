module ActivationTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

[<Fact>]
let ``activations match their scalar definitions`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng (shapeOf rng 2 5)
        let v = x.ToArray()
        closeTo "relu" Tol.f64 (v |> Array.map (max 0.0)) ((Activation.relu x).ToArray())
        closeTo "leaky" Tol.f64 (v |> Array.map (fun a -> if a > 0.0 then a else 0.1 * a)) ((Activation.leakyRelu 0.1 x).ToArray())
        closeTo "sigmoid" Tol.f64 (v |> Array.map (fun a -> 1.0 / (1.0 + exp -a))) ((Activation.sigmoid x).ToArray())
        let slope = Tensor.ofArray Float64 [| 1 |] [| 0.3 |]
        closeTo "prelu" Tol.f64 (v |> Array.map (fun a -> if a > 0.0 then a else 0.3 * a)) ((Activation.prelu slope x).ToArray()))

[<Fact>]
let ``softmax is positive and sums to one along its axis`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let x = Tensor.scale 20.0 (random rng [| 3; 5; 2 |])
        let s = Activation.softmax 1 x
        Assert.All(s.ToArray(), (fun v -> Assert.True(v > 0.0)))
        closeTo "sums" Tol.f64 (Array.create 6 1.0) ((Tensor.sumDims [| 1 |] false s).ToArray())
        closeTo "log" Tol.f64 ((Tensor.log s).ToArray()) ((Activation.logSoftmax 1 x).ToArray()))

[<Fact>]
let ``reverse rules of activations match finite differences`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng (shapeOf rng 3 4)
        check1 "relu" rng Activation.relu x
        check1 "leakyRelu" rng (Activation.leakyRelu 0.2) x
        check1 "softmax" rng (Activation.softmax 1) x
        check1 "logSoftmax" rng (Activation.logSoftmax -1) x
        check "prelu per channel" rng (fun xs -> Activation.prelu xs[1] xs[0]) [| x; random rng [| x.Shape[1] |] |])
