module KernelsUpsampleTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

let private randomSpec (rng: Random) =
    {
        Planes = rng.Next(1, 3)
        Height = rng.Next(1, 7)
        Width = rng.Next(1, 7)
        FactorH = rng.Next(1, 5)
        FactorW = rng.Next(1, 5)
        Mode =
            (if rng.Next 2 = 0 then
                 UpsampleMode.Bilinear
             else
                 UpsampleMode.Bicubic)
        WrapW = rng.Next 2 = 0
    }

let private inLen (s: Upsample2dSpec) = s.Planes * s.Height * s.Width
let private outLen (s: Upsample2dSpec) = s.Planes * s.OutHeight * s.OutWidth

let private up (s: Upsample2dSpec) (x: 'T[]) =
    let y = Array.zeroCreate (outLen s)
    Upsample.forward s x 0 y 0
    y

[<Fact>]
let ``upsampling equals the 2D interpolation sum from the definition`` () =
    property 150 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x = randomArray rng (inLen s)
        let e = upsample s x
        closeTo (sprintf "%A" s) KTol.f64 e (up s x)
        closeTo "float32" KTol.f32 e (Array.map float (up s (Array.map float32 x))))

[<Fact>]
let ``upsampling matches PyTorch's bilinear and bicubic with align_corners false`` () =
    // torch.nn.functional.interpolate(x, scale_factor=2, mode=…, align_corners=False) on x = [[0, 1, 2], [3, 5, 8]]
    // in float64 (torch 1.13).
    let x = [| 0.0; 1.0; 2.0; 3.0; 5.0; 8.0 |]

    let bilinear =
        [|
            0.0
            0.25
            0.75
            1.25
            1.75
            2.0
            0.75
            1.0625
            1.6875
            2.375
            3.125
            3.5
            2.25
            2.6875
            3.5625
            4.625
            5.875
            6.5
            3.0
            3.5
            4.5
            5.75
            7.25
            8.0
        |]

    let bicubic =
        [|
            -0.4107513427734375
            -0.1414794921875
            0.292236328125
            0.8512420654296875
            1.2198638916015625
            1.450408935546875
            0.550323486328125
            0.906494140625
            1.47509765625
            2.364837646484375
            3.073272705078125
            3.51263427734375
            2.133270263671875
            2.632568359375
            3.42333984375
            4.857818603515625
            6.125946044921875
            6.90924072265625
            3.0943450927734375
            3.6805419921875
            4.606201171875
            6.3714141845703125
            7.9793548583984375
            8.971466064453125
        |]

    closeTo "bilinear" KTol.f64 bilinear (up (Upsample.spec 1 (2, 3) UpsampleMode.Bilinear 2) x)
    closeTo "bicubic" KTol.f64 bicubic (up (Upsample.spec 1 (2, 3) UpsampleMode.Bicubic 2) x)

[<Fact>]
let ``upsampling preserves constants`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let c = rng.NextDouble()
        closeTo "constant" KTol.f64 (Array.create (outLen s) c) (up s (Array.create (inLen s) c)))

[<Fact>]
let ``width-wrapped upsampling equals clamped upsampling of the circularly padded plane, cropped`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let s = { randomSpec rng with WrapW = true }
        let x = randomArray rng (inLen s)

        let padSpec =
            { Pad.spec s.Planes (s.Height, s.Width) PadMode.Circular 0 with
                Left = 2
                Right = 2
            }

        let xp = Array.zeroCreate (s.Planes * s.Height * (s.Width + 4))
        Pad.forward padSpec x 0 xp 0

        let sp =
            { s with
                Width = s.Width + 4
                WrapW = false
            }

        let yp = up sp xp
        let owp = sp.OutWidth

        let cropped =
            Array.init (outLen s) (fun k ->
                let row, j = k / s.OutWidth, k % s.OutWidth
                yp[row * owp + 2 * s.FactorW + j])

        closeTo "wrapped" KTol.f64 cropped (up s x))

[<Fact>]
let ``upsampling backward is the adjoint of upsampling`` () =
    property 150 (fun (seed: int) ->
        let rng = Random seed
        let s = randomSpec rng
        let x, dy = randomArray rng (inLen s), randomArray rng (outLen s)
        let dx = Array.create (inLen s) nan
        Upsample.backward s dy 0 dx 0
        adjointClose "⟨up(x), dy⟩ = ⟨x, upᵀ(dy)⟩" (dot (up s x) dy) (dot x dx)
        let dx32 = Array.create (inLen s) nanf
        Upsample.backward s (Array.map float32 dy) 0 dx32 0
        closeTo "float32" KTol.f32 dx (Array.map float dx32))

[<Fact>]
let ``upsampling rejects a zero factor`` () =
    let a = Array.zeroCreate<float> 100

    throwsWith<ArgumentException> [ "FactorH"; "got 0" ] (fun () ->
        Upsample.forward
            { Upsample.spec 1 (2, 2) UpsampleMode.Bilinear 2 with
                FactorH = 0
            }
            a
            0
            a
            0)
