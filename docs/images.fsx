// Images in EquiSphere: a heat map of a spherical function, globe views, a montage, PNG and PGM round trips.
// Run after a Release build:  dotnet fsi docs/images.fsx
#r "../src/EquiSphere.Harmonics/bin/Release/net10.0/EquiSphere.Harmonics.dll"
#r "../src/EquiSphere.Tensor/bin/Release/net10.0/EquiSphere.Tensor.dll"
#r "../src/EquiSphere.Geometry/bin/Release/net10.0/EquiSphere.Geometry.dll"

open System
open System.IO
open EquiSphere.Harmonics
open EquiSphere.Geometry

let outDir = Path.Combine(Path.GetTempPath(), "equisphere-docs-images")
Directory.CreateDirectory outDir |> ignore

// A function on the sphere, sampled on the Driscoll–Healy grid of bandwidth B = 32: 64 × 64 values, [θ, φ] row-major.
let b = 32
let f (x: float, y: float, z: float) = x * y + 0.5 * z * z * z - 0.3 * x

let signal =
    Array.init (4 * b * b) (fun i -> f (Grid.point b (i / (2 * b)) (i % (2 * b))))

// The equirectangular heat map: θ down (north pole on top), φ to the right, 4 pixels per sample.
let heat =
    SphereMap.equirectangular
        { SphereMap.defaults with
            Colormap = Colormap.coolwarm
            Range = ColorRange.Symmetric
        }
        signal

Png.write (Path.Combine(outDir, "heatmap.png")) heat
printfn "heat map: %d × %d RGB" heat.Width heat.Height

// Globe views from six directions (the camera sits on +z of each view rotation), side by side in a montage.
let views =
    [|
        for azimuth in [ 0.0; 90.0; 180.0 ] do
            for elevation in [ 0.0; 60.0 ] do
                Rotation.ofAzimuthElevation (azimuth * Math.PI / 180.0) (elevation * Math.PI / 180.0)
    |]

let globes =
    views |> Array.map (fun r -> SphereMap.globe SphereMap.defaults r 96 signal)

let sheet =
    Montage.grid
        { Montage.defaults 3 with
            Padding = 4
            Border = 1
            BorderColor = 0.3f
        }
        globes

Png.write (Path.Combine(outDir, "globes.png")) sheet
printfn "globe montage: %d × %d, %d channels (RGBA: transparent outside the disk)" sheet.Width sheet.Height sheet.Channels

// Several channels of a signal in one grid with a shared color range, and a color bar under it.
let channels =
    [| for k in 1..4 -> signal |> Array.map (fun v -> v * float k / 4.0) |]

let grid =
    SphereMap.equirectangularGrid { SphereMap.defaults with Scale = 2 } (Montage.defaults 4) channels

let bar = Colormap.colorbar Colormap.viridis grid.Width 12
Png.write (Path.Combine(outDir, "channels.png")) (Montage.column 4 1.0f [| grid; bar |])

// PNG round trip: decoding what we encoded gives the 8-bit levels back; errors are values with tryDecode.
let bytes = Png.encode heat
let back = Png.decode "heatmap.png" bytes

let maxDiff =
    Array.map2 (fun a c -> abs (a - c)) heat.Pixels back.Pixels |> Array.max

printfn "PNG: %d bytes, max difference after the round trip %.4f (≤ 1/510 from 8-bit rounding)" bytes.Length maxDiff

match Png.tryDecode "broken.png" bytes[0..100] with
| Ok _ -> printfn "unexpected"
| Error e -> printfn "a truncated file gives: %s" e

// Netpbm: 16-bit PGM keeps more levels than 8-bit PNG.
let gray = Image.withChannels 1 heat
Pnm.write PnmEncoding.Binary 65535 (Path.Combine(outDir, "heatmap.pgm")) gray
printfn "PGM read back: %d × %d, %d channel" (Pnm.read (Path.Combine(outDir, "heatmap.pgm"))).Width gray.Height gray.Channels
printfn "wrote heatmap.png, globes.png, channels.png, heatmap.pgm to %s" outDir
