namespace EquiSphere.Geometry

open System
open System.Globalization
open System.IO
open System.IO.Compression

/// One piece of furniture in a Sweet Home 3D catalog (`PluginFurnitureCatalog.properties`, entries `key#n`).
type Sh3dPiece =
    {
        /// The entry number n of `id#n`, `name#n` ….
        Index: int
        /// `id#n` (may be empty).
        Id: string
        /// `name#n`, e.g. "Armchair".
        Name: string
        /// `category#n`, e.g. "Living room".
        Category: string
        /// `model#n`: the model's path inside the catalog archive (leading '/' removed), an OBJ file.
        Model: string
        /// `modelRotation#n`: 9 row-major entries of the 3 × 3 matrix Sweet Home 3D applies to the model (v ↦ M v),
        /// identity when absent.
        ModelRotation: float32[]
        /// `creator#n` (empty when absent).
        Creator: string
    }

/// Sweet Home 3D furniture catalogs (`.sh3f`: a ZIP with `PluginFurnitureCatalog.properties` and OBJ models).
[<RequireQualifiedAccess>]
module Sh3dCatalog =

    let private identity = [| 1.0f; 0.0f; 0.0f; 0.0f; 1.0f; 0.0f; 0.0f; 0.0f; 1.0f |]

    /// The pieces listed in a catalog's properties (entries without a `model#n` are skipped). Throws
    /// `MeshFormatException` naming `source` when a `modelRotation#n` is not 9 numbers.
    let pieces (source: string) (properties: Collections.Generic.IReadOnlyDictionary<string, string>) : Sh3dPiece[] =
        if isNull properties then
            nullArg (nameof properties)

        let get key n =
            match properties.TryGetValue(sprintf "%s#%d" key n) with
            | true, v -> v
            | _ -> ""

        properties.Keys
        |> Seq.choose (fun k ->
            let mutable n = 0

            if
                k.StartsWith("model#", StringComparison.Ordinal)
                && Int32.TryParse(k.Substring 6, &n)
            then
                Some n
            else
                None)
        |> Seq.sort
        |> Seq.map (fun n ->
            let rotation =
                match get "modelRotation" n with
                | "" -> identity
                | text ->
                    let parts = text.Split([| ' '; '\t' |], StringSplitOptions.RemoveEmptyEntries)
                    let mutable ok = parts.Length = 9
                    let values = Array.zeroCreate 9

                    if ok then
                        for i in 0..8 do
                            let mutable v = 0.0f

                            if Single.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, &v) then
                                values[i] <- v
                            else
                                ok <- false

                    if not ok then
                        raise (
                            MeshFormatException
                                {
                                    File = source
                                    Location = MeshFileLocation.WholeFile
                                    Message = sprintf "Expected modelRotation#%d to be 9 numbers, got '%s'" n text
                                }
                        )

                    values

            {
                Index = n
                Id = get "id" n
                Name = get "name" n
                Category = get "category" n
                Model = (get "model" n).TrimStart '/'
                ModelRotation = rotation
                Creator = get "creator" n
            })
        |> Seq.toArray

    /// The catalog's global `license=` line (empty when absent).
    let license (properties: Collections.Generic.IReadOnlyDictionary<string, string>) =
        match properties.TryGetValue "license" with
        | true, v -> v
        | _ -> ""

    /// Reads the catalog properties of an open archive. Throws `MeshFormatException` when the archive has no
    /// `PluginFurnitureCatalog.properties`.
    let readProperties (source: string) (archive: ZipArchive) =
        match archive.GetEntry "PluginFurnitureCatalog.properties" with
        | null ->
            raise (
                MeshFormatException
                    {
                        File = source
                        Location = MeshFileLocation.WholeFile
                        Message = "Expected a PluginFurnitureCatalog.properties entry in the catalog archive"
                    }
            )
        | entry ->
            use s = entry.Open()
            // Java reads .properties as ISO-8859-1; non-Latin text uses \u escapes.
            use r = new StreamReader(s, Text.Encoding.Latin1)
            JavaProperties.parse (r.ReadToEnd())

    /// The piece's OBJ model from the archive with its `modelRotation` applied (v ↦ M v), in Sweet Home 3D's frame
    /// (y up, front toward +z). Throws `MeshFormatException` when the model entry is missing or malformed.
    let readModel (source: string) (archive: ZipArchive) (piece: Sh3dPiece) : Mesh =
        match archive.GetEntry piece.Model with
        | null ->
            raise (
                MeshFormatException
                    {
                        File = source
                        Location = MeshFileLocation.WholeFile
                        Message = sprintf "Expected the model '%s' of piece %d ('%s') in the archive" piece.Model piece.Index piece.Name
                    }
            )
        | entry ->
            use s = entry.Open()

            Obj.read (source + "!" + piece.Model) s
            |> Mesh.transformLinear piece.ModelRotation
