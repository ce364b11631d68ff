namespace EquiSphere.Tensor

open System
open System.IO
open System.Text
open System.Text.Json

/// Element types of the safetensors format, named as in its JSON header.
type SafetensorsDType =
    | F64
    | F32
    | F16
    | BF16
    | I64
    | I32
    | I16
    | I8
    | U8
    | BOOL

/// One named tensor of a safetensors file: element type, shape and raw little-endian bytes (row-major).
type SafetensorsEntry =
    {
        Name: string
        DType: SafetensorsDType
        Shape: int64[]
        Data: byte[]
    }

/// The contents of a safetensors file: its tensors in file order and its `__metadata__` string map.
type SafetensorsFile =
    {
        Entries: SafetensorsEntry list
        Metadata: Map<string, string>
    }

/// Reading and writing the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (name → {dtype, shape, data_offsets}, plus an optional "__metadata__" string map, padded with spaces to a
/// multiple of 8), then the raw data. Files written here open in Python's `safetensors` package.
[<RequireQualifiedAccess>]
module Safetensors =

    /// The header size above which a file is rejected as corrupt (100 MB, the reference implementation's limit).
    [<Literal>]
    let MaxHeaderBytes = 100_000_000L

    /// Bytes per element of a dtype.
    let elementSize (dtype: SafetensorsDType) =
        match dtype with
        | F64
        | I64 -> 8
        | F32
        | I32 -> 4
        | F16
        | BF16
        | I16 -> 2
        | I8
        | U8
        | BOOL -> 1

    /// The dtype's name in the JSON header ("F32", "BF16", ...).
    let dtypeName (dtype: SafetensorsDType) =
        match dtype with
        | F64 -> "F64"
        | F32 -> "F32"
        | F16 -> "F16"
        | BF16 -> "BF16"
        | I64 -> "I64"
        | I32 -> "I32"
        | I16 -> "I16"
        | I8 -> "I8"
        | U8 -> "U8"
        | BOOL -> "BOOL"

    /// The dtype of a header name, or None for a name this library does not handle.
    let tryParseDType (name: string) =
        [ F64; F32; F16; BF16; I64; I32; I16; I8; U8; BOOL ]
        |> List.tryFind (fun d -> dtypeName d = name)

    let private elementCount (shape: int64[]) =
        shape |> Array.fold (fun acc d -> acc * d) 1L

    /// An entry checked for a non-empty name, non-negative dims and a byte count matching the shape.
    let entry (name: string) (dtype: SafetensorsDType) (shape: int64[]) (data: byte[]) =
        if String.IsNullOrEmpty name || name = "__metadata__" then
            invalidArg (nameof name) (sprintf "Expected a non-empty tensor name other than __metadata__, got '%s'" name)

        if shape |> Array.exists (fun d -> d < 0L) then
            invalidArg (nameof shape) (sprintf "Tensor '%s': expected non-negative dimensions, got %A" name shape)

        let expected = elementCount shape * int64 (elementSize dtype)

        if int64 data.Length <> expected then
            invalidArg
                (nameof data)
                (sprintf "Tensor '%s': shape %A of %s needs %d bytes, got %d" name shape (dtypeName dtype) expected data.Length)

        {
            Name = name
            DType = dtype
            Shape = shape
            Data = data
        }

    let private toBytes<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (values: 'T[]) =
        let bytes =
            Runtime.InteropServices.MemoryMarshal.AsBytes(ReadOnlySpan<'T>(values)).ToArray()

        if not BitConverter.IsLittleEndian then
            invalidOp "safetensors I/O needs a little-endian machine"

        bytes

    let private ofBytes<'T when 'T: unmanaged and 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType> (bytes: byte[]) =
        Runtime.InteropServices.MemoryMarshal.Cast<byte, 'T>(ReadOnlySpan<byte>(bytes)).ToArray()

    let private checkDType (e: SafetensorsEntry) (expected: SafetensorsDType) =
        if e.DType <> expected then
            invalidArg "entry" (sprintf "Tensor '%s': expected dtype %s, got %s" e.Name (dtypeName expected) (dtypeName e.DType))

    /// An F32 entry of row-major `values` with the given shape.
    let ofFloat32 (name: string) (shape: int64[]) (values: float32[]) = entry name F32 shape (toBytes values)

    /// An F64 entry of row-major `values` with the given shape.
    let ofFloat64 (name: string) (shape: int64[]) (values: float[]) = entry name F64 shape (toBytes values)

    /// An I64 entry of row-major `values` with the given shape.
    let ofInt64 (name: string) (shape: int64[]) (values: int64[]) = entry name I64 shape (toBytes values)

    /// An I32 entry of row-major `values` with the given shape.
    let ofInt32 (name: string) (shape: int64[]) (values: int[]) = entry name I32 shape (toBytes values)

    /// A U8 entry of row-major `values` with the given shape.
    let ofUInt8 (name: string) (shape: int64[]) (values: byte[]) = entry name U8 shape (Array.copy values)

    /// The values of an F32 entry; throws if the dtype differs.
    let toFloat32 (e: SafetensorsEntry) : float32[] =
        checkDType e F32
        ofBytes e.Data

    /// The values of an F64 entry; throws if the dtype differs.
    let toFloat64 (e: SafetensorsEntry) : float[] =
        checkDType e F64
        ofBytes e.Data

    /// The values of an I64 entry; throws if the dtype differs.
    let toInt64 (e: SafetensorsEntry) : int64[] =
        checkDType e I64
        ofBytes e.Data

    /// The values of an I32 entry; throws if the dtype differs.
    let toInt32 (e: SafetensorsEntry) : int[] =
        checkDType e I32
        ofBytes e.Data

    /// The header JSON (without padding) of a set of entries laid out in order.
    let private headerJson (metadata: Map<string, string>) (entries: SafetensorsEntry list) =
        use ms = new MemoryStream()

        do
            use w = new Utf8JsonWriter(ms)
            w.WriteStartObject()

            if not metadata.IsEmpty then
                w.WriteStartObject "__metadata__"

                for KeyValue(k, v) in metadata do
                    w.WriteString(k, v)

                w.WriteEndObject()

            let mutable offset = 0L

            for e in entries do
                w.WriteStartObject e.Name
                w.WriteString("dtype", dtypeName e.DType)
                w.WriteStartArray "shape"

                for d in e.Shape do
                    w.WriteNumberValue d

                w.WriteEndArray()
                w.WriteStartArray "data_offsets"
                w.WriteNumberValue offset
                offset <- offset + int64 e.Data.Length
                w.WriteNumberValue offset
                w.WriteEndArray()
                w.WriteEndObject()

            w.WriteEndObject()

        ms.ToArray()

    /// Writes the file to a stream: header length, space-padded header, data in entry order.
    let writeTo (stream: Stream) (file: SafetensorsFile) =
        let names = file.Entries |> List.map (fun e -> e.Name)

        match names |> List.countBy id |> List.tryFind (fun (_, c) -> c > 1) with
        | Some(n, _) -> invalidArg "file" (sprintf "Expected unique tensor names, got '%s' twice" n)
        | None -> ()

        let json = headerJson file.Metadata file.Entries
        let padded = (json.Length + 7) / 8 * 8
        let header = Array.create padded (byte ' ')
        Array.blit json 0 header 0 json.Length
        stream.Write(BitConverter.GetBytes(int64 padded), 0, 8)
        stream.Write(header, 0, header.Length)

        for e in file.Entries do
            stream.Write(e.Data, 0, e.Data.Length)

    /// Writes `file` to `path` atomically: a temporary file in the same folder, flushed, then moved over `path`.
    let write (path: string) (file: SafetensorsFile) =
        AtomicFile.writeWith path (fun fs -> writeTo fs file)

    /// Parses a whole safetensors image; `source` names the file in error messages.
    let tryParse (source: string) (bytes: byte[]) : Result<SafetensorsFile, string> =
        let fail fmt =
            Printf.ksprintf (fun s -> Error(sprintf "%s: %s" source s)) fmt

        if bytes.Length < 8 then
            fail "expected at least 8 bytes (the header length), got %d" bytes.Length
        else
            let n = BitConverter.ToInt64(bytes, 0)

            if n < 2L || n > MaxHeaderBytes || 8L + n > int64 bytes.Length then
                fail "header length %d is out of range (file has %d bytes, limit %d)" n bytes.Length MaxHeaderBytes
            else
                let dataStart = 8L + n
                let dataLength = int64 bytes.Length - dataStart

                try
                    use doc = JsonDocument.Parse(ReadOnlyMemory<byte>(bytes, 8, int n))

                    if doc.RootElement.ValueKind <> JsonValueKind.Object then
                        fail "expected a JSON object as header, got %A" doc.RootElement.ValueKind
                    else
                        let mutable metadata = Map.empty
                        let mutable entries = []
                        let mutable error = None

                        for p in doc.RootElement.EnumerateObject() do
                            if error.IsNone then
                                if p.Name = "__metadata__" then
                                    for kv in p.Value.EnumerateObject() do
                                        metadata <- metadata.Add(kv.Name, kv.Value.GetString())
                                else
                                    let v = p.Value
                                    let mutable dt = Unchecked.defaultof<JsonElement>
                                    let mutable sh = Unchecked.defaultof<JsonElement>
                                    let mutable off = Unchecked.defaultof<JsonElement>

                                    if
                                        not (
                                            v.TryGetProperty("dtype", &dt)
                                            && v.TryGetProperty("shape", &sh)
                                            && v.TryGetProperty("data_offsets", &off)
                                        )
                                    then
                                        error <- Some(sprintf "tensor '%s': expected dtype, shape and data_offsets" p.Name)
                                    else
                                        match tryParseDType (dt.GetString()) with
                                        | None -> error <- Some(sprintf "tensor '%s': unsupported dtype '%s'" p.Name (dt.GetString()))
                                        | Some dtype ->
                                            let shape = [| for d in sh.EnumerateArray() -> d.GetInt64() |]
                                            let offs = [| for d in off.EnumerateArray() -> d.GetInt64() |]

                                            if offs.Length <> 2 || offs[0] < 0L || offs[1] < offs[0] || offs[1] > dataLength then
                                                error <-
                                                    Some(
                                                        sprintf
                                                            "tensor '%s': data_offsets %A outside the data section of %d bytes"
                                                            p.Name
                                                            offs
                                                            dataLength
                                                    )
                                            elif shape |> Array.exists (fun d -> d < 0L) then
                                                error <- Some(sprintf "tensor '%s': negative dimension in shape %A" p.Name shape)
                                            else
                                                let expected = elementCount shape * int64 (elementSize dtype)

                                                if offs[1] - offs[0] <> expected then
                                                    error <-
                                                        Some(
                                                            sprintf
                                                                "tensor '%s': shape %A of %s needs %d bytes, data_offsets give %d"
                                                                p.Name
                                                                shape
                                                                (dtypeName dtype)
                                                                expected
                                                                (offs[1] - offs[0])
                                                        )
                                                else
                                                    let data = Array.sub bytes (int (dataStart + offs[0])) (int expected)

                                                    entries <-
                                                        (offs[0],
                                                         {
                                                             Name = p.Name
                                                             DType = dtype
                                                             Shape = shape
                                                             Data = data
                                                         })
                                                        :: entries

                        match error with
                        | Some e -> fail "%s" e
                        | None ->
                            Ok
                                {
                                    Entries = entries |> List.sortBy fst |> List.map snd
                                    Metadata = metadata
                                }
                with
                | :? JsonException as e -> fail "malformed JSON header: %s" e.Message
                | :? InvalidOperationException as e -> fail "unexpected JSON value in header: %s" e.Message
                | :? FormatException as e -> fail "unexpected number in header: %s" e.Message

    /// Reads a safetensors file, or an error naming the file and what was wrong.
    let tryRead (path: string) : Result<SafetensorsFile, string> =
        if not (File.Exists path) then
            Error(sprintf "%s: file not found" path)
        else
            tryParse path (File.ReadAllBytes path)

    /// Reads a safetensors file; throws InvalidDataException naming the file and the problem.
    let read (path: string) =
        match tryRead path with
        | Ok f -> f
        | Error e -> raise (InvalidDataException e)

    /// The entry called `name`; throws KeyNotFoundException listing the names present.
    let find (name: string) (file: SafetensorsFile) =
        match file.Entries |> List.tryFind (fun e -> e.Name = name) with
        | Some e -> e
        | None ->
            raise (
                Collections.Generic.KeyNotFoundException(
                    sprintf
                        "No tensor '%s' in the file; it holds: %s"
                        name
                        (file.Entries |> List.map (fun e -> e.Name) |> String.concat ", ")
                )
            )
