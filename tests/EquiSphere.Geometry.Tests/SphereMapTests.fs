module SphereMapTests

open System
open Xunit
open EquiSphere.Harmonics
open EquiSphere.Geometry
open TestKit

/// A smooth function on the sphere: a random polynomial of degree ≤ 2 in (x, y, z).
let randomQuadratic (rng: Random) =
    let c = Array.init 10 (fun _ -> rng.NextDouble() * 2.0 - 1.0)

    fun (x: float, y: float, z: float) ->
        c[0]
        + c[1] * x
        + c[2] * y
        + c[3] * z
        + c[4] * x * x
        + c[5] * y * y
        + c[6] * z * z
        + c[7] * x * y
        + c[8] * y * z
        + c[9] * x * z

let onGrid (b: int) (f: float * float * float -> float) =
    Array.init (4 * b * b) (fun i -> f (Grid.point b (i / (2 * b)) (i % (2 * b))))

[<Fact>]
let ``equirectangular pixels are the colormapped samples with theta down and phi right`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = 1 + rng.Next 8
        let n = 2 * b
        let signal = Array.init (n * n) (fun _ -> rng.NextDouble())

        let opts =
            { SphereMap.defaults with
                Scale = 1 + rng.Next 3
            }

        let img = SphereMap.equirectangular opts signal
        Assert.Equal(n * opts.Scale, img.Width)
        Assert.Equal(n * opts.Scale, img.Height)
        let lo, hi = Array.min signal, Array.max signal
        let j, k = rng.Next n, rng.Next n

        let expected =
            ColormapTests.rgb (Colormap.eval opts.Colormap ((signal[j * n + k] - lo) / (hi - lo)))

        for dy in 0 .. opts.Scale - 1 do
            for dx in 0 .. opts.Scale - 1 do
                let x, y = k * opts.Scale + dx, j * opts.Scale + dy
                closeTo "pixel" 1e-6 expected [| for c in 0..2 -> float (Image.get img x y c) |])

[<Fact>]
let ``a signal of the wrong shape is refused with the expected layout`` () =
    throwsWith<ArgumentException> [ "[2B; 2B] (colatitude × longitude)"; "got 12" ] (fun () ->
        SphereMap.equirectangular SphereMap.defaults (Array.zeroCreate 12) |> ignore)

[<Fact>]
let ``channel grids share one range`` () =
    let b = 2
    let a = Array.create 16 0.0
    let c = Array.create 16 1.0

    let img =
        SphereMap.equirectangularGrid { SphereMap.defaults with Scale = 1 } { Montage.defaults 2 with Padding = 0 } [| a; c |]

    Assert.Equal(8, img.Width)

    closeTo
        "first channel low end"
        1e-6
        (ColormapTests.rgb (Colormap.eval Colormap.viridis 0.0))
        [| for k in 0..2 -> float (Image.get img 0 0 k) |]

    closeTo
        "second channel high end"
        1e-6
        (ColormapTests.rgb (Colormap.eval Colormap.viridis 1.0))
        [| for k in 0..2 -> float (Image.get img (2 * b) 0 k) |]

[<Fact>]
let ``sample at a grid point is the grid value`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let b = 1 + rng.Next 10
        let signal = Array.init (4 * b * b) (fun _ -> rng.NextDouble())
        let j, k = rng.Next(2 * b), rng.Next(2 * b)
        close "sample" 1e-9 signal[j * 2 * b + k] (SphereMap.sample signal (Grid.point b j k)))

[<Fact>]
let ``sample interpolates smooth functions including near the poles`` () =
    // Bilinear interpolation of a smooth function: the error is O(h²) with h = π/(2B) the grid step; a loose bound.
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let f = randomQuadratic rng
        let b = 32
        let signal = onGrid b f
        let mutable worst = 0.0

        for _ in 1..200 do
            let p = Rotation.apply (Rotation.randomWith rng) (0.0, 0.0, 1.0)
            worst <- max worst (abs (SphereMap.sample signal p - f p))

        let pole = SphereMap.sample signal (0.0, 0.0, 1.0)
        close "north pole" 0.02 (f (0.0, 0.0, 1.0)) pole
        Assert.True(worst < 0.02, sprintf "worst interpolation error %g" worst))

[<Fact>]
let ``the globe of a rotated function through the rotated view is the same`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let f = randomQuadratic rng
        let q = Rotation.randomWith rng
        let r = Rotation.randomWith rng

        let rotated (p: float * float * float) =
            f (Rotation.apply (Rotation.inverse q) p)

        let a = SphereMap.globeValues r 17 f
        let b = SphereMap.globeValues (Rotation.compose q r) 17 rotated

        closeTo
            "views"
            1e-12
            (a |> Array.map (fun v -> if Double.IsNaN v then 0.0 else v))
            (b |> Array.map (fun v -> if Double.IsNaN v then 0.0 else v))

        Assert.Equal(a |> Array.filter Double.IsNaN |> Array.length, b |> Array.filter Double.IsNaN |> Array.length))

[<Fact>]
let ``the globe center shows the point facing the camera and image axes follow the view`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let r = Rotation.randomWith rng
        let size = 21
        let gx = SphereMap.globeValues r size (fun (x, _, _) -> x)
        let gy = SphereMap.globeValues r size (fun (_, y, _) -> y)
        let gz = SphereMap.globeValues r size (fun (_, _, z) -> z)
        let c = 10 * size + 10
        closeTo "center is R z" 1e-12 [| r[0, 2]; r[1, 2]; r[2, 2] |] [| gx[c]; gy[c]; gz[c] |]

        for i in 0 .. size * size - 1 do
            if not (Double.IsNaN gx[i]) then
                let u = 2.0 * (float (i % size) + 0.5) / float size - 1.0
                let v = 1.0 - 2.0 * (float (i / size) + 0.5) / float size

                let along (col: int) =
                    gx[i] * r[0, col] + gy[i] * r[1, col] + gz[i] * r[2, col]

                close "right is R x" 1e-12 u (along 0)
                close "up is R y" 1e-12 v (along 1)
                Assert.True(along 2 >= 0.0, "visible hemisphere faces the camera")
            else
                Assert.True(
                    (2.0 * (float (i % size) + 0.5) / float size - 1.0) ** 2
                    + (1.0 - 2.0 * (float (i / size) + 0.5) / float size) ** 2
                        >
                        1.0
                ))

[<Fact>]
let ``the globe of a grid signal is transparent outside the disk and opaque inside`` () =
    let b = 8
    let signal = onGrid b (fun (_, _, z) -> z)
    let img = SphereMap.globe SphereMap.defaults Rotation.identity 16 signal
    Assert.Equal(4, img.Channels)
    Assert.Equal(0.0f, Image.get img 0 0 3)
    Assert.Equal(1.0f, Image.get img 8 8 3)
    // Seen from +z the center is the north pole, where z is largest: the top of the viridis map.
    let center = [| for k in 0..2 -> float (Image.get img 8 8 k) |]
    closeTo "north pole color" 0.05 (ColormapTests.rgb (Colormap.eval Colormap.viridis 1.0)) center
