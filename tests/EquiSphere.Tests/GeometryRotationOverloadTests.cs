using Xunit;

namespace EquiSphere.Tests;

/// <summary>The geometry members that take a <see cref="Rotation"/> agree with their matrix overloads.</summary>
public sealed class GeometryRotationOverloadTests
{
    [Fact]
    public void Render_with_a_rotation_equals_render_with_its_matrix()
    {
        var mesh = ShapeCategories.Generate("chair", 3, 0.5);
        foreach (var seed in new[] { 1, 2, 3 })
        {
            var pose = Rotation.Random(seed);
            Assert.Equal(Renderer.Render(mesh, pose.ToMatrix(), 32), Renderer.Render(mesh, pose, 32));
            var all = Renderer.RenderAll(mesh, pose, 32, true);
            var byMatrix = Renderer.RenderAll(mesh, pose.ToMatrix(), 32, true);
            Assert.Equal(byMatrix.Depth, all.Depth);
            Assert.Equal(byMatrix.Silhouette, all.Silhouette);
        }

        Assert.Throws<ArgumentNullException>(() => Renderer.Render(mesh, (Rotation)null!, 32));
        Assert.Throws<ArgumentNullException>(() => Renderer.RenderAll(mesh, (Rotation)null!, 32, false));
    }

    [Fact]
    public void RayCastRotated_with_a_rotation_equals_the_matrix_overload()
    {
        var mesh = ShapeCategories.Generate("lamp", 5, 0.5);
        var pose = Rotation.Random(11);
        Assert.Equal(SphericalSignal.RayCastRotated(mesh, pose.ToMatrix(), 8), SphericalSignal.RayCastRotated(mesh, pose, 8));
        Assert.NotEqual(SphericalSignal.RayCast(mesh, 8), SphericalSignal.RayCastRotated(mesh, pose, 8));
        Assert.Throws<ArgumentNullException>(() => SphericalSignal.RayCastRotated(mesh, (Rotation)null!, 8));
    }
}
