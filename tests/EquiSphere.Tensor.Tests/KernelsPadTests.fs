module KernelsPadTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

let private modes = [| PadMode.Zeros; PadMode.Reflect; PadMode.Circular |]

let private randomSpec (rng: Random) =
    let h, w = rng.Next(1, 8), rng.Next(1, 8)
    let modeH, modeW = modes[rng.Next 3], modes[rng.Next 3]

    let side mode n =
        if mode = PadMode.Reflect then
            rng.Next n
        else
            rng.Next(0, 2 * n + 2)

    {
        Planes = rng.Next(1, 4)
        Height = h
        Width = w
        Top = side modeH h
        Bottom = side modeH h
        Left = side modeW w
        Right = side modeW w
        ModeH = modeH
        ModeW = modeW
    }

let private padded (s: Pad2dSpec) (x: 'T[]) =
    let y = Array.zeroCreate (s.Planes * s.OutHeight * s.OutWidth)
    Pad.forward s x 0 y 0
    y

[<Fact>]
let ``pad equals the definition for every mode per axis`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x = randomArray rng (s.Planes * s.Height * s.Width)
        Assert.Equal<float[]>(pad s x, padded s x))

[<Fact>]
let ``pad matches PyTorch's reflect and circular`` () =
    // torch.nn.functional.pad(x, (left, right, top, bottom), mode) on x = [[0, 1, 2], [3, 5, 8]] (torch 1.13).
    let x = [| 0.0; 1.0; 2.0; 3.0; 5.0; 8.0 |]

    let reflect =
        { Pad.spec 1 (2, 3) PadMode.Reflect 0 with
            Left = 2
            Right = 1
            Top = 1
        }

    let circular =
        { Pad.spec 1 (2, 3) PadMode.Circular 0 with
            Left = 3
            Right = 1
            Bottom = 2
        }

    Assert.Equal<float[]>(
        [|
            8.0
            5.0
            3.0
            5.0
            8.0
            5.0
            2.0
            1.0
            0.0
            1.0
            2.0
            1.0
            8.0
            5.0
            3.0
            5.0
            8.0
            5.0
        |],
        padded reflect x
    )

    Assert.Equal<float[]>(
        [|
            0.0
            1.0
            2.0
            0.0
            1.0
            2.0
            0.0
            3.0
            5.0
            8.0
            3.0
            5.0
            8.0
            3.0
            0.0
            1.0
            2.0
            0.0
            1.0
            2.0
            0.0
            3.0
            5.0
            8.0
            3.0
            5.0
            8.0
            3.0
        |],
        padded circular x
    )

[<Fact>]
let ``pad adjoint is the adjoint of pad`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x = randomArray rng (s.Planes * s.Height * s.Width)
        let dy = randomArray rng (s.Planes * s.OutHeight * s.OutWidth)
        let dx = Array.create x.Length nan
        Pad.adjoint s dy 0 dx 0
        adjointClose "⟨pad(x), dy⟩ = ⟨x, padᵀ(dy)⟩" (dot (padded s x) dy) (dot x dx)
        let dx32 = Array.create x.Length nanf
        Pad.adjoint s (Array.map float32 dy) 0 dx32 0
        closeTo "float32 adjoint" KTol.f32 dx (Array.map float dx32))

[<Fact>]
let ``pad with zero widths is the identity`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed

        let s =
            Pad.spec (rng.Next(1, 3)) (rng.Next(1, 6), rng.Next(1, 6)) modes[rng.Next 3] 0

        let x = randomArray rng (s.Planes * s.Height * s.Width)
        Assert.Equal<float[]>(x, padded s x))

[<Fact>]
let ``pad rejects reflect padding not smaller than the axis`` () =
    let s = Pad.spec 1 (3, 4) PadMode.Reflect 3
    let a = Array.zeroCreate<float> 1000
    throwsWith<ArgumentException> [ "reflect padding smaller than the height 3"; "got 3 and 3" ] (fun () -> Pad.forward s a 0 a 0)
