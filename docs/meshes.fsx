// Mesh files: read a mesh, normalize it into the unit ball, write it in other formats, and see a located error.
// Run after a Release build: dotnet fsi docs/meshes.fsx
#r "../src/EquiSphere.Harmonics/bin/Release/net10.0/EquiSphere.Harmonics.dll"
#r "../src/EquiSphere.Geometry/bin/Release/net10.0/EquiSphere.Geometry.dll"

open System.IO
open EquiSphere.Geometry

let dir = Directory.CreateTempSubdirectory "equisphere-meshes-doc"

// A square pyramid as ModelNet writes OFF: the vertex count glued to the header, a quad base (fan-triangulated).
let off = Path.Combine(dir.FullName, "pyramid.off")

File.WriteAllText(
    off,
    "OFF5 5 0\n# apex, then the base\n0 2 0\n-1 0 -1\n1 0 -1\n1 0 1\n-1 0 1\n4 1 2 3 4\n3 0 2 1\n3 0 3 2\n3 0 4 3\n3 0 1 4\n"
)

let mesh = MeshFile.read off
printfn "read %s: %d vertices, %d triangles" (Path.GetFileName off) mesh.Vertices.Length mesh.Faces.Length

// Center on the bounding box and scale so the farthest vertex lies on the unit sphere.
let unit = mesh |> Mesh.normalize BoundingBoxCenter 1.0f
let lo, hi = Mesh.bounds unit
printfn "normalized bounds: (%.3f, %.3f, %.3f) .. (%.3f, %.3f, %.3f)" lo.X lo.Y lo.Z hi.X hi.Y hi.Z

// Writes are atomic and pick the format from the extension; reading back gives the same mesh.
for name in [ "pyramid.ply"; "pyramid.obj"; "pyramid.stl" ] do
    let path = Path.Combine(dir.FullName, name)
    MeshFile.write path unit
    let back = MeshFile.read path
    printfn "%-12s %6d bytes, %d vertices, %d triangles" name (FileInfo(path).Length) back.Vertices.Length back.Faces.Length

// Malformed files give an error that names the file, the line and what was expected.
let bad = Path.Combine(dir.FullName, "bad.obj")
File.WriteAllText(bad, "v 0 0 0\nv 1 0 0\nv 0 1 oops\nf 1 2 3\n")

match MeshFile.tryRead bad with
| Ok _ -> printfn "unexpectedly read %s" bad
| Error e -> printfn "error: %O" e

dir.Delete true
