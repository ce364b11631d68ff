using System.Numerics;
using G = EquiSphere.Geometry;
using H = EquiSphere.Harmonics;

namespace EquiSphere;

/// <summary>One rendered view: gray shading, normalized depth and coverage, each [size, size] with row 0 at the top.</summary>
/// <param name="Shading">Gray values in [0, 1], background 0.</param>
/// <param name="Depth">Normalized depth (1 − z)/2 of the nearest surface point (0 at the front of the unit ball, 1 at
/// its back), 1 on background.</param>
/// <param name="Silhouette">The fraction of each pixel's samples that see the object, in [0, 1].</param>
public sealed record RenderedView(float[,] Shading, float[,] Depth, float[,] Silhouette);

/// <summary>
/// A z-buffer renderer: the object in pose R (the canonical mesh rotated by R) seen by a camera on the +z axis
/// looking at the origin, image x to the right along world x and image y up along world y. Flat Lambertian plus
/// ambient shading with a fixed light, 2 × 2 supersampling. Sizes are powers of two (64 by default).
/// </summary>
public static class Renderer
{
    /// <summary>The default image size in pixels.</summary>
    public const int DefaultSize = 64;

    /// <summary>The gray view [64, 64] of the mesh in pose R (orthographic over [−1, 1]²).</summary>
    /// <param name="mesh">The mesh in its canonical pose, inside the unit ball.</param>
    /// <param name="rotation">R as a 3 × 3 rotation matrix [row, column] acting on column vectors.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The matrix is not a rotation.</exception>
    public static float[,] Render(Mesh mesh, double[,] rotation) => Render(mesh, rotation, DefaultSize);

    /// <summary>The gray view [size, size] of the mesh in pose R (orthographic over [−1, 1]²).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The matrix is not a rotation or the size is not a power of two ≥ 4.</exception>
    public static float[,] Render(Mesh mesh, double[,] rotation, int size) =>
        RenderAll(mesh, rotation, size, false).Shading;

    /// <summary>The gray view [size, size] of the mesh in pose R.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The size is not a power of two ≥ 4.</exception>
    public static float[,] Render(Mesh mesh, Rotation pose, int size)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(pose);
        return RenderCore(mesh, pose.Core, size, false).Shading;
    }

    /// <summary>Shading, depth and silhouette [size, size] of the mesh in pose R (see the matrix overload).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The size is not a power of two ≥ 4.</exception>
    public static RenderedView RenderAll(Mesh mesh, Rotation pose, int size, bool perspective)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(pose);
        return RenderCore(mesh, pose.Core, size, perspective);
    }

    /// <summary>The gray view [size, size] of the mesh in the pose of a unit quaternion (normalized first).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mesh"/> is null.</exception>
    /// <exception cref="ArgumentException">The quaternion is zero or not finite, or the size is not a power of two ≥ 4.</exception>
    public static float[,] Render(Mesh mesh, Quaternion pose, int size)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var r = H.RotationModule.ofQuaternion(new H.Quaternion(pose.W, pose.X, pose.Y, pose.Z));
        return RenderCore(mesh, r, size, false).Shading;
    }

    /// <summary>Shading, depth and silhouette [size, size] of the mesh in pose R, with an orthographic camera over
    /// [−1, 1]² or, when <paramref name="perspective"/>, a pinhole camera at distance 3 whose view just contains the
    /// unit ball.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The matrix is not a rotation or the size is not a power of two ≥ 4.</exception>
    public static RenderedView RenderAll(Mesh mesh, double[,] rotation, int size, bool perspective)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(rotation);
        return RenderCore(mesh, H.RotationModule.ofMatrix(rotation), size, perspective);
    }

    private static RenderedView RenderCore(Mesh mesh, H.Rotation pose, int size, bool perspective)
    {
        var d = G.RenderOptionsModule.defaults;
        var camera = perspective ? G.RenderOptionsModule.perspectiveFitting(3.0) : d.Camera;
        var options = new G.RenderOptions(size, camera, d.Supersampling, d.Ambient, d.Light, d.CullBackFaces);
        var output = G.Render.renderAll(options, pose, mesh.Core);
        return new RenderedView(ToGrid(output.Shading), ToGrid(output.Depth), ToGrid(output.Silhouette));
    }

    private static float[,] ToGrid(G.Image image)
    {
        var result = new float[image.Height, image.Width];
        Buffer.BlockCopy(image.Pixels, 0, result, 0, image.Pixels.Length * sizeof(float));
        return result;
    }
}
