module ImageTests

open System
open Xunit
open EquiSphere.Geometry
open TestKit

/// A random image whose values are multiples of 1/maxval.
let randomImage (rng: Random) (maxval: int) (channels: int) =
    let w, h = 1 + rng.Next 17, 1 + rng.Next 13
    Image.ofLevels maxval w h channels (Array.init (w * h * channels) (fun _ -> rng.Next(maxval + 1)))

let pixels (img: Image) = img.Pixels |> Array.map float

[<Fact>]
let ``levels round trip is identity on quantized images`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let maxval = [| 1; 3; 255; 1000; 65535 |][rng.Next 5]
        let img = randomImage rng maxval (1 + rng.Next 4)

        let back =
            Image.ofLevels maxval img.Width img.Height img.Channels (Image.toLevels maxval img)

        closeTo "pixels" 0.0 (pixels img) (pixels back))

[<Fact>]
let ``toLevels clamps and rounds to nearest and maps NaN to zero`` () =
    let img =
        Image.ofPixels 5 1 1 [| -0.5f; 1.5f; nanf; 0.5f / 255.0f + 1e-4f; 0.49f / 255.0f |]

    Assert.Equal<int[]>([| 0; 255; 0; 1; 0 |], Image.toLevels 255 img)

[<Fact>]
let ``adding channels and converting back is identity`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let img = randomImage rng 255 1

        for c in 2..4 do
            closeTo (sprintf "gray via %d channels" c) 0.0 (pixels img) (pixels (img |> Image.withChannels c |> Image.withChannels 1))

        let rgb = randomImage rng 255 3
        closeTo "rgb via rgba" 0.0 (pixels rgb) (pixels (rgb |> Image.withChannels 4 |> Image.withChannels 3)))

[<Fact>]
let ``added alpha is opaque and rgb to gray is the luma`` () =
    let rgb = Image.ofPixels 1 1 3 [| 0.2f; 0.4f; 0.6f |]
    let rgba = Image.withChannels 4 rgb
    close "alpha" 0.0 1.0 (float rgba.Pixels[3])
    close "luma" 1e-6 (0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6) (float (Image.withChannels 1 rgb).Pixels[0])

[<Fact>]
let ``crop takes the window pixel by pixel`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let img = randomImage rng 255 (1 + rng.Next 4)
        let x, y = rng.Next img.Width, rng.Next img.Height
        let w, h = 1 + rng.Next(img.Width - x), 1 + rng.Next(img.Height - y)
        let c = Image.crop x y w h img

        let expected =
            [|
                for yy in 0 .. h - 1 do
                    for xx in 0 .. w - 1 do
                        for k in 0 .. img.Channels - 1 do
                            float (Image.get img (x + xx) (y + yy) k)
            |]

        closeTo "window" 0.0 expected (pixels c))

[<Fact>]
let ``a crop outside the image is refused with both sizes`` () =
    throwsWith<ArgumentException> [ "4 × 3"; "2 × 2 at (3, 0)" ] (fun () -> Image.crop 3 0 2 2 (Image.create 4 3 1) |> ignore)

[<Fact>]
let ``flips are involutions and mirror pixels`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let img = randomImage rng 255 (1 + rng.Next 4)
        closeTo "vertical twice" 0.0 (pixels img) (pixels (img |> Image.flipVertical |> Image.flipVertical))
        closeTo "horizontal twice" 0.0 (pixels img) (pixels (img |> Image.flipHorizontal |> Image.flipHorizontal))
        let v = Image.flipVertical img
        let h = Image.flipHorizontal img
        close "vertical mirror" 0.0 (float (Image.get img 0 0 0)) (float (Image.get v 0 (img.Height - 1) 0))
        close "horizontal mirror" 0.0 (float (Image.get img 0 0 0)) (float (Image.get h (img.Width - 1) 0 0)))

[<Fact>]
let ``resizing to the same size is identity`` () =
    property 30 (fun (seed: int) ->
        let img = randomImage (Random seed) 255 3

        for interp in [ Interpolation.Nearest; Interpolation.Bilinear ] do
            closeTo "same size" 0.0 (pixels img) (pixels (Image.resize interp img.Width img.Height img)))

[<Fact>]
let ``nearest upscaling by an integer factor then downscaling is identity`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let img = randomImage rng 255 (1 + rng.Next 4)
        let k = 2 + rng.Next 3
        let up = Image.resize Interpolation.Nearest (k * img.Width) (k * img.Height) img
        Assert.Equal(Image.get img (img.Width - 1) 0 0, Image.get up (k * img.Width - 1) (k - 1) 0)
        closeTo "down" 0.0 (pixels img) (pixels (Image.resize Interpolation.Nearest img.Width img.Height up)))

[<Fact>]
let ``bilinear keeps a constant image constant and a ramp linear inside`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let v = float32 (rng.NextDouble())
        let w, h = 2 + rng.Next 10, 2 + rng.Next 10
        let img = Image.ofPixels w h 1 (Array.create (w * h) v)
        let w2, h2 = 1 + rng.Next 40, 1 + rng.Next 40
        let r = Image.resize Interpolation.Bilinear w2 h2 img
        closeTo "constant" Tol.f32 (Array.create (w2 * h2) (float v)) (pixels r)
        // A horizontal ramp x/(w−1) upscaled by 2: interior samples lie at source x = (x' + ½)/2 − ½.
        let ramp =
            Image.ofPixels w 1 1 (Array.init w (fun x -> float32 x / float32 (w - 1)))

        let up = Image.resize Interpolation.Bilinear (2 * w) 1 ramp

        for x in 1 .. 2 * w - 2 do
            close "ramp" Tol.f32 (((float x + 0.5) / 2.0 - 0.5) / float (w - 1)) (float up.Pixels[x]))
