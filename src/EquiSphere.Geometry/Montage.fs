namespace EquiSphere.Geometry

open System

/// The layout of a montage: a grid of tiles, each an image centered in a cell as large as the largest image and
/// framed by a border, with padding between tiles and around the grid. Colors are gray levels in [0, 1] applied to
/// every color channel (alpha, when present, is 1 there).
type MontageLayout =
    {
        /// Tiles per row (≥ 1); the last row may be partly empty.
        Columns: int
        /// Pixels of background between tiles and around the grid (≥ 0).
        Padding: int
        /// Width in pixels of the frame drawn around each cell (≥ 0).
        Border: int
        /// Gray level of the frames.
        BorderColor: float32
        /// Gray level of the padding and of cell area not covered by a smaller image.
        Background: float32
    }

/// Image grids (contact sheets) for reports, and fitting images into thumbnails.
/// Law: with `Padding = 0` and `Border = 0`, the tile at index k is exactly image k (after channel conversion) at
/// (k mod Columns · cellWidth, k / Columns · cellHeight) when all images have the same size.
[<RequireQualifiedAccess>]
module Montage =

    /// `columns` per row, 2 pixels of white padding, no border.
    let defaults (columns: int) =
        {
            Columns = columns
            Padding = 2
            Border = 0
            BorderColor = 0.0f
            Background = 1.0f
        }

    /// The channel count that holds every image without loss: color if any image has color, alpha if any has alpha.
    let commonChannels (images: Image[]) =
        let color = images |> Array.exists (fun i -> i.Channels >= 3)
        let alpha = images |> Array.exists (fun i -> i.Channels = 2 || i.Channels = 4)
        (if color then 3 else 1) + (if alpha then 1 else 0)

    /// The images laid out in a grid (row-major order); all are converted to `commonChannels` channels.
    /// Output size: width = cols·(cellW + 2·Border) + (cols + 1)·Padding with cols = min(Columns, count), and the
    /// same for the height with rows = ⌈count / cols⌉; cellW and cellH are the largest image width and height.
    let grid (layout: MontageLayout) (images: Image[]) : Image =
        if isNull images then
            nullArg (nameof images)

        if images.Length = 0 then
            invalidArg (nameof images) "Expected at least one image, got none"

        if layout.Columns < 1 || layout.Padding < 0 || layout.Border < 0 then
            invalidArg
                (nameof layout)
                (sprintf "Expected Columns ≥ 1, Padding ≥ 0 and Border ≥ 0, got %d, %d and %d" layout.Columns layout.Padding layout.Border)

        let ch = commonChannels images
        let cols = min layout.Columns images.Length
        let rows = (images.Length + cols - 1) / cols
        let cellW = images |> Array.map (fun i -> i.Width) |> Array.max
        let cellH = images |> Array.map (fun i -> i.Height) |> Array.max
        let tw, th = cellW + 2 * layout.Border, cellH + 2 * layout.Border
        let p = layout.Padding
        let out = Image.create (cols * tw + (cols + 1) * p) (rows * th + (rows + 1) * p) ch
        let hasAlpha = ch = 2 || ch = 4

        let fill (x0: int) (y0: int) (w: int) (h: int) (level: float32) =
            for y in y0 .. y0 + h - 1 do
                for x in x0 .. x0 + w - 1 do
                    let o = (y * out.Width + x) * ch

                    for k in 0 .. ch - 1 do
                        out.Pixels[o + k] <- if hasAlpha && k = ch - 1 then 1.0f else level

        fill 0 0 out.Width out.Height layout.Background

        images
        |> Array.iteri (fun i img ->
            let tx = p + (i % cols) * (tw + p)
            let ty = p + (i / cols) * (th + p)

            if layout.Border > 0 then
                fill tx ty tw th layout.BorderColor
                fill (tx + layout.Border) (ty + layout.Border) cellW cellH layout.Background

            let src = Image.withChannels ch img
            let ox = tx + layout.Border + (cellW - img.Width) / 2
            let oy = ty + layout.Border + (cellH - img.Height) / 2

            for y in 0 .. img.Height - 1 do
                Array.blit src.Pixels (y * img.Width * ch) out.Pixels (((oy + y) * out.Width + ox) * ch) (img.Width * ch))

        out

    /// The image scaled, up or down, to the largest size inside `maxWidth` × `maxHeight` that keeps its aspect ratio
    /// (each side rounded, at least 1 pixel), so that all thumbnails of a sheet have comparable sizes.
    let fit (interpolation: Interpolation) (maxWidth: int) (maxHeight: int) (img: Image) =
        if maxWidth < 1 || maxHeight < 1 then
            invalidArg (nameof maxWidth) (sprintf "Expected a positive thumbnail box, got %d × %d" maxWidth maxHeight)

        let s = min (float maxWidth / float img.Width) (float maxHeight / float img.Height)
        let w = max 1 (min maxWidth (int (Math.Round(float img.Width * s))))
        let h = max 1 (min maxHeight (int (Math.Round(float img.Height * s))))
        Image.resize interpolation w h img

    /// A contact sheet: every image fitted into `thumbWidth` × `thumbHeight` (see `fit`), then laid out by `grid`.
    let thumbnails (layout: MontageLayout) (interpolation: Interpolation) (thumbWidth: int) (thumbHeight: int) (images: Image[]) =
        if isNull images then
            nullArg (nameof images)

        images |> Array.map (fit interpolation thumbWidth thumbHeight) |> grid layout
