/// `equisphere meshes convert`: turns the unpacked Debian packages of real meshes (see scripts/fetch-real-meshes.sh)
/// into a normalized dataset folder, one OFF per instance under `<out>/<category>/`, with a license manifest.
module EquiSphere.Cli.MeshesConvert

open System
open System.IO
open System.IO.Compression
open System.Text
open System.Text.RegularExpressions
open System.CommandLine
open EquiSphere.Geometry

/// A mesh to convert: where it comes from and how to bring it into the canonical frame (y up, front toward +z).
type private Source =
    {
        Package: string
        Category: string
        Name: string
        /// The original path (inside the package root; `archive!entry` for catalog models).
        Original: string
        /// Extra provenance (catalog creator and license) for the manifest.
        Note: string
        /// Reads the mesh already rotated into the canonical frame.
        Load: unit -> Mesh
    }

let private identity = [| 1.0f; 0.0f; 0.0f; 0.0f; 1.0f; 0.0f; 0.0f; 0.0f; 1.0f |]

/// FlightGear .ac models: y up (AC3D), nose toward −x (FlightGear's x points aft); Ry(90°) sends −x to +z.
let private flightGearToCanonical =
    [| 0.0f; 0.0f; 1.0f; 0.0f; 1.0f; 0.0f; -1.0f; 0.0f; 0.0f |]

/// TORCS .acc cars: y up, front toward +x; Ry(−90°) sends +x to +z.
let private torcsToCanonical =
    [| 0.0f; 0.0f; -1.0f; 0.0f; 1.0f; 0.0f; 1.0f; 0.0f; 0.0f |]

let private readAc (frame: float32[]) (path: string) () =
    use fs = File.OpenRead path
    Ac3d.read path fs |> Mesh.transformLinear frame

let private files (dir: string) (pattern: string) =
    if Directory.Exists dir then
        Directory.GetFiles(dir, pattern, SearchOption.AllDirectories) |> Array.sort
    else
        [||]

/// Airplanes of flightgear-data-ai: the largest .ac of each AI/Aircraft/<type> folder (the full-detail model);
/// balloons, ships and helicopters are left out.
let private flightGear (root: string) =
    let aircraft = Path.Combine(root, "usr/share/games/flightgear/AI/Aircraft")
    let notAirplanes = set [ "balloon"; "Ferry"; "Dragonfly"; "seahawk" ]

    if Directory.Exists aircraft then
        Directory.GetDirectories aircraft
        |> Array.sort
        |> Array.filter (fun d -> not (notAirplanes.Contains(Path.GetFileName d)))
        |> Array.choose (fun d ->
            match files d "*.ac" with
            | [||] -> None
            | acs ->
                let main = acs |> Array.maxBy (fun f -> FileInfo(f).Length)

                Some
                    {
                        Package = "flightgear-data-ai"
                        Category = "airplane"
                        Name = Path.GetFileName d
                        Original = Path.GetRelativePath(root, main)
                        Note = ""
                        Load = readAc flightGearToCanonical main
                    })
    else
        [||]

/// Airplanes of crrcsim-data: the models its aircraft definitions (models/*.xml) name; helicopters and
/// quadcopters left out. CRRCSim models are already y up with the nose toward +z.
let private crrcsim (root: string) =
    let dir = Path.Combine(root, "usr/share/games/crrcsim")
    let rotorcraft = Regex("heli|copter|qc0", RegexOptions.IgnoreCase)

    files (Path.Combine(dir, "models")) "*.xml"
    |> Array.collect (fun xml ->
        Regex.Matches(File.ReadAllText xml, "model=\"([^\"]+\\.ac)\"")
        |> Seq.map (fun m -> m.Groups[1].Value)
        |> Seq.toArray)
    |> Array.distinct
    |> Array.sort
    |> Array.filter (fun ac -> not (rotorcraft.IsMatch ac))
    |> Array.map (fun ac -> Path.Combine(dir, "objects", ac))
    |> Array.filter File.Exists
    |> Array.map (fun path ->
        {
            Package = "crrcsim-data"
            Category = "airplane"
            Name = Path.GetFileNameWithoutExtension path
            Original = Path.GetRelativePath(root, path)
            Note = ""
            Load = readAc identity path
        })

/// Cars of torcs-data: cars/<car>/<car>.acc (the full-detail body, not the -lod variants).
let private torcs (root: string) =
    let cars = Path.Combine(root, "usr/share/games/torcs/cars")

    if Directory.Exists cars then
        Directory.GetDirectories cars
        |> Array.sort
        |> Array.map (fun d -> Path.Combine(d, Path.GetFileName d + ".acc"))
        |> Array.filter File.Exists
        |> Array.map (fun path ->
            {
                Package = "torcs-data"
                Category = "car"
                Name = Path.GetFileNameWithoutExtension path
                Original = Path.GetRelativePath(root, path)
                Note = ""
                Load = readAc identity path >> Mesh.transformLinear torcsToCanonical
            })
    else
        [||]

/// The dataset category of a Sweet Home 3D piece by its name and catalog category, if any.
let private sh3dCategory (piece: Sh3dPiece) =
    let name = piece.Name.ToLowerInvariant()
    let has (words: string) = Regex.IsMatch(name, words)

    if piece.Category = "Vehicles" then
        if has "truck|bike|bicycle|scooter|stroller|tricycle|bus|skateboard|fork lift|yamaha|van\\b" then
            None
        else
            Some "car"
    elif has "sofa|couch|settee" then
        Some "sofa"
    elif has "chair" && not (has "wheelchair") then
        Some "chair"
    elif
        has "\\btable\\b"
        && not (has "tennis|fan|pool|football|bedside|dressing|changing|lamp")
    then
        Some "table"
    else
        None

/// Chairs, sofas, tables and cars of sweethome3d-furniture's catalogs, with each piece's modelRotation applied
/// (Sweet Home 3D's frame is y up, front toward +z).
let private sweetHome (root: string) =
    files (Path.Combine(root, "usr/share/sweethome3d/furniture")) "*.sh3f"
    |> Array.collect (fun catalog ->
        use zip = ZipFile.OpenRead catalog
        let props = Sh3dCatalog.readProperties catalog zip
        let license = Sh3dCatalog.license props

        Sh3dCatalog.pieces catalog props
        |> Array.choose (fun piece ->
            sh3dCategory piece
            |> Option.map (fun category ->
                {
                    Package = "sweethome3d-furniture"
                    Category = category
                    Name = Path.GetFileNameWithoutExtension catalog + "-" + piece.Name
                    Original = Path.GetRelativePath(root, catalog) + "!" + piece.Model
                    Note = sprintf "creator: %s; catalog license: %s" piece.Creator license
                    Load =
                        fun () ->
                            use zip = ZipFile.OpenRead catalog
                            Sh3dCatalog.readModel catalog zip piece
                })))

/// `Package` and `Version` of an unpacked package (its DEBIAN/control, written by `dpkg-deb -e`).
let private versionOf (root: string) =
    let control = Path.Combine(root, "DEBIAN/control")

    if File.Exists control then
        File.ReadLines control
        |> Seq.tryFind (fun l -> l.StartsWith("Version:", StringComparison.Ordinal))
        |> Option.map (fun l -> l.Substring(8).Trim())
        |> Option.defaultValue "unknown"
    else
        "unknown"

let private safe (name: string) =
    Regex.Replace(name.ToLowerInvariant(), "[^a-z0-9._-]+", "-").Trim('-')

/// Converts every package folder found under `source` into `out`; returns (converted, failed).
let convert (source: string) (out: string) (maxPerCategory: int) =
    let packages =
        [
            "flightgear-data-ai", flightGear
            "crrcsim-data", crrcsim
            "torcs-data", torcs
            "sweethome3d-furniture", sweetHome
        ]

    Directory.CreateDirectory(Path.Combine(out, "licenses")) |> ignore

    let manifest =
        StringBuilder("file\tcategory\tpackage\tversion\tcopyright\toriginal\tnote\n")

    let perCategory = Collections.Generic.Dictionary<string, int>()
    let used = Collections.Generic.HashSet<string>()
    let mutable converted = 0
    let mutable failed = 0

    for package, find in packages do
        let root = Path.Combine(source, package)

        if not (Directory.Exists root) then
            printfn "%-22s not unpacked under %s, skipped" package source
        else
            let version = versionOf root
            let copyright = Path.Combine(root, "usr/share/doc", package, "copyright")
            let licenseCopy = Path.Combine("licenses", package + ".copyright")

            if File.Exists copyright then
                File.Copy(copyright, Path.Combine(out, licenseCopy), true)

            let mutable ok = 0

            for s in find root do
                let count =
                    match perCategory.TryGetValue s.Category with
                    | true, n -> n
                    | _ -> 0

                if count < maxPerCategory then
                    match
                        (try
                            Ok(s.Load() |> Mesh.normalize BoundingBoxCenter 1.0f)
                         with :? MeshFormatException as e ->
                             Error e.Message)
                    with
                    | Ok mesh when mesh.Faces.Length >= 4 ->
                        let mutable file =
                            Path.Combine(s.Category, safe (package.Split('-')[0] + "-" + s.Name) + ".off")

                        let mutable k = 2

                        while not (used.Add file) do
                            file <- Path.Combine(s.Category, safe (package.Split('-')[0] + "-" + s.Name) + sprintf "-%d.off" k)
                            k <- k + 1

                        Directory.CreateDirectory(Path.Combine(out, s.Category)) |> ignore
                        MeshFile.write (Path.Combine(out, file)) mesh

                        manifest.AppendJoin('\t', [| file; s.Category; package; version; licenseCopy; s.Original; s.Note |]).Append('\n')
                        |> ignore

                        perCategory[s.Category] <- count + 1
                        ok <- ok + 1
                        converted <- converted + 1
                    | Ok mesh ->
                        printfn "  skipped %s: only %d triangles" s.Original mesh.Faces.Length
                        failed <- failed + 1
                    | Error message ->
                        printfn "  failed %s" message
                        failed <- failed + 1

            printfn "%-22s %s: %d meshes" package version ok

    let manifestPath = Path.Combine(out, "manifest.tsv")
    EquiSphere.Tensor.AtomicFile.writeAllText manifestPath (manifest.ToString())

    for KeyValue(category, n) in perCategory |> Seq.sortBy (fun kv -> kv.Key) do
        printfn "%-10s %d" category n

    printfn "converted %d, failed or skipped %d; manifest: %s" converted failed manifestPath
    converted, failed

/// The `meshes` command with its `convert` subcommand.
let command () =
    let meshes = Command("meshes", "Real mesh datasets from Debian packages.")

    let convertCmd =
        Command(
            "convert",
            "Convert unpacked packages (flightgear-data-ai, crrcsim-data, torcs-data, sweethome3d-furniture) into a normalized dataset: <out>/<category>/*.off plus manifest.tsv and licenses/."
        )

    let source =
        Option<string>("--source", [| "-s" |], Description = "Folder holding one unpacked package per subfolder (named by package).")

    let out =
        Option<string>("--out", [| "-o" |], Description = "Dataset folder to write.")

    let maxPer =
        Option<int>("--max-per-category", Description = "At most this many meshes per category (default: all).")

    convertCmd.Add source
    convertCmd.Add out
    convertCmd.Add maxPer

    convertCmd.SetAction(fun (p: ParseResult) ->
        let s = p.GetValue source
        let o = p.GetValue out
        let m = p.GetValue maxPer

        if String.IsNullOrEmpty s || String.IsNullOrEmpty o then
            eprintfn "Expected --source <folder> and --out <folder>"
            2
        else
            let converted, _ = convert s o (if m > 0 then m else Int32.MaxValue)
            if converted > 0 then 0 else 1)

    meshes.Add convertCmd
    meshes
