using Xunit;

namespace EquiSphere.Tests;

public sealed class GeometryImagesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("equisphere-cs-images");

    public void Dispose() => _dir.Delete(true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>A random image whose values are multiples of 1/255, so an 8-bit round trip is exact.</summary>
    private static RasterImage RandomImage(int seed, int channels)
    {
        var rng = new Random(seed);
        var w = rng.Next(1, 20);
        var h = rng.Next(1, 15);
        var pixels = Enumerable.Range(0, w * h * channels).Select(_ => rng.Next(256) / 255f).ToArray();
        return new RasterImage(w, h, channels, pixels);
    }

    [Fact]
    public void SaveThenLoadIsIdentityForEveryChannelCount()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var image = RandomImage(seed, 1 + seed % 4);
            var path = PathOf($"a{seed}.png");
            PngImage.Save(path, image);
            var back = PngImage.Load(path);
            Assert.Equal(image.Width, back.Width);
            Assert.Equal(image.Height, back.Height);
            Assert.Equal(image.Channels, back.Channels);
            Assert.Equal(image.Pixels, back.Pixels);
        }
    }

    [Fact]
    public void SixteenBitEncodingKeepsSixteenBitLevels()
    {
        var image = new RasterImage(3, 1, 1, new[] { 0f, 1234f / 65535f, 1f });
        var back = PngImage.Decode(PngImage.Encode(image, 16));
        Assert.Equal(image.Pixels, back.Pixels);
        var path = PathOf("b.png");
        PngImage.Save(path, image, 16);
        Assert.Equal(image.Pixels, PngImage.Load(path).Pixels);
        Assert.Equal(0f, PngImage.Decode(PngImage.Encode(image), "x").Pixels[0]);
    }

    [Fact]
    public void TryLoadReportsCorruptFilesAndLoadThrows()
    {
        var path = PathOf("bad.png");
        var bytes = PngImage.Encode(RandomImage(1, 3));
        bytes[40] ^= 0x55;
        File.WriteAllBytes(path, bytes);
        Assert.False(PngImage.TryLoad(path, out var none, out var error));
        Assert.Null(none);
        Assert.Contains("CRC mismatch", error);
        var e = Assert.Throws<InvalidDataException>(() => PngImage.Load(path));
        Assert.Contains("bad.png", e.Message);
        Assert.True(PngImage.TryLoad(PathOf("missing.png"), out _, out var missing) == false && missing.Contains("missing.png"));
        var good = PathOf("good.png");
        PngImage.Save(good, RandomImage(2, 2));
        Assert.True(PngImage.TryLoad(good, out var image, out _));
        Assert.Equal(2, image.Channels);
    }

    [Fact]
    public void NullArgumentsAreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => PngImage.Load(null!));
        Assert.Throws<ArgumentNullException>(() => PngImage.Save(PathOf("x.png"), null!));
        Assert.Throws<ArgumentNullException>(() => PngImage.Decode(null!));
        Assert.Throws<ArgumentNullException>(() => Colormaps.Apply(ColormapName.Viridis, null!, 1, 1));
        Assert.Throws<ArgumentNullException>(() => Montage.Grid(null!, 2));
        Assert.Throws<ArgumentNullException>(() => Montage.Grid(new RasterImage[] { null! }, 2));
        Assert.Throws<ArgumentNullException>(() => SphereHeatMap.Equirectangular(null!, ColormapName.Magma, 1));
        Assert.Throws<ArgumentNullException>(() => new RasterImage(1, 1, 1, null!));
    }

    [Fact]
    public void ImagesCheckTheirShapeAndIndex()
    {
        var e = Assert.Throws<ArgumentException>(() => new RasterImage(2, 2, 3, new float[11]));
        Assert.Contains("12", e.Message);
        Assert.Throws<ArgumentException>(() => new RasterImage(2, 2, 5));
        var image = new RasterImage(2, 1, 3, new[] { 0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f });
        Assert.Equal(0.4f, image[1, 0, 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => image[2, 0, 0]);
        Assert.Equal(new float[6], new RasterImage(1, 2, 3).Pixels);
    }

    [Fact]
    public void ResizeCropFlipAndChannelsFollowTheCore()
    {
        var image = RandomImage(5, 3);
        var up = image.Resize(image.Width * 2, image.Height * 2, ResampleMode.Nearest);
        Assert.Equal(image.Pixels, up.Resize(image.Width, image.Height, ResampleMode.Nearest).Pixels);
        Assert.Equal(image.Pixels, image.Resize(image.Width, image.Height).Pixels);
        Assert.Equal(image[0, 0, 2], image.FlipHorizontal()[image.Width - 1, 0, 2]);
        Assert.Equal(image[0, 0, 1], image.FlipVertical()[0, image.Height - 1, 1]);
        Assert.Equal(image.Pixels, image.WithChannels(4).WithChannels(3).Pixels);
        var crop = image.Crop(0, 0, 1, 1);
        Assert.Equal(new[] { image[0, 0, 0], image[0, 0, 1], image[0, 0, 2] }, crop.Pixels);
        Assert.Throws<ArgumentException>(() => image.Crop(0, 0, image.Width + 1, 1));
    }

    [Fact]
    public void ColormapsApplyTheRangeTheyAreGiven()
    {
        var values = new[] { -1.0, 0.0, 3.0, double.NaN };
        var auto = Colormaps.Apply(ColormapName.Viridis, values, 2, 2);
        var start = Colormaps.Color(ColormapName.Viridis, 0);
        var end = Colormaps.Color(ColormapName.Viridis, 1);
        Assert.Equal(new[] { start.R, start.G, start.B }, auto.Pixels[0..3]);
        Assert.Equal(new[] { end.R, end.G, end.B }, auto.Pixels[6..9]);
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f }, auto.Pixels[9..12]);

        var fixedRange = Colormaps.Apply(ColormapName.Gray, values, 2, 2, 0.0, 2.0);
        Assert.Equal(new[] { 0f, 0f, 0f, 0f, 0f, 0f, 1f, 1f, 1f }, fixedRange.Pixels[0..9]);

        var symmetric = Colormaps.ApplySymmetric(ColormapName.Coolwarm, values, 2, 2);
        var middle = Colormaps.Color(ColormapName.Coolwarm, 0.5);
        Assert.Equal(new[] { middle.R, middle.G, middle.B }, symmetric.Pixels[3..6]);

        Assert.Throws<ArgumentException>(() => Colormaps.Apply(ColormapName.Magma, values, 3, 2));
        Assert.Throws<ArgumentException>(() => Colormaps.Apply(ColormapName.Magma, values, 2, 2, 1.0, 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Colormaps.Color((ColormapName)42, 0.5));
    }

    [Fact]
    public void MontagePlacesTilesAndOptionsAreImmutable()
    {
        var a = new RasterImage(2, 2, 1, new[] { 0.1f, 0.2f, 0.3f, 0.4f });
        var b = new RasterImage(2, 2, 3);
        var options = MontageOptions.Default.WithColumns(2).WithPadding(1).WithBorder(0, 0.5f).WithBackground(0.9f);
        Assert.Equal(4, MontageOptions.Default.Columns);
        var sheet = Montage.Grid(new[] { a, b }, options);
        Assert.Equal(2 * 2 + 3, sheet.Width);
        Assert.Equal(2 + 2, sheet.Height);
        Assert.Equal(3, sheet.Channels);
        Assert.Equal(0.9f, sheet[0, 0, 0]);
        Assert.Equal(0.1f, sheet[1, 1, 2]);
        Assert.Equal(0.4f, sheet[2, 2, 0]);
        Assert.Equal(0f, sheet[4, 1, 0]);

        var simple = Montage.Grid(new[] { a, a, a }, 2);
        Assert.Equal(2 * 2 + 3 * 2, simple.Width);
        Assert.Equal(2 * 2 + 3 * 2, simple.Height);

        var thumbs = Montage.Thumbnails(new[] { new RasterImage(40, 20, 1), new RasterImage(8, 4, 1) }, options, 10, 10);
        Assert.Equal(2 * 10 + 3, thumbs.Width);
        Assert.Equal(5 + 2, thumbs.Height);
        Assert.Throws<ArgumentException>(() => Montage.Grid(Array.Empty<RasterImage>(), 2));
    }

    [Fact]
    public void SphereHeatMapsDrawTheGrid()
    {
        const int b = 4;
        var signal = new double[4 * b * b];
        for (var j = 0; j < 2 * b; j++)
        {
            var theta = Math.PI * (2 * j + 1) / (4 * b);
            for (var k = 0; k < 2 * b; k++)
            {
                signal[j * 2 * b + k] = Math.Cos(theta);
            }
        }

        var map = SphereHeatMap.Equirectangular(signal, ColormapName.Viridis, 2);
        Assert.Equal(4 * b, map.Width);
        Assert.Equal(4 * b, map.Height);
        var top = Colormaps.Color(ColormapName.Viridis, 1);
        Assert.Equal(top.G, map[5, 0, 1]);

        var globe = SphereHeatMap.Globe(signal, ColormapName.Viridis, 16, 0, 0, 0);
        Assert.Equal(4, globe.Channels);
        Assert.Equal(0f, globe[0, 0, 3]);
        Assert.Equal(1f, globe[8, 8, 3]);
        // Seen from the south pole (β = π) the center shows the smallest values.
        var south = SphereHeatMap.Globe(signal, ColormapName.Viridis, 16, 0, Math.PI, 0);
        Assert.True(south[8, 8, 1] < globe[8, 8, 1]);
        Assert.Throws<ArgumentException>(() => SphereHeatMap.Equirectangular(new double[10], ColormapName.Gray, 1));
    }
}
