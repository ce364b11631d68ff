module ResampleTests

open System
open Xunit
open EquiSphere.Harmonics
open TestKit
open Bandlimited

[<Fact>]
let ``bicubic upsampling reproduces cubic data exactly away from the wrap and the poles`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(3, 10)
        let factor = rng.Next(1, 5)
        let n = 2 * b
        let c = Array.init 7 (fun _ -> rng.NextDouble() - 0.5)
        // A cubic in the (continuous) sample indices (u, v) = (row, column).
        let poly (u: float) (v: float) =
            c[0]
            + c[1] * u
            + c[2] * v
            + c[3] * u * v * v
            + c[4] * v ** 3.0
            + c[5] * u ** 3.0
            + c[6] * u * u * v

        let f = Array2D.init n n (fun j k -> poly (float j) (float k))
        let g = Resample.upsampleBicubic factor f
        let nf = n * factor

        for jj in 0 .. nf - 1 do
            let u = float (2 * jj + 1) / float (2 * factor) - 0.5

            for kk in 0 .. nf - 1 do
                let v = float kk / float factor
                // The stencil rows floor(u)−1..floor(u)+2 and columns floor(v)−1..floor(v)+2 must be inside.
                if
                    floor u >= 1.0
                    && floor u + 2.0 <= float (n - 1)
                    && floor v >= 1.0
                    && floor v + 2.0 <= float (n - 1)
                then
                    close (sprintf "(%d,%d) F=%d" jj kk factor) 1e-12 (poly u v) g[jj, kk])

[<Fact>]
let ``bicubic upsampling keeps constants and the coarse columns of each coarse row band`` () =
    let f = Array2D.create 8 8 0.75
    let g = Resample.upsampleBicubic 3 f
    Assert.Equal(24, Array2D.length1 g)
    closeTo "constant" 1e-15 (Array.create (24 * 24) 0.75) (flat g)
    // Factor 1 is the identity.
    let rng = Random 5
    let h = Array2D.init 10 10 (fun _ _ -> rng.NextDouble())
    closeTo "factor 1" 1e-15 (flat h) (flat (Resample.upsampleBicubic 1 h))

[<Fact>]
let ``zero-padding preserves band-limited signals exactly`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = rng.Next(1, 7)
        let big = b + rng.Next(0, 6)
        let a = realCoefficients rng b
        let small, large = Sht.plan b, Sht.plan big
        let f = Sht.inverse small a
        let g = Resample.upsampleSpectral small large f
        let expected = naiveSynthesis big b a |> Array2D.map (fun c -> c.Real)
        closeTo (sprintf "b=%d B=%d" b big) 1e-13 (flat expected) (flat g)
        closeTo "padded coefficients" 1e-13 (flatten (Resample.zeroPad big a)) (flatten (Sht.forward large g)))

[<Fact>]
let ``float32 batched resampling matches float64`` () =
    let rng = Random 9
    let b, channels, factor = 8, 3, 2
    let small, large = Sht.plan b, Sht.plan (b * factor)

    let grids =
        Array.init channels (fun _ -> Sht.inverse small (realCoefficients rng b))

    let signals = grids |> Array.collect (flat >> Array.map float32)

    let cubic =
        Resample.upsampleBicubicBatch32 factor b channels signals |> Array.map float

    let cubic64 = grids |> Array.collect (Resample.upsampleBicubic factor >> flat)
    closeTo "bicubic" 1e-5 cubic64 cubic

    let spectral =
        Resample.upsampleSpectralBatch32 small large channels signals |> Array.map float

    let spectral64 =
        grids |> Array.collect (Resample.upsampleSpectral small large >> flat)

    let err = relativeL2 spectral64 spectral

    if err > 2e-6 then
        failwithf "spectral relative L2 %.3e" err

[<Fact>]
let ``resampling rejects bad factors and shapes`` () =
    throwsWith<ArgumentException> [ "factor"; "0" ] (fun () -> Resample.upsampleBicubic 0 (Array2D.zeroCreate 4 4) |> ignore)
    throwsWith<ArgumentException> [ "signal"; "[4; 5]" ] (fun () -> Resample.upsampleBicubic 2 (Array2D.zeroCreate 4 5) |> ignore)
    throwsWith<ArgumentException> [ "coeffs"; "4" ] (fun () -> Resample.zeroPad 1 (Array.zeroCreate 4) |> ignore)

    throwsWith<ArgumentException> [ "signals"; "[C=2, 2b=4, 2b=4]" ] (fun () ->
        Resample.upsampleBicubicBatch32 2 2 2 (Array.zeroCreate 31) |> ignore)

    throwsWith<ArgumentException> [ "large" ] (fun () ->
        Resample.upsampleSpectral (Sht.plan 4) (Sht.plan 2) (Array2D.zeroCreate 8 8)
        |> ignore)
