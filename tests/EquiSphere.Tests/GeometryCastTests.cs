using System.Numerics;
using Xunit;

namespace EquiSphere.Tests;

public sealed class GeometryCastTests
{
    private static readonly double[,] Identity = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };

    private static double[,] AboutZ(double angle) =>
        new[,] { { Math.Cos(angle), -Math.Sin(angle), 0 }, { Math.Sin(angle), Math.Cos(angle), 0 }, { 0, 0, 1 } };

    private static Mesh Cube(float half)
    {
        var v = new List<Vector3>();
        for (var i = 0; i < 8; i++)
            v.Add(new Vector3((i & 1) == 0 ? -half : half, (i & 2) == 0 ? -half : half, (i & 4) == 0 ? -half : half));
        int[] t = { 0, 2, 1, 1, 2, 3, 4, 5, 6, 5, 7, 6, 0, 1, 4, 1, 5, 4, 2, 6, 3, 3, 6, 7, 0, 4, 2, 2, 4, 6, 1, 3, 5, 3, 7, 5 };
        return new Mesh(v.ToArray(), t);
    }

    [Fact]
    public void Names_lists_the_six_categories_in_label_order()
    {
        Assert.Equal(new[] { "airplane", "car", "chair", "sofa", "table", "lamp" }, ShapeCategories.Names);
        for (var i = 0; i < ShapeCategories.Names.Count; i++)
            Assert.Equal(i, ShapeCategories.Label(ShapeCategories.Names[i]));
    }

    [Fact]
    public void Generate_is_deterministic_and_inside_the_unit_ball()
    {
        foreach (var name in ShapeCategories.Names)
        {
            var a = ShapeCategories.Generate(name, 7, 1.0);
            var b = ShapeCategories.Generate(name.ToUpperInvariant(), 7, 1.0);
            Assert.Equal(a.ToCoordinateArray(), b.ToCoordinateArray());
            Assert.Equal(a.ToTriangleArray(), b.ToTriangleArray());
            Assert.True(a.TriangleCount > 50);
            Assert.All(a.ToVertexArray(), v => Assert.True(v.Length() <= 1.0f + 1e-5f));
        }
    }

    [Fact]
    public void Generate_and_Label_reject_bad_arguments_with_clear_messages()
    {
        var e = Assert.Throws<ArgumentException>(() => ShapeCategories.Generate("boat", 0, 0.5));
        Assert.Contains("'boat'", e.Message);
        Assert.Contains("spread in [0, 1]", Assert.Throws<ArgumentException>(() => ShapeCategories.Generate("chair", 0, 2.0)).Message);
        Assert.Throws<ArgumentNullException>(() => ShapeCategories.Generate(null!, 0, 0.5));
        Assert.Throws<ArgumentNullException>(() => ShapeCategories.Label(null!));
        Assert.Throws<ArgumentException>(() => ShapeCategories.Label("boat"));
    }

    [Fact]
    public void RayCast_returns_channel_by_grid_arrays_with_documented_ranges()
    {
        var mesh = ShapeCategories.Generate("chair", 1, 1.0);
        var s = SphericalSignal.RayCast(mesh, 8);
        Assert.Equal(new[] { 3, 16, 16 }, new[] { s.GetLength(0), s.GetLength(1), s.GetLength(2) });
        var hits = 0;
        for (var j = 0; j < 16; j++)
        for (var k = 0; k < 16; k++)
        {
            Assert.InRange(s[0, j, k], 0f, 1f);
            if (s[0, j, k] < 1f)
            {
                hits++;
                Assert.Equal(1.0, s[1, j, k] * (double)s[1, j, k] + s[2, j, k] * (double)s[2, j, k], 5);
            }
            else
                Assert.Equal(0f, s[1, j, k]);
        }

        Assert.True(hits > 0);
        Assert.Equal(new[] { "distance", "cos", "sin" }, SphericalSignal.ChannelNames(false));
        Assert.Equal(6, SphericalSignal.ChannelNames(true).Count);
    }

    [Fact]
    public void RayCast_with_hull_never_reports_the_hull_farther_than_the_mesh()
    {
        var mesh = ShapeCategories.Generate("lamp", 2, 1.0);
        var s = SphericalSignal.RayCast(mesh, 8, true);
        Assert.Equal(6, s.GetLength(0));
        for (var j = 0; j < 16; j++)
        for (var k = 0; k < 16; k++)
            Assert.True(s[3, j, k] <= s[0, j, k] + 1e-5f);
        var near = SphericalSignal.RayCast(mesh, 8, false, 1.5);
        Assert.Throws<ArgumentException>(() => SphericalSignal.RayCast(mesh, 8, false, 0.9));
        Assert.Throws<ArgumentNullException>(() => SphericalSignal.RayCast(null!, 8));
        Assert.Equal(3, near.GetLength(0));
    }

    [Fact]
    public void RayCastRotated_about_z_by_a_grid_step_shifts_the_signal_along_longitude()
    {
        var mesh = ShapeCategories.Generate("car", 3, 1.0);
        const int b = 8, n = 16, shift = 3;
        var s0 = SphericalSignal.RayCast(mesh, b);
        var s1 = SphericalSignal.RayCastRotated(mesh, AboutZ(2 * Math.PI * shift / n), b);
        var differing = 0;
        for (var c = 0; c < 3; c++)
        for (var j = 0; j < n; j++)
        for (var k = 0; k < n; k++)
            if (Math.Abs(s1[c, j, (k + shift) % n] - s0[c, j, k]) > 1e-4)
                differing++;
        Assert.True(differing <= 2, $"{differing} samples differ");
        Assert.Throws<ArgumentException>(() => SphericalSignal.RayCastRotated(mesh, new double[,] { { 2, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }, b));
    }

    [Fact]
    public void RenderAll_of_a_face_on_cube_covers_a_quarter_of_the_image()
    {
        var view = Renderer.RenderAll(Cube(0.5f), Identity, 64, false);
        var covered = 0.0;
        foreach (var v in view.Silhouette) covered += v;
        Assert.Equal(1024.0, covered, 6);
        Assert.Equal(0.25f, view.Depth[32, 32], 5);
        Assert.Equal(1f, view.Depth[0, 0]);
        Assert.Equal(0f, view.Shading[0, 0]);
        var perspective = Renderer.RenderAll(Cube(0.5f), Identity, 64, true);
        var coveredPerspective = 0.0;
        foreach (var v in perspective.Silhouette) coveredPerspective += v;
        Assert.True(coveredPerspective > covered, "a perspective camera at distance 3 shows the near face larger");
    }

    [Fact]
    public void Render_overloads_agree_and_validate()
    {
        var mesh = ShapeCategories.Generate("sofa", 4, 1.0);
        var q = new Quaternion(Math.Cos(0.35), 0, 0, Math.Sin(0.35));
        var byQuaternion = Renderer.Render(mesh, q, 32);
        var byMatrix = Renderer.Render(mesh, AboutZ(0.7), 32);
        var differing = 0;
        for (var y = 0; y < 32; y++)
        for (var x = 0; x < 32; x++)
            if (Math.Abs(byQuaternion[y, x] - byMatrix[y, x]) > 1e-3)
                differing++;
        Assert.True(differing <= 10, $"{differing} pixels differ between quaternion and matrix poses");
        Assert.Equal(Renderer.DefaultSize, Renderer.Render(mesh, Identity).GetLength(0));
        Assert.Contains("power-of-two", Assert.Throws<ArgumentException>(() => Renderer.Render(mesh, Identity, 48)).Message);
        Assert.Throws<ArgumentNullException>(() => Renderer.Render(mesh, null!));
        Assert.Throws<ArgumentNullException>(() => Renderer.Render(null!, q, 32));
    }
}
