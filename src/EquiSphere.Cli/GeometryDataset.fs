namespace EquiSphere.Cli

open System
open System.CommandLine
open System.Diagnostics
open System.Threading
open Spectre.Console
open EquiSphere.Harmonics
open EquiSphere.Geometry

/// The `dataset` command (build a dataset of views, poses and spherical signals) and the `render` command (a PNG
/// montage of views of a procedural category).
module GeometryDataset =

    let private option<'T> (name: string) (description: string) (fallback: 'T) =
        Option<'T>(name, Description = description, DefaultValueFactory = (fun _ -> fallback))

    let private poseSampling (dof: int) (minElevation: float) (maxElevation: float) =
        match dof with
        | 3 -> ThreeDof
        | 2 -> TwoDof(minElevation * Math.PI / 180.0, maxElevation * Math.PI / 180.0)
        | d -> invalidArg "--dof" (sprintf "Expected --dof 2 or 3, got %d" d)

    /// The `dataset` command.
    let datasetCommand () =
        let cmd =
            Command(
                "dataset",
                "Build a dataset: rendered views in random poses, poses (quaternions, matrices), labels, instance ids and "
                + "ray-cast spherical signals, as safetensors shards plus manifest.json. Resumable: complete shards are kept."
            )

        let out = Option<string>("--out", Description = "Output folder.", Required = true)

        let from =
            Option<string>(
                "--from",
                Description =
                    "A folder of meshes as <folder>/<category>/<file> (OFF, OBJ, PLY, STL, AC3D) instead of the procedural categories."
            )

        let categories =
            option "--categories" "Procedural categories, comma-separated." (String.Join(",", Dataset.proceduralCategories))

        let instances = option "--instances" "Procedural instances per category." 10
        let views = option "--views" "Rendered views per mesh." 8

        let dof =
            option "--dof" "Pose sampling: 3 (uniform over SO(3)) or 2 (azimuth and elevation, no roll)." 3

        let minEl =
            option "--min-elevation" "Lowest elevation in degrees for --dof 2." -30.0

        let maxEl =
            option "--max-elevation" "Highest elevation in degrees for --dof 2." 60.0

        let bandwidth =
            option "--bandwidth" "Bandwidth B of the spherical signals (2B × 2B grid)." 32

        let imageSize = option "--image-size" "Image side in pixels (a power of two)." 64
        let seed = option "--seed" "Seed of every random choice." 0

        let spread =
            option "--spread" "Intra-class variation of procedural instances, 0 to 1." 1.0

        let augment =
            option "--augment" "Extra signals of randomly rotated meshes per mesh." 0

        let hull = option "--hull" "Add the convex-hull channels to the signals." false

        let testFraction =
            option "--test-fraction" "Fraction of instances per category in the test split." 0.2

        let shardSize = option "--shard-size" "Meshes per shard file." 32

        for o in
            [
                out :> Option
                from
                categories
                instances
                views
                dof
                minEl
                maxEl
                bandwidth
                imageSize
                seed
                spread
                augment
                hull
                testFraction
                shardSize
            ] do
            cmd.Add o

        cmd.SetAction(fun (p: ParseResult) ->
            let procedural = String.IsNullOrEmpty(p.GetValue from)

            let cats, items =
                match p.GetValue from with
                | null
                | "" ->
                    let chosen =
                        (p.GetValue categories).Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
                        |> Array.map Shapes.parse
                        |> Array.distinct

                    Dataset.proceduralCategories, Dataset.procedural [ for c in chosen -> c, p.GetValue instances ] (p.GetValue spread)
                | folder -> Dataset.ofFolder folder

            let spec =
                { Dataset.spec cats items with
                    Views = p.GetValue views
                    Poses = poseSampling (p.GetValue dof) (p.GetValue minEl) (p.GetValue maxEl)
                    RayCast =
                        { RayCastOptions.defaults with
                            Bandwidth = p.GetValue bandwidth
                            ConvexHull = p.GetValue hull
                        }
                    Render =
                        { RenderOptions.defaults with
                            Size = p.GetValue imageSize
                            // Procedural shapes are closed and wound outward, so culling is exact (and faster).
                            CullBackFaces = procedural
                        }
                    Augmentations = p.GetValue augment
                    Seed = p.GetValue seed
                    TestFraction = p.GetValue testFraction
                    ShardSize = p.GetValue shardSize
                }

            let folder = p.GetValue out
            let train, test = Dataset.split spec
            let sw = Stopwatch.StartNew()
            let mutable last = None

            let manifest =
                AnsiConsole
                    .Progress()
                    .Start(fun ctx ->
                        let meshes = ctx.AddTask("meshes", maxValue = float items.Length)
                        let shards = ctx.AddTask("shards", maxValue = 1.0)
                        let gate = obj ()

                        let sink =
                            { new IProgress<DatasetProgress> with
                                member _.Report r =
                                    lock gate (fun () ->
                                        last <- Some r
                                        meshes.Value <- max meshes.Value (float r.ItemsDone)
                                        shards.MaxValue <- float (max 1 r.ShardsTotal)
                                        shards.Value <- max shards.Value (float r.ShardsDone))
                            }

                        Dataset.buildWith sink CancellationToken.None spec folder)

            let table =
                Spectre.Console.Table().Title(sprintf "dataset %s" (Markup.Escape folder))

            for c in [ "category"; "label"; "train"; "test" ] do
                table.AddColumn c |> ignore

            for label, name in Array.indexed cats do
                let count (xs: DatasetItem[]) =
                    xs |> Array.filter (fun it -> it.Label = label) |> Array.length

                if count train + count test > 0 then
                    table.AddRow(Markup.Escape name, string label, string (count train), string (count test))
                    |> ignore

            AnsiConsole.Write table

            let skipped =
                match last with
                | Some r -> r.ShardsSkipped
                | None -> 0

            AnsiConsole.MarkupLine(
                sprintf
                    "%d meshes × %d views (%s), signals %s at B = %d, images %d × %d; %d shards (%d kept from a previous run) in %.1f s"
                    items.Length
                    manifest.Views
                    manifest.Dof
                    (Markup.Escape(String.Join(", ", manifest.Channels)))
                    manifest.Bandwidth
                    manifest.ImageSize
                    manifest.ImageSize
                    manifest.Shards.Length
                    skipped
                    sw.Elapsed.TotalSeconds
            ))

        cmd

    /// The `render` command: a PNG montage of views of one procedural instance in random poses.
    let renderCommand () =
        let cmd =
            Command("render", "Write a PNG montage of views of a procedural shape in random poses (or instances 0..N−1 with --instances).")

        let category = option "--category" "The procedural category." "chair"
        let seed = option "--seed" "The instance seed, and the seed of the poses." 0
        let spread = option "--spread" "Intra-class variation, 0 to 1." 1.0
        let count = option "--views" "Views in the montage." 16

        let dof =
            option "--dof" "Pose sampling: 3 (uniform over SO(3)) or 2 (azimuth, elevation in [−30°, 60°])." 2

        let size = option "--size" "Image side in pixels (a power of two)." 64

        let perInstance =
            option "--instances" "Show instances 0..views−1 (one view each, same pose) instead of one instance." false

        let out =
            Option<string>("--out", Description = "The PNG file to write.", Required = true)

        for o in [ category :> Option; seed; spread; count; dof; size; perInstance; out ] do
            cmd.Add o

        cmd.SetAction(fun (p: ParseResult) ->
            let c = Shapes.parse (p.GetValue category)
            let n = p.GetValue count
            let rng = Random(p.GetValue seed)
            let sampling = poseSampling (p.GetValue dof) -30.0 60.0

            let draw () =
                match sampling with
                | ThreeDof -> Rotation.randomWith rng
                | TwoDof(lo, hi) -> Rotation.random2DofWith lo hi rng

            let o =
                { RenderOptions.defaults with
                    Size = p.GetValue size
                }

            let images =
                if p.GetValue perInstance then
                    let pose = Rotation.ofAzimuthElevation 0.6 0.35
                    Array.init n (fun i -> Render.view o pose (Shapes.generate c i (p.GetValue spread)))
                else
                    let mesh = Shapes.generate c (p.GetValue seed) (p.GetValue spread)
                    Render.views o (Array.init n (fun _ -> draw ())) mesh

            let layout =
                { Montage.defaults (int (ceil (sqrt (float n)))) with
                    Background = 0.0f
                }

            Png.write (p.GetValue out) (Montage.grid layout images)
            AnsiConsole.MarkupLine(sprintf "wrote %s (%d views of %s)" (Markup.Escape(p.GetValue out)) n (Shapes.name c)))

        cmd
