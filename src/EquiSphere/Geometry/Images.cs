using System.Diagnostics.CodeAnalysis;
using G = EquiSphere.Geometry;
using H = EquiSphere.Harmonics;

namespace EquiSphere;

/// <summary>How <see cref="RasterImage.Resize(int, int, ResampleMode)"/> samples the source.</summary>
public enum ResampleMode
{
    /// <summary>The source pixel whose cell contains the mapped pixel center (blocky; exact for integer upscaling).</summary>
    Nearest,

    /// <summary>Bilinear interpolation between the four nearest source pixel centers, clamped at the edges.</summary>
    Bilinear,
}

/// <summary>
/// A raster image: <see cref="Pixels"/> row-major [y, x, channel] with row 0 at the top, values in [0, 1].
/// Channels: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. Record equality compares the pixel array by reference; compare
/// <see cref="Pixels"/> element-wise for equal content.
/// </summary>
public sealed record RasterImage
{
    /// <summary>Creates an image over <paramref name="pixels"/> (not copied).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentException">A size is not positive, the channel count is not 1 to 4, or the length is
    /// not width × height × channels.</exception>
    public RasterImage(int width, int height, int channels, float[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        G.ImageModule.ofPixels(width, height, channels, pixels);
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = pixels;
    }

    /// <summary>A black image of the given size and channel count.</summary>
    /// <exception cref="ArgumentException">A size is not positive or the channel count is not 1 to 4.</exception>
    public RasterImage(int width, int height, int channels)
        : this(width, height, channels, new float[checked(Math.Max(0, width) * Math.Max(0, height) * Math.Clamp(channels, 0, 4))])
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Channels per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>The values, row-major [y, x, channel], in [0, 1].</summary>
    public float[] Pixels { get; }

    /// <summary>
    /// The value at column <paramref name="x"/>, row <paramref name="y"/> (0 at the top), channel
    /// <paramref name="channel"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the image.</exception>
    public float this[int x, int y, int channel]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(x);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
            ArgumentOutOfRangeException.ThrowIfNegative(y);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
            ArgumentOutOfRangeException.ThrowIfNegative(channel);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(channel, Channels);
            return Pixels[((y * Width) + x) * Channels + channel];
        }
    }

    /// <summary>The image resampled to <paramref name="width"/> × <paramref name="height"/>.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public RasterImage Resize(int width, int height, ResampleMode mode) =>
        Of(G.ImageModule.resize(
            mode == ResampleMode.Nearest ? G.Interpolation.Nearest : G.Interpolation.Bilinear, width, height, ToCore()));

    /// <summary>The image resampled bilinearly to <paramref name="width"/> × <paramref name="height"/>.</summary>
    /// <exception cref="ArgumentException">A size is not positive.</exception>
    public RasterImage Resize(int width, int height) => Resize(width, height, ResampleMode.Bilinear);

    /// <summary>
    /// The image with <paramref name="channels"/> channels: gray is replicated to RGB, an opaque alpha is added, alpha
    /// is dropped, RGB becomes gray by Rec. 601 luma.
    /// </summary>
    /// <exception cref="ArgumentException">The channel count is not 1 to 4.</exception>
    public RasterImage WithChannels(int channels) => Of(G.ImageModule.withChannels(channels, ToCore()));

    /// <summary>
    /// The <paramref name="width"/> × <paramref name="height"/> window whose top-left pixel is
    /// (<paramref name="x"/>, <paramref name="y"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The window is not inside the image.</exception>
    public RasterImage Crop(int x, int y, int width, int height) => Of(G.ImageModule.crop(x, y, width, height, ToCore()));

    /// <summary>The image upside down.</summary>
    public RasterImage FlipVertical() => Of(G.ImageModule.flipVertical(ToCore()));

    /// <summary>The mirror image (left and right swapped).</summary>
    public RasterImage FlipHorizontal() => Of(G.ImageModule.flipHorizontal(ToCore()));

    internal G.Image ToCore() => new(Width, Height, Channels, Pixels);

    internal static RasterImage Of(G.Image image) => new(image.Width, image.Height, image.Channels, image.Pixels);
}

/// <summary>
/// PNG files: every color type, bit depth 1 to 16 and Adam7 interlacing on reading (palette images become RGB or RGBA,
/// a tRNS color key adds alpha); 8- or 16-bit gray, gray + alpha, RGB or RGBA on writing. Writes are atomic.
/// </summary>
public static class PngImage
{
    /// <summary>Reads the PNG file at <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid PNG; the message names the file and the problem
    /// (chunk and byte offset of a CRC mismatch, truncation, bad header values, decompression failure).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static RasterImage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return RasterImage.Of(G.Png.read(path));
    }

    /// <summary>Tries to read the PNG file at <paramref name="path"/>; on failure returns false with the reason.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static bool TryLoad(string path, [NotNullWhen(true)] out RasterImage? image, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(path);
        var result = G.Png.tryRead(path);
        if (result.IsOk)
        {
            image = RasterImage.Of(result.ResultValue);
            error = null;
            return true;
        }

        image = null;
        error = result.ErrorValue;
        return false;
    }

    /// <summary>Decodes PNG bytes; <paramref name="source"/> names them in error messages.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a valid PNG.</exception>
    public static RasterImage Decode(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(source);
        return RasterImage.Of(G.Png.decode(source, bytes));
    }

    /// <summary>Decodes PNG bytes.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="bytes"/> is null.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a valid PNG.</exception>
    public static RasterImage Decode(byte[] bytes) => Decode(bytes, "PNG data");

    /// <summary>Encodes an image as PNG with <paramref name="bitDepth"/> 8 or 16 bits per sample.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="bitDepth"/> is neither 8 nor 16.</exception>
    public static byte[] Encode(RasterImage image, int bitDepth)
    {
        ArgumentNullException.ThrowIfNull(image);
        return G.Png.encodeWith(bitDepth, image.ToCore());
    }

    /// <summary>Encodes an image as an 8-bit PNG (values clamped to [0, 1] and rounded).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is null.</exception>
    public static byte[] Encode(RasterImage image) => Encode(image, 8);

    /// <summary>Writes an image as a PNG file with 8 or 16 bits per sample, atomically (temporary file, then move).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="bitDepth"/> is neither 8 nor 16.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string path, RasterImage image, int bitDepth)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(image);
        G.Png.writeWith(bitDepth, path, image.ToCore());
    }

    /// <summary>Writes an image as an 8-bit PNG file, atomically (temporary file, then move).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Save(string path, RasterImage image) => Save(path, image, 8);
}

/// <summary>The built-in colormaps.</summary>
public enum ColormapName
{
    /// <summary>Perceptually uniform, dark blue through green to yellow.</summary>
    Viridis,

    /// <summary>Perceptually uniform, black through purple and orange to pale yellow.</summary>
    Magma,

    /// <summary>Moreland's diverging map, blue through light gray to red.</summary>
    Coolwarm,

    /// <summary>Black to white.</summary>
    Gray,
}

/// <summary>An RGB color with components in [0, 1].</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
public readonly record struct RgbColor(float R, float G, float B);

/// <summary>
/// Colormaps (control points interpolated linearly in RGB) and their application to arrays of values, row-major
/// [y, x]. NaN values become mid gray.
/// </summary>
public static class Colormaps
{
    internal static G.Colormap Of(ColormapName map) =>
        map switch
        {
            ColormapName.Viridis => G.ColormapModule.viridis,
            ColormapName.Magma => G.ColormapModule.magma,
            ColormapName.Coolwarm => G.ColormapModule.coolwarm,
            ColormapName.Gray => G.ColormapModule.gray,
            _ => throw new ArgumentOutOfRangeException(nameof(map), map, "Expected a defined ColormapName"),
        };

    /// <summary>The color at position <paramref name="t"/> (clamped to [0, 1]).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="map"/> is not a defined value.</exception>
    public static RgbColor Color(ColormapName map, double t)
    {
        var c = G.ColormapModule.eval(Of(map), t);
        return new RgbColor(c.Item1, c.Item2, c.Item3);
    }

    private static RasterImage Apply(ColormapName map, G.ColorRange range, double[] values, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(values);
        return RasterImage.Of(G.ColormapModule.apply(Of(map), range, width, height, values));
    }

    /// <summary>An RGB image of <paramref name="values"/>: the minimum maps to the start of the map, the maximum to its end.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentException">The length is not width × height.</exception>
    public static RasterImage Apply(ColormapName map, double[] values, int width, int height) =>
        Apply(map, G.ColorRange.Auto, values, width, height);

    /// <summary>An RGB image of <paramref name="values"/>: <paramref name="min"/> maps to the start of the map,
    /// <paramref name="max"/> to its end, values outside are clamped.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentException">The length is not width × height, or not min &lt; max.</exception>
    public static RasterImage Apply(ColormapName map, double[] values, int width, int height, double min, double max) =>
        Apply(map, G.ColorRange.NewFixed(min, max), values, width, height);

    /// <summary>An RGB image of <paramref name="values"/> with zero at the middle of the map and ±max |value| at its
    /// ends (for diverging maps such as <see cref="ColormapName.Coolwarm"/>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="values"/> is null.</exception>
    /// <exception cref="ArgumentException">The length is not width × height.</exception>
    public static RasterImage ApplySymmetric(ColormapName map, double[] values, int width, int height) =>
        Apply(map, G.ColorRange.Symmetric, values, width, height);
}

/// <summary>The layout of a montage; immutable, change it with the <c>With…</c> methods.</summary>
/// <param name="Columns">Tiles per row (at least 1).</param>
/// <param name="Padding">Pixels of background between tiles and around the grid.</param>
/// <param name="Border">Width in pixels of the frame around each tile.</param>
/// <param name="BorderColor">Gray level of the frames, in [0, 1].</param>
/// <param name="Background">Gray level of the padding, in [0, 1].</param>
public sealed record MontageOptions(int Columns, int Padding, int Border, float BorderColor, float Background)
{
    /// <summary>4 columns, 2 pixels of white padding, no border.</summary>
    public static MontageOptions Default { get; } = new(4, 2, 0, 0f, 1f);

    /// <summary>A copy with <paramref name="columns"/> tiles per row.</summary>
    public MontageOptions WithColumns(int columns) => this with { Columns = columns };

    /// <summary>A copy with <paramref name="padding"/> pixels between tiles.</summary>
    public MontageOptions WithPadding(int padding) => this with { Padding = padding };

    /// <summary>A copy with a frame of <paramref name="border"/> pixels of gray level <paramref name="color"/>.</summary>
    public MontageOptions WithBorder(int border, float color) => this with { Border = border, BorderColor = color };

    /// <summary>A copy with background gray level <paramref name="background"/>.</summary>
    public MontageOptions WithBackground(float background) => this with { Background = background };

    internal G.MontageLayout ToCore() => new(Columns, Padding, Border, BorderColor, Background);
}

/// <summary>Image grids (contact sheets) for reports.</summary>
public static class Montage
{
    private static G.Image[] Core(IReadOnlyList<RasterImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return images.Select((im, i) => (im ?? throw new ArgumentNullException(nameof(images), $"Image {i} is null")).ToCore()).ToArray();
    }

    /// <summary>
    /// The images in a grid, row by row, each centered in a cell as large as the largest image; channels are promoted
    /// so that every image fits (color if any has color, alpha if any has alpha).
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument or an image is null.</exception>
    /// <exception cref="ArgumentException">There are no images or the options are invalid.</exception>
    public static RasterImage Grid(IReadOnlyList<RasterImage> images, MontageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return RasterImage.Of(G.Montage.grid(options.ToCore(), Core(images)));
    }

    /// <summary>The images in a grid of <paramref name="columns"/> per row with the default padding.</summary>
    /// <exception cref="ArgumentNullException">An argument or an image is null.</exception>
    /// <exception cref="ArgumentException">There are no images or columns is less than 1.</exception>
    public static RasterImage Grid(IReadOnlyList<RasterImage> images, int columns) =>
        Grid(images, MontageOptions.Default.WithColumns(columns));

    /// <summary>Every image scaled to fit <paramref name="thumbWidth"/> × <paramref name="thumbHeight"/> (aspect
    /// kept, bilinear), then laid out in a grid.</summary>
    /// <exception cref="ArgumentNullException">An argument or an image is null.</exception>
    /// <exception cref="ArgumentException">There are no images, the options are invalid or the box is empty.</exception>
    public static RasterImage Thumbnails(IReadOnlyList<RasterImage> images, MontageOptions options, int thumbWidth, int thumbHeight)
    {
        ArgumentNullException.ThrowIfNull(options);
        return RasterImage.Of(G.Montage.thumbnails(options.ToCore(), G.Interpolation.Bilinear, thumbWidth, thumbHeight, Core(images)));
    }
}

/// <summary>
/// Heat maps of functions on the sphere sampled on the Driscoll–Healy grid of bandwidth B: a signal is 2B × 2B values,
/// row-major [colatitude θ, azimuth φ].
/// </summary>
public static class SphereHeatMap
{
    private static G.HeatMapOptions Options(ColormapName map, int scale) =>
        new(Colormaps.Of(map), G.ColorRange.Auto, scale);

    /// <summary>
    /// The equirectangular map: θ down (north pole at the top), φ to the right, each sample a
    /// <paramref name="scale"/> × <paramref name="scale"/> block; the range runs from the minimum to the maximum.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="signal"/> is null.</exception>
    /// <exception cref="ArgumentException">The length is not (2B)², or scale is less than 1.</exception>
    public static RasterImage Equirectangular(double[] signal, ColormapName map, int scale)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return RasterImage.Of(G.SphereMap.equirectangular(Options(map, scale), signal));
    }

    /// <summary>
    /// An RGBA orthographic view, <paramref name="size"/> pixels square and transparent outside the disk, through a
    /// camera on the +z axis of the rotation R(α, β, γ) = Rz(α) Ry(β) Rz(γ) (radians): image right is R·x, up is R·y.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="signal"/> is null.</exception>
    /// <exception cref="ArgumentException">The length is not (2B)², or size is less than 1.</exception>
    public static RasterImage Globe(double[] signal, ColormapName map, int size, double alpha, double beta, double gamma)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var view = H.RotationModule.ofEulerZyz(alpha, beta, gamma);
        return RasterImage.Of(G.SphereMap.globe(Options(map, 1), view, size, signal));
    }
}
