module PoolTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

[<Fact>]
let ``pooling matches window maxima and means`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let k, s = rng.Next(1, 4), rng.Next(1, 3)
        let x = random rng [| 2; 2; rng.Next(k, 9); rng.Next(k, 9) |]
        let mx = Pool.maxPool2d (k, k) (s, s) (0, 0) x
        let av = Pool.avgPool2d (k, k) (s, s) (0, 0) x
        let sh = mx.Shape

        for n in 0..1 do
            for c in 0..1 do
                for i in 0 .. sh[2] - 1 do
                    for j in 0 .. sh[3] - 1 do
                        let window =
                            [|
                                for u in 0 .. k - 1 do
                                    for v in 0 .. k - 1 -> x[[| n; c; i * s + u; j * s + v |]]
                            |]

                        close "max" Tol.f64 (Array.max window) mx[[| n; c; i; j |]]
                        close "avg" Tol.f64 (Array.average window) av[[| n; c; i; j |]])

[<Fact>]
let ``reverse rules of pooling match finite differences`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed

        let x =
            random rng [| rng.Next(1, 3); rng.Next(1, 3); rng.Next(3, 7); rng.Next(3, 7) |]

        check1 "maxPool2d" rng (Pool.maxPool2d (2, 2) (2, 2) (0, 0)) x
        check1 "maxPool2d overlapping padded" rng (Pool.maxPool2d (3, 3) (2, 1) (1, 1)) x
        check1 "avgPool2d" rng (Pool.avgPool2d (3, 2) (1, 2) (1, 0)) x)
