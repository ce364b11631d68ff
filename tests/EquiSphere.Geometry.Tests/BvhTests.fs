module BvhTests

open System
open System.Numerics
open Xunit
open EquiSphere.Geometry
open TestKit

/// A random triangle soup of `n` triangles in the unit cube (overlapping, any orientation and size).
let randomSoup (rng: Random) (n: int) =
    let r () = float32 (rng.NextDouble() * 2.0 - 1.0)
    let center () = Vector3(r (), r (), r ())

    let verts =
        [|
            for _ in 1..n do
                let c = center ()
                let s = float32 (0.02 + 0.3 * rng.NextDouble())
                yield c
                yield c + s * Vector3(r (), r (), r ())
                yield c + s * Vector3(r (), r (), r ())
        |]

    Mesh.create
        verts
        (Array.init n (fun i ->
            {
                A = 3 * i
                B = 3 * i + 1
                C = 3 * i + 2
            }))

let randomRay (rng: Random) =
    let r () = float32 (rng.NextDouble() * 2.0 - 1.0)
    let o = 2.0f * Vector3.Normalize(Vector3(r (), r (), r ()))
    let target = 0.5f * Vector3(r (), r (), r ())
    o, Vector3.Normalize(target - o)

[<Fact>]
let ``bvh nearest hit equals the brute-force nearest hit`` () =
    property 15 (fun (seed: int) ->
        let rng = Random seed

        let mesh =
            if seed % 2 = 0 then
                randomSoup rng (1 + rng.Next 400)
            else
                Shapes.generate Shapes.all[abs seed % 6] seed 1.0 |> Primitive.subdivide 1

        let bvh = Bvh.build mesh
        let stack = Bvh.stackFor bvh

        for _ in 1..200 do
            let o, d = randomRay rng
            let fast = Bvh.intersectWith stack bvh o d 4.0f
            let slow = Bvh.intersectBruteForce mesh o d 4.0f
            Assert.Equal(slow.Triangle < 0, fast.Triangle < 0)

            if slow.Triangle >= 0 then
                // Same Möller–Trumbore test; the JIT may fuse multiply-adds differently in the two loops, so the
                // distances agree to a few ulps; the triangle may differ only on such a tie.
                close "distance" 1e-6 (float slow.Distance) (float fast.Distance)

                if fast.Triangle <> slow.Triangle then
                    let again =
                        Bvh.intersectBruteForce
                            { mesh with
                                Faces = [| mesh.Faces[fast.Triangle] |]
                            }
                            o
                            d
                            4.0f

                    close "tied distance" 1e-6 (float slow.Distance) (float again.Distance))

[<Fact>]
let ``every triangle is in exactly one leaf and inside its box`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let mesh = randomSoup rng (1 + rng.Next 500)
        let bvh = Bvh.build mesh
        let seen = Array.zeroCreate mesh.Faces.Length

        let rec visit (i: int) (depth: int) =
            Assert.True(depth <= bvh.Depth, sprintf "node %d at depth %d exceeds the recorded depth %d" i depth bvh.Depth)
            let n = bvh.Nodes[i]

            if n.Count > 0 then
                for t in n.Start .. n.Start + n.Count - 1 do
                    let f = mesh.Faces[bvh.TriangleIds[t]]
                    seen[bvh.TriangleIds[t]] <- seen[bvh.TriangleIds[t]] + 1

                    for v in [ f.A; f.B; f.C ] do
                        let p = mesh.Vertices[v]
                        Assert.True(Vector3.Min(p, n.Min) = n.Min && Vector3.Max(p, n.Max) = n.Max, "vertex outside its leaf box")
            else
                for c in [ n.Start; n.Start + 1 ] do
                    let child = bvh.Nodes[c]

                    if child.Count > 0 || child.Start > 0 then
                        Assert.True(
                            Vector3.Min(child.Min, n.Min) = n.Min && Vector3.Max(child.Max, n.Max) = n.Max,
                            "child box outside parent"
                        )

                    visit c (depth + 1)

        visit 0 1
        Assert.All(seen, fun c -> Assert.Equal(1, c)))

[<Fact>]
let ``moller trumbore hits a known triangle at the known distance`` () =
    let struct (t, u, v) =
        Bvh.intersectTriangle (Vector3(0.2f, 0.3f, 5.0f)) (-Vector3.UnitZ) Vector3.Zero Vector3.UnitX Vector3.UnitY

    closeTo "t, u, v" 1e-6 [| 5.0; 0.2; 0.3 |] [| float t; float u; float v |]

    let struct (miss, _, _) =
        Bvh.intersectTriangle (Vector3(0.8f, 0.3f, 5.0f)) (-Vector3.UnitZ) Vector3.Zero Vector3.UnitX Vector3.UnitY

    Assert.True(Single.IsPositiveInfinity miss)

[<Fact>]
let ``a mesh without faces is never hit`` () =
    let bvh = Bvh.build (Mesh.create [||] [||])
    Assert.Equal(-1, (Bvh.intersect bvh (Vector3.UnitZ) (-Vector3.UnitZ) 10.0f).Triangle)
