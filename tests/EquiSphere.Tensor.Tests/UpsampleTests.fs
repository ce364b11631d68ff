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
    let y = Upsample.upsample UpsampleMode.Bilinear (1, 2) false x
    closeTo "bilinear" Tol.f64 [| 1.0; 1.25; 1.75; 2.25; 2.75; 3.0 |] (y.ToArray())

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
let ``bicubic upsampling is the tensor product of Keys kernels over clamped or wrapped samples`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let h, w, f = rng.Next(3, 6), rng.Next(3, 6), rng.Next(2, 4)
        let x = random rng [| 2; h; w |]
        let wrap = rng.Next 2 = 0
        let y = Upsample.upsample UpsampleMode.Bicubic (f, f) wrap x
        let src i = (float i + 0.5) / float f - 0.5

        for p in 0..1 do
            for i in 0 .. f * h - 1 do
                for j in 0 .. f * w - 1 do
                    let si, sj = src i, src j
                    let mutable s = 0.0

                    for u in int (floor si) - 1 .. int (floor si) + 2 do
                        for v in int (floor sj) - 1 .. int (floor sj) + 2 do
                            let col = if wrap then ((v % w) + w) % w else max 0 (min (w - 1) v)

                            s <-
                                s
                                + keys (si - float u)
                                  * keys (sj - float v)
                                  * x[[| p; max 0 (min (h - 1) u); col |]]

                    close "bicubic" 1e-12 s y[[| p; i; j |]])

[<Fact>]
let ``upsampling keeps constants`` () =
    for mode in [ UpsampleMode.Bilinear; UpsampleMode.Bicubic ] do
        let y =
            Upsample.upsample mode (4, 3) true (Tensor.full Float64 [| 1; 2; 3; 5 |] 2.5)

        closeTo (sprintf "%A" mode) 1e-12 (Array.create (2 * 12 * 15) 2.5) (y.ToArray())

[<Fact>]
let ``reverse rules of upsampling match finite differences`` () =
    property 15 (fun (seed: int) ->
        let rng = Random seed
        let x = random rng [| 1; rng.Next(1, 3); rng.Next(1, 4); rng.Next(1, 5) |]
        check1 "bilinear" rng (Upsample.bilinear 2) x
        check1 "bicubic" rng (Upsample.bicubic 2) x
        check1 "bicubic wrap" rng (Upsample.upsample UpsampleMode.Bicubic (2, 3) true) x)
