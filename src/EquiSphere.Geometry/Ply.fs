namespace EquiSphere.Geometry

open System
open System.Buffers.Binary
open System.IO
open System.Numerics
open System.Text
open EquiSphere.Geometry.MeshFormat

/// How the body of a PLY file is encoded.
[<RequireQualifiedAccess>]
type PlyEncoding =
    /// Whitespace-separated decimal text.
    | Ascii
    /// Binary, least significant byte first.
    | BinaryLittleEndian
    /// Binary, most significant byte first.
    | BinaryBigEndian

/// The Stanford polygon file format (PLY): a text header declaring elements and their properties, then an ASCII or
/// binary body. Vertices come from the `vertex` element's `x`, `y`, `z`; faces from the `face` element's list
/// property `vertex_indices` (or `vertex_index`); every other property and element is read past.
[<RequireQualifiedAccess>]
module Ply =

    type private Scalar =
        | Int8
        | UInt8
        | Int16
        | UInt16
        | Int32
        | UInt32
        | Float32
        | Float64

    let private size =
        function
        | Int8
        | UInt8 -> 1
        | Int16
        | UInt16 -> 2
        | Int32
        | UInt32
        | Float32 -> 4
        | Float64 -> 8

    let private scalarOf (name: string) =
        match name with
        | "char"
        | "int8" -> Some Int8
        | "uchar"
        | "uint8" -> Some UInt8
        | "short"
        | "int16" -> Some Int16
        | "ushort"
        | "uint16" -> Some UInt16
        | "int"
        | "int32" -> Some Int32
        | "uint"
        | "uint32" -> Some UInt32
        | "float"
        | "float32" -> Some Float32
        | "double"
        | "float64" -> Some Float64
        | _ -> None

    type private Property =
        | ScalarProperty of Scalar * name: string
        | ListProperty of count: Scalar * item: Scalar * name: string

    type private Element =
        {
            Name: string
            Count: int
            Properties: Property list
            Line: int
        }

    let private typeNames =
        "char, uchar, short, ushort, int, uint, float, double (or int8 … float64)"

    /// Parses the header; returns the encoding, the elements, the byte offset of the body and the header's line count.
    let private header (file: string) (bytes: byte[]) =
        let isNewline b = b = 10uy || b = 13uy

        if
            bytes.Length < 3
            || bytes[0] <> byte 'p'
            || bytes[1] <> byte 'l'
            || bytes[2] <> byte 'y'
        then
            failLine file 1 "Expected the PLY magic 'ply' at the start of the file"

        let mutable pos = 0
        let mutable line = 0
        let mutable encoding = None
        let elements = ResizeArray<Element>()
        let mutable fin = false

        while not fin do
            if pos >= bytes.Length then
                failLine file line "Expected 'end_header' before the end of the file"

            let start = pos

            while pos < bytes.Length && not (isNewline bytes[pos]) do
                pos <- pos + 1

            let text = Encoding.ASCII.GetString(bytes, start, pos - start)
            // A line ends with "\n", "\r\n" or "\r".
            if pos < bytes.Length && bytes[pos] = 13uy then
                pos <- pos + 1

            if pos < bytes.Length && bytes[pos] = 10uy then
                pos <- pos + 1

            line <- line + 1
            let words = text.Split([| ' '; '\t' |], StringSplitOptions.RemoveEmptyEntries)

            let bad what =
                failLine file line (sprintf "Expected %s, got %s" what (show text))

            if line = 1 then
                if words <> [| "ply" |] then
                    bad "the PLY magic line 'ply'"
            elif words.Length = 0 then
                ()
            else
                match words[0] with
                | "format" ->
                    if words.Length < 2 then
                        bad "'format ascii|binary_little_endian|binary_big_endian 1.0'"

                    encoding <-
                        match words[1] with
                        | "ascii" -> Some PlyEncoding.Ascii
                        | "binary_little_endian" -> Some PlyEncoding.BinaryLittleEndian
                        | "binary_big_endian" -> Some PlyEncoding.BinaryBigEndian
                        | _ -> bad "the format ascii, binary_little_endian or binary_big_endian"
                | "comment"
                | "obj_info" -> ()
                | "element" ->
                    if words.Length <> 3 then
                        bad "'element <name> <count>'"

                    let mutable count = 0L

                    if
                        not (Int64.TryParse(words[2], &count))
                        || count < 0L
                        || count > int64 Int32.MaxValue
                    then
                        bad (sprintf "an element count in [0, %d]" Int32.MaxValue)

                    elements.Add
                        {
                            Name = words[1]
                            Count = int count
                            Properties = []
                            Line = line
                        }
                | "property" ->
                    if elements.Count = 0 then
                        bad "an 'element' line before the first 'property'"

                    let scalar w =
                        match scalarOf w with
                        | Some t -> t
                        | None -> bad (sprintf "a property type (%s)" typeNames)

                    let p =
                        if words.Length = 5 && words[1] = "list" then
                            let c = scalar words[2]

                            if c = Float32 || c = Float64 then
                                bad "an integer type for the list count"

                            ListProperty(c, scalar words[3], words[4])
                        elif words.Length = 3 && words[1] <> "list" then
                            ScalarProperty(scalar words[1], words[2])
                        else
                            bad "'property <type> <name>' or 'property list <count type> <item type> <name>'"

                    let last = elements.Count - 1

                    elements[last] <-
                        { elements[last] with
                            Properties = elements[last].Properties @ [ p ]
                        }
                | "end_header" -> fin <- true
                // Some exporters (old Blender) write free text without 'comment'; read past it like a comment.
                | _ -> ()

        match encoding with
        | None -> failLine file line "Expected a 'format' line in the header"
        | Some e -> e, List.ofSeq elements, pos, line

    /// Reads numbers of the body one at a time, as float (exact for every PLY scalar type).
    type private Body =
        abstract Read: Scalar * what: string -> float
        abstract Remaining: int64
        abstract Fail: string -> unit

    let private binaryBody (file: string) (bytes: byte[]) (start: int) (bigEndian: bool) =
        let mutable pos = start

        { new Body with
            member _.Remaining = int64 (bytes.Length - pos)
            member _.Fail(message) = failAt file (int64 pos) message

            member _.Read(t, what) =
                let n = size t

                if pos + n > bytes.Length then
                    failAt file (int64 pos) (sprintf "Expected %s (%d bytes), got the end of the file" what n)

                let s = ReadOnlySpan<byte>(bytes, pos, n)
                pos <- pos + n

                match t with
                | Int8 -> float (sbyte s[0])
                | UInt8 -> float s[0]
                | Int16 ->
                    float (
                        if bigEndian then
                            BinaryPrimitives.ReadInt16BigEndian s
                        else
                            BinaryPrimitives.ReadInt16LittleEndian s
                    )
                | UInt16 ->
                    float (
                        if bigEndian then
                            BinaryPrimitives.ReadUInt16BigEndian s
                        else
                            BinaryPrimitives.ReadUInt16LittleEndian s
                    )
                | Int32 ->
                    float (
                        if bigEndian then
                            BinaryPrimitives.ReadInt32BigEndian s
                        else
                            BinaryPrimitives.ReadInt32LittleEndian s
                    )
                | UInt32 ->
                    float (
                        if bigEndian then
                            BinaryPrimitives.ReadUInt32BigEndian s
                        else
                            BinaryPrimitives.ReadUInt32LittleEndian s
                    )
                | Float32 ->
                    float (
                        if bigEndian then
                            BinaryPrimitives.ReadSingleBigEndian s
                        else
                            BinaryPrimitives.ReadSingleLittleEndian s
                    )
                | Float64 ->
                    if bigEndian then
                        BinaryPrimitives.ReadDoubleBigEndian s
                    else
                        BinaryPrimitives.ReadDoubleLittleEndian s
        }

    let private asciiBody (file: string) (text: string) (firstLine: int) =
        let s = TextScanner(file, text, '\000', firstLine, false)

        { new Body with
            member _.Remaining = int64 (text.Length - s.Position)
            member _.Fail(message) = s.Fail message

            member _.Read(t, what) =
                let tok = s.Token()
                let struct (start, len) = tok

                if len = 0 then
                    s.Fail(sprintf "Expected %s, got the end of the file" what)

                let mutable v = 0.0

                if
                    not (
                        Double.TryParse(
                            text.AsSpan(start, len),
                            Globalization.NumberStyles.Float,
                            Globalization.CultureInfo.InvariantCulture,
                            &v
                        )
                    )
                then
                    s.Fail(sprintf "Expected %s (a number), got %s" what (show (s.Str tok)))

                match t with
                | Float32 -> float (float32 v)
                | Float64 -> v
                | _ when v <> Math.Floor v -> s.Fail(sprintf "Expected %s (an integer), got %s" what (show (s.Str tok)))
                | _ -> v
        }

    /// The fewest bytes (binary) or characters (ASCII: a digit and a separator per number) one instance occupies.
    let private minimalSize (encoding: PlyEncoding) (e: Element) =
        e.Properties
        |> List.sumBy (fun p ->
            match encoding, p with
            | PlyEncoding.Ascii, _ -> 2
            | _, ScalarProperty(t, _) -> size t
            | _, ListProperty(c, _, _) -> size c)
        |> max 1

    let private parse (file: string) (bytes: byte[]) : Mesh =
        let encoding, elements, bodyStart, headerLines = header file bytes

        let body =
            match encoding with
            | PlyEncoding.Ascii -> asciiBody file (Encoding.ASCII.GetString(bytes, bodyStart, bytes.Length - bodyStart)) (headerLines + 1)
            | PlyEncoding.BinaryLittleEndian -> binaryBody file bytes bodyStart false
            | PlyEncoding.BinaryBigEndian -> binaryBody file bytes bodyStart true

        let b = MeshBuilder()
        let mutable vertexCount = -1
        let mutable worstIndex = -1
        let mutable worstWhat = ""
        let mutable corners = Array.zeroCreate<int> 8

        for e in elements do
            let need = int64 e.Count * int64 (minimalSize encoding e)

            if need > body.Remaining then
                failLine
                    file
                    e.Line
                    (sprintf
                        "Expected an element count the file can hold: %d '%s' elements need at least %d bytes, %d remain"
                        e.Count
                        e.Name
                        need
                        body.Remaining)

            let isVertex = e.Name = "vertex" && vertexCount < 0
            let isFace = e.Name = "face"

            let coordinate name =
                if isVertex then
                    match name with
                    | "x" -> 0
                    | "y" -> 1
                    | "z" -> 2
                    | _ -> -1
                else
                    -1

            if isVertex then
                for axis in [ "x"; "y"; "z" ] do
                    let has =
                        e.Properties
                        |> List.exists (function
                            | ScalarProperty(_, n) -> n = axis
                            | _ -> false)

                    if not has then
                        failLine file e.Line (sprintf "Expected a scalar property '%s' on the vertex element" axis)

            let indexList =
                if isFace then
                    e.Properties
                    |> List.tryFindIndex (fun p ->
                        match p with
                        | ListProperty(_, _, ("vertex_indices" | "vertex_index")) -> true
                        | _ -> false)
                    |> Option.defaultValue -1
                else
                    -1

            let xyz = [| 0.0f; 0.0f; 0.0f |]

            for i in 0 .. e.Count - 1 do
                e.Properties
                |> List.iteri (fun pi p ->
                    match p with
                    | ScalarProperty(t, name) ->
                        let v = body.Read(t, sprintf "property '%s' of %s %d" name e.Name i)
                        let axis = coordinate name

                        if axis >= 0 then
                            let f = float32 v

                            if not (Single.IsFinite f) then
                                body.Fail(sprintf "Expected a finite coordinate %s of vertex %d, got %g" name i v)

                            xyz[axis] <- f
                    | ListProperty(ct, it, name) ->
                        let what = sprintf "the count of list '%s' of %s %d" name e.Name i
                        let n = body.Read(ct, what)

                        let itemSize =
                            match encoding with
                            | PlyEncoding.Ascii -> 2
                            | _ -> size it

                        if not (n >= 0.0 && float itemSize * n <= float body.Remaining) then
                            body.Fail(sprintf "Expected %s to be in [0, %d] (what the file can hold), got %g" what body.Remaining n)

                        let n = int n

                        if pi = indexList && n > corners.Length then
                            corners <- Array.zeroCreate n

                        for k in 0 .. n - 1 do
                            let what = sprintf "item %d of list '%s' of %s %d" k name e.Name i
                            let v = body.Read(it, what)

                            if pi = indexList then
                                if v < 0.0 || v > float Int32.MaxValue || v <> Math.Floor v then
                                    body.Fail(sprintf "Expected %s to be a vertex index (a nonnegative integer), got %g" what v)

                                let idx = int v

                                if idx > worstIndex then
                                    worstIndex <- idx
                                    worstWhat <- what

                                corners[k] <- idx

                        if pi = indexList then
                            b.AddPolygon(corners, n))

                if isVertex then
                    b.AddVertex(Vector3(xyz[0], xyz[1], xyz[2]))

            if isVertex then
                vertexCount <- e.Count

        if worstIndex >= b.VertexCount then
            fail
                file
                MeshFileLocation.WholeFile
                (sprintf "Expected vertex indices below %d (the vertex count), got %d in %s" b.VertexCount worstIndex worstWhat)

        b.Build file

    /// Reads a PLY mesh (ASCII, binary little- or big-endian) from a stream; `source` names the stream in errors.
    /// All scalar types are accepted for every property; list counts and indices of any integer type; extra vertex
    /// and face properties and extra elements are read past; n-gons are fan-triangulated. Element counts are checked
    /// against the bytes left before anything is allocated. Throws `MeshFormatException` naming the header line or
    /// the body's line (ASCII) or byte offset (binary) and what was expected.
    let read (source: string) (stream: Stream) : Mesh = parse source (readAll stream)

    /// Writes a PLY mesh with float `x y z` vertices and `uchar int vertex_indices` triangles in `encoding`.
    /// Law: `read` after `write` gives back the same vertices and faces, for every encoding.
    let write (encoding: PlyEncoding) (stream: Stream) (mesh: Mesh) =
        checkMesh mesh

        let format =
            match encoding with
            | PlyEncoding.Ascii -> "ascii"
            | PlyEncoding.BinaryLittleEndian -> "binary_little_endian"
            | PlyEncoding.BinaryBigEndian -> "binary_big_endian"

        let head =
            String.concat
                "\n"
                [
                    "ply"
                    sprintf "format %s 1.0" format
                    "comment written by EquiSphere"
                    sprintf "element vertex %d" mesh.Vertices.Length
                    "property float x"
                    "property float y"
                    "property float z"
                    sprintf "element face %d" mesh.Faces.Length
                    "property list uchar int vertex_indices"
                    "end_header"
                    ""
                ]

        match encoding with
        | PlyEncoding.Ascii ->
            use w = textWriter stream
            w.Write head

            for v in mesh.Vertices do
                w.WriteLine(formatFloat v.X + " " + formatFloat v.Y + " " + formatFloat v.Z)

            for f in mesh.Faces do
                w.WriteLine(sprintf "3 %d %d %d" f.A f.B f.C)
        | _ ->
            let big = (encoding = PlyEncoding.BinaryBigEndian)
            let headBytes = Encoding.ASCII.GetBytes head
            stream.Write(headBytes, 0, headBytes.Length)
            let buf = Array.zeroCreate<byte> 13

            for v in mesh.Vertices do
                let s = Span<byte>(buf)

                if big then
                    BinaryPrimitives.WriteSingleBigEndian(s.Slice 0, v.X)
                    BinaryPrimitives.WriteSingleBigEndian(s.Slice 4, v.Y)
                    BinaryPrimitives.WriteSingleBigEndian(s.Slice 8, v.Z)
                else
                    BinaryPrimitives.WriteSingleLittleEndian(s.Slice 0, v.X)
                    BinaryPrimitives.WriteSingleLittleEndian(s.Slice 4, v.Y)
                    BinaryPrimitives.WriteSingleLittleEndian(s.Slice 8, v.Z)

                stream.Write(buf, 0, 12)

            for f in mesh.Faces do
                let s = Span<byte>(buf)
                buf[0] <- 3uy

                if big then
                    BinaryPrimitives.WriteInt32BigEndian(s.Slice 1, f.A)
                    BinaryPrimitives.WriteInt32BigEndian(s.Slice 5, f.B)
                    BinaryPrimitives.WriteInt32BigEndian(s.Slice 9, f.C)
                else
                    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 1, f.A)
                    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 5, f.B)
                    BinaryPrimitives.WriteInt32LittleEndian(s.Slice 9, f.C)

                stream.Write(buf, 0, 13)
