module PadTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

[<Fact>]
let ``padding modes fill by zeros mirror and wrap-around`` () =
    let x = Tensor.ofArray Float64 [| 1; 1; 1; 4 |] [| 1.0; 2.0; 3.0; 4.0 |]

    let row mode =
        (Pad.pad2d (PadMode.Zeros, 0, 0) (mode, 2, 2) x).ToArray()

    Assert.Equal<float[]>([| 0.0; 0.0; 1.0; 2.0; 3.0; 4.0; 0.0; 0.0 |], row PadMode.Zeros)
    Assert.Equal<float[]>([| 3.0; 2.0; 1.0; 2.0; 3.0; 4.0; 3.0; 2.0 |], row PadMode.Reflect)
    Assert.Equal<float[]>([| 3.0; 4.0; 1.0; 2.0; 3.0; 4.0; 1.0; 2.0 |], row PadMode.Circular)

[<Fact>]
let ``padding each axis with its own mode matches index arithmetic`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let h, w = rng.Next(3, 7), rng.Next(3, 7)
        let x = random rng [| 2; h; w |]

        let t, b, l, r =
            rng.Next(0, h), rng.Next(0, h), rng.Next(0, w + 1), rng.Next(0, w + 1)

        let y = Pad.pad2d (PadMode.Reflect, t, b) (PadMode.Circular, l, r) x
        Assert.Equal<int[]>([| 2; h + t + b; w + l + r |], y.Shape)

        for p in 0..1 do
            for i in 0 .. h + t + b - 1 do
                for j in 0 .. w + l + r - 1 do
                    let si = abs (i - t) |> fun k -> if k >= h then 2 * (h - 1) - k else k
                    let sj = ((j - l) % w + w) % w
                    Assert.Equal(x[[| p; si; sj |]], y[[| p; i; j |]]))

[<Fact>]
let ``reflect padding beyond the axis is an error and circular padding keeps wrapping`` () =
    let x = Tensor.zeros Float64 [| 1; 1; 3; 3 |]
    throwsWith<ArgumentException> [ "reflect"; "< size 3" ] (fun () -> Pad.uniform PadMode.Reflect 3 x |> ignore)
    let row = Tensor.ofArray Float64 [| 1; 3 |] [| 1.0; 2.0; 3.0 |]
    // circular padding wider than the axis keeps wrapping around
    Assert.Equal<float[]>([| 3.0; 1.0; 2.0; 3.0; 1.0; 2.0; 3.0 |], (Pad.pad2d (PadMode.Zeros, 0, 0) (PadMode.Circular, 4, 0) row).ToArray())

[<Fact>]
let ``reverse rule of padding is its adjoint`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng [| rng.Next(1, 3); rng.Next(3, 6); rng.Next(3, 6) |]
        check1 "reflect × circular" rng (Pad.pad2d (PadMode.Reflect, 2, 1) (PadMode.Circular, 3, 5)) x
        check1 "zeros" rng (Pad.uniform PadMode.Zeros 2) x)
