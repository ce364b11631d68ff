namespace EquiSphere.Geometry

open System
open System.IO
open System.Text

/// The encoding of a written PGM/PPM file.
[<RequireQualifiedAccess>]
type PnmEncoding =
    /// Plain (ASCII) samples: P2 (gray) or P3 (RGB).
    | Ascii
    /// Raw binary samples, one byte each when maxval < 256, else two bytes big-endian: P5 (gray) or P6 (RGB).
    | Binary

/// Netpbm images (PBM P1/P4, PGM P2/P5, PPM P3/P6) with maxval up to 65535: samples are scaled to [0, 1] by
/// maxval; PBM's 1 (black) reads as 0. Gray files give 1 channel, color files 3.
/// Law: `decode (encode enc maxval img) = img` for images whose values are multiples of 1/maxval.
[<RequireQualifiedAccess>]
module Pnm =

    exception private PnmError of string

    let private fail fmt =
        Printf.ksprintf (fun s -> raise (PnmError s)) fmt

    /// Line number (1-based) of byte `offset`.
    let private lineOf (b: byte[]) (offset: int) =
        let mutable n = 1

        for i in 0 .. min (b.Length - 1) (offset - 1) do
            if b[i] = 10uy then
                n <- n + 1

        n

    let private isSpace (c: byte) =
        c = 32uy || c = 9uy || c = 10uy || c = 13uy || c = 11uy || c = 12uy

    let private decodeCore (source: string) (b: byte[]) : Image =
        let mutable pos = 0

        let where () =
            sprintf "%s (line %d, byte %d)" source (lineOf b pos) pos

        let skipSpaceAndComments () =
            let mutable go = true

            while go && pos < b.Length do
                if isSpace b[pos] then
                    pos <- pos + 1
                elif b[pos] = byte '#' then
                    while pos < b.Length && b[pos] <> 10uy && b[pos] <> 13uy do
                        pos <- pos + 1
                else
                    go <- false

        let readInt (what: string) (limit: int) =
            skipSpaceAndComments ()

            if pos >= b.Length then
                fail "%s: truncated: expected %s, found the end of the file" (where ()) what

            if b[pos] < byte '0' || b[pos] > byte '9' then
                fail "%s: expected %s (a decimal number), found '%c'" (where ()) what (char b[pos])

            let start = pos
            let mutable v = 0L

            while pos < b.Length && b[pos] >= byte '0' && b[pos] <= byte '9' do
                v <- min (int64 Int32.MaxValue + 1L) (v * 10L + int64 (b[pos] - byte '0'))
                pos <- pos + 1

            if v > int64 limit then
                pos <- start
                fail "%s: %s is %d, expected at most %d" (where ()) what v limit

            int v

        if b.Length < 2 || b[0] <> byte 'P' || b[1] < byte '1' || b[1] > byte '6' then
            fail "%s: not a PBM/PGM/PPM file (expected P1..P6 in the first 2 bytes)" source

        let kind = int (b[1] - byte '0')
        pos <- 2
        let width = readInt "the width" Int32.MaxValue
        let height = readInt "the height" Int32.MaxValue

        if width < 1 || height < 1 then
            fail "%s: expected a positive size, got %d × %d" (where ()) width height

        let maxval = if kind = 1 || kind = 4 then 1 else readInt "maxval" 65535

        if maxval < 1 then
            fail "%s: maxval is 0, expected 1..65535" (where ())

        let channels = if kind = 3 || kind = 6 then 3 else 1
        let count = int64 width * int64 height * int64 channels

        // Binary rasters must fit in the file: this caps the allocation before it happens.
        let bytesPer = if maxval < 256 then 1L else 2L

        let minBytes =
            match kind with
            | 4 -> 1L + int64 height * ((int64 width + 7L) / 8L)
            | 5
            | 6 -> 1L + count * bytesPer
            | 1 -> count // bits may be written without separators
            | _ -> count * 2L - 1L

        if minBytes > int64 (b.Length - pos) then
            fail
                "%s: truncated: a %d × %d P%d raster needs at least %d more bytes, the file has %d"
                (where ())
                width
                height
                kind
                minBytes
                (b.Length - pos)

        let pixels = Array.zeroCreate<float32>(int count)
        let m = float32 maxval

        match kind with
        | 1 ->
            for i in 0 .. pixels.Length - 1 do
                skipSpaceAndComments ()

                if pos >= b.Length then
                    fail "%s: truncated: expected %d bits, found %d" (where ()) pixels.Length i

                match char b[pos] with
                | '0' -> pixels[i] <- 1.0f
                | '1' -> pixels[i] <- 0.0f
                | c -> fail "%s: expected a bit 0 or 1, found '%c'" (where ()) c

                pos <- pos + 1
        | 2
        | 3 ->
            for i in 0 .. pixels.Length - 1 do
                pixels[i] <- float32 (readInt (sprintf "sample %d" i) maxval) / m
        | 4 ->
            pos <- pos + 1
            let rowBytes = (width + 7) / 8

            for y in 0 .. height - 1 do
                for x in 0 .. width - 1 do
                    let bit = (int b[pos + y * rowBytes + x / 8] >>> (7 - x % 8)) &&& 1
                    pixels[y * width + x] <- float32 (1 - bit)
        | _ ->
            // Exactly one whitespace byte separates maxval from the raster.
            if not (isSpace b[pos]) then
                fail "%s: expected one whitespace byte before the raster" (where ())

            pos <- pos + 1

            if int64 (b.Length - pos) < count * bytesPer then
                fail "%s: truncated raster: needs %d bytes, the file has %d" (where ()) (count * bytesPer) (b.Length - pos)

            for i in 0 .. pixels.Length - 1 do
                let v =
                    if bytesPer = 1L then
                        int b[pos + i]
                    else
                        (int b[pos + 2 * i] <<< 8) ||| int b[pos + 2 * i + 1]

                if v > maxval then
                    pos <- pos + i * int bytesPer
                    fail "%s: sample %d is %d, more than maxval %d" (where ()) i v maxval

                pixels[i] <- float32 v / m

        {
            Width = width
            Height = height
            Channels = channels
            Pixels = pixels
        }

    /// Decodes a PBM/PGM/PPM file's bytes, or returns an error naming `source`, the line and the byte offset.
    let tryDecode (source: string) (bytes: byte[]) : Result<Image, string> =
        if isNull bytes then
            nullArg (nameof bytes)

        try
            Ok(decodeCore source bytes)
        with PnmError msg ->
            Error msg

    /// Decodes a PBM/PGM/PPM file's bytes; throws `InvalidDataException` with the message of `tryDecode`.
    let decode (source: string) (bytes: byte[]) : Image =
        match tryDecode source bytes with
        | Ok img -> img
        | Error msg -> raise (InvalidDataException msg)

    /// Reads a PBM/PGM/PPM file, or returns an error naming the file (I/O errors included).
    let tryRead (path: string) : Result<Image, string> =
        if isNull path then
            nullArg (nameof path)

        let bytes =
            try
                Ok(File.ReadAllBytes path)
            with
            | :? IOException
            | :? UnauthorizedAccessException as e -> Error(sprintf "%s: cannot read the file: %s" path e.Message)

        bytes |> Result.bind (tryDecode path)

    /// Reads a PBM/PGM/PPM file; throws `InvalidDataException` on a malformed file.
    let read (path: string) : Image =
        if isNull path then
            nullArg (nameof path)

        decode path (File.ReadAllBytes path)

    /// Encodes a 1-channel image as PGM or a 3-channel one as PPM with the given maxval (1..65535); values are
    /// clamped to [0, 1] and rounded to the nearest level. Images with alpha are refused: drop it first with
    /// `Image.withChannels`.
    let encode (encoding: PnmEncoding) (maxval: int) (image: Image) : byte[] =
        if image.Channels <> 1 && image.Channels <> 3 then
            invalidArg
                (nameof image)
                (sprintf
                    "Expected a gray (1-channel) or RGB (3-channel) image for PGM/PPM, got %d channels; use Image.withChannels"
                    image.Channels)

        let levels = Image.toLevels maxval image
        let gray = image.Channels = 1

        let magic =
            match encoding, gray with
            | PnmEncoding.Ascii, true -> "P2"
            | PnmEncoding.Ascii, false -> "P3"
            | PnmEncoding.Binary, true -> "P5"
            | PnmEncoding.Binary, false -> "P6"

        use out = new MemoryStream()

        let header =
            Encoding.ASCII.GetBytes(sprintf "%s\n%d %d\n%d\n" magic image.Width image.Height maxval)

        out.Write(header, 0, header.Length)

        match encoding with
        | PnmEncoding.Ascii ->
            let sb = StringBuilder()
            let perRow = image.Width * image.Channels

            for i in 0 .. levels.Length - 1 do
                sb.Append(levels[i]) |> ignore

                sb.Append(
                    if (i + 1) % perRow = 0 || (i + 1) % 16 = 0 then
                        '\n'
                    else
                        ' '
                )
                |> ignore

            let body = Encoding.ASCII.GetBytes(sb.ToString())
            out.Write(body, 0, body.Length)
        | PnmEncoding.Binary ->
            for l in levels do
                if maxval < 256 then
                    out.WriteByte(byte l)
                else
                    out.WriteByte(byte (l >>> 8))
                    out.WriteByte(byte l)

        out.ToArray()

    /// Writes a PGM/PPM file atomically (temporary file + move); see `encode`.
    let write (encoding: PnmEncoding) (maxval: int) (path: string) (image: Image) =
        EquiSphere.Tensor.AtomicFile.writeAllBytes path (encode encoding maxval image)
