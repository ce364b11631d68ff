using G = EquiSphere.Geometry;
using H = EquiSphere.Harmonics;

namespace EquiSphere;

/// <summary>
/// A mesh prepared once for rendering many views with <see cref="Renderer"/>'s camera and shading (orthographic over
/// [−1, 1]², 2 × 2 supersampling): flat vertex, index and face-normal arrays, and the test that lets closed,
/// outward-wound meshes skip their back faces without changing the image. Immutable and safe to share across
/// threads.
/// </summary>
public sealed class RenderScene
{
    private readonly G.RenderScene core;

    /// <summary>Prepares <paramref name="mesh"/> (canonical pose, inside the unit ball).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mesh"/> is null.</exception>
    public RenderScene(Mesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        Mesh = mesh;
        core = G.Render.prepare(mesh.Core);
    }

    /// <summary>The mesh this scene was prepared from.</summary>
    public Mesh Mesh { get; }

    /// <summary>Whether the mesh is a union of closed, outward-wound surfaces, so that back faces are culled
    /// automatically (see <see cref="IsClosedOutward"/>).</summary>
    public bool ClosedOutward => core.ClosedOutward;

    /// <summary>Whether, within each connected part of the mesh (vertices at the same position counted once), every
    /// edge is run by exactly two triangles in opposite directions and the part encloses a positive signed volume
    /// (counter-clockwise seen from outside). Then culling back faces cannot change a view from outside.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mesh"/> is null.</exception>
    public static bool IsClosedOutward(Mesh mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return G.Render.isClosedOutward(mesh.Core);
    }

    /// <summary>The gray view [size, size] in pose R; equal to <c>Renderer.Render(Mesh, rotation, size)</c>.</summary>
    /// <param name="rotation">R as a 3 × 3 rotation matrix [row, column] acting on column vectors.</param>
    /// <param name="size">The image side in pixels: a power of two ≥ 4.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rotation"/> is null.</exception>
    /// <exception cref="ArgumentException">The matrix is not a rotation or the size is not a power of two ≥ 4.</exception>
    public float[,] Render(double[,] rotation, int size)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        return ToGrid(G.Render.viewScene(Options(size), H.RotationModule.ofMatrix(rotation), core));
    }

    /// <summary>The gray views [size, size] in each pose, rendered in parallel over the cores; element i equals
    /// <c>Render(rotations[i], size)</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="rotations"/> or one of its matrices is null.</exception>
    /// <exception cref="ArgumentException">A matrix is not a rotation or the size is not a power of two ≥ 4.</exception>
    public float[][,] RenderMany(double[][,] rotations, int size)
    {
        ArgumentNullException.ThrowIfNull(rotations);
        var poses = new H.Rotation[rotations.Length];
        for (var i = 0; i < rotations.Length; i++)
        {
            if (rotations[i] is null)
                throw new ArgumentNullException(nameof(rotations), $"Expected a rotation matrix at index {i}, got null");
            poses[i] = H.RotationModule.ofMatrix(rotations[i]);
        }

        var views = G.Render.viewsScene(Options(size), poses, core);
        return Array.ConvertAll(views, ToGrid);
    }

    private static G.RenderOptions Options(int size)
    {
        var d = G.RenderOptionsModule.defaults;
        return new G.RenderOptions(size, d.Camera, d.Supersampling, d.Ambient, d.Light, d.CullBackFaces);
    }

    private static float[,] ToGrid(G.Image image)
    {
        var result = new float[image.Height, image.Width];
        Buffer.BlockCopy(image.Pixels, 0, result, 0, image.Pixels.Length * sizeof(float));
        return result;
    }
}
