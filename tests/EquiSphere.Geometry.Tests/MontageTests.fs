module MontageTests

open System
open Xunit
open EquiSphere.Geometry
open TestKit

[<Fact>]
let ``every image appears at its tile position`` () =
    property 60 (fun (seed: int) ->
        let rng = Random seed
        let n = 1 + rng.Next 7
        let ch = 1 + rng.Next 4
        let images = Array.init n (fun _ -> ImageTests.randomImage rng 255 ch)

        let layout =
            { Montage.defaults (1 + rng.Next 4) with
                Padding = rng.Next 3
                Border = rng.Next 3
                BorderColor = 0.25f
                Background = 0.75f
            }

        let m = Montage.grid layout images
        let cols = min layout.Columns n
        let cw = images |> Array.map (fun i -> i.Width) |> Array.max
        let chh = images |> Array.map (fun i -> i.Height) |> Array.max
        let tw, th = cw + 2 * layout.Border, chh + 2 * layout.Border
        Assert.Equal(cols * tw + (cols + 1) * layout.Padding, m.Width)
        Assert.Equal(((n + cols - 1) / cols) * th + ((n + cols - 1) / cols + 1) * layout.Padding, m.Height)
        Assert.Equal(ch, m.Channels)

        images
        |> Array.iteri (fun i img ->
            let x0 =
                layout.Padding
                + (i % cols) * (tw + layout.Padding)
                + layout.Border
                + (cw - img.Width) / 2

            let y0 =
                layout.Padding
                + (i / cols) * (th + layout.Padding)
                + layout.Border
                + (chh - img.Height) / 2

            for y in 0 .. img.Height - 1 do
                for x in 0 .. img.Width - 1 do
                    for k in 0 .. ch - 1 do
                        Assert.Equal(Image.get img x y k, Image.get m (x0 + x) (y0 + y) k))

        // The top-left corner is padding (background) or, without padding, the first frame or tile.
        if layout.Padding > 0 then
            Assert.Equal(0.75f, Image.get m 0 0 0)
        elif layout.Border > 0 then
            Assert.Equal(0.25f, Image.get m 0 0 0))

[<Fact>]
let ``a single image without padding and border is unchanged`` () =
    property 30 (fun (seed: int) ->
        let img = ImageTests.randomImage (Random seed) 255 (1 + abs seed % 4)
        let m = Montage.grid { Montage.defaults 3 with Padding = 0 } [| img |]
        closeTo "same" 0.0 (ImageTests.pixels img) (ImageTests.pixels m))

[<Fact>]
let ``mixed channel counts are promoted to hold everything`` () =
    let gray = Image.ofPixels 1 1 1 [| 0.5f |]
    let rgb = Image.ofPixels 1 1 3 [| 0.1f; 0.2f; 0.3f |]
    let ga = Image.ofPixels 1 1 2 [| 0.5f; 0.25f |]
    Assert.Equal(3, Montage.commonChannels [| gray; rgb |])
    Assert.Equal(2, Montage.commonChannels [| gray; ga |])
    let m = Montage.grid { Montage.defaults 3 with Padding = 0 } [| gray; rgb; ga |]
    Assert.Equal(4, m.Channels)

    closeTo
        "pixels"
        0.0
        [| 0.5; 0.5; 0.5; 1.0; 0.1; 0.2; 0.3; 1.0; 0.5; 0.5; 0.5; 0.25 |]
        (Array.map float m.Pixels |> Array.map (fun v -> Math.Round(v, 6)))

[<Fact>]
let ``fit keeps the aspect ratio inside the box`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let img = Image.create (1 + rng.Next 300) (1 + rng.Next 300) 1
        let bw, bh = 1 + rng.Next 64, 1 + rng.Next 64
        let t = Montage.fit Interpolation.Bilinear bw bh img
        Assert.True(t.Width <= bw && t.Height <= bh)
        Assert.True(t.Width = bw || t.Height = bh || t.Width = 1 || t.Height = 1, sprintf "%dx%d in %dx%d" t.Width t.Height bw bh)
        // Aspect ratio within rounding of one pixel on the shorter side.
        let s = min (float bw / float img.Width) (float bh / float img.Height)
        Assert.InRange(float t.Width, floor (float img.Width * s) - 1.0, ceil (float img.Width * s) + 1.0)
        Assert.InRange(float t.Height, floor (float img.Height * s) - 1.0, ceil (float img.Height * s) + 1.0))

[<Fact>]
let ``thumbnails of same-aspect images are equally sized tiles`` () =
    let images = [| Image.create 40 20 3; Image.create 10 5 3; Image.create 100 50 3 |]

    let sheet =
        Montage.thumbnails { Montage.defaults 3 with Padding = 1 } Interpolation.Nearest 16 16 images

    Assert.Equal(3 * 16 + 4, sheet.Width)
    Assert.Equal(8 + 2, sheet.Height)

[<Fact>]
let ``bad layouts are refused`` () =
    throwsWith<ArgumentException> [ "Columns ≥ 1"; "got 0" ] (fun () ->
        Montage.grid (Montage.defaults 0) [| Image.create 1 1 1 |] |> ignore)

    throwsWith<ArgumentException> [ "at least one image" ] (fun () -> Montage.grid (Montage.defaults 1) [||] |> ignore)
