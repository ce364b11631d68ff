using System.Numerics;
using Xunit;

namespace EquiSphere.Tests;

public sealed class GeometryRenderSceneTests
{
    private static double[,] About(Vector3 axis, double angle)
    {
        var a = Vector3.Normalize(axis);
        double x = a.X, y = a.Y, z = a.Z, c = Math.Cos(angle), s = Math.Sin(angle), t = 1 - c;
        return new[,]
        {
            { t * x * x + c, t * x * y - s * z, t * x * z + s * y },
            { t * x * y + s * z, t * y * y + c, t * y * z - s * x },
            { t * x * z - s * y, t * y * z + s * x, t * z * z + c },
        };
    }

    private static Mesh Cube(float half, bool inward)
    {
        var v = new List<Vector3>();
        for (var i = 0; i < 8; i++)
            v.Add(new Vector3((i & 1) == 0 ? -half : half, (i & 2) == 0 ? -half : half, (i & 4) == 0 ? -half : half));
        int[] t = { 0, 2, 1, 1, 2, 3, 4, 5, 6, 5, 7, 6, 0, 1, 4, 1, 5, 4, 2, 6, 3, 3, 6, 7, 0, 4, 2, 2, 4, 6, 1, 3, 5, 3, 7, 5 };
        if (inward)
            for (var f = 0; f < t.Length; f += 3)
                (t[f + 1], t[f + 2]) = (t[f + 2], t[f + 1]);
        return new Mesh(v.ToArray(), t);
    }

    [Fact]
    public void A_scene_renders_like_the_renderer_one_view_at_a_time_and_in_batches()
    {
        var mesh = ShapeCategories.Generate("chair", 3, 1.0);
        var scene = new RenderScene(mesh);
        var rng = new Random(5);
        var poses = Enumerable.Range(0, 6)
            .Select(_ => About(new Vector3(rng.NextSingle() - 0.5f, rng.NextSingle() - 0.5f, rng.NextSingle() - 0.5f), 6.28 * rng.NextDouble()))
            .ToArray();
        var batch = scene.RenderMany(poses, 32);
        Assert.Equal(poses.Length, batch.Length);
        for (var i = 0; i < poses.Length; i++)
        {
            var one = scene.Render(poses[i], 32);
            Assert.Equal(Renderer.Render(mesh, poses[i], 32), one);
            Assert.Equal(one, batch[i]);
        }

        Assert.Same(mesh, scene.Mesh);
        Assert.True(scene.ClosedOutward);
    }

    [Fact]
    public void Closed_outward_cubes_are_recognized_and_inward_ones_are_not()
    {
        Assert.True(RenderScene.IsClosedOutward(Cube(0.5f, false)));
        Assert.False(RenderScene.IsClosedOutward(Cube(0.5f, true)));
        Assert.False(new RenderScene(Cube(0.5f, true)).ClosedOutward);
    }

    [Fact]
    public void Null_arguments_and_bad_sizes_are_rejected_with_clear_messages()
    {
        var scene = new RenderScene(Cube(0.5f, false));
        Assert.Throws<ArgumentNullException>(() => new RenderScene(null!));
        Assert.Throws<ArgumentNullException>(() => RenderScene.IsClosedOutward(null!));
        Assert.Throws<ArgumentNullException>(() => scene.Render(null!, 64));
        Assert.Throws<ArgumentNullException>(() => scene.RenderMany(null!, 64));
        var e = Assert.Throws<ArgumentNullException>(() => scene.RenderMany(new double[1][,], 64));
        Assert.Contains("index 0", e.Message);
        var bad = Assert.ThrowsAny<ArgumentException>(() => scene.Render(About(Vector3.UnitZ, 0.3), 63));
        Assert.Contains("63", bad.Message);
    }
}
