module OpTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

/// A custom op defined only through the public extension point: y = x³ with reverse rule 3x²·adjoint.
let cube = Op.defineUnary "cube" (fun x -> x * x * x) (fun x _ g -> g * x * x * 3.0)

/// A two-input custom op: y = a·sin-free product a·b² with adjoints (b²·g, 2ab·g).
let weightedSquare =
    Op.defineBinary "weightedSquare" (fun a b -> a * b * b) (fun a b _ g -> g * b * b, g * a * b * 2.0)

[<Fact>]
let ``a custom op defined outside the engine has a correct gradient`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng (shapeOf rng 2 4)
        check1 "cube" rng cube x
        check1 "cube composed" rng (fun t -> Tensor.exp (cube t) + cube (t * 2.0)) x
        check "weightedSquare" rng (fun xs -> weightedSquare xs[0] xs[1]) [| x; random rng x.Shape |])

[<Fact>]
let ``a custom op's values come from its forward function`` () =
    let x = Tensor.ofArray Float64 [| 3 |] [| 1.0; -2.0; 0.5 |]
    Assert.Equal<float[]>([| 1.0; -8.0; 0.125 |], (cube x).ToArray())

[<Fact>]
let ``a reverse rule returning a wrongly shaped adjoint is reported with the op's name`` () =
    let bad = Op.defineUnary "bad" id (fun _ _ g -> Tensor.sum g)
    let x = Tensor.ones Float64 [| 3 |]
    throwsWith<InvalidOperationException> [ "'bad'"; "[]"; "[3]" ] (fun () -> Tensor.grad (bad >> Tensor.sum) x |> ignore)

[<Fact>]
let ``custom ops accumulate into parameters through Backward`` () =
    let w = Tensor.ofArray Float64 [| 2 |] [| 1.0; 2.0 |] |> Tensor.requireGrad
    (Tensor.sum (cube w)).Backward()
    Assert.Equal<float[]>([| 3.0; 12.0 |], w.Grad.ToArray())
