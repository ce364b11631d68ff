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

/// How `Image.resize` samples the source: pixel centers map to (dst + ½)·src/dst − ½ in source pixels.
[<RequireQualifiedAccess>]
type Interpolation =
    /// The source pixel whose cell contains the mapped center (blocky; exact for integer upscaling).
    | Nearest
    /// Bilinear interpolation between the four nearest source centers, clamped at the edges.
    | Bilinear

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
                    // 0.299 r + 0.587 g + 0.114 b, written so that r = g = b gives r exactly.
                    let r = img.Pixels[c * i]
                    r + 0.587f * (img.Pixels[c * i + 1] - r) + 0.114f * (img.Pixels[c * i + 2] - r)))

    /// A copy with `f` applied to every value (all channels, alpha included).
    let map (f: float32 -> float32) (img: Image) =
        { img with
            Pixels = Array.map f img.Pixels
        }

    /// Integer levels 0..maxval of every value: round(clamp(v, 0, 1) · maxval); NaN becomes 0.
    /// Law: `ofLevels maxval (toLevels maxval img) = img` whenever img's values are multiples of 1/maxval.
    let toLevels (maxval: int) (img: Image) : int[] =
        if maxval < 1 || maxval > 65535 then
            invalidArg (nameof maxval) (sprintf "Expected a maximum level in [1, 65535], got %d" maxval)

        let m = float32 maxval

        img.Pixels
        |> Array.map (fun v ->
            if Single.IsNaN v then
                0
            else
                int (MathF.Round(MathF.Min(1.0f, MathF.Max(0.0f, v)) * m, MidpointRounding.AwayFromZero)))

    /// The image of integer levels 0..maxval (level / maxval); throws on a level outside [0, maxval].
    let ofLevels (maxval: int) (width: int) (height: int) (channels: int) (levels: int[]) =
        if maxval < 1 || maxval > 65535 then
            invalidArg (nameof maxval) (sprintf "Expected a maximum level in [1, 65535], got %d" maxval)

        if isNull levels then
            nullArg (nameof levels)

        let m = float32 maxval

        let pixels =
            levels
            |> Array.mapi (fun i l ->
                if l < 0 || l > maxval then
                    invalidArg (nameof levels) (sprintf "Expected levels in [0, %d], got %d at index %d" maxval l i)

                float32 l / m)

        ofPixels width height channels pixels

    /// The image with `channels` channels: gray is replicated to RGB, an opaque alpha (1) is added, alpha is
    /// dropped, RGB becomes gray by Rec. 601 luma. Law: converting to more channels and back is the identity.
    let withChannels (channels: int) (img: Image) =
        if channels < 1 || channels > 4 then
            invalidArg (nameof channels) (sprintf "Expected 1 to 4 channels, got %d" channels)

        if channels = img.Channels then
            img
        else
            let n = img.Width * img.Height
            let c = img.Channels
            let hasAlpha = c = 2 || c = 4
            let gray = if c <= 2 then img else toGray img
            let out = Array.zeroCreate (n * channels)

            for i in 0 .. n - 1 do
                let alpha = if hasAlpha then img.Pixels[i * c + c - 1] else 1.0f

                match channels with
                | 1 -> out[i] <- gray.Pixels[i * gray.Channels]
                | 2 ->
                    out[2 * i] <- gray.Pixels[i * gray.Channels]
                    out[2 * i + 1] <- alpha
                | _ ->
                    for k in 0..2 do
                        out[i * channels + k] <- if c <= 2 then img.Pixels[i * c] else img.Pixels[i * c + k]

                    if channels = 4 then
                        out[i * 4 + 3] <- alpha

            ofPixels img.Width img.Height channels out

    /// The `width` × `height` window whose top-left pixel is (x, y); throws unless it lies inside the image.
    let crop (x: int) (y: int) (width: int) (height: int) (img: Image) =
        if
            x < 0
            || y < 0
            || width < 1
            || height < 1
            || x + width > img.Width
            || y + height > img.Height
        then
            invalidArg
                (nameof width)
                (sprintf "Expected a window inside the %d × %d image, got %d × %d at (%d, %d)" img.Width img.Height width height x y)

        let c = img.Channels
        let out = create width height c

        for r in 0 .. height - 1 do
            Array.blit img.Pixels (((y + r) * img.Width + x) * c) out.Pixels (r * width * c) (width * c)

        out

    /// The image upside down (row 0 becomes the last row). Law: an involution.
    let flipVertical (img: Image) =
        let rowLen = img.Width * img.Channels
        let out = create img.Width img.Height img.Channels

        for r in 0 .. img.Height - 1 do
            Array.blit img.Pixels (r * rowLen) out.Pixels ((img.Height - 1 - r) * rowLen) rowLen

        out

    /// The mirror image (column 0 becomes the last column). Law: an involution.
    let flipHorizontal (img: Image) =
        let c = img.Channels
        let out = create img.Width img.Height c

        for r in 0 .. img.Height - 1 do
            for x in 0 .. img.Width - 1 do
                Array.blit img.Pixels ((r * img.Width + x) * c) out.Pixels ((r * img.Width + img.Width - 1 - x) * c) c

        out

    /// The image resampled to `width` × `height`. Laws: resizing to the same size is the identity; nearest
    /// upscaling by an integer factor k followed by nearest downscaling by k is the identity; bilinear keeps a
    /// constant image constant.
    let resize (interpolation: Interpolation) (width: int) (height: int) (img: Image) =
        let out = create width height img.Channels

        if width = img.Width && height = img.Height then
            Array.blit img.Pixels 0 out.Pixels 0 img.Pixels.Length
            out
        else
            let c = img.Channels
            let sx = float img.Width / float width
            let sy = float img.Height / float height

            match interpolation with
            | Interpolation.Nearest ->
                for y in 0 .. height - 1 do
                    let yy = min (img.Height - 1) (int (floor ((float y + 0.5) * sy)))

                    for x in 0 .. width - 1 do
                        let xx = min (img.Width - 1) (int (floor ((float x + 0.5) * sx)))
                        Array.blit img.Pixels ((yy * img.Width + xx) * c) out.Pixels ((y * width + x) * c) c
            | Interpolation.Bilinear ->
                for y in 0 .. height - 1 do
                    let fy = max 0.0 (min (float (img.Height - 1)) ((float y + 0.5) * sy - 0.5))
                    let y0 = int (floor fy)
                    let y1 = min (img.Height - 1) (y0 + 1)
                    let ty = float32 (fy - float y0)

                    for x in 0 .. width - 1 do
                        let fx = max 0.0 (min (float (img.Width - 1)) ((float x + 0.5) * sx - 0.5))
                        let x0 = int (floor fx)
                        let x1 = min (img.Width - 1) (x0 + 1)
                        let tx = float32 (fx - float x0)

                        for k in 0 .. c - 1 do
                            let p (xx: int) (yy: int) =
                                img.Pixels[(yy * img.Width + xx) * c + k]

                            let top = p x0 y0 + tx * (p x1 y0 - p x0 y0)
                            let bottom = p x0 y1 + tx * (p x1 y1 - p x0 y1)
                            out.Pixels[(y * width + x) * c + k] <- top + ty * (bottom - top)

            out
