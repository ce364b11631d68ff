namespace EquiSphere.Geometry

open System
open System.IO
open System.Text
open EquiSphere.Geometry.MeshFormat

/// The mesh file formats `MeshFile` reads (and, except AC3D, writes).
[<RequireQualifiedAccess>]
type MeshFileFormat =
    /// Object File Format (`.off`).
    | Off
    /// Wavefront OBJ (`.obj`).
    | Obj
    /// Stanford PLY (`.ply`); written binary little-endian.
    | Ply
    /// Stereolithography (`.stl`); written binary.
    | Stl
    /// AC3D (`.ac`); read only.
    | Ac3d

/// Reading and writing meshes by path: the format follows the extension (case-insensitive), or the content when the
/// extension is unknown.
[<RequireQualifiedAccess>]
module MeshFile =

    /// The format named by a path's extension (.off .obj .ply .stl .ac, any case), if any.
    let formatOfPath (path: string) : MeshFileFormat option =
        if isNull path then
            nullArg (nameof path)

        match Path.GetExtension(path).ToLowerInvariant() with
        | ".off" -> Some MeshFileFormat.Off
        | ".obj" -> Some MeshFileFormat.Obj
        | ".ply" -> Some MeshFileFormat.Ply
        | ".stl" -> Some MeshFileFormat.Stl
        | ".ac" -> Some MeshFileFormat.Ac3d
        | _ -> None

    /// The format a file's first bytes suggest: `ply`, `AC3D`, an OFF header word, `solid` or an exact binary STL
    /// size, or OBJ statements (`v`, `f`, `o`, `g`, `#`, `mtllib`) at the start of lines.
    let sniff (bytes: byte[]) : MeshFileFormat option =
        if isNull bytes then
            nullArg (nameof bytes)

        let text = decodeText (Array.sub bytes 0 (min bytes.Length 4096)) 0
        let trimmed = text.TrimStart()
        let firstWord = trimmed.Split([| ' '; '\t'; '\r'; '\n' |], 2).[0]

        let stlSize =
            bytes.Length >= 84
            && 84L + 50L * int64 (BitConverter.ToUInt32(bytes, 80)) = int64 bytes.Length

        if trimmed.StartsWith("ply", StringComparison.Ordinal) then
            Some MeshFileFormat.Ply
        elif trimmed.StartsWith("AC3D", StringComparison.Ordinal) then
            Some MeshFileFormat.Ac3d
        elif
            firstWord.Contains "OFF"
            && firstWord.Substring(0, firstWord.IndexOf "OFF")
               |> Seq.forall (fun c -> "STCN4n".Contains c)
        then
            Some MeshFileFormat.Off
        elif stlSize || trimmed.StartsWith("solid", StringComparison.OrdinalIgnoreCase) then
            Some MeshFileFormat.Stl
        else
            let objLine (l: string) =
                let w = l.TrimStart().Split([| ' '; '\t' |], 2).[0]
                List.contains w [ "v"; "vn"; "vt"; "f"; "o"; "g"; "mtllib"; "usemtl"; "s" ]

            if text.Split('\n') |> Array.exists objLine then
                Some MeshFileFormat.Obj
            else
                None

    /// Reads a mesh of a known format from a stream; `source` names the stream in errors.
    let readStream (format: MeshFileFormat) (source: string) (stream: Stream) : Mesh =
        match format with
        | MeshFileFormat.Off -> Off.read source stream
        | MeshFileFormat.Obj -> Obj.read source stream
        | MeshFileFormat.Ply -> Ply.read source stream
        | MeshFileFormat.Stl -> Stl.read source stream
        | MeshFileFormat.Ac3d -> Ac3d.read source stream

    /// Reads the mesh at `path`, dispatching on the extension (.off .obj .ply .stl .ac, case-insensitive) or, for
    /// any other extension, on the content (`sniff`). Throws `MeshFormatException` naming the file, the line or byte
    /// offset and what was expected; I/O failures (missing file, no permission) throw the usual I/O exceptions.
    let read (path: string) : Mesh =
        if isNull path then
            nullArg (nameof path)

        let bytes = File.ReadAllBytes path

        let format =
            match formatOfPath path with
            | Some f -> f
            | None ->
                match sniff bytes with
                | Some f -> f
                | None ->
                    fail
                        path
                        (MeshFileLocation.ByteOffset 0L)
                        "Expected a mesh file (.off .obj .ply .stl .ac, or content starting like one), got an unknown extension and content"

        use ms = new MemoryStream(bytes, false)
        readStream format path ms

    /// `read` as a Result: `Error` for malformed content and for files that cannot be read (the error then names
    /// the file, location `WholeFile`, and the I/O failure).
    let tryRead (path: string) : Result<Mesh, MeshFormatError> =
        if isNull path then
            nullArg (nameof path)

        try
            Ok(read path)
        with
        | :? MeshFormatException as e -> Error e.Error
        | :? IOException
        | :? UnauthorizedAccessException as e ->
            Error
                {
                    File = path
                    Location = MeshFileLocation.WholeFile
                    Message = "Could not read the file: " + e.Message
                }

    /// Writes a mesh in a format (PLY binary little-endian, STL binary) to a stream.
    let writeStream (format: MeshFileFormat) (stream: Stream) (mesh: Mesh) =
        match format with
        | MeshFileFormat.Off -> Off.write stream mesh
        | MeshFileFormat.Obj -> Obj.write stream mesh
        | MeshFileFormat.Ply -> Ply.write PlyEncoding.BinaryLittleEndian stream mesh
        | MeshFileFormat.Stl -> Stl.write StlEncoding.Binary stream mesh
        | MeshFileFormat.Ac3d -> invalidArg (nameof format) "Expected a writable format (OFF, OBJ, PLY, STL), got AC3D (read only)"

    /// Writes the mesh to `path` in the format of its extension (.off .obj .ply .stl), atomically: to a temporary
    /// file in the same folder, then moved over `path`. Law: `read` after `write` gives back the mesh (for STL, up to
    /// the merging of vertices at equal positions and dropping unused ones).
    let write (path: string) (mesh: Mesh) =
        if isNull path then
            nullArg (nameof path)

        checkMesh mesh

        let format =
            match formatOfPath path with
            | Some MeshFileFormat.Ac3d
            | None -> invalidArg (nameof path) (sprintf "Expected a path ending in .off, .obj, .ply or .stl, got '%s'" path)
            | Some f -> f

        EquiSphere.Tensor.AtomicFile.writeWith path (fun fs -> writeStream format fs mesh)
