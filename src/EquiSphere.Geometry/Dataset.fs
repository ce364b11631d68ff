namespace EquiSphere.Geometry

open System
open System.IO
open System.Security.Cryptography
open System.Text
open System.Text.Json
open System.Threading
open System.Threading.Tasks
open EquiSphere.Harmonics
open EquiSphere.Tensor

/// How the poses of the views are drawn.
type PoseSampling =
    /// Rotations uniform over SO(3) (Haar measure).
    | ThreeDof
    /// Azimuth uniform in [0, 2π) and elevation uniform in [minElevation, maxElevation] (radians), no roll
    /// (`Rotation.random2DofWith`).
    | TwoDof of minElevation: float * maxElevation: float

/// One mesh of a dataset: its category label and name, an instance id unique within the category, and a loader.
type DatasetItem =
    {
        /// The category name (e.g. "chair").
        Category: string
        /// The class label: the index of `Category` in the spec's `Categories`.
        Label: int
        /// The instance id, unique within the category; the train/test split is by instance.
        Instance: int
        /// Produces the mesh (called once per build, from any thread).
        Load: unit -> Mesh
    }

/// What a dataset contains and how it is split into shards.
type DatasetSpec =
    {
        /// The meshes.
        Items: DatasetItem[]
        /// Category names by label (label i is `Categories[i]`).
        Categories: string[]
        /// Rendered views per mesh.
        Views: int
        /// How view poses are drawn.
        Poses: PoseSampling
        /// Ray casting settings of the spherical signals r(M).
        RayCast: RayCastOptions
        /// Renderer settings of the views.
        Render: RenderOptions
        /// Extra signals r(R M) per mesh for randomly drawn R (3DOF), for augmentation; 0 for none.
        Augmentations: int
        /// The seed: every random choice is a function of (Seed, label, instance).
        Seed: int
        /// The fraction of instances of each category put in the test split (by instance, never by view).
        TestFraction: float
        /// Meshes per shard file.
        ShardSize: int
    }

/// Where a dataset build stands, reported after each mesh and each skipped shard.
type DatasetProgress =
    {
        /// Meshes done (built or found in a valid existing shard).
        ItemsDone: int
        /// Meshes in the dataset.
        ItemsTotal: int
        /// Shards done.
        ShardsDone: int
        /// Shards in the dataset.
        ShardsTotal: int
        /// Shards found complete and valid, and skipped.
        ShardsSkipped: int
    }

/// One shard file in a manifest.
type DatasetShardInfo =
    {
        /// The file name, relative to the dataset folder.
        File: string
        /// "train" or "test".
        Split: string
        /// Meshes in the shard.
        Items: int
        /// SHA-256 (hex) of the settings and the shard's (label, instance) list; a shard is reused on resume only
        /// when its stored fingerprint matches.
        Fingerprint: string
    }

/// The JSON manifest of a dataset folder (manifest.json).
type DatasetManifest =
    {
        /// "equisphere-dataset/1".
        Format: string
        /// The build seed.
        Seed: int
        /// Category names by label.
        Categories: string[]
        /// Views per mesh.
        Views: int
        /// "3dof" or "2dof".
        Dof: string
        /// Bandwidth B of the signals (2B × 2B grid).
        Bandwidth: int
        /// Image side in pixels.
        ImageSize: int
        /// Signal channel names in order.
        Channels: string[]
        /// Augmentation signals per mesh.
        Augmentations: int
        /// The shards, train first.
        Shards: DatasetShardInfo[]
    }

/// The contents of one shard, as arrays with their shapes (N meshes, V views, S image side, C channels, n = 2B,
/// A augmentations).
type DatasetShard =
    {
        /// Rendered views [N, V, S, S], gray in [0, 1], row 0 at the top.
        Images: float32[]
        /// Poses of the views as unit quaternions (w, x, y, z), w ≥ 0: [N, V, 4].
        Quaternions: float32[]
        /// Poses of the views as rotation matrices [N, V, 3, 3] (row-major, acting on column vectors).
        Rotations: float32[]
        /// Class labels [N].
        Labels: int[]
        /// Instance ids [N].
        Instances: int[]
        /// Spherical signals r(M) of the canonical meshes [N, C, n, n].
        Signals: float32[]
        /// Augmentation signals r(R M) [N, A, C, n, n].
        AugmentSignals: float32[]
        /// The rotations R of the augmentation signals as quaternions [N, A, 4].
        AugmentQuaternions: float32[]
        /// N.
        Count: int
        /// V.
        Views: int
        /// S.
        ImageSize: int
        /// C.
        Channels: int
        /// B.
        Bandwidth: int
        /// A.
        Augmentations: int
    }

/// Building, resuming and reading datasets of rendered views, poses, labels and spherical signals, written as
/// safetensors shards plus a JSON manifest. Deterministic: the same spec gives byte-identical shards; every random
/// choice for a mesh is drawn from a generator seeded by (Seed, label, instance), so it does not depend on the
/// order, the sharding or the number of threads.
[<RequireQualifiedAccess>]
module Dataset =

    /// The manifest's format tag.
    [<Literal>]
    let Format = "equisphere-dataset/1"

    /// The manifest's file name inside a dataset folder.
    [<Literal>]
    let ManifestFile = "manifest.json"

    /// A spec with the defaults of the paper's setting: 8 views in 3DOF, B = 32, 64 × 64 images, no augmentation,
    /// seed 0, 20 % of instances for testing, 32 meshes per shard.
    let spec (categories: string[]) (items: DatasetItem[]) =
        {
            Items = items
            Categories = categories
            Views = 8
            Poses = ThreeDof
            RayCast = RayCastOptions.defaults
            Render = RenderOptions.defaults
            Augmentations = 0
            Seed = 0
            TestFraction = 0.2
            ShardSize = 32
        }

    /// Items for the procedural categories: `count` instances of each category, instance i generated with seed i
    /// and the given spread; labels are `Shapes.label` (categories named by `Shapes.all`).
    let procedural (counts: (ShapeCategory * int) list) (spread: float) : DatasetItem[] =
        if not (spread >= 0.0 && spread <= 1.0) then
            invalidArg (nameof spread) (sprintf "Expected a spread in [0, 1], got %g" spread)

        [|
            for c, count in counts do
                if count < 0 then
                    invalidArg (nameof counts) (sprintf "Expected a non-negative instance count for %s, got %d" (Shapes.name c) count)

                for i in 0 .. count - 1 ->
                    {
                        Category = Shapes.name c
                        Label = Shapes.label c
                        Instance = i
                        Load = fun () -> Shapes.generate c i spread
                    }
        |]

    /// The mesh file extensions `ofFolder` picks up (those `MeshFile.read` handles).
    let meshExtensions = [| ".off"; ".obj"; ".ply"; ".stl"; ".ac" |]

    /// Items for a folder of meshes laid out as `root/<category>/<file>`: categories are the subfolder names in
    /// ordinal order (label = index), instances the mesh files of each subfolder in ordinal order of their names
    /// (instance = index); files are read by `MeshFile.read` when built. Returns (categories, items). Throws if the
    /// folder does not exist or holds no mesh files.
    let ofFolder (root: string) : string[] * DatasetItem[] =
        if not (Directory.Exists root) then
            invalidArg (nameof root) (sprintf "Expected a folder of category subfolders, got '%s', which does not exist" root)

        let cats =
            Directory.GetDirectories root
            |> Array.map Path.GetFileName
            |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b))

        let items =
            [|
                for label, c in Array.indexed cats do
                    let files =
                        Directory.GetFiles(Path.Combine(root, c))
                        |> Array.filter (fun f -> meshExtensions |> Array.contains (Path.GetExtension(f).ToLowerInvariant()))
                        |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b))

                    for i, f in Array.indexed files ->
                        {
                            Category = c
                            Label = label
                            Instance = i
                            Load = fun () -> MeshFile.read f
                        }
            |]

        if items.Length = 0 then
            invalidArg
                (nameof root)
                (sprintf "Expected mesh files (%s) in subfolders of '%s', found none" (String.Join(", ", meshExtensions)) root)

        cats, items

    /// The category names of the procedural categories in label order.
    let proceduralCategories = Shapes.all |> Array.map Shapes.name

    let private validate (s: DatasetSpec) =
        if isNull (box s.Items) || isNull s.Categories then
            nullArg "spec"

        if s.Views < 1 then
            invalidArg "spec.Views" (sprintf "Expected at least 1 view per mesh, got %d" s.Views)

        if s.Augmentations < 0 then
            invalidArg "spec.Augmentations" (sprintf "Expected a non-negative augmentation count, got %d" s.Augmentations)

        if s.ShardSize < 1 then
            invalidArg "spec.ShardSize" (sprintf "Expected at least 1 mesh per shard, got %d" s.ShardSize)

        if not (s.TestFraction >= 0.0 && s.TestFraction <= 1.0) then
            invalidArg "spec.TestFraction" (sprintf "Expected a test fraction in [0, 1], got %g" s.TestFraction)

        match s.Poses with
        | TwoDof(lo, hi) when not (lo <= hi) -> invalidArg "spec.Poses" (sprintf "Expected minElevation <= maxElevation, got %g > %g" lo hi)
        | _ -> ()

        for it in s.Items do
            if it.Label < 0 || it.Label >= s.Categories.Length then
                invalidArg
                    "spec.Items"
                    (sprintf "Item %s/%d has label %d; expected one in [0, %d)" it.Category it.Instance it.Label s.Categories.Length)

        match
            s.Items
            |> Array.countBy (fun it -> it.Label, it.Instance)
            |> Array.tryFind (fun (_, c) -> c > 1)
        with
        | Some((l, i), _) -> invalidArg "spec.Items" (sprintf "Expected unique (label, instance) pairs, got (%d, %d) twice" l i)
        | None -> ()

    /// The split by instance: in each category the instances are shuffled with the seed, and the first
    /// ⌈TestFraction · n⌉ go to test (at least one when the fraction is positive and n ≥ 2, none when n = 1). Returns
    /// (train, test), each sorted by (label, instance).
    let split (spec: DatasetSpec) : DatasetItem[] * DatasetItem[] =
        validate spec

        let train, test =
            spec.Items
            |> Array.groupBy (fun it -> it.Label)
            |> Array.map (fun (label, items) ->
                let items = items |> Array.sortBy (fun it -> it.Instance)
                let rng = Random(Seeds.mix spec.Seed (Seeds.mix label -1))
                let keys = items |> Array.map (fun _ -> rng.Next())
                let shuffled = Array.zip keys items |> Array.sortBy fst |> Array.map snd
                let n = shuffled.Length

                let nTest =
                    if n < 2 || spec.TestFraction = 0.0 then
                        0
                    else
                        min (n - 1) (max 1 (int (ceil (spec.TestFraction * float n))))

                shuffled[nTest..], shuffled[.. nTest - 1])
            |> Array.unzip

        let order (xs: DatasetItem[][]) =
            xs |> Array.concat |> Array.sortBy (fun it -> it.Label, it.Instance)

        order train, order test

    let private dofName (s: DatasetSpec) =
        match s.Poses with
        | ThreeDof -> "3dof"
        | TwoDof _ -> "2dof"

    let private fingerprint (s: DatasetSpec) (splitName: string) (items: DatasetItem[]) =
        let sb = StringBuilder()

        sb.AppendFormat(
            Globalization.CultureInfo.InvariantCulture,
            "{0}|seed={1}|views={2}|poses={3}|rc={4}|render={5}|aug={6}|split={7}|cats={8}|",
            Format,
            s.Seed,
            s.Views,
            sprintf "%A" s.Poses,
            sprintf "%A" s.RayCast,
            // Spelled out: Vector3.ToString would follow the current culture.
            sprintf
                "%d|%A|%d|%g|%g,%g,%g|%b"
                s.Render.Size
                s.Render.Camera
                s.Render.Supersampling
                s.Render.Ambient
                s.Render.Light.X
                s.Render.Light.Y
                s.Render.Light.Z
                s.Render.CullBackFaces,
            s.Augmentations,
            splitName,
            String.Join(",", s.Categories)
        )
        |> ignore

        for it in items do
            sb.AppendFormat(Globalization.CultureInfo.InvariantCulture, "{0}:{1}/{2};", it.Label, it.Category, it.Instance)
            |> ignore

        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()))).ToLowerInvariant()

    /// Computes everything about one mesh: views, poses, signal and augmentations.
    let private buildItem (s: DatasetSpec) (it: DatasetItem) =
        let rng = Random(Seeds.mix s.Seed (Seeds.mix it.Label it.Instance))
        let mesh = it.Load() |> Mesh.normalize BoundingBoxCenter 1.0f

        let poses =
            Array.init s.Views (fun _ ->
                match s.Poses with
                | ThreeDof -> Rotation.randomWith rng
                | TwoDof(lo, hi) -> Rotation.random2DofWith lo hi rng)

        let augment = Array.init s.Augmentations (fun _ -> Rotation.randomWith rng)
        let views = Render.views s.Render poses mesh
        let scene = RayCast.scene s.RayCast mesh
        let signal = RayCast.castScene s.RayCast scene

        let augmented =
            augment |> Array.map (fun r -> RayCast.castRotated s.RayCast r scene)

        poses, views, signal, augment, augmented

    let private quaternion (r: Rotation) =
        let q = Rotation.toQuaternion r
        [| float32 q.W; float32 q.X; float32 q.Y; float32 q.Z |]

    let private shardEntries
        (s: DatasetSpec)
        (results: (Rotation[] * Image[] * float32[] * Rotation[] * float32[][])[])
        (items: DatasetItem[])
        =
        let n = int64 items.Length
        let v = int64 s.Views
        let size = int64 s.Render.Size
        let c = int64 (RayCast.channelCount s.RayCast)
        let g = int64 (2 * s.RayCast.Bandwidth)
        let a = int64 s.Augmentations

        [
            Safetensors.ofFloat32
                "images"
                [| n; v; size; size |]
                (results
                 |> Array.collect (fun (_, views, _, _, _) -> views |> Array.collect (fun i -> i.Pixels)))
            Safetensors.ofFloat32
                "quaternions"
                [| n; v; 4L |]
                (results
                 |> Array.collect (fun (poses, _, _, _, _) -> poses |> Array.collect quaternion))
            Safetensors.ofFloat32
                "rotations"
                [| n; v; 3L; 3L |]
                (results
                 |> Array.collect (fun (poses, _, _, _, _) ->
                     poses
                     |> Array.collect (fun r -> Array.init 9 (fun i -> float32 r[i / 3, i % 3]))))
            Safetensors.ofInt32 "labels" [| n |] (items |> Array.map (fun it -> it.Label))
            Safetensors.ofInt32 "instances" [| n |] (items |> Array.map (fun it -> it.Instance))
            Safetensors.ofFloat32 "signals" [| n; c; g; g |] (results |> Array.collect (fun (_, _, sg, _, _) -> sg))
            Safetensors.ofFloat32 "augment_signals" [| n; a; c; g; g |] (results |> Array.collect (fun (_, _, _, _, au) -> Array.concat au))
            Safetensors.ofFloat32
                "augment_quaternions"
                [| n; a; 4L |]
                (results
                 |> Array.collect (fun (_, _, _, rs, _) -> rs |> Array.collect quaternion))
        ]

    /// The expected shape of each tensor of a shard of `count` meshes.
    let private expectedShapes (s: DatasetSpec) (count: int) =
        let n = int64 count
        let v = int64 s.Views
        let size = int64 s.Render.Size
        let c = int64 (RayCast.channelCount s.RayCast)
        let g = int64 (2 * s.RayCast.Bandwidth)
        let a = int64 s.Augmentations

        [
            "images", [| n; v; size; size |]
            "quaternions", [| n; v; 4L |]
            "rotations", [| n; v; 3L; 3L |]
            "labels", [| n |]
            "instances", [| n |]
            "signals", [| n; c; g; g |]
            "augment_signals", [| n; a; c; g; g |]
            "augment_quaternions", [| n; a; 4L |]
        ]

    /// Whether the file at `path` is a complete shard of this spec with this fingerprint and `count` meshes.
    let private isComplete (s: DatasetSpec) (path: string) (fp: string) (count: int) =
        File.Exists path
        && (match Safetensors.tryRead path with
            | Error _ -> false
            | Ok f ->
                f.Metadata.TryFind "fingerprint" = Some fp
                && expectedShapes s count
                   |> List.forall (fun (name, shape) ->
                       match f.Entries |> List.tryFind (fun e -> e.Name = name) with
                       | Some e -> e.Shape = shape
                       | None -> false))


    /// The manifest as indented JSON (UTF-8).
    let manifestJson (m: DatasetManifest) : byte[] =
        use ms = new MemoryStream()

        do
            use w = new Utf8JsonWriter(ms, JsonWriterOptions(Indented = true))
            w.WriteStartObject()
            w.WriteString("format", m.Format)
            w.WriteNumber("seed", m.Seed)
            w.WriteStartArray "categories"

            for c in m.Categories do
                w.WriteStringValue c

            w.WriteEndArray()
            w.WriteNumber("views", m.Views)
            w.WriteString("dof", m.Dof)
            w.WriteNumber("bandwidth", m.Bandwidth)
            w.WriteNumber("image_size", m.ImageSize)
            w.WriteStartArray "channels"

            for c in m.Channels do
                w.WriteStringValue c

            w.WriteEndArray()
            w.WriteNumber("augmentations", m.Augmentations)
            w.WriteStartArray "shards"

            for sh in m.Shards do
                w.WriteStartObject()
                w.WriteString("file", sh.File)
                w.WriteString("split", sh.Split)
                w.WriteNumber("items", sh.Items)
                w.WriteString("fingerprint", sh.Fingerprint)
                w.WriteEndObject()

            w.WriteEndArray()
            w.WriteEndObject()

        ms.ToArray()

    /// Builds the dataset into `folder` (created if missing): shards `train-00000.safetensors`, ...,
    /// `test-00000.safetensors`, ... and `manifest.json`, each written atomically. Resumable: a shard file that
    /// already exists, parses, has the expected tensor shapes and the same fingerprint is kept and skipped. Meshes of
    /// a shard are built in parallel; `progress` (may be null; called from worker threads) is told after each mesh and
    /// each skipped shard; `cancel` is checked between meshes. Returns the manifest.
    let buildWith
        (progress: IProgress<DatasetProgress>)
        (cancel: CancellationToken)
        (spec: DatasetSpec)
        (folder: string)
        : DatasetManifest =
        validate spec

        if String.IsNullOrWhiteSpace folder then
            invalidArg (nameof folder) "Expected a dataset folder path, got an empty string"

        Directory.CreateDirectory folder |> ignore
        let train, test = split spec

        let plan =
            [|
                for name, items in [ "train", train; "test", test ] do
                    for k, chunk in Array.indexed (Array.chunkBySize spec.ShardSize items) do
                        yield sprintf "%s-%05d.safetensors" name k, name, chunk
            |]

        let total = spec.Items.Length
        let itemsDone = ref 0
        let mutable shardsDone = 0
        let mutable skipped = 0

        let report () =
            if not (isNull progress) then
                progress.Report
                    {
                        ItemsDone = itemsDone.Value
                        ItemsTotal = total
                        ShardsDone = shardsDone
                        ShardsTotal = plan.Length
                        ShardsSkipped = skipped
                    }

        report ()

        let infos =
            plan
            |> Array.map (fun (file, splitName, items) ->
                let path = Path.Combine(folder, file)
                let fp = fingerprint spec splitName items

                if isComplete spec path fp items.Length then
                    skipped <- skipped + 1
                    itemsDone.Value <- itemsDone.Value + items.Length
                else
                    let results = Array.zeroCreate items.Length

                    Parallel.For(
                        0,
                        items.Length,
                        ParallelOptions(CancellationToken = cancel),
                        fun i ->
                            results[i] <- buildItem spec items[i]
                            Interlocked.Increment itemsDone |> ignore
                            report ()
                    )
                    |> ignore

                    Safetensors.write
                        path
                        {
                            Entries = shardEntries spec results items
                            Metadata =
                                Map
                                    [
                                        "fingerprint", fp
                                        "split", splitName
                                        "format", Format
                                        "categories", String.Join(",", spec.Categories)
                                    ]
                        }

                shardsDone <- shardsDone + 1
                report ()

                {
                    File = file
                    Split = splitName
                    Items = items.Length
                    Fingerprint = fp
                })

        let manifest =
            {
                Format = Format
                Seed = spec.Seed
                Categories = Array.copy spec.Categories
                Views = spec.Views
                Dof = dofName spec
                Bandwidth = spec.RayCast.Bandwidth
                ImageSize = spec.Render.Size
                Channels = RayCast.channelNames spec.RayCast
                Augmentations = spec.Augmentations
                Shards = infos
            }

        EquiSphere.Tensor.AtomicFile.writeAllBytes (Path.Combine(folder, ManifestFile)) (manifestJson manifest)
        manifest

    /// Builds the dataset without progress reports or cancellation (see `buildWith`).
    let build (spec: DatasetSpec) (folder: string) =
        buildWith null CancellationToken.None spec folder

    /// Parses a manifest, or an error naming the file and the problem.
    let tryReadManifest (folder: string) : Result<DatasetManifest, string> =
        let path = Path.Combine(folder, ManifestFile)

        if not (File.Exists path) then
            Error(sprintf "%s: file not found" path)
        else
            try
                use doc = JsonDocument.Parse(File.ReadAllBytes path)
                let r = doc.RootElement

                let strings (name: string) =
                    [| for e in r.GetProperty(name).EnumerateArray() -> e.GetString() |]

                let format = r.GetProperty("format").GetString()

                if format <> Format then
                    Error(sprintf "%s: expected format '%s', got '%s'" path Format format)
                else
                    Ok
                        {
                            Format = format
                            Seed = r.GetProperty("seed").GetInt32()
                            Categories = strings "categories"
                            Views = r.GetProperty("views").GetInt32()
                            Dof = r.GetProperty("dof").GetString()
                            Bandwidth = r.GetProperty("bandwidth").GetInt32()
                            ImageSize = r.GetProperty("image_size").GetInt32()
                            Channels = strings "channels"
                            Augmentations = r.GetProperty("augmentations").GetInt32()
                            Shards =
                                [|
                                    for e in r.GetProperty("shards").EnumerateArray() ->
                                        {
                                            File = e.GetProperty("file").GetString()
                                            Split = e.GetProperty("split").GetString()
                                            Items = e.GetProperty("items").GetInt32()
                                            Fingerprint = e.GetProperty("fingerprint").GetString()
                                        }
                                |]
                        }
            with
            | :? JsonException as e -> Error(sprintf "%s: malformed JSON at line %A: %s" path e.LineNumber e.Message)
            | :? Collections.Generic.KeyNotFoundException as e -> Error(sprintf "%s: missing field: %s" path e.Message)
            | :? InvalidOperationException as e -> Error(sprintf "%s: unexpected value: %s" path e.Message)
            | :? FormatException as e -> Error(sprintf "%s: unexpected number: %s" path e.Message)

    /// Reads the manifest of a dataset folder; throws InvalidDataException naming the file and the problem.
    let readManifest (folder: string) =
        match tryReadManifest folder with
        | Ok m -> m
        | Error e -> raise (InvalidDataException e)

    /// Reads one shard file back into arrays; throws InvalidDataException naming the file if a tensor is missing or
    /// has an unexpected rank.
    let readShard (path: string) : DatasetShard =
        let f = Safetensors.read path

        let get (name: string) (rank: int) =
            match f.Entries |> List.tryFind (fun e -> e.Name = name) with
            | Some e when e.Shape.Length = rank -> e
            | Some e -> raise (InvalidDataException(sprintf "%s: tensor '%s' has rank %d, expected %d" path name e.Shape.Length rank))
            | None -> raise (InvalidDataException(sprintf "%s: no tensor '%s' (not a dataset shard?)" path name))

        let images = get "images" 4
        let signals = get "signals" 4
        let augment = get "augment_signals" 5

        {
            Images = Safetensors.toFloat32 images
            Quaternions = Safetensors.toFloat32 (get "quaternions" 3)
            Rotations = Safetensors.toFloat32 (get "rotations" 4)
            Labels = Safetensors.toInt32 (get "labels" 1)
            Instances = Safetensors.toInt32 (get "instances" 1)
            Signals = Safetensors.toFloat32 signals
            AugmentSignals = Safetensors.toFloat32 augment
            AugmentQuaternions = Safetensors.toFloat32 (get "augment_quaternions" 3)
            Count = int images.Shape[0]
            Views = int images.Shape[1]
            ImageSize = int images.Shape[2]
            Channels = int signals.Shape[1]
            Bandwidth = int signals.Shape[2] / 2
            Augmentations = int augment.Shape[1]
        }

    /// Reads every shard of a split ("train" or "test") of a dataset folder, in manifest order.
    let readSplit (folder: string) (splitName: string) : DatasetShard[] =
        readManifest folder
        |> fun m -> m.Shards
        |> Array.filter (fun s -> s.Split = splitName)
        |> Array.map (fun s -> readShard (Path.Combine(folder, s.File)))
