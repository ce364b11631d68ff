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

    /// Like `Bench.measure`, with 40 warm-up calls so that tiered JIT has promoted the hot loops before timing.
    let private measure (group: string) (case: string) (action: unit -> unit) =
        let median, best = Bench.time 40 10 1.0 action

        {
            Group = group
            Case = case
            MedianSeconds = median
            MinSeconds = best
            Flops = 0.0
            Note = ""
        }

    /// Measures and prints the suite.
    let run () =
        let cast = castMesh ()
        let draw = renderMesh ()
        let options = RayCastOptions.defaults
        let castPrepared = RayCast.scene options cast
        let poses = Array.init 64 Rotation.random
        let ro = RenderOptions.defaults
        let scene = Render.prepare draw
        let open' = Render.prepareAsOpen draw
        let tri (m: Mesh) = sprintf "%d tri" m.Faces.Length

        let perView (r: BenchRow) =
            { r with
                Note = sprintf "%.0f views/s (target ≥ 2,000)" (float poses.Length / r.MedianSeconds)
            }

        let rows =
            [
                measure "bvh" (sprintf "build, binned SAH (%s)" (tri cast)) (fun () -> Bvh.build cast |> ignore)
                { measure "ray cast" (sprintf "64 × 64, prepared scene (%s)" (tri cast)) (fun () ->
                      RayCast.castScene options castPrepared |> ignore) with
                    Note = "target ≤ 5 ms"
                }
                measure "ray cast" (sprintf "64 × 64 incl. BVH build (%s)" (tri cast)) (fun () -> RayCast.signal options cast |> ignore)
                measure "ray cast" (sprintf "64 × 64 + hull channels incl. quickhull (%s)" (tri cast)) (fun () ->
                    RayCast.signal { options with ConvexHull = true } cast |> ignore)
                measure "render" (sprintf "prepare scene: flat arrays + closed/outward check (%s)" (tri draw)) (fun () ->
                    Render.prepare draw |> ignore)
                measure "render" (sprintf "1 view 64 × 64, 2×2 SSAA (%s)" (tri draw)) (fun () -> Render.view ro poses[0] draw |> ignore)
                perView (
                    measure "render" (sprintf "64 views 64 × 64 one after another, one thread (%s)" (tri draw)) (fun () ->
                        for p in poses do
                            Render.viewScene ro p scene |> ignore)
                )
                perView (
                    measure "render" (sprintf "64 views 64 × 64 one thread, never culled (%s)" (tri draw)) (fun () ->
                        for p in poses do
                            Render.viewScene ro p open' |> ignore)
                )
                perView (
                    measure "render" (sprintf "64 views 64 × 64 in parallel, default (auto-culled) (%s)" (tri draw)) (fun () ->
                        Render.views ro poses draw |> ignore)
                )
                perView (
                    measure "render" (sprintf "64 views 64 × 64 in parallel, never culled (%s)" (tri draw)) (fun () ->
                        Render.viewsScene ro poses open' |> ignore)
                )
                perView (
                    measure "render" (sprintf "64 views 64 × 64, no SSAA (%s)" (tri draw)) (fun () ->
                        Render.views { ro with Supersampling = 1 } poses draw |> ignore)
                )
            ]

        Bench.print "geometry: BVH, ray casting r(M), rendering c(M, R)" rows
