module RenderTests

open System
open System.Numerics
open Xunit
open EquiSphere.Harmonics
open EquiSphere.Geometry
open TestKit

let private cube (half: Vector3) =
    let b = Primitive.box -half half
    Mesh.create b.Vertices b.Faces

let private sum (img: Image) = img.Pixels |> Array.sumBy float

/// The slow, obviously correct renderer for orthographic cameras: one ray per sample along −z against every
/// triangle; returns (silhouette, depth) per pixel with the rasterizer's sample positions.
let oracle (o: RenderOptions) (pose: Rotation) (mesh: Mesh) =
    let h =
        match o.Camera with
        | Orthographic h -> float32 h
        | Perspective _ -> invalidOp "the oracle handles orthographic cameras"

    let posed = Mesh.rotate pose mesh
    let n, ss = o.Size, o.Supersampling
    let s = float32 (n * ss)
    let cover = Array.zeroCreate (n * n)
    let depth = Array.create (n * n) 1.0f

    for y in 0 .. n - 1 do
        for x in 0 .. n - 1 do
            for dy in 0 .. ss - 1 do
                for dx in 0 .. ss - 1 do
                    let px = (float32 (x * ss + dx) + 0.5f) / s * 2.0f - 1.0f
                    let py = 1.0f - (float32 (y * ss + dy) + 0.5f) / s * 2.0f

                    let hit =
                        Bvh.intersectBruteForce posed (Vector3(px * h, py * h, 10.0f)) (-Vector3.UnitZ) 100.0f

                    if hit.Triangle >= 0 then
                        cover[y * n + x] <- cover[y * n + x] + 1.0f / float32 (ss * ss)
                        depth[y * n + x] <- min depth[y * n + x] ((1.0f - (10.0f - hit.Distance)) / 2.0f)

    cover, depth

let private fractionDiffering (tol: float32) (a: float32[]) (b: float32[]) =
    float (Array.fold2 (fun acc (x: float32) y -> if abs (x - y) > tol then acc + 1 else acc) 0 a b)
    / float a.Length

[<Fact>]
let ``a unit cube face-on covers a quarter of the image`` () =
    let img =
        Render.renderAll RenderOptions.defaults Rotation.identity (cube (Vector3(0.5f)))

    close "covered pixels" 1e-9 1024.0 (sum img.Silhouette)

[<Fact>]
let ``a face-on box covers its projected area up to edge pixels`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let a, b = 0.05 + 0.9 * rng.NextDouble(), 0.05 + 0.9 * rng.NextDouble()

        let img =
            Render.renderAll RenderOptions.defaults Rotation.identity (cube (Vector3(float32 a, float32 b, 0.3f)))

        let n = 64.0
        let expected = (a * n) * (b * n)
        let perimeter = 2.0 * (a * n + b * n)
        Assert.InRange(sum img.Silhouette, expected - 0.5 * perimeter - 4.0, expected + 0.5 * perimeter + 4.0))

[<Fact>]
let ``the rasterizer agrees with a ray-cast oracle`` () =
    property 4 (fun (seed: int) ->
        let o =
            { RenderOptions.defaults with
                Size = 32
            }

        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let pose = Rotation.random seed
        let out = Render.renderAll o pose m
        let cover, depth = oracle o pose m
        // Only samples exactly on an edge can be decided differently (fill rule vs. the ray test's inclusive edges).
        Assert.True(fractionDiffering 1e-6f cover out.Silhouette.Pixels < 0.01, "silhouettes differ at > 1 % of pixels")
        Assert.True(fractionDiffering 1e-4f depth out.Depth.Pixels < 0.01, "depths differ at > 1 % of pixels"))

[<Fact>]
let ``a nearer triangle hides a farther one in either drawing order`` () =
    let verts =
        [|
            Vector3(-0.5f, -0.5f, 0.5f)
            Vector3(0.5f, -0.5f, 0.5f)
            Vector3(0.0f, 0.5f, 0.5f)
            Vector3(-0.9f, -0.9f, -0.5f - 0.27f)
            Vector3(0.9f, -0.9f, -0.5f + 0.27f)
            Vector3(0.0f, 0.9f, -0.5f)
        |]

    let near = { A = 0; B = 1; C = 2 }
    let far = { A = 3; B = 4; C = 5 }
    let o = RenderOptions.defaults
    let lit = o.Ambient + (1.0f - o.Ambient) * Vector3.Normalize(o.Light).Z

    for faces in [ [| near; far |]; [| far; near |] ] do
        let out = Render.renderAll o Rotation.identity (Mesh.create verts faces)
        let center = 32 * 64 + 32
        close "depth at the center" 1e-6 0.25 (float out.Depth.Pixels[center])
        close "shade at the center" 1e-6 (float lit) (float out.Shading.Pixels[center])

[<Fact>]
let ``a quarter turn about the camera axis rotates the image by a quarter turn`` () =
    property 6 (fun (seed: int) ->
        let o =
            { RenderOptions.defaults with
                Light = Vector3.UnitZ
            }

        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let pose = Rotation.random seed
        let a = Render.renderAll o pose m
        let b = Render.renderAll o (Rotation.aboutZ (Math.PI / 2.0) * pose) m
        let n = o.Size

        // Counter-clockwise seen from the camera: pixel (row r, column c) moves to (row n − 1 − c, column r).
        let turned (img: Image) =
            Array.init (n * n) (fun i ->
                let r2, c2 = i / n, i % n
                let r, c = c2, n - 1 - r2
                img.Pixels[r * n + c])

        for name, x, y in
            [
                "silhouette", a.Silhouette, b.Silhouette
                "depth", a.Depth, b.Depth
                "shading", a.Shading, b.Shading
            ] do
            // Exact up to the fill rule's tie-breaking on edges that land exactly on sample positions.
            Assert.True(fractionDiffering 1e-4f (turned x) y.Pixels < 0.01, sprintf "%s: > 1 %% of pixels differ" name))

/// The image rotated counter-clockwise by `angle` about its center, bilinear, zero outside.
let private rotateImage (angle: float) (img: Image) =
    let n = img.Width
    let c = float n / 2.0

    Array.init (n * n) (fun i ->
        let x, y = float (i % n) + 0.5 - c, c - (float (i / n) + 0.5)
        // The source point: rotate back by −angle (image y up).
        let sx = cos angle * x + sin angle * y + c - 0.5
        let sy = c - (-sin angle * x + cos angle * y) - 0.5
        let x0, y0 = int (floor sx), int (floor sy)
        let fx, fy = sx - float x0, sy - float y0

        let at xx yy =
            if xx < 0 || yy < 0 || xx >= n || yy >= n then
                0.0
            else
                float img.Pixels[yy * n + xx]

        float32 (
            (1.0 - fy) * ((1.0 - fx) * at x0 y0 + fx * at (x0 + 1) y0)
            + fy * ((1.0 - fx) * at x0 (y0 + 1) + fx * at (x0 + 1) (y0 + 1))
        ))

// Arbitrary angles: pixelization makes this approximate; the mean absolute silhouette error must be small and well
// below that of a wrong angle.
[<Fact>]
let ``rotating the object about the camera axis rotates the silhouette`` () =
    property 6 (fun (seed: int) ->
        let rng = Random seed
        let o = RenderOptions.defaults
        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let pose = Rotation.random seed
        let angle = 2.0 * Math.PI * rng.NextDouble()
        let a = (Render.renderAll o pose m).Silhouette
        let b = (Render.renderAll o (Rotation.aboutZ angle * pose) m).Silhouette

        let mae (x: float32[]) =
            Array.map2 (fun (p: float32) q -> abs (float p - float q)) x b.Pixels
            |> Array.average

        let right = mae (rotateImage angle a)
        let wrong = mae (rotateImage (angle + 0.5) a)
        Assert.True(right < 0.05, sprintf "mean absolute error %g" right)
        Assert.True(right < 0.5 * wrong, sprintf "error %g not well below the wrong-angle error %g" right wrong))

[<Fact>]
let ``a perspective camera shows a sphere as a disk of the expected size`` () =
    let e = Primitive.ellipsoid 64 Vector3.Zero (Vector3(0.5f))
    let m = Mesh.create e.Vertices e.Faces
    let d = 3.0

    let o =
        { RenderOptions.defaults with
            Camera = RenderOptions.perspectiveFitting d
        }

    let img = Render.renderAll o Rotation.identity m
    let radius = tan (asin (0.5 / d)) / tan (asin (1.0 / d)) * 32.0
    let expected = Math.PI * radius * radius
    // The inscribed 64-gon polyhedron is up to 1 − cos(2π/64) ≈ 0.5 % smaller in radius (1 % in area).
    Assert.InRange(sum img.Silhouette, 0.98 * expected, 1.005 * expected)

[<Fact>]
let ``rendering is deterministic and views equal single renders`` () =
    let m = Shapes.generate Lamp 3 1.0
    let poses = Array.init 8 Rotation.random
    let batch = Render.views RenderOptions.defaults poses m

    for i in 0..7 do
        let one = Render.view RenderOptions.defaults poses[i] m
        Assert.Equal<float32>(one.Pixels, batch[i].Pixels)
        Assert.Equal<float32>((Render.renderAll RenderOptions.defaults poses[i] m).Shading.Pixels, one.Pixels)

    let again = Render.views RenderOptions.defaults poses m
    Assert.Equal<float32>(batch[0].Pixels, again[0].Pixels)

[<Fact>]
let ``back-face culling leaves the image of closed outward-wound meshes unchanged`` () =
    property 8 (fun (seed: int) ->
        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let pose = Rotation.random seed

        for camera in [ Orthographic 1.0; RenderOptions.perspectiveFitting 2.5 ] do
            let o =
                { RenderOptions.defaults with
                    Camera = camera
                }

            let all = Render.renderAll o pose m
            let culled = Render.renderAll { o with CullBackFaces = true } pose m
            // Back faces of a closed surface are always behind its front faces; only exact depth ties between
            // touching parts may resolve differently.
            for name, x, y in [ "shading", all.Shading, culled.Shading; "depth", all.Depth, culled.Depth ] do
                Assert.True(fractionDiffering 1e-4f x.Pixels y.Pixels < 0.005, sprintf "%s differs with culling" name)

            close "coverage" 1e-3 (sum all.Silhouette) (sum culled.Silhouette))

    // A triangle wound clockwise seen from the camera faces away: culled, it leaves the image empty.
    let verts =
        [|
            Vector3(-0.5f, -0.5f, 0.0f)
            Vector3(0.0f, 0.5f, 0.0f)
            Vector3(0.5f, -0.5f, 0.0f)
        |]

    let away = Mesh.create verts [| { A = 0; B = 1; C = 2 } |]
    let toward = Mesh.create verts [| { A = 0; B = 2; C = 1 } |]

    let o =
        { RenderOptions.defaults with
            CullBackFaces = true
        }

    close "culled coverage" 0.0 0.0 (sum (Render.renderAll o Rotation.identity away).Silhouette)
    Assert.True(sum (Render.renderAll o Rotation.identity toward).Silhouette > 100.0)

[<Fact>]
let ``options are validated with clear messages`` () =
    let m = Shapes.generate Chair 0 0.0
    let o = RenderOptions.defaults
    throwsWith<ArgumentException> [ "power-of-two"; "63" ] (fun () -> Render.view { o with Size = 63 } Rotation.identity m |> ignore)

    throwsWith<ArgumentException> [ "supersampling"; "9" ] (fun () ->
        Render.view { o with Supersampling = 9 } Rotation.identity m |> ignore)

    throwsWith<ArgumentException> [ "distance > 1"; "0.5" ] (fun () -> RenderOptions.perspectiveFitting 0.5 |> ignore)

/// The slow, obviously correct closedness test: every directed edge (u, v) of a face, with vertices compared by
/// position, is run by exactly one face, and (v, u) by exactly one face.
let private closedByCounting (mesh: Mesh) =
    let edges =
        [
            for f in mesh.Faces do
                for a, b in [ f.A, f.B; f.B, f.C; f.C, f.A ] -> mesh.Vertices[a], mesh.Vertices[b]
        ]

    let count e =
        edges |> List.filter (fun x -> x = e) |> List.length

    edges |> List.forall (fun (a, b) -> count (a, b) = 1 && count (b, a) = 1)

let private flipped (mesh: Mesh) =
    Mesh.create mesh.Vertices (mesh.Faces |> Array.map (fun f -> { A = f.A; B = f.C; C = f.B }))

[<Fact>]
let ``closed outward-wound meshes are recognized and opened or inverted ones are not`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        Assert.True(Render.isClosedOutward m, "a procedural shape is closed and outward wound")
        Assert.False(Render.isClosedOutward (flipped m), "the same shape wound inward")
        let drop = rng.Next m.Faces.Length
        let opened = Mesh.create m.Vertices (m.Faces |> Array.removeAt drop)
        Assert.False(Render.isClosedOutward opened, sprintf "the shape without face %d" drop))

    let c = cube (Vector3(0.5f))
    let small = cube (Vector3(0.2f))
    Assert.True(closedByCounting c)
    Assert.True(Render.isClosedOutward c)
    // Two overlapping outward parts are a union of closed surfaces; an inward part spoils it.
    Assert.True(Render.isClosedOutward (Primitive.merge [ c; small ]))
    Assert.False(Render.isClosedOutward (Primitive.merge [ c; flipped small ]))
    Assert.False(Render.isClosedOutward (Mesh.create [||] [||]))

[<Fact>]
let ``the closedness test agrees with counting directed edges`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let b = Primitive.box (Vector3(-0.5f)) (Vector3(0.5f))
        // Random faces removed or flipped: the edge-counting oracle decides closedness (the box is outward).
        let faces =
            b.Faces
            |> Array.choose (fun f ->
                match rng.Next 8 with
                | 0 -> None
                | 1 -> Some { A = f.A; B = f.C; C = f.B }
                | _ -> Some f)

        let m = Mesh.create b.Vertices faces
        Assert.Equal(closedByCounting m, Render.isClosedOutward m))

[<Fact>]
let ``automatic back-face culling leaves the image unchanged`` () =
    property 8 (fun (seed: int) ->
        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let pose = Rotation.random seed
        let auto = Render.prepare m
        let reference = Render.prepareAsOpen m
        Assert.True(auto.ClosedOutward)
        Assert.False(reference.ClosedOutward)

        for camera in [ Orthographic 1.0; RenderOptions.perspectiveFitting 2.5 ] do
            let o =
                { RenderOptions.defaults with
                    Camera = camera
                }

            let a = Render.renderScene o pose auto
            let r = Render.renderScene o pose reference

            for name, x, y in [ "shading", a.Shading, r.Shading; "depth", a.Depth, r.Depth ] do
                Assert.True(fractionDiffering 1e-4f y.Pixels x.Pixels < 0.005, sprintf "%s differs with automatic culling" name)

            close "coverage" 1e-3 (sum r.Silhouette) (sum a.Silhouette))

[<Fact>]
let ``a perspective camera inside the bounding ball disables automatic culling`` () =
    // A large closed box around the camera: seen from inside, only its back faces are visible.
    let big = cube (Vector3(4.0f))
    let scene = Render.prepare big
    Assert.True(scene.ClosedOutward)

    let o =
        { RenderOptions.defaults with
            Camera = RenderOptions.perspectiveFitting 2.0
        }

    let inside = Render.renderScene o Rotation.identity scene
    Assert.True(sum inside.Silhouette > 0.99 * 4096.0, "the walls around the camera fill the view")

    let culled =
        Render.renderScene { o with CullBackFaces = true } Rotation.identity scene

    close "culled coverage" 0.0 0.0 (sum culled.Silhouette)

[<Fact>]
let ``prepared scenes render exactly like meshes in one view and in batches`` () =
    property 4 (fun (seed: int) ->
        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let scene = Render.prepare m
        let poses = Array.init 5 (fun i -> Rotation.random (seed + i))

        let o =
            { RenderOptions.defaults with
                Supersampling = 1 + abs seed % 3
            }

        let batch = Render.viewsScene o poses scene
        let viaMesh = Render.views o poses m

        for i in 0 .. poses.Length - 1 do
            let one = Render.viewScene o poses[i] scene
            Assert.Equal<float32>(one.Pixels, batch[i].Pixels)
            Assert.Equal<float32>(one.Pixels, viaMesh[i].Pixels)
            Assert.Equal<float32>(one.Pixels, (Render.renderScene o poses[i] scene).Shading.Pixels)
            Assert.Equal<float32>(one.Pixels, (Render.view o poses[i] m).Pixels))

[<Fact>]
let ``a prepared scene describes its mesh`` () =
    let m = Shapes.generate Chair 1 1.0
    let scene = Render.prepare m
    Assert.Same(m, scene.Mesh)
    Assert.Equal(m.Vertices.Length, scene.VertexCount)
    Assert.Equal(m.Faces.Length, scene.FaceCount)
    close "radius" Tol.f32 (m.Vertices |> Array.map (fun v -> float (v.Length())) |> Array.max) (float scene.Radius)
    throwsWith<ArgumentNullException> [ "mesh" ] (fun () -> Render.prepare (Unchecked.defaultof<Mesh>) |> ignore)

    throwsWith<ArgumentNullException> [ "scene" ] (fun () ->
        Render.viewScene RenderOptions.defaults Rotation.identity (Unchecked.defaultof<RenderScene>)
        |> ignore)

[<Fact>]
let ``the vectorized sample loop agrees exactly with the scalar one`` () =
    property 8 (fun (seed: int) ->
        let m = Shapes.generate Shapes.all[abs seed % 6] seed 1.0
        let pose = Rotation.random seed
        let scene = Render.prepare m

        for camera in [ Orthographic 1.0; RenderOptions.perspectiveFitting 2.5 ] do
            let o =
                { RenderOptions.defaults with
                    Camera = camera
                    Size = 32
                    Supersampling = 1 + abs seed % 3
                }

            let fast = Render.renderScene o pose scene
            let slow = Render.renderScalar o pose scene

            for name, x, y in
                [
                    "shading", slow.Shading, fast.Shading
                    "depth", slow.Depth, fast.Depth
                    "silhouette", slow.Silhouette, fast.Silhouette
                ] do
                Assert.True((x.Pixels = y.Pixels), sprintf "%s differs between the scalar and vector loops" name))

[<Fact>]
let ``the closedness test handles long vertex chains`` () =
    // A closed triangulated tube of 20,000 rings: union-find chains get long, which must not exhaust the stack.
    let rings = 20000
    let e = Primitive.ellipse 3 Vector3.Zero Vector3.UnitX Vector3.UnitZ 0.1f 0.1f

    let tube =
        Primitive.sweep
            [
                for i in 0 .. rings - 1 -> e |> Array.map (fun p -> p + Vector3(0.0f, float32 i * 1e-4f, 0.0f))
            ]

    let m = Mesh.create tube.Vertices tube.Faces
    Assert.True(Render.isClosedOutward m, "a swept tube with end caps is closed and outward wound")
    Assert.False(Render.isClosedOutward (flipped m), "the tube wound inward")
