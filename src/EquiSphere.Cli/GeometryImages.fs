/// The `images` command: check PNG/PNM files and convert between PNG and PGM/PPM.
module EquiSphere.Cli.GeometryImages

open System
open System.IO
open System.CommandLine
open EquiSphere.Geometry

let private isPnm (path: string) =
    match Path.GetExtension(path).ToLowerInvariant() with
    | ".pgm"
    | ".ppm"
    | ".pnm"
    | ".pbm" -> true
    | _ -> false

/// Reads a PNG or (by extension) a PBM/PGM/PPM file, or the reason it cannot be read.
let private tryLoad (path: string) =
    if isPnm path then Pnm.tryRead path else Png.tryRead path

let private checkCommand () =
    let cmd =
        Command("check", "Decode PNG (or PGM/PPM) files; print size, channels and PNG header, or the error. Exit 1 if any fails.")

    let files = Argument<string[]>("files", Description = "Files to check.")
    cmd.Add files

    cmd.SetAction(fun (p: ParseResult) ->
        let mutable failed = 0

        for f in p.GetValue files do
            match tryLoad f with
            | Error e ->
                failed <- failed + 1
                eprintfn "FAIL %s" e
            | Ok img ->
                let header =
                    if isPnm f then
                        ""
                    else
                        match Png.tryHeader f (File.ReadAllBytes f) with
                        | Ok h -> sprintf ", PNG color type %d, %d bits%s" h.ColorType h.BitDepth (if h.Interlaced then ", Adam7" else "")
                        | Error _ -> ""

                printfn "ok   %s: %d × %d, %d channel(s)%s" f img.Width img.Height img.Channels header

        if failed > 0 then 1 else 0)

    cmd

let private convertCommand () =
    let cmd =
        Command("convert", "Convert between PNG and PGM/PPM by extension (alpha is dropped for PGM/PPM; 16-bit with --deep).")

    let input =
        Argument<string>("input", Description = "File to read (.png, .pgm, .ppm, .pbm, .pnm).")

    let output =
        Argument<string>("output", Description = "File to write (.png, .pgm, .ppm).")

    let deep =
        Option<bool>("--deep", Description = "Write 16 bits per sample (PNG bit depth 16, PNM maxval 65535).")

    cmd.Add input
    cmd.Add output
    cmd.Add deep

    cmd.SetAction(fun (p: ParseResult) ->
        let src, dst, sixteen = p.GetValue input, p.GetValue output, p.GetValue deep

        match tryLoad src with
        | Error e ->
            eprintfn "%s" e
            1
        | Ok img ->
            if isPnm dst then
                let color = Image.withChannels (if img.Channels >= 3 then 3 else 1) img
                Pnm.write PnmEncoding.Binary (if sixteen then 65535 else 255) dst color
            else
                Png.writeWith (if sixteen then 16 else 8) dst img

            printfn "wrote %s (%d × %d)" dst img.Width img.Height
            0)

    cmd

/// The `images` command with its subcommands `check` and `convert`.
let command () =
    let images = Command("images", "PNG and PGM/PPM files: check and convert.")
    images.Add(checkCommand ())
    images.Add(convertCommand ())
    images
