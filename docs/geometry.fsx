// Procedural shapes, ray casting r(M) and rendering c(M, R): generate a chair, cast its spherical signal, render
// views, and write them as PNG files. Run after a Release build:  dotnet fsi docs/geometry.fsx
#r "../src/EquiSphere.Harmonics/bin/Release/net10.0/EquiSphere.Harmonics.dll"
#r "../src/EquiSphere.Tensor/bin/Release/net10.0/EquiSphere.Tensor.dll"
#r "../src/EquiSphere.Geometry/bin/Release/net10.0/EquiSphere.Geometry.dll"

open System
open System.IO
open EquiSphere.Harmonics
open EquiSphere.Geometry

// 1. A chair: instance 7 with full intra-class variety. Same (category, seed, spread), same mesh.
let chair = Shapes.generate Chair 7 1.0
printfn "chair: %d vertices, %d triangles, area %.3f" chair.Vertices.Length chair.Faces.Length (Mesh.area chair)

// 2. Its spherical signal r(M) on the 64 × 64 Driscoll–Healy grid (B = 32): [3, 64, 64] = distance, cos, sin.
let options = RayCastOptions.defaults
let signal = RayCast.signal options chair
let n = 2 * options.Bandwidth
let distance = signal[0 .. n * n - 1]
let hits = distance |> Array.filter (fun d -> d < 1.0f) |> Array.length

printfn
    "r(M): %d channels (%s), %d of %d rays hit, nearest hit at %.3f ρ"
    (RayCast.channelNames options).Length
    (String.Join(", ", RayCast.channelNames options))
    hits
    (n * n)
    (Array.min distance)

// Equivariance: the chair turned about z by one grid step (2π/64) gives the signal shifted by one column.
let turned =
    RayCast.signal options (Mesh.rotate (Rotation.aboutZ (2.0 * Math.PI / float n)) chair)

let shifted = Array.init (n * n) (fun i -> turned[(i / n) * n + (i % n + 1) % n])
printfn "max |r(Rz M) shifted − r(M)| = %g" (Array.map2 (fun (a: float32) b -> abs (a - b)) shifted distance |> Array.max)

// 3. Views c(M, R): the chair in a 2DOF pose and in random 3DOF poses, 64 × 64 gray images.
let view =
    Render.view RenderOptions.defaults (Rotation.ofAzimuthElevation 0.6 0.35) chair

let poses = Array.init 8 (fun i -> Rotation.random (100 + i))
// A prepared scene serves many views; the chair is closed and outward wound, so back faces are culled for free.
let scene = Render.prepare chair
printfn "chair closed and outward wound: %b" scene.ClosedOutward
let views = Render.viewsScene RenderOptions.defaults poses scene
let out = Path.Combine(Path.GetTempPath(), "equisphere-geometry-doc")
Directory.CreateDirectory out |> ignore
Png.write (Path.Combine(out, "chair.png")) view

Png.write
    (Path.Combine(out, "chair-views.png"))
    (Montage.grid
        { Montage.defaults 4 with
            Background = 0.0f
        }
        views)

printfn "wrote chair.png and chair-views.png to %s" out

// 4. No category has a rotational symmetry, so the relative pose of two views is unique.
for c in Shapes.all do
    let report = Symmetry.check 16 (Shapes.generate c 0 1.0)
    printfn "%-8s closest self-match: %-40s relative difference %.3f" (Shapes.name c) report.Closest report.SmallestDifference
