namespace EquiSphere.Geometry

open System
open System.IO
open System.IO.Compression

/// The header of a PNG file (the IHDR chunk), as decoded.
type PngHeader =
    {
        /// Width in pixels (1 to 2^31 − 1).
        Width: int
        /// Height in pixels (1 to 2^31 − 1).
        Height: int
        /// Bits per sample (per palette index for color type 3): 1, 2, 4, 8 or 16.
        BitDepth: int
        /// 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA.
        ColorType: int
        /// True for Adam7 interlacing.
        Interlaced: bool
    }

/// Reading and writing PNG (ISO/IEC 15948): every color type and bit depth, Adam7, all five filters, several IDAT
/// chunks, CRC-32 checked on every chunk; ancillary chunks other than tRNS are skipped. Decoded images have 1 channel
/// (gray), 2 (gray + alpha), 3 (RGB, also palette) or 4 (RGBA, also palette with tRNS); a tRNS color key on a gray or
/// RGB image adds an alpha channel (0 where the key matches, else 1). Samples are scaled to [0, 1] by 2^depth − 1.
/// Laws: `decode (encode img) = img` for images whose values are multiples of 1/255 (or 1/65535 at 16 bits).
[<RequireQualifiedAccess>]
module Png =

    let private magic = [| 137uy; 80uy; 78uy; 71uy; 13uy; 10uy; 26uy; 10uy |]

    /// The 8-byte PNG signature (a fresh copy).
    let signature () = Array.copy magic

    /// The largest width × height a file may declare (2^26 pixels, 1 GiB of float32 RGBA); larger headers are
    /// rejected before allocating.
    [<Literal>]
    let MaxPixels = 67108864L

    /// Deflate cannot expand data more than about 1032:1; a header claiming more image data than that ratio allows
    /// for the compressed bytes present is rejected before any allocation.
    [<Literal>]
    let MaxDeflateRatio = 1040L

    exception private PngError of string

    let private fail fmt =
        Printf.ksprintf (fun s -> raise (PngError s)) fmt

    let private be32 (b: byte[]) (o: int) =
        (uint32 b[o] <<< 24)
        ||| (uint32 b[o + 1] <<< 16)
        ||| (uint32 b[o + 2] <<< 8)
        ||| uint32 b[o + 3]

    let private chunkName (b: byte[]) (o: int) =
        String(Array.init 4 (fun i -> let c = b[o + i] in if c >= 32uy && c < 127uy then char c else '?'))

    /// Adam7 passes as (x0, y0, dx, dy).
    let private adam7 =
        [|
            (0, 0, 8, 8)
            (4, 0, 8, 8)
            (0, 4, 4, 8)
            (2, 0, 4, 4)
            (0, 2, 2, 4)
            (1, 0, 2, 2)
            (0, 1, 1, 2)
        |]

    let private samplesPerPixel colorType =
        match colorType with
        | 0
        | 3 -> 1
        | 4 -> 2
        | 2 -> 3
        | _ -> 4

    let private validDepths colorType =
        match colorType with
        | 0 -> [ 1; 2; 4; 8; 16 ]
        | 3 -> [ 1; 2; 4; 8 ]
        | 2
        | 4
        | 6 -> [ 8; 16 ]
        | _ -> []

    /// Bytes of one filtered row of `width` pixels (without the filter byte).
    let private rowBytes (h: PngHeader) (width: int) =
        (int64 width * int64 (samplesPerPixel h.ColorType) * int64 h.BitDepth + 7L) / 8L

    let inline private paeth (a: int) (b: int) (c: int) =
        let p = a + b - c
        let pa = abs (p - a)
        let pb = abs (p - b)
        let pc = abs (p - c)

        if pa <= pb && pa <= pc then a
        elif pb <= pc then b
        else c

    /// Undoes the filter of one row in place: `cur` holds the filtered row at `o`, `prev` the previous unfiltered
    /// row at `po` (or `-1` for the first row of a pass); `bpp` is the byte distance to the left neighbour.
    let private unfilter (ft: int) (bpp: int) (data: byte[]) (o: int) (po: int) (len: int) =
        let first = min bpp len

        match ft with
        | 1 ->
            for i in bpp .. len - 1 do
                data[o + i] <- data[o + i] + data[o + i - bpp]
        | 2 when po >= 0 ->
            for i in 0 .. len - 1 do
                data[o + i] <- data[o + i] + data[po + i]
        | 3 when po >= 0 ->
            for i in 0 .. first - 1 do
                data[o + i] <- data[o + i] + (data[po + i] >>> 1)

            for i in bpp .. len - 1 do
                data[o + i] <- byte ((int data[o + i] + ((int data[o + i - bpp] + int data[po + i]) >>> 1)) &&& 0xFF)
        | 3 ->
            for i in bpp .. len - 1 do
                data[o + i] <- data[o + i] + (data[o + i - bpp] >>> 1)
        | 4 when po >= 0 ->
            // Paeth with a = 0 and c = 0 on the first pixel reduces to b.
            for i in 0 .. first - 1 do
                data[o + i] <- data[o + i] + data[po + i]

            for i in bpp .. len - 1 do
                let p = paeth (int data[o + i - bpp]) (int data[po + i]) (int data[po + i - bpp])
                data[o + i] <- byte ((int data[o + i] + p) &&& 0xFF)
        | 4 ->
            // Without a previous row, b = c = 0 and Paeth picks a: the Sub filter.
            for i in bpp .. len - 1 do
                data[o + i] <- data[o + i] + data[o + i - bpp]
        | _ -> ()

    let private parseHeader (source: string) (b: byte[]) (o: int) (len: int) =
        if len <> 13 then
            fail "%s: IHDR at byte %d has length %d, expected 13" source (o - 8) len

        let w = be32 b o
        let h = be32 b (o + 4)
        let depth = int b[o + 8]
        let ct = int b[o + 9]

        if w = 0u || w > 0x7FFFFFFFu || h = 0u || h > 0x7FFFFFFFu then
            fail "%s: IHDR declares a %d × %d image; expected sizes in [1, 2^31 − 1]" source w h

        if int64 w * int64 h > MaxPixels then
            fail "%s: IHDR declares %d × %d = %d pixels, more than the limit of %d" source w h (int64 w * int64 h) MaxPixels

        if validDepths ct |> List.isEmpty then
            fail "%s: IHDR declares color type %d; expected 0, 2, 3, 4 or 6" source ct

        if not (List.contains depth (validDepths ct)) then
            fail "%s: IHDR declares bit depth %d for color type %d; expected one of %A" source depth ct (validDepths ct)

        if b[o + 10] <> 0uy then
            fail "%s: IHDR declares compression method %d; expected 0 (deflate)" source b[o + 10]

        if b[o + 11] <> 0uy then
            fail "%s: IHDR declares filter method %d; expected 0" source b[o + 11]

        if b[o + 12] > 1uy then
            fail "%s: IHDR declares interlace method %d; expected 0 (none) or 1 (Adam7)" source b[o + 12]

        {
            Width = int w
            Height = int h
            BitDepth = depth
            ColorType = ct
            Interlaced = b[o + 12] = 1uy
        }

    /// Total bytes of filtered image data (filter bytes included) the header implies.
    let private expectedRawSize (h: PngHeader) =
        if h.Interlaced then
            adam7
            |> Array.sumBy (fun (x0, y0, dx, dy) ->
                let pw = (int64 h.Width - int64 x0 + int64 dx - 1L) / int64 dx
                let ph = (int64 h.Height - int64 y0 + int64 dy - 1L) / int64 dy

                if pw <= 0L || ph <= 0L then
                    0L
                else
                    ph * (1L + rowBytes h (int pw)))
        else
            int64 h.Height * (1L + rowBytes h h.Width)

    let private inflate (source: string) (idat: byte[]) (size: int) =
        let out = Array.zeroCreate<byte> size

        try
            use z = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress)
            let mutable got = 0
            let mutable stop = false

            while not stop && got < size do
                let n = z.Read(out, got, size - got)
                if n = 0 then stop <- true else got <- got + n

            if got < size then
                fail "%s: image data is truncated: decompressed %d bytes, the header implies %d" source got size
        with
        | :? InvalidDataException as e -> fail "%s: zlib decompression of the IDAT data failed: %s" source e.Message
        | :? NotSupportedException as e -> fail "%s: zlib decompression of the IDAT data failed: %s" source e.Message
        // ZLibException (an IOException) reports internal zlib errors on some corrupt streams.
        | :? IOException as e -> fail "%s: zlib decompression of the IDAT data failed: %s" source e.Message

        out

    /// Reads sample `index` of a row of packed samples at `o` with `depth` bits each.
    let inline private sample (data: byte[]) (o: int) (depth: int) (index: int) =
        match depth with
        | 8 -> int data[o + index]
        | 16 -> (int data[o + 2 * index] <<< 8) ||| int data[o + 2 * index + 1]
        | _ ->
            let bit = index * depth
            let byte = int data[o + (bit >>> 3)]
            (byte >>> (8 - depth - (bit &&& 7))) &&& ((1 <<< depth) - 1)

    let private decodeCore (source: string) (b: byte[]) : Image =
        if b.Length < 8 || not (Array.forall2 (=) magic b[0..7]) then
            fail "%s: not a PNG file (bad signature in the first 8 bytes)" source

        let mutable pos = 8
        let mutable header = None
        let mutable palette: byte[] = null
        let mutable trns: byte[] = null
        let idat = new MemoryStream()
        let mutable finished = false
        let mutable idatDone = false

        while not finished do
            if pos + 8 > b.Length then
                fail "%s: truncated at byte %d: expected a chunk header (no IEND chunk found)" source pos

            let len64 = int64 (be32 b pos)
            let name = chunkName b (pos + 4)

            if len64 > 0x7FFFFFFFL then
                fail "%s: chunk '%s' at byte %d declares length %d, more than 2^31 − 1" source name pos len64

            let len = int len64

            if int64 pos + 12L + len64 > int64 b.Length then
                fail "%s: truncated in chunk '%s' at byte %d: it needs %d bytes, only %d remain" source name pos (len + 12) (b.Length - pos)

            let stored = be32 b (pos + 8 + len)
            let actual = Crc32.computeRange b (pos + 4) (len + 4)

            if stored <> actual then
                fail "%s: CRC mismatch in chunk '%s' at byte %d: stored 0x%08X, computed 0x%08X" source name pos stored actual

            let d = pos + 8

            match name with
            | "IHDR" ->
                if header.IsSome || pos <> 8 then
                    fail "%s: IHDR at byte %d; expected exactly one IHDR, as the first chunk" source pos

                header <- Some(parseHeader source b d len)
            | _ when header.IsNone -> fail "%s: chunk '%s' at byte %d comes before IHDR" source name pos
            | "PLTE" ->
                if len = 0 || len % 3 <> 0 || len / 3 > 256 then
                    fail "%s: PLTE at byte %d has length %d; expected 3 × (1..256)" source pos len

                palette <- b[d .. d + len - 1]
            | "tRNS" -> trns <- b[d .. d + len - 1]
            | "IDAT" ->
                if idatDone then
                    fail "%s: IDAT at byte %d after another chunk ended the IDAT sequence" source pos

                idat.Write(b, d, len)
            | "IEND" -> finished <- true
            | _ when name[0] >= 'A' && name[0] <= 'Z' -> fail "%s: unknown critical chunk '%s' at byte %d" source name pos
            | _ -> ()

            if name <> "IDAT" && idat.Length > 0L then
                idatDone <- true

            pos <- pos + 12 + len

        let h = header.Value
        let spp = samplesPerPixel h.ColorType

        if h.ColorType = 3 then
            if isNull palette then
                fail "%s: color type 3 (palette) but no PLTE chunk" source

            if not (isNull trns) && trns.Length > palette.Length / 3 then
                fail "%s: tRNS has %d entries, more than the %d palette entries" source trns.Length (palette.Length / 3)

        if not (isNull trns) then
            match h.ColorType with
            | 0 when trns.Length <> 2 -> fail "%s: tRNS for a gray image has %d bytes, expected 2" source trns.Length
            | 2 when trns.Length <> 6 -> fail "%s: tRNS for an RGB image has %d bytes, expected 6" source trns.Length
            | 4
            | 6 -> fail "%s: tRNS is not allowed for color type %d (it has an alpha channel)" source h.ColorType
            | _ -> ()

        if idat.Length = 0L then
            fail "%s: no IDAT chunk" source

        let raw = expectedRawSize h

        if raw > idat.Length * MaxDeflateRatio + 1024L then
            fail
                "%s: IHDR declares %d × %d (%d bytes of image data) but only %d compressed bytes are present"
                source
                h.Width
                h.Height
                raw
                idat.Length

        if raw > int64 Array.MaxLength then
            fail "%s: IHDR implies %d bytes of image data, more than one array can hold" source raw

        let data = inflate source (idat.ToArray()) (int raw)

        let outChannels =
            match h.ColorType with
            | 0 -> if isNull trns then 1 else 2
            | 2 -> if isNull trns then 3 else 4
            | 3 -> if isNull trns then 3 else 4
            | 4 -> 2
            | _ -> 4

        let pixels = Array.zeroCreate<float32>(h.Width * h.Height * outChannels)
        let maxv = float32 ((1 <<< h.BitDepth) - 1)
        let bpp = max 1 (spp * h.BitDepth / 8)

        let key =
            if isNull trns || h.ColorType = 3 then
                [||]
            else
                Array.init (trns.Length / 2) (fun i -> (int trns[2 * i] <<< 8) ||| int trns[2 * i + 1])

        let unit8 = Array.init 256 (fun v -> float32 v / 255.0f)

        let writePass (x0: int) (y0: int) (dx: int) (dy: int) (start: int) =
            let pw = (h.Width - x0 + dx - 1) / dx
            let ph = (h.Height - y0 + dy - 1) / dy

            if pw <= 0 || ph <= 0 then
                start
            else
                let rb = int (rowBytes h pw)
                let mutable o = start
                let mutable prev = -1

                for r in 0 .. ph - 1 do
                    let ft = int data[o]

                    if ft > 4 then
                        fail "%s: unknown filter type %d on row %d (pass starting at (%d, %d))" source ft r x0 y0

                    unfilter ft bpp data (o + 1) prev rb
                    let y = y0 + r * dy

                    if dx = 1 && h.BitDepth = 8 && h.ColorType <> 3 && key.Length = 0 then
                        // Contiguous 8-bit samples without a color key: one table lookup per value.
                        let dst = (y * h.Width + x0) * outChannels

                        for i in 0 .. pw * spp - 1 do
                            pixels[dst + i] <- unit8[int data[o + 1 + i]]
                    else
                        for i in 0 .. pw - 1 do
                            let x = x0 + i * dx
                            let p = (y * h.Width + x) * outChannels

                            match h.ColorType with
                            | 3 ->
                                let idx = sample data (o + 1) h.BitDepth i

                                if 3 * idx + 2 >= palette.Length then
                                    fail
                                        "%s: palette index %d at pixel (%d, %d) is beyond the %d palette entries"
                                        source
                                        idx
                                        x
                                        y
                                        (palette.Length / 3)

                                for k in 0..2 do
                                    pixels[p + k] <- float32 palette[3 * idx + k] / 255.0f

                                if outChannels = 4 then
                                    pixels[p + 3] <-
                                        if idx < trns.Length then
                                            float32 trns[idx] / 255.0f
                                        else
                                            1.0f
                            | _ ->
                                let mutable matches = key.Length > 0

                                for k in 0 .. spp - 1 do
                                    let s = sample data (o + 1) h.BitDepth (i * spp + k)
                                    pixels[p + k] <- float32 s / maxv

                                    if key.Length > 0 && s <> key[k] then
                                        matches <- false

                                if key.Length > 0 then
                                    pixels[p + spp] <- if matches then 0.0f else 1.0f

                    prev <- o + 1
                    o <- o + 1 + rb

                o

        if h.Interlaced then
            let mutable o = 0

            for x0, y0, dx, dy in adam7 do
                o <- writePass x0 y0 dx dy o
        else
            writePass 0 0 1 1 0 |> ignore

        {
            Width = h.Width
            Height = h.Height
            Channels = outChannels
            Pixels = pixels
        }

    /// Decodes PNG bytes, or returns an error naming `source` (a file name for messages) and what is wrong: a bad
    /// signature, a CRC mismatch (chunk and byte offset), truncation, bad IHDR values, a decompression failure.
    let tryDecode (source: string) (bytes: byte[]) : Result<Image, string> =
        if isNull bytes then
            nullArg (nameof bytes)

        try
            Ok(decodeCore source bytes)
        with PngError msg ->
            Error msg

    /// Decodes PNG bytes; throws `InvalidDataException` with the message of `tryDecode` on a corrupt file.
    let decode (source: string) (bytes: byte[]) : Image =
        match tryDecode source bytes with
        | Ok img -> img
        | Error msg -> raise (InvalidDataException msg)

    /// Reads and decodes a PNG file, or returns an error naming the file (I/O errors included).
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

    /// Reads and decodes a PNG file; throws `InvalidDataException` on a corrupt file, `IOException` on I/O errors.
    let read (path: string) : Image =
        if isNull path then
            nullArg (nameof path)

        decode path (File.ReadAllBytes path)

    /// The header of PNG bytes without decoding the pixels.
    let tryHeader (source: string) (bytes: byte[]) : Result<PngHeader, string> =
        if isNull bytes then
            nullArg (nameof bytes)

        try
            if
                bytes.Length < 33
                || not (Array.forall2 (=) magic bytes[0..7])
                || chunkName bytes 12 <> "IHDR"
            then
                fail "%s: not a PNG file (bad signature or no IHDR first)" source

            Ok(parseHeader source bytes 16 (int (be32 bytes 8)))
        with PngError msg ->
            Error msg

    // ---- encoder ----

    let private writeChunk (s: Stream) (name: string) (data: byte[]) =
        let lenBytes =
            [|
                byte (data.Length >>> 24)
                byte (data.Length >>> 16)
                byte (data.Length >>> 8)
                byte data.Length
            |]

        let body = Array.append (Text.Encoding.ASCII.GetBytes name) data
        let crc = Crc32.compute body
        s.Write(lenBytes, 0, 4)
        s.Write(body, 0, body.Length)
        s.Write([| byte (crc >>> 24); byte (crc >>> 16); byte (crc >>> 8); byte crc |], 0, 4)

    /// Filters one row with filter type `ft` into `dst` and returns the sum of the filtered bytes read as signed
    /// magnitudes (the adaptive heuristic's score); `prev` is the previous raw row (zeros for the first row).
    let private filterRow (ft: int) (bpp: int) (row: byte[]) (prev: byte[]) (dst: byte[]) =
        let n = row.Length
        let mutable score = 0L

        let inline put (i: int) (v: int) =
            let b = byte (v &&& 0xFF)
            dst[i] <- b
            score <- score + int64 (abs (int (sbyte b)))

        match ft with
        | 0 ->
            for i in 0 .. n - 1 do
                put i (int row[i])
        | 1 ->
            for i in 0 .. n - 1 do
                put i (int row[i] - (if i >= bpp then int row[i - bpp] else 0))
        | 2 ->
            for i in 0 .. n - 1 do
                put i (int row[i] - int prev[i])
        | 3 ->
            for i in 0 .. n - 1 do
                let a = if i >= bpp then int row[i - bpp] else 0
                put i (int row[i] - ((a + int prev[i]) >>> 1))
        | _ ->
            for i in 0 .. min bpp n - 1 do
                put i (int row[i] - int prev[i])

            for i in bpp .. n - 1 do
                put i (int row[i] - paeth (int row[i - bpp]) (int prev[i]) (int prev[i - bpp]))

        score

    /// Encodes an image as a non-interlaced PNG with `bitDepth` 8 or 16 bits per sample; the color type follows the
    /// channel count (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA). Values are clamped to [0, 1] and rounded to the
    /// nearest level (NaN becomes 0). Each row takes the filter with the least sum of absolute filtered bytes (read
    /// as signed), the usual heuristic; the data is deflated with zlib at the optimal level.
    let encodeWith (bitDepth: int) (image: Image) : byte[] =
        if bitDepth <> 8 && bitDepth <> 16 then
            invalidArg (nameof bitDepth) (sprintf "Expected a bit depth of 8 or 16, got %d" bitDepth)

        let c = image.Channels
        let bps = bitDepth / 8
        let bpp = c * bps
        let rowLen = image.Width * bpp
        let levels = Image.toLevels ((1 <<< bitDepth) - 1) image
        use compressed = new MemoryStream()

        do
            use z = new ZLibStream(compressed, CompressionLevel.Optimal, true)
            let mutable prev = Array.zeroCreate<byte> rowLen
            let mutable row = Array.zeroCreate<byte> rowLen
            let candidates = Array.init 5 (fun _ -> Array.zeroCreate<byte> rowLen)

            for y in 0 .. image.Height - 1 do
                let baseIdx = y * image.Width * c

                for i in 0 .. image.Width * c - 1 do
                    let l = levels[baseIdx + i]

                    if bps = 1 then
                        row[i] <- byte l
                    else
                        row[2 * i] <- byte (l >>> 8)
                        row[2 * i + 1] <- byte l

                let mutable best = 0
                let mutable bestScore = Int64.MaxValue

                for ft in 0..4 do
                    let score = filterRow ft bpp row prev candidates[ft]

                    if score < bestScore then
                        bestScore <- score
                        best <- ft

                z.WriteByte(byte best)
                z.Write(candidates[best], 0, rowLen)
                let t = prev
                prev <- row
                row <- t

        use out = new MemoryStream()
        out.Write(magic, 0, 8)

        let ihdr =
            [|
                byte (image.Width >>> 24)
                byte (image.Width >>> 16)
                byte (image.Width >>> 8)
                byte image.Width
                byte (image.Height >>> 24)
                byte (image.Height >>> 16)
                byte (image.Height >>> 8)
                byte image.Height
                byte bitDepth
                (match c with
                 | 1 -> 0uy
                 | 2 -> 4uy
                 | 3 -> 2uy
                 | _ -> 6uy)
                0uy
                0uy
                0uy
            |]

        writeChunk out "IHDR" ihdr
        writeChunk out "IDAT" (compressed.ToArray())
        writeChunk out "IEND" [||]
        out.ToArray()

    /// Encodes an image as an 8-bit PNG (see `encodeWith`).
    let encode (image: Image) : byte[] = encodeWith 8 image

    /// Writes an image as an 8-bit PNG file, atomically (temporary file + move).
    let write (path: string) (image: Image) =
        EquiSphere.Tensor.AtomicFile.writeAllBytes path (encode image)

    /// Writes an image as a PNG file with `bitDepth` 8 or 16, atomically (temporary file + move).
    let writeWith (bitDepth: int) (path: string) (image: Image) =
        EquiSphere.Tensor.AtomicFile.writeAllBytes path (encodeWith bitDepth image)
