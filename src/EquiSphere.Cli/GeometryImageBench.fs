/// The `bench --only png` suite: PNG decoding and encoding against the BCL's zlib alone (the floor any PNG codec
/// built on it pays), colormapping and heat maps.
module EquiSphere.Cli.GeometryImageBench

open System
open System.IO
open System.IO.Compression
open EquiSphere.Geometry

/// A smooth RGB test image with some noise, like a rendered view: w × h × 3.
let private testImage (w: int) (h: int) =
    let rng = Random 42

    Image.ofPixels
        w
        h
        3
        (Array.init (w * h * 3) (fun i ->
            let p = i / 3
            let x, y, c = p % w, p / w, i % 3

            let v =
                0.5
                + 0.4 * sin (float x * 0.03 + float c) * cos (float y * 0.02)
                + 0.02 * rng.NextDouble()

            float32 v))

let private zlibOf (level: CompressionLevel) (raw: byte[]) =
    use ms = new MemoryStream()

    do
        use z = new ZLibStream(ms, level, true)
        z.Write(raw, 0, raw.Length)

    ms.ToArray()

/// Measures and prints the suite.
let run () =
    let rows = ResizeArray()

    for w, h in [ 256, 256; 1024, 768 ] do
        let img = testImage w h
        let png = Png.encode img
        let group = sprintf "png %d×%d RGB" w h
        // The floor: the image's raw scanlines (filter byte 0 + samples) through ZLibStream alone.
        let levels = Image.toLevels 255 img

        let raw =
            Array.init (h * (1 + 3 * w)) (fun i ->
                let r, k = i / (1 + 3 * w), i % (1 + 3 * w) in if k = 0 then 0uy else byte levels[r * 3 * w + k - 1])

        let packed = zlibOf CompressionLevel.Optimal raw

        let decode =
            Bench.measure group "Png.decode" 0.0 (fun () -> Png.decode "bench" png |> ignore)

        let inflate =
            Bench.measure group "zlib inflate only (peer floor)" 0.0 (fun () ->
                use z =
                    new ZLibStream(new MemoryStream(png[41 .. png.Length - 13]), CompressionMode.Decompress)

                z.CopyTo Stream.Null)

        let encode =
            Bench.measure group "Png.encode (adaptive filters)" 0.0 (fun () -> Png.encode img |> ignore)

        let deflate =
            Bench.measure group "zlib deflate of unfiltered rows (peer floor)" 0.0 (fun () -> zlibOf CompressionLevel.Optimal raw |> ignore)

        rows.Add
            { decode with
                Note = sprintf "%.2f MB/s of pixels, file %d bytes" (float (w * h * 3) / decode.MedianSeconds / 1e6) png.Length
            }

        rows.Add
            { inflate with
                Note = sprintf "decode / inflate = %.1f×" (decode.MedianSeconds / inflate.MedianSeconds)
            }

        rows.Add
            { encode with
                Note = sprintf "%.2f MB/s of pixels" (float (w * h * 3) / encode.MedianSeconds / 1e6)
            }

        rows.Add
            { deflate with
                Note = sprintf "%d bytes unfiltered; encode / deflate = %.1f×" packed.Length (encode.MedianSeconds / deflate.MedianSeconds)
            }

    let b = 64
    let signal = Array.init (4 * b * b) (fun i -> sin (float i * 0.01))

    rows.Add(
        Bench.measure "heat map B=64" "SphereMap.equirectangular ×4" 0.0 (fun () ->
            SphereMap.equirectangular SphereMap.defaults signal |> ignore)
    )

    rows.Add(
        Bench.measure "heat map B=64" "SphereMap.globe 256 px" 0.0 (fun () ->
            SphereMap.globe SphereMap.defaults EquiSphere.Harmonics.Rotation.identity 256 signal
            |> ignore)
    )

    Bench.print "PNG codec and heat maps (medians; peers: the BCL's zlib alone)" rows
