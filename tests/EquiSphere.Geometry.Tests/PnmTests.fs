module PnmTests

open System
open System.IO
open Xunit
open EquiSphere.Geometry
open TestKit

[<Fact>]
let ``decode after encode is identity for every encoding and maxval`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let maxval = [| 1; 7; 255; 256; 1000; 65535 |][rng.Next 6]
        let img = ImageTests.randomImage rng maxval (if rng.Next 2 = 0 then 1 else 3)

        for enc in [ PnmEncoding.Ascii; PnmEncoding.Binary ] do
            let back = Pnm.decode "roundtrip" (Pnm.encode enc maxval img)
            Assert.Equal(img.Channels, back.Channels)
            closeTo (sprintf "%A maxval %d" enc maxval) 0.0 (ImageTests.pixels img) (ImageTests.pixels back))

[<Fact>]
let ``headers with comments and odd whitespace decode`` () =
    let text =
        "P2 # gray\n# a comment line\n3\t2\r\n  # another\n 4\n0 1 2\n3 4\n   0\n"

    let img = Pnm.decode "c.pgm" (Text.Encoding.ASCII.GetBytes text)
    closeTo "values" 1e-7 [| 0.0; 0.25; 0.5; 0.75; 1.0; 0.0 |] (ImageTests.pixels img)

[<Fact>]
let ``16-bit binary samples are big-endian`` () =
    let bytes = Array.append ("P5 2 1 65535\n"B) [| 0x01uy; 0x02uy; 0xFFuy; 0xFFuy |]
    let img = Pnm.decode "b.pgm" bytes
    closeTo "values" 1e-7 [| 258.0 / 65535.0; 1.0 |] (ImageTests.pixels img)

[<Fact>]
let ``bitmaps read 1 as black`` () =
    let plain = Pnm.decode "a.pbm" "P1\n3 2\n1 0 1\n001"B
    closeTo "P1" 0.0 [| 0.0; 1.0; 0.0; 1.0; 1.0; 0.0 |] (ImageTests.pixels plain)

    let raw =
        Pnm.decode "b.pbm" (Array.append "P4\n10 1\n"B [| 0b10100000uy; 0b01000000uy |])

    closeTo "P4" 0.0 [| 0.0; 1.0; 0.0; 1.0; 1.0; 1.0; 1.0; 1.0; 1.0; 0.0 |] (ImageTests.pixels raw)

[<Fact>]
let ``malformed files name the file line and offset`` () =
    let e (s: string) =
        match Pnm.tryDecode "bad.pgm" (Text.Encoding.ASCII.GetBytes s) with
        | Ok _ -> failwithf "Expected an error for %A" s
        | Error m -> m

    Assert.Contains("not a PBM/PGM/PPM", e "P9 1 1 1\n")
    Assert.Contains("bad.pgm (line 2, byte 5)", e "P2 1\nx 1\n0")
    Assert.Contains("maxval is 70000", e "P2 1 1 70000\n0")
    Assert.Contains("truncated", e "P5 4 4 255\n0123")
    Assert.Contains("sample 1 is 9, expected at most 5", e "P2 2 1 5\n1 9")
    throwsWith<InvalidDataException> [ "bad.pgm"; "truncated" ] (fun () -> Pnm.decode "bad.pgm" "P2 2 2 5\n1"B |> ignore)

[<Fact>]
let ``images with alpha are refused by the writer`` () =
    throwsWith<ArgumentException> [ "got 4 channels"; "Image.withChannels" ] (fun () ->
        Pnm.encode PnmEncoding.Binary 255 (Image.create 2 2 4) |> ignore)

[<Fact>]
let ``random corruption gives errors and never other exceptions`` () =
    let files =
        [|
            Pnm.encode PnmEncoding.Ascii 1000 (ImageTests.randomImage (Random 1) 1000 3)
            Pnm.encode PnmEncoding.Binary 65535 (ImageTests.randomImage (Random 2) 65535 1)
            Pnm.encode PnmEncoding.Binary 255 (ImageTests.randomImage (Random 3) 255 3)
        |]

    property 300 (fun (seed: int) ->
        let rng = Random seed
        let b = Array.copy files[rng.Next files.Length]

        for _ in 0 .. rng.Next 3 do
            b[rng.Next b.Length] <- byte (rng.Next 256)

        let cut = if rng.Next 2 = 0 then b[0 .. rng.Next b.Length] else b

        match Pnm.tryDecode "fuzz" cut with
        | Ok img -> Assert.True(img.Pixels |> Array.forall (fun v -> v >= 0.0f && v <= 1.0f))
        | Error e -> Assert.StartsWith("fuzz", e))

[<Fact>]
let ``write then read is identity`` () =
    let dir = Directory.CreateTempSubdirectory "equisphere-pnm"

    try
        let path = Path.Combine(dir.FullName, "a.ppm")
        let img = ImageTests.randomImage (Random 4) 255 3
        Pnm.write PnmEncoding.Binary 255 path img
        closeTo "read" 0.0 (ImageTests.pixels img) (ImageTests.pixels (Pnm.read path))
    finally
        dir.Delete true
