module PngTests

open System
open System.IO
open System.IO.Compression
open Xunit
open EquiSphere.Geometry
open TestKit

// ---- an independent PNG writer used as the oracle: raw scanlines, a chosen filter per row, optional Adam7 ----

let private be32 (v: uint32) =
    [| byte (v >>> 24); byte (v >>> 16); byte (v >>> 8); byte v |]

let chunk (name: string) (data: byte[]) =
    let body = Array.append (Text.Encoding.ASCII.GetBytes name) data
    Array.concat [ be32 (uint32 data.Length); body; be32 (Crc32Tests.bitwiseCrc body) ]

let zlib (raw: byte[]) =
    use ms = new MemoryStream()

    do
        use z = new ZLibStream(ms, CompressionLevel.Fastest, true)
        z.Write(raw, 0, raw.Length)

    ms.ToArray()

let ihdr (w: int) (h: int) (depth: int) (ct: int) (interlace: int) =
    chunk
        "IHDR"
        (Array.concat
            [
                be32 (uint32 w)
                be32 (uint32 h)
                [| byte depth; byte ct; 0uy; 0uy; byte interlace |]
            ])

let png (chunks: byte[] list) = Array.concat (Png.Signature :: chunks)

/// Filters the row `row` (bytes) against `prev` with filter `ft`, written out case by case from the specification.
let filterRow (ft: int) (bpp: int) (prev: byte[]) (row: byte[]) =
    Array.init row.Length (fun i ->
        let a = if i >= bpp then int row[i - bpp] else 0
        let b = int prev[i]
        let c = if i >= bpp then int prev[i - bpp] else 0

        let pred =
            match ft with
            | 0 -> 0
            | 1 -> a
            | 2 -> b
            | 3 -> (a + b) / 2
            | _ ->
                let p = a + b - c
                let pa, pb, pc = abs (p - a), abs (p - b), abs (p - c)

                if pa <= pb && pa <= pc then a
                elif pb <= pc then b
                else c

        byte ((int row[i] - pred + 256) % 256))

/// 8-bit samples [y][x][k] to a PNG with `filterOf row` choosing each row's filter; Adam7 when `interlaced`.
let writeRaw (ct: int) (spp: int) (interlaced: bool) (filterOf: int -> int) (img: int[][][]) (extra: byte[] list) =
    let h = img.Length
    let w = img[0].Length

    let passes =
        if interlaced then
            [
                0, 0, 8, 8
                4, 0, 8, 8
                0, 4, 4, 8
                2, 0, 4, 4
                0, 2, 2, 4
                1, 0, 2, 2
                0, 1, 1, 2
            ]
        else
            [ 0, 0, 1, 1 ]

    let raw = ResizeArray<byte>()
    let mutable rowIndex = 0

    for x0, y0, dx, dy in passes do
        let xs = [ x0..dx .. w - 1 ]
        let ys = [ y0..dy .. h - 1 ]

        if not xs.IsEmpty && not ys.IsEmpty then
            let mutable prev = Array.zeroCreate<byte>(xs.Length * spp)

            for y in ys do
                let row =
                    [|
                        for x in xs do
                            for k in 0 .. spp - 1 do
                                byte img.[y].[x].[k]
                    |]

                let ft = filterOf rowIndex
                raw.Add(byte ft)
                raw.AddRange(filterRow ft spp prev row)
                prev <- row
                rowIndex <- rowIndex + 1

    png (
        [ ihdr w h 8 ct (if interlaced then 1 else 0) ]
        @ extra
        @ [ chunk "IDAT" (zlib (raw.ToArray())); chunk "IEND" [||] ]
    )

let randomSamples (rng: Random) (w: int) (h: int) (spp: int) =
    Array.init h (fun _ -> Array.init w (fun _ -> Array.init spp (fun _ -> rng.Next 256)))

let levels (img: Image) = Image.toLevels 255 img

let flat (samples: int[][][]) =
    samples |> Array.collect (Array.collect id)

let ok (r: Result<Image, string>) =
    match r with
    | Ok img -> img
    | Error e -> failwithf "Expected a decoded image, got: %s" e

let err (r: Result<Image, string>) =
    match r with
    | Ok _ -> failwith "Expected a decoding error, got an image"
    | Error e -> e

// ---- round trips of our own encoder ----

[<Fact>]
let ``decode after encode is identity on 8-bit images`` () =
    property 100 (fun (seed: int) ->
        let img = ImageTests.randomImage (Random seed) 255 (1 + abs seed % 4)
        let back = Png.decode "roundtrip" (Png.encode img)
        Assert.Equal(img.Channels, back.Channels)
        closeTo "pixels" 0.0 (ImageTests.pixels img) (ImageTests.pixels back))

[<Fact>]
let ``decode after encode is identity on 16-bit images`` () =
    property 50 (fun (seed: int) ->
        let img = ImageTests.randomImage (Random seed) 65535 (1 + abs seed % 4)
        let back = Png.decode "roundtrip16" (Png.encodeWith 16 img)
        Assert.Equal((Png.tryHeader "h" (Png.encodeWith 16 img) |> Result.toOption).Value.BitDepth, 16)
        closeTo "pixels" 0.0 (ImageTests.pixels img) (ImageTests.pixels back))

[<Fact>]
let ``encoding chooses a smaller filtered stream than no filtering on smooth images`` () =
    // A smooth ramp is what filtering is for: the adaptive choice must beat filter 0 everywhere.
    let w, h = 64, 64

    let img =
        Image.ofPixels w h 1 (Array.init (w * h) (fun i -> float32 ((i % w) + (i / w)) / 128.0f))

    let adaptive = Png.encode img

    let samples =
        Array.init h (fun y -> Array.init w (fun x -> [| Image.toLevels 255 img |> fun l -> l[y * w + x] |]))

    let unfiltered = writeRaw 0 1 false (fun _ -> 0) samples []
    Assert.True(adaptive.Length < unfiltered.Length, sprintf "adaptive %d bytes, unfiltered %d" adaptive.Length unfiltered.Length)

[<Fact>]
let ``write is atomic and read returns the image`` () =
    let dir = Directory.CreateTempSubdirectory "equisphere-png"

    try
        let path = Path.Combine(dir.FullName, "a.png")
        let img = ImageTests.randomImage (Random 7) 255 3
        Png.write path img
        Png.write path img
        closeTo "read" 0.0 (ImageTests.pixels img) (ImageTests.pixels (Png.read path))
        Assert.Equal<string[]>([| path |], Directory.GetFiles dir.FullName)
        Assert.True((Png.tryRead (Path.Combine(dir.FullName, "missing.png"))) |> Result.isError)
    finally
        dir.Delete true

// ---- hand-built files from the independent writer ----

[<Fact>]
let ``every filter type decodes for every 8-bit color type`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed

        for ct, spp in [ 0, 1; 4, 2; 2, 3; 6, 4 ] do
            for ft in 0..4 do
                let samples = randomSamples rng (1 + rng.Next 9) (1 + rng.Next 7) spp

                let img =
                    ok (Png.tryDecode "filters" (writeRaw ct spp false (fun _ -> ft) samples []))

                Assert.Equal(spp, img.Channels)
                Assert.Equal<int[]>(flat samples, levels img))

[<Fact>]
let ``adam7 interlaced files decode to the same pixels`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let spp = [| 1; 2; 3; 4 |][rng.Next 4]
        let ct = [| 0; 4; 2; 6 |][spp - 1]
        let samples = randomSamples rng (1 + rng.Next 20) (1 + rng.Next 20) spp

        let img =
            ok (Png.tryDecode "adam7" (writeRaw ct spp true (fun r -> r % 5) samples []))

        Assert.Equal<int[]>(flat samples, levels img))

[<Fact>]
let ``palette with tRNS expands to RGBA and ancillary chunks are skipped`` () =
    let rng = Random 3
    let pal = Array.init 6 (fun _ -> Array.init 3 (fun _ -> rng.Next 256))
    let alpha = [| 0; 128; 255 |]
    let idx = randomSamples rng 7 5 1 |> Array.map (Array.map (fun p -> [| p[0] % 6 |]))
    let plte = chunk "PLTE" (pal |> Array.collect (Array.map byte))
    let trns = chunk "tRNS" (alpha |> Array.map byte)
    let text = chunk "tEXt" "Title\000x"B

    let img =
        ok (Png.tryDecode "palette" (writeRaw 3 1 false (fun r -> r % 5) idx [ text; plte; trns ]))

    Assert.Equal(4, img.Channels)

    let expected =
        idx
        |> flat
        |> Array.collect (fun i -> Array.append pal[i] [| (if i < 3 then alpha[i] else 255) |])

    Assert.Equal<int[]>(expected, levels img)

[<Fact>]
let ``a gray color key in tRNS becomes an alpha channel`` () =
    let samples = [| [| [| 5 |]; [| 9 |] |]; [| [| 9 |]; [| 5 |] |] |]

    let img =
        ok (Png.tryDecode "key" (writeRaw 0 1 false (fun _ -> 0) samples [ chunk "tRNS" [| 0uy; 9uy |] ]))

    Assert.Equal(2, img.Channels)
    Assert.Equal<int[]>([| 5; 255; 9; 0; 9; 0; 5; 255 |], levels img)

[<Fact>]
let ``sub-byte gray depths scale to the unit interval`` () =
    // 1-, 2- and 4-bit gray rows packed most significant bits first, each depth's full range in one row.
    for depth in [ 1; 2; 4 ] do
        let maxv = (1 <<< depth) - 1
        let w = maxv + 1
        let bits = [| for v in 0..maxv -> v |]
        let packed = Array.zeroCreate<byte>((w * depth + 7) / 8)

        for i in 0..maxv do
            let shift = 8 - depth - (i * depth % 8)
            packed[i * depth / 8] <- packed[i * depth / 8] ||| byte (bits[i] <<< shift)

        let file =
            png
                [
                    ihdr w 1 depth 0 0
                    chunk "IDAT" (zlib (Array.append [| 0uy |] packed))
                    chunk "IEND" [||]
                ]

        let img = ok (Png.tryDecode "subbyte" file)
        closeTo (sprintf "depth %d" depth) 1e-7 (bits |> Array.map (fun v -> float v / float maxv)) (ImageTests.pixels img)

// ---- corrupt files: proper errors, never other exceptions ----

let private sample = lazy (Png.encode (ImageTests.randomImage (Random 11) 255 3))

[<Fact>]
let ``a bad signature is reported`` () =
    let b = Array.copy sample.Value
    b[1] <- 0uy
    Assert.Contains("bad signature", err (Png.tryDecode "sig.png" b))
    throwsWith<InvalidDataException> [ "sig.png"; "signature" ] (fun () -> Png.decode "sig.png" b |> ignore)

[<Fact>]
let ``a crc mismatch names the chunk and its byte offset`` () =
    let b = Array.copy sample.Value
    b[45] <- b[45] ^^^ 1uy // inside the data of IDAT, which starts at byte 33
    let e = err (Png.tryDecode "crc.png" b)
    Assert.Contains("CRC mismatch in chunk 'IDAT' at byte 33", e)

[<Fact>]
let ``truncation is reported`` () =
    let b = sample.Value
    Assert.Contains("truncated", err (Png.tryDecode "t.png" b[0 .. b.Length - 5]))
    Assert.Contains("no IEND", err (Png.tryDecode "t.png" b[0 .. b.Length - 13]))

[<Fact>]
let ``bad IHDR values are reported`` () =
    let body = [ chunk "IDAT" (zlib [| 0uy; 0uy |]); chunk "IEND" [||] ]
    Assert.Contains("bit depth 16 for color type 3", err (Png.tryDecode "h" (png (ihdr 1 1 16 3 0 :: body))))
    Assert.Contains("color type 5", err (Png.tryDecode "h" (png (ihdr 1 1 8 5 0 :: body))))
    Assert.Contains("0 × 1", err (Png.tryDecode "h" (png (ihdr 0 1 8 0 0 :: body))))
    Assert.Contains("interlace method 2", err (Png.tryDecode "h" (png (ihdr 1 1 8 0 2 :: body))))
    // A huge declared size with a tiny payload is refused before allocating.
    Assert.Contains("compressed bytes", err (Png.tryDecode "h" (png (ihdr 10000 10000 16 6 0 :: body))))
    Assert.Contains("more than the limit", err (Png.tryDecode "h" (png (ihdr 2000000 2000000 8 0 0 :: body))))

[<Fact>]
let ``a decompression failure is reported`` () =
    let file =
        png
            [
                ihdr 2 2 8 0 0
                chunk "IDAT" [| 0x78uy; 0x9Cuy; 0xFFuy; 0xFFuy; 0xFFuy |]
                chunk "IEND" [||]
            ]

    Assert.Contains("decompression", err (Png.tryDecode "z" file))

[<Fact>]
let ``a bad filter type and a missing palette are reported`` () =
    let file =
        png [ ihdr 1 1 8 0 0; chunk "IDAT" (zlib [| 7uy; 0uy |]); chunk "IEND" [||] ]

    Assert.Contains("unknown filter type 7", err (Png.tryDecode "f" file))

    let pal =
        png [ ihdr 1 1 8 3 0; chunk "IDAT" (zlib [| 0uy; 0uy |]); chunk "IEND" [||] ]

    Assert.Contains("no PLTE", err (Png.tryDecode "p" pal))

/// Rewrites the CRCs of all chunks so that corruption reaches the decoder's deeper checks.
let fixCrcs (b: byte[]) =
    let mutable pos = 8

    while pos + 12 <= b.Length do
        let len =
            int (
                (uint32 b[pos] <<< 24)
                ||| (uint32 b[pos + 1] <<< 16)
                ||| (uint32 b[pos + 2] <<< 8)
                ||| uint32 b[pos + 3]
            )

        if len >= 0 && pos + 12 + len <= b.Length then
            let c = be32 (Crc32Tests.bitwiseCrc b[pos + 4 .. pos + 7 + len])
            Array.blit c 0 b (pos + 8 + len) 4
            pos <- pos + 12 + len
        else
            pos <- b.Length

    b

[<Fact>]
let ``random byte flips and truncations give errors and never other exceptions`` () =
    let files =
        [|
            sample.Value
            Png.encodeWith 16 (ImageTests.randomImage (Random 5) 65535 2)
            writeRaw 2 3 true (fun r -> r % 5) (randomSamples (Random 9) 11 9 3) []
        |]

    property 300 (fun (seed: int) ->
        let rng = Random seed
        let b = Array.copy files[rng.Next files.Length]

        for _ in 0 .. rng.Next 4 do
            b[rng.Next b.Length] <- byte (rng.Next 256)

        let cut = if rng.Next 3 = 0 then b[0 .. rng.Next b.Length] else b
        let fixedUp = fixCrcs (Array.copy cut)

        for candidate in [ cut; fixedUp ] do
            match Png.tryDecode "fuzz" candidate with
            | Ok img -> Assert.True(img.Pixels |> Array.forall (fun v -> v >= 0.0f && v <= 1.0f))
            | Error e -> Assert.StartsWith("fuzz: ", e))
