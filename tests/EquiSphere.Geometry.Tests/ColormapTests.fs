module ColormapTests

open System
open Xunit
open EquiSphere.Geometry
open TestKit

let rgb (struct (r: float32, g: float32, b: float32)) = [| float r; float g; float b |]

/// Relative luminance (Rec. 709 weights on linearized sRGB): a monotone function of perceived lightness.
let luminance (struct (r: float32, g: float32, b: float32)) =
    let lin (c: float32) =
        let c = float c

        if c <= 0.04045 then
            c / 12.92
        else
            ((c + 0.055) / 1.055) ** 2.4

    0.2126 * lin r + 0.7152 * lin g + 0.0722 * lin b

[<Fact>]
let ``eval at every control point is the control color`` () =
    for m in Colormap.all do
        for s in m.Stops do
            closeTo (sprintf "%s at %g" m.Name s.T) 1e-6 [| float s.R; float s.G; float s.B |] (rgb (Colormap.eval m s.T))

[<Fact>]
let ``each channel between two control points lies between their values`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed

        for m in Colormap.all do
            let t = rng.NextDouble()

            let i =
                m.Stops |> Array.findIndexBack (fun s -> s.T <= t) |> min (m.Stops.Length - 2)

            let a, b = m.Stops[i], m.Stops[i + 1]
            let c = rgb (Colormap.eval m t)

            for k, lo, hi in [ 0, a.R, b.R; 1, a.G, b.G; 2, a.B, b.B ] do
                Assert.InRange(c[k], float (min lo hi) - 1e-6, float (max lo hi) + 1e-6))

[<Fact>]
let ``viridis and magma have increasing luminance`` () =
    for m in [ Colormap.viridis; Colormap.magma; Colormap.gray ] do
        let ys = Array.init 256 (fun i -> luminance (Colormap.eval m (float i / 255.0)))

        for i in 1..255 do
            Assert.True(ys[i] > ys[i - 1], sprintf "%s: luminance %g at %d after %g" m.Name ys[i] i ys[i - 1])

[<Fact>]
let ``coolwarm is lightest in the middle and its ends are equally light`` () =
    let y t =
        luminance (Colormap.eval Colormap.coolwarm t)

    for i in 1..128 do
        Assert.True(y (float i / 256.0) > y (float (i - 1) / 256.0), sprintf "rising at %d" i)
        Assert.True(y (1.0 - float i / 256.0) > y (1.0 - float (i - 1) / 256.0), sprintf "falling at %d" i)

    close "ends" 0.05 (y 0.0) (y 1.0)

[<Fact>]
let ``outside the unit interval the ends are used and NaN is gray`` () =
    for m in Colormap.all do
        closeTo "below" 0.0 (rgb (Colormap.eval m 0.0)) (rgb (Colormap.eval m -3.0))
        closeTo "above" 0.0 (rgb (Colormap.eval m 1.0)) (rgb (Colormap.eval m 7.0))
        closeTo "nan" 0.0 (rgb Colormap.NanColor) (rgb (Colormap.eval m nan))

[<Fact>]
let ``apply colors each value through the resolved range`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let w, h = 1 + rng.Next 9, 1 + rng.Next 9
        let values = Array.init (w * h) (fun _ -> rng.NextDouble() * 10.0 - 3.0)
        let m = Colormap.all[rng.Next 4]

        let range, (lo, hi) =
            match rng.Next 3 with
            | 0 -> ColorRange.Auto, (Array.min values, Array.max values)
            | 1 ->
                let a = values |> Array.map abs |> Array.max
                ColorRange.Symmetric, (-a, a)
            | _ -> ColorRange.Fixed(-1.0, 2.0), (-1.0, 2.0)

        let img = Colormap.apply m range w h values

        if hi > lo then
            let expected =
                values |> Array.collect (fun v -> rgb (Colormap.eval m ((v - lo) / (hi - lo))))

            closeTo "pixels" 1e-6 expected (ImageTests.pixels img))

[<Fact>]
let ``symmetric range puts zero at the middle color`` () =
    let img =
        Colormap.apply Colormap.coolwarm ColorRange.Symmetric 3 1 [| -2.0; 0.0; 0.5 |]

    closeTo "middle" 1e-6 (rgb (Colormap.eval Colormap.coolwarm 0.5)) ((ImageTests.pixels img).[3..5])

[<Fact>]
let ``constant and empty inputs resolve to a range of positive length`` () =
    let lo, hi = Colormap.resolve ColorRange.Auto [| 3.0; 3.0; nan |]
    Assert.True(lo < 3.0 && hi > 3.0)
    Assert.Equal((0.0, 1.0), Colormap.resolve ColorRange.Auto [| nan |])
    Assert.Equal((-1.0, 1.0), Colormap.resolve ColorRange.Symmetric [| 0.0 |])

[<Fact>]
let ``bad control points sizes and names are refused`` () =
    let s t = { T = t; R = 0.0f; G = 0.0f; B = 0.0f }
    throwsWith<ArgumentException> [ "at least 2" ] (fun () -> Colormap.create "x" [| s 0.0 |] |> ignore)

    throwsWith<ArgumentException> [ "strictly increasing"; "index 2" ] (fun () ->
        Colormap.create "x" [| s 0.0; s 0.5; s 0.5; s 1.0 |] |> ignore)

    throwsWith<ArgumentException> [ "T = 0 to T = 1" ] (fun () -> Colormap.create "x" [| s 0.1; s 1.0 |] |> ignore)

    throwsWith<ArgumentException> [ "6 values"; "got 5" ] (fun () ->
        Colormap.apply Colormap.gray ColorRange.Auto 3 2 (Array.zeroCreate 5) |> ignore)

    throwsWith<ArgumentException> [ "viridis, magma"; "'jet'" ] (fun () -> Colormap.find "jet" |> ignore)
    Assert.Equal("magma", (Colormap.find "MAGMA").Name)

[<Fact>]
let ``the color bar runs from the first to the last color`` () =
    let bar = Colormap.colorbar Colormap.viridis 16 3
    closeTo "left" 1e-6 (rgb (Colormap.eval Colormap.viridis 0.0)) ((ImageTests.pixels bar).[0..2])
    closeTo "right" 1e-6 (rgb (Colormap.eval Colormap.viridis 1.0)) ((ImageTests.pixels bar).[45..47])
