namespace EquiSphere.Geometry

open System
open System.Collections.Generic
open System.Globalization
open System.IO
open System.Numerics
open System.Text

/// Where in a mesh file a parse error was found.
[<RequireQualifiedAccess>]
type MeshFileLocation =
    /// A 1-based line of a text file (or of the text header of a binary file).
    | Line of line: int
    /// A 0-based byte offset into a binary file.
    | ByteOffset of offset: int64
    /// The file as a whole (e.g. a cross-reference checked after parsing).
    | WholeFile

/// A parse error of a mesh file: the file (or stream source name), where, and what was expected.
type MeshFormatError =
    {
        /// The file path or source name given to the reader.
        File: string
        /// The line or byte offset of the problem.
        Location: MeshFileLocation
        /// What was expected and what was found.
        Message: string
    }

    /// "file, line 12: message" / "file, byte offset 84: message" / "file: message".
    override e.ToString() =
        match e.Location with
        | MeshFileLocation.Line l -> sprintf "%s, line %d: %s" e.File l e.Message
        | MeshFileLocation.ByteOffset o -> sprintf "%s, byte offset %d: %s" e.File o e.Message
        | MeshFileLocation.WholeFile -> sprintf "%s: %s" e.File e.Message

/// Thrown by the mesh file readers on malformed input; carries a `MeshFormatError` naming the file, the line or
/// byte offset and what was expected. The readers throw no other exception for bad content.
type MeshFormatException(error: MeshFormatError) =
    inherit Exception(error.ToString())

    /// The structured error.
    member _.Error = error

    /// The file path or source name.
    member _.File = error.File

    /// The 1-based line, when the error is located by line.
    member _.Line =
        match error.Location with
        | MeshFileLocation.Line l -> Some l
        | _ -> None

    /// The 0-based byte offset, when the error is located by byte offset.
    member _.ByteOffset =
        match error.Location with
        | MeshFileLocation.ByteOffset o -> Some o
        | _ -> None

/// Shared machinery of the mesh format readers: errors, text decoding, a line-aware tokenizer, a bounds-checked
/// binary cursor and a polygon-soup builder.
module internal MeshFormat =

    let fail (file: string) (location: MeshFileLocation) (message: string) : 'a =
        raise (
            MeshFormatException
                {
                    File = file
                    Location = location
                    Message = message
                }
        )

    let failLine file line message : 'a =
        fail file (MeshFileLocation.Line line) message

    let failAt file (offset: int64) message : 'a =
        fail file (MeshFileLocation.ByteOffset offset) message

    /// All bytes of a stream (from its current position).
    let readAll (stream: Stream) : byte[] =
        if isNull stream then
            nullArg (nameof stream)

        use ms =
            if stream.CanSeek then
                new MemoryStream(int (min (stream.Length - stream.Position) (int64 Int32.MaxValue)) |> max 0)
            else
                new MemoryStream()

        stream.CopyTo ms
        ms.ToArray()

    /// Decodes text honoring a UTF-8, UTF-16 LE or UTF-16 BE byte order mark; UTF-8 without one.
    let decodeText (bytes: byte[]) (start: int) : string =
        let n = bytes.Length - start

        if
            n >= 3
            && bytes[start] = 0xEFuy
            && bytes[start + 1] = 0xBBuy
            && bytes[start + 2] = 0xBFuy
        then
            Encoding.UTF8.GetString(bytes, start + 3, n - 3)
        elif n >= 2 && bytes[start] = 0xFFuy && bytes[start + 1] = 0xFEuy then
            Encoding.Unicode.GetString(bytes, start + 2, n - 2)
        elif n >= 2 && bytes[start] = 0xFEuy && bytes[start + 1] = 0xFFuy then
            Encoding.BigEndianUnicode.GetString(bytes, start + 2, n - 2)
        else
            Encoding.UTF8.GetString(bytes, start, n)

    /// Shows a token in an error message, shortened when long.
    let show (s: string) =
        if s.Length > 40 then
            "'" + s.Substring(0, 40) + "…'"
        else
            "'" + s + "'"

    let isFinite (v: Vector3) =
        Single.IsFinite v.X && Single.IsFinite v.Y && Single.IsFinite v.Z

    /// A tokenizer over decoded text that tracks the 1-based line. Tokens are separated by blanks; a token starting
    /// with a double quote runs to the closing quote on the same line. `comment` starts a comment to the end of the
    /// line ('\000' for none). With `continuations`, a backslash ending a line joins it to the next (OBJ).
    type TextScanner(file: string, text: string, comment: char, firstLine: int, continuations: bool) =
        let mutable pos = 0
        let mutable line = firstLine

        let isBlank c =
            c = ' ' || c = '\t' || c = '\r' || c = '\f' || c = '\v' || c = '\000'

        /// The position after a backslash-newline continuation starting at p, or -1.
        let continuationEnd p =
            if continuations && p < text.Length && text[p] = '\\' then
                let mutable q = p + 1

                while q < text.Length && text[q] = '\r' do
                    q <- q + 1

                if q < text.Length && text[q] = '\n' then q + 1 else -1
            else
                -1

        member _.File = file
        member _.Text = text
        member _.Line = line
        member _.Position = pos
        member _.AtEnd = pos >= text.Length

        /// Raises a MeshFormatException at the current line.
        member _.Fail(message: string) : 'a = failLine file line message

        /// Skips blanks and a comment on the current line (not the newline); with continuations, also a
        /// backslash-newline pair.
        member _.SkipBlanks() =
            let mutable go = true

            while go do
                while pos < text.Length && isBlank text[pos] do
                    pos <- pos + 1

                let e = continuationEnd pos

                if e >= 0 then
                    pos <- e
                    line <- line + 1
                else
                    go <- false

            if comment <> '\000' && pos < text.Length && text[pos] = comment then
                while pos < text.Length && text[pos] <> '\n' do
                    pos <- pos + 1

        /// True when only blanks or a comment remain on the current line.
        member s.AtLineEnd =
            s.SkipBlanks()
            pos >= text.Length || text[pos] = '\n'

        /// Skips the rest of the current line including its newline.
        member _.NextLine() =
            while pos < text.Length && text[pos] <> '\n' do
                pos <- pos + 1

            if pos < text.Length then
                pos <- pos + 1
                line <- line + 1

        /// Skips `count` characters verbatim (counting newlines), e.g. AC3D's `data` blocks.
        member s.SkipChars(count: int) =
            let stop = min text.Length (pos + max 0 count)

            while pos < stop do
                if text[pos] = '\n' then
                    line <- line + 1

                pos <- pos + 1

        /// The next token on the current line as (start, length); length 0 when the line has no more tokens.
        member s.TokenOnLine() : struct (int * int) =
            if s.AtLineEnd then
                struct (pos, 0)
            else
                let start = pos

                if text[pos] = '"' then
                    pos <- pos + 1

                    while pos < text.Length && text[pos] <> '"' && text[pos] <> '\n' do
                        pos <- pos + 1

                    if pos < text.Length && text[pos] = '"' then
                        pos <- pos + 1
                else
                    while pos < text.Length
                          && not (isBlank text[pos])
                          && text[pos] <> '\n'
                          && continuationEnd pos < 0
                          && not (comment <> '\000' && text[pos] = comment) do
                        pos <- pos + 1

                struct (start, pos - start)

        /// The next token, crossing blank lines and comment lines; length 0 at the end of the text.
        member s.Token() : struct (int * int) =
            let mutable result = s.TokenOnLine()
            let struct (_, len) = result

            if len > 0 then
                result
            else
                let mutable fin = false

                while not fin do
                    if pos >= text.Length then
                        fin <- true
                    else
                        s.NextLine()
                        let struct (_, l) as r = s.TokenOnLine()

                        if l > 0 then
                            result <- r
                            fin <- true

                result

        /// The text of a token.
        member _.Str(struct (start: int, len: int)) = text.Substring(start, len)

        /// True when the token equals `word` (ASCII case-insensitive).
        member _.Is(struct (start: int, len: int), word: string) =
            len = word.Length
            && String.Compare(text, start, word, 0, len, StringComparison.OrdinalIgnoreCase) = 0

        /// Parses a token as a finite float32, or fails naming `what`.
        member s.Float(struct (start: int, len: int) as tok, what: string) : float32 =
            if len = 0 then
                s.Fail(sprintf "Expected %s (a number), got the end of the line" what)

            let mutable v = 0.0f

            if
                Single.TryParse(text.AsSpan(start, len), NumberStyles.Float, CultureInfo.InvariantCulture, &v)
                && Single.IsFinite v
            then
                v
            else
                s.Fail(sprintf "Expected %s (a finite number), got %s" what (show (s.Str tok)))

        /// Parses a token as an int32, or fails naming `what`.
        member s.Int(struct (start: int, len: int) as tok, what: string) : int =
            if len = 0 then
                s.Fail(sprintf "Expected %s (an integer), got the end of the line" what)

            let mutable v = 0

            if Int32.TryParse(text.AsSpan(start, len), NumberStyles.Integer, CultureInfo.InvariantCulture, &v) then
                v
            else
                s.Fail(sprintf "Expected %s (an integer), got %s" what (show (s.Str tok)))

        /// Reads the next token (crossing lines) as a float; fails at the end of the text.
        member s.ReadFloat(what: string) =
            let t = s.Token()
            let struct (_, len) = t

            if len = 0 then
                s.Fail(sprintf "Expected %s (a number), got the end of the file" what)

            s.Float(t, what)

        /// Reads the next token (crossing lines) as an int; fails at the end of the text.
        member s.ReadInt(what: string) =
            let t = s.Token()
            let struct (_, len) = t

            if len = 0 then
                s.Fail(sprintf "Expected %s (an integer), got the end of the file" what)

            s.Int(t, what)

        /// Reads a float from the current line.
        member s.FloatOnLine(what: string) = s.Float(s.TokenOnLine(), what)

        /// Reads an int from the current line.
        member s.IntOnLine(what: string) = s.Int(s.TokenOnLine(), what)

    /// Triangles from polygons (fan triangulation) over a growing vertex list.
    type MeshBuilder() =
        let vertices = ResizeArray<Vector3>()
        let faces = ResizeArray<Face>()

        member _.VertexCount = vertices.Count
        member _.FaceCount = faces.Count
        member _.AddVertex(v: Vector3) = vertices.Add v

        /// Adds the fan (i0, i_k, i_{k+1}) of a polygon; polygons with fewer than 3 corners add nothing.
        member _.AddPolygon(indices: int[], count: int) =
            for k in 1 .. count - 2 do
                faces.Add
                    {
                        A = indices[0]
                        B = indices[k]
                        C = indices[k + 1]
                    }

        member _.AddTriangle(a: int, b: int, c: int) = faces.Add { A = a; B = b; C = c }

        /// The validated mesh; a validation failure becomes a MeshFormatException for the whole file.
        member _.Build(file: string) : Mesh =
            try
                Mesh.create (vertices.ToArray()) (faces.ToArray())
            with :? ArgumentException as e ->
                fail file MeshFileLocation.WholeFile e.Message

    /// Indexes vertices by exact position (−0 and +0 merged), for formats that store triangle soups (STL).
    type VertexWelder(builder: MeshBuilder) =
        let index = Dictionary<Vector3, int>()

        member _.Add(v: Vector3) =
            let key = Vector3(v.X + 0.0f, v.Y + 0.0f, v.Z + 0.0f)
            let mutable i = 0

            if index.TryGetValue(key, &i) then
                i
            else
                let i = builder.VertexCount
                builder.AddVertex key
                index[key] <- i
                i

    /// A float in the shortest form that parses back to the same float32.
    let formatFloat (x: float32) =
        x.ToString("R", CultureInfo.InvariantCulture)

    /// A text writer with '\n' line ends and UTF-8 without BOM, leaving the stream open.
    let textWriter (stream: Stream) =
        if isNull stream then
            nullArg (nameof stream)

        new StreamWriter(stream, UTF8Encoding(false), 65536, true, NewLine = "\n")

    /// Checks a mesh argument of a writer.
    let checkMesh (mesh: Mesh) =
        if obj.ReferenceEquals(mesh, null) then
            nullArg (nameof mesh)
