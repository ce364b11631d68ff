namespace EquiSphere.Geometry

open System

/// A raster image: `Pixels` row-major [y, x, channel] with row 0 at the top, values in [0, 1] (float32).
/// Channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
type Image =
    {
        Width: int
        Height: int
        Channels: int
        Pixels: float32[]
    }

/// Construction and access of images.
[<RequireQualifiedAccess>]
module Image =

    /// A black image of the given size and channel count (1..4).
    let create (width: int) (height: int) (channels: int) =
        if width < 1 || height < 1 then
            invalidArg (nameof width) (sprintf "Expected a positive image size, got %d × %d" width height)

        if channels < 1 || channels > 4 then
            invalidArg (nameof channels) (sprintf "Expected 1 to 4 channels, got %d" channels)

        {
            Width = width
            Height = height
            Channels = channels
            Pixels = Array.zeroCreate (width * height * channels)
        }

    /// An image over existing pixels; throws unless the length is width × height × channels.
    let ofPixels (width: int) (height: int) (channels: int) (pixels: float32[]) =
        if isNull pixels then
            nullArg (nameof pixels)

        let img = create width height channels

        if pixels.Length <> img.Pixels.Length then
            invalidArg
                (nameof pixels)
                (sprintf "Expected %d × %d × %d = %d pixel values, got %d" width height channels img.Pixels.Length pixels.Length)

        { img with Pixels = pixels }

    /// The value at (x, y, channel).
    let get (img: Image) (x: int) (y: int) (channel: int) =
        img.Pixels[(y * img.Width + x) * img.Channels + channel]

    /// The gray image of a multi-channel one: RGB by Rec. 601 luma, alpha dropped.
    let toGray (img: Image) =
        match img.Channels with
        | 1 -> img
        | 2 -> ofPixels img.Width img.Height 1 (Array.init (img.Width * img.Height) (fun i -> img.Pixels[2 * i]))
        | c ->
            ofPixels
                img.Width
                img.Height
                1
                (Array.init (img.Width * img.Height) (fun i ->
                    0.299f * img.Pixels[c * i]
                    + 0.587f * img.Pixels[c * i + 1]
                    + 0.114f * img.Pixels[c * i + 2]))
