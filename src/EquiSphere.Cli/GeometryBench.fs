namespace EquiSphere.Cli

open System
open EquiSphere.Harmonics
open EquiSphere.Geometry

/// The "geometry" benchmark suite: BVH build, ray casting r(M) at 64 × 64, rendering views at 64 × 64.
module GeometryBench =

    /// A car subdivided twice plus a copy turned 90° about y: 9,984 triangles, in the unit ball.
    let castMesh () =
        let car = Shapes.generate Car 0 0.0 |> Primitive.subdivide 2
        let turned = Mesh.rotate (Rotation.aboutY (Math.PI / 2.0)) car
        let m = Primitive.merge [ car; turned ]
        Mesh.create m.Vertices m.Faces |> Mesh.normalize BoundingBoxCenter 1.0f

    /// A sofa subdivided twice: 5,504 triangles.
    let renderMesh () =
        Shapes.generate Sofa 0 0.0 |> Primitive.subdivide 2

    /// Measures and prints the suite.
    let run () =
        let cast = castMesh ()
        let draw = renderMesh ()
        let options = RayCastOptions.defaults
        let scene = RayCast.scene options cast
        let poses = Array.init 64 Rotation.random
        let ro = RenderOptions.defaults
        let tri (m: Mesh) = sprintf "%d tri" m.Faces.Length

        let perView (r: BenchRow) =
            { r with
                Note = sprintf "%.0f views/s (target ≥ 2,000)" (float poses.Length / r.MedianSeconds)
            }

        let rows =
            [
                Bench.measure "bvh" (sprintf "build, binned SAH (%s)" (tri cast)) 0.0 (fun () -> Bvh.build cast |> ignore)
                { Bench.measure "ray cast" (sprintf "64 × 64, prepared scene (%s)" (tri cast)) 0.0 (fun () ->
                      RayCast.castScene options scene |> ignore) with
                    Note = "target ≤ 5 ms"
                }
                Bench.measure "ray cast" (sprintf "64 × 64 incl. BVH build (%s)" (tri cast)) 0.0 (fun () ->
                    RayCast.signal options cast |> ignore)
                Bench.measure "ray cast" (sprintf "64 × 64 + hull channels incl. quickhull (%s)" (tri cast)) 0.0 (fun () ->
                    RayCast.signal { options with ConvexHull = true } cast |> ignore)
                Bench.measure "render" (sprintf "1 view 64 × 64, 2×2 SSAA (%s)" (tri draw)) 0.0 (fun () ->
                    Render.view ro poses[0] draw |> ignore)
                perView (
                    Bench.measure "render" (sprintf "64 views 64 × 64 in parallel (%s)" (tri draw)) 0.0 (fun () ->
                        Render.views ro poses draw |> ignore)
                )
                perView (
                    Bench.measure "render" (sprintf "64 views 64 × 64, no SSAA (%s)" (tri draw)) 0.0 (fun () ->
                        Render.views { ro with Supersampling = 1 } poses draw |> ignore)
                )
            ]

        Bench.print "geometry: BVH, ray casting r(M), rendering c(M, R)" rows
