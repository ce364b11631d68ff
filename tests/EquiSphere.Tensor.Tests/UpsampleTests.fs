module UpsampleTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

[<Fact>]
let ``bilinear upsampling interpolates between neighbors with clamped edges`` () =
    // PyTorch: interpolate([1, 2, 3], scale 2, linear, align_corners=False) = [1, 1.25, 1.75, 2.25, 2.75, 3]
    let x = Tensor.ofArray Float64 [| 1; 1; 1; 3 |] [| 1.0; 2.0; 3.0 |]
    let y = Upsample.resize Bilinear Clamp Clamp (1, 6) x
    closeTo "bilinear" Tol.f64 [| 1.0; 1.25; 1.75; 2.25; 2.75; 3.0 |] (y.ToArray())

[<Fact>]
let ``upsampling reproduces what its kernel reproduces`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let h, w = rng.Next(4, 8), rng.Next(4, 8)
        let f = rng.Next(2, 4)
        let a, b, c = rng.NextDouble(), rng.NextDouble(), rng.NextDouble()
        // constants survive every kernel; interior samples of a linear ramp survive bilinear and bicubic
        let ramp =
            Tensor.ofArray Float64 [| 1; 1; h; w |] (Array.init (h * w) (fun k -> a + b * float (k / w) + c * float (k % w)))

        let coord i n =
            (float i + 0.5) / float f - 0.5 |> fun s -> s, s >= 1.0 && s <= float n - 2.0

        let y = Upsample.resize Bilinear Clamp Clamp (f * h, f * w) ramp

        for i in 0 .. f * h - 1 do
            for j in 0 .. f * w - 1 do
                let si, insideI = coord i h
                let sj, insideJ = coord j w

                if insideI && insideJ then
                    close "bilinear ramp" 1e-12 (a + b * si + c * sj) y[[| 0; 0; i; j |]]

        for kind in [ Bilinear; Bicubic ] do

            let one =
                Upsample.resize kind Wrap Clamp (f * h, f * w) (Tensor.ones Float64 [| 1; 1; h; w |])

            closeTo (sprintf "%A constant" kind) 1e-12 (Array.create (f * f * h * w) 1.0) (one.ToArray()))

/// Keys' cubic convolution kernel (a = −0.75), written from its textbook piecewise form.
let private keys (s: float) =
    let a, t = -0.75, abs s

    if t <= 1.0 then
        (a + 2.0) * t ** 3.0 - (a + 3.0) * t ** 2.0 + 1.0
    elif t < 2.0 then
        a * t ** 3.0 - 5.0 * a * t ** 2.0 + 8.0 * a * t - 4.0 * a
    else
        0.0

[<Fact>]
let ``bicubic upsampling is the tensor product of Keys kernels over clamped samples`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let h, w, f = rng.Next(3, 6), rng.Next(3, 6), rng.Next(2, 4)
        let x = random rng [| 1; 1; h; w |]
        let y = Upsample.bicubic f x
        let src i = (float i + 0.5) / float f - 0.5

        for i in 0 .. f * h - 1 do
            for j in 0 .. f * w - 1 do
                let si, sj = src i, src j
                let mutable s = 0.0

                for u in int (floor si) - 1 .. int (floor si) + 2 do
                    for v in int (floor sj) - 1 .. int (floor sj) + 2 do
                        s <-
                            s
                            + keys (si - float u)
                              * keys (sj - float v)
                              * x[[| 0; 0; max 0 (min (h - 1) u); max 0 (min (w - 1) v) |]]

                close "bicubic" 1e-12 s y[[| 0; 0; i; j |]])

[<Fact>]
let ``wrap boundary treats the axis as periodic`` () =
    let rng = Random 4
    let x = random rng [| 1; 1; 3; 6 |]
    let rolled = Tensor.concat 3 [| Tensor.narrow 3 2 4 x; Tensor.narrow 3 0 2 x |]

    let up t =
        Upsample.resize Bicubic Clamp Wrap (6, 12) t
    // upsampling commutes with a cyclic shift by 2 columns (4 output columns at factor 2)
    let a = up rolled
    let b = up x
    let shifted = Tensor.concat 3 [| Tensor.narrow 3 4 8 b; Tensor.narrow 3 0 4 b |]
    closeTo "shift" Tol.f64 (shifted.ToArray()) (a.ToArray())

[<Fact>]
let ``reverse rules of resizing match finite differences`` () =
    property 15 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng [| 1; 2; 3; 4 |]
        check1 "bilinear" rng (Upsample.bilinear 2) x
        check1 "bicubic" rng (Upsample.bicubic 2) x
        check1 "bicubic wrap" rng (Upsample.resize Bicubic Clamp Wrap (5, 9)) x)
