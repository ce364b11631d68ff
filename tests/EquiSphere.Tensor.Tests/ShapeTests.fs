module ShapeTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit

[<Fact>]
let ``broadcast of compatible shapes stretches size-one axes`` () =
    Assert.Equal<int[]>([| 2; 3; 4 |], Shape.broadcast2 [| 3; 1 |] [| 2; 1; 4 |])
    Assert.Equal<int[]>([| 5 |], Shape.broadcast2 [||] [| 5 |])

[<Fact>]
let ``incompatible shapes give an error naming both shapes`` () =
    throwsWith<ArgumentException> [ "broadcast"; "[2; 3]"; "[4]" ] (fun () -> Shape.broadcast2 [| 2; 3 |] [| 4 |] |> ignore)

[<Fact>]
let ``reshape infers one unknown dimension and rejects a wrong element count`` () =
    Assert.Equal<int[]>([| 4; 6 |], Shape.reshape [| 2; 3; 4 |] [| 4; -1 |])
    throwsWith<ArgumentException> [ "24 elements"; "[5; 5]" ] (fun () -> Shape.reshape [| 2; 3; 4 |] [| 5; 5 |] |> ignore)

[<Fact>]
let ``matmul shape checks inner dimensions`` () =
    Assert.Equal<int[]>([| 7; 2; 5 |], Shape.matmul [| 7; 2; 3 |] [| 3; 5 |])
    throwsWith<ArgumentException> [ "inner dimensions"; "[2; 3]"; "[4; 5]" ] (fun () -> Shape.matmul [| 2; 3 |] [| 4; 5 |] |> ignore)

[<Fact>]
let ``conv shape follows the window count formula`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed

        let h, k, s, p, d =
            rng.Next(5, 20), rng.Next(1, 4), rng.Next(1, 4), rng.Next(0, 3), rng.Next(1, 3)

        let out = Shape.conv2d [| 1; 2; h; h |] [| 3; 2; k; k |] (s, s) (p, p) (d, d) 1
        // count window positions directly: start positions −p, −p + s, ... whose last tap stays inside
        let count =
            Seq.initInfinite id
            |> Seq.takeWhile (fun i -> -p + i * s + d * (k - 1) <= h - 1 + p)
            |> Seq.length

        Assert.Equal(count, out[2]))

[<Fact>]
let ``conv shape errors name the expected layout`` () =
    throwsWith<ArgumentException> [ "[N; C; H; W]"; "[3; 4]" ] (fun () ->
        Shape.conv2d [| 3; 4 |] [| 1; 1; 1; 1 |] (1, 1) (0, 0) (1, 1) 1 |> ignore)

    throwsWith<ArgumentException> [ "C/groups=2"; "[4; 3; 3; 3]" ] (fun () ->
        Shape.conv2d [| 1; 2; 8; 8 |] [| 4; 3; 3; 3 |] (1, 1) (0, 0) (1, 1) 1 |> ignore)
