module DatasetTests

open System
open System.IO
open Xunit
open EquiSphere.Harmonics
open EquiSphere.Geometry
open TestKit

let private small (seed: int) =
    { Dataset.spec Dataset.proceduralCategories (Dataset.procedural [ Chair, 3; Lamp, 4 ] 1.0) with
        Views = 2
        RayCast =
            { RayCastOptions.defaults with
                Bandwidth = 8
            }
        Render =
            { RenderOptions.defaults with
                Size = 16
            }
        Augmentations = 1
        Seed = seed
        TestFraction = 0.3
        ShardSize = 2
    }

let private tempDir () =
    let d =
        Path.Combine(Path.GetTempPath(), "equisphere-dataset-" + Guid.NewGuid().ToString "N")

    Directory.CreateDirectory d |> ignore
    d

let private shardBytes (dir: string) =
    Directory.GetFiles(dir, "*.safetensors")
    |> Array.sort
    |> Array.map File.ReadAllBytes

[<Fact>]
let ``build is deterministic for a seed`` () =
    let a, b = tempDir (), tempDir ()

    try
        Dataset.build (small 5) a |> ignore
        Dataset.build (small 5) b |> ignore
        let x, y = shardBytes a, shardBytes b
        Assert.Equal(x.Length, y.Length)
        Assert.True(x.Length > 0)

        for i in 0 .. x.Length - 1 do
            Assert.Equal<byte>(x[i], y[i])

        Assert.Equal<byte>(
            File.ReadAllBytes(Path.Combine(a, Dataset.ManifestFile)),
            File.ReadAllBytes(Path.Combine(b, Dataset.ManifestFile))
        )
    finally
        Directory.Delete(a, true)
        Directory.Delete(b, true)

[<Fact>]
let ``the split is by instance and every category is tested`` () =
    property 10 (fun (seed: int) ->
        let train, test = Dataset.split (small seed)
        let key (it: DatasetItem) = it.Label, it.Instance
        Assert.Empty(Set.intersect (set (Array.map key train)) (set (Array.map key test)))
        Assert.Equal(7, train.Length + test.Length)

        for label in [ Shapes.label Chair; Shapes.label Lamp ] do
            Assert.Contains(test, fun it -> it.Label = label)
            Assert.Contains(train, fun it -> it.Label = label))

[<Fact>]
let ``the reader loads back what the builder wrote`` () =
    let dir = tempDir ()

    try
        let spec = small 11
        let m = Dataset.build spec dir
        let m2 = Dataset.readManifest dir
        Assert.Equal<DatasetShardInfo>(m.Shards, m2.Shards)
        Assert.Equal<string>(m.Channels, m2.Channels)

        let shards =
            Array.append (Dataset.readSplit dir "train") (Dataset.readSplit dir "test")

        Assert.Equal(7, shards |> Array.sumBy (fun s -> s.Count))

        for s in shards do
            Assert.Equal(2, s.Views)
            Assert.Equal(16, s.ImageSize)
            Assert.Equal(8, s.Bandwidth)
            Assert.Equal(3, s.Channels)

            for i in 0 .. s.Count - 1 do
                let c = Shapes.all[s.Labels[i]]
                // The signal is r(M) of the normalized canonical mesh, exactly as RayCast computes it.
                let expected =
                    RayCast.signal spec.RayCast (Shapes.generate c s.Instances[i] 1.0 |> Mesh.normalize BoundingBoxCenter 1.0f)

                let n = 3 * 16 * 16
                closeTo "signal" 0.0 (Array.map float expected) (Array.map float s.Signals[i * n .. (i + 1) * n - 1])

                for v in 0 .. s.Views - 1 do
                    let q = s.Quaternions[(i * s.Views + v) * 4 .. (i * s.Views + v) * 4 + 3]

                    let r =
                        Rotation.ofQuaternion
                            {
                                W = float q[0]
                                X = float q[1]
                                Y = float q[2]
                                Z = float q[3]
                            }

                    let mat =
                        s.Rotations[(i * s.Views + v) * 9 .. (i * s.Views + v) * 9 + 8]
                        |> Array.map float

                    closeTo "quaternion and matrix agree" 1e-6 (Array.init 9 (fun k -> r[k / 3, k % 3])) mat
                    let img = s.Images[(i * s.Views + v) * 256 .. (i * s.Views + v) * 256 + 255]
                    Assert.True(Array.max img > 0.0f && Array.min img >= 0.0f && Array.max img <= 1.0f)
    finally
        Directory.Delete(dir, true)

[<Fact>]
let ``resume skips complete shards and rebuilds damaged ones`` () =
    let dir = tempDir ()

    try
        let spec = small 3
        Dataset.build spec dir |> ignore
        let before = shardBytes dir
        let files = Directory.GetFiles(dir, "*.safetensors") |> Array.sort
        File.WriteAllBytes(files[1], Array.truncate 100 (File.ReadAllBytes files[1]))
        let reports = Collections.Concurrent.ConcurrentQueue<DatasetProgress>()

        let sink =
            { new IProgress<DatasetProgress> with
                member _.Report p = reports.Enqueue p
            }

        Dataset.buildWith sink Threading.CancellationToken.None spec dir |> ignore
        let last = reports |> Seq.maxBy (fun p -> p.ShardsDone, p.ItemsDone)
        Assert.Equal(files.Length - 1, last.ShardsSkipped)
        Assert.Equal(files.Length, last.ShardsDone)
        Assert.Equal(7, last.ItemsDone)
        let after = shardBytes dir

        for i in 0 .. before.Length - 1 do
            Assert.Equal<byte>(before[i], after[i])
    finally
        Directory.Delete(dir, true)

[<Fact>]
let ``two-dof poses have no roll`` () =
    let dir = tempDir ()

    try
        let spec =
            { small 2 with
                Poses = TwoDof(-0.5, 0.5)
            }

        Dataset.build spec dir |> ignore

        for s in Dataset.readSplit dir "train" do
            for p in 0 .. s.Count * s.Views - 1 do
                // R = Rx(elevation) Ry(azimuth) keeps the x axis in the xz plane turned only about y: R[0, 1] = 0.
                close "R[0, 1]" 1e-6 0.0 (float s.Rotations[p * 9 + 1])
    finally
        Directory.Delete(dir, true)

[<Fact>]
let ``spec errors name the field`` () =
    throwsWith<ArgumentException> [ "spec.Views"; "0" ] (fun () -> Dataset.split { small 0 with Views = 0 } |> ignore)
    throwsWith<ArgumentException> [ "test fraction"; "1.5" ] (fun () -> Dataset.split { small 0 with TestFraction = 1.5 } |> ignore)

[<Fact>]
let ``a folder of meshes gives one category per subfolder and one instance per file`` () =
    let dir = tempDir ()

    try
        for c, seeds in [ "chair", [ 0; 1 ]; "airplane", [ 5 ] ] do
            Directory.CreateDirectory(Path.Combine(dir, c)) |> ignore

            for s in seeds do
                MeshFile.write (Path.Combine(dir, c, sprintf "m%d.off" s)) (Shapes.generate (Shapes.parse c) s 1.0)

        File.WriteAllText(Path.Combine(dir, "chair", "notes.txt"), "not a mesh")
        let cats, items = Dataset.ofFolder dir
        Assert.Equal<string>([| "airplane"; "chair" |], cats)

        Assert.Equal<(string * int * int)>(
            [| "airplane", 0, 0; "chair", 1, 0; "chair", 1, 1 |],
            items |> Array.map (fun it -> it.Category, it.Label, it.Instance)
        )

        let loaded = items[2].Load()
        Assert.Equal((Shapes.generate Chair 1 1.0).Faces.Length, loaded.Faces.Length)
        throwsWith<ArgumentException> [ "does not exist" ] (fun () -> Dataset.ofFolder (Path.Combine(dir, "nope")) |> ignore)
    finally
        Directory.Delete(dir, true)
