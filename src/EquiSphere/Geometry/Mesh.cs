using System.Numerics;
using System.Runtime.InteropServices;
using G = EquiSphere.Geometry;

namespace EquiSphere;

/// <summary>
/// A validated triangle mesh: vertex positions and triangles given as three vertex indices each, counter-clockwise
/// seen from outside. Canonical object frame: y up, front toward +z. Immutable; the spans are views, the
/// <c>To…Array</c> methods copy.
/// </summary>
public sealed class Mesh
{
    internal Mesh(G.Mesh core) => Core = core;

    /// <summary>
    /// Creates a mesh from vertex positions and a flat triangle index list (length a multiple of 3). Triangles that
    /// repeat a vertex or have zero area are dropped.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A vertex is not finite, an index is out of range, or the index count is
    /// not a multiple of 3.</exception>
    public Mesh(Vector3[] vertices, int[] triangles)
    {
        ArgumentNullException.ThrowIfNull(vertices);
        ArgumentNullException.ThrowIfNull(triangles);
        if (triangles.Length % 3 != 0)
            throw new ArgumentException(
                $"Expected a triangle index count that is a multiple of 3 (a, b, c per triangle), got {triangles.Length}",
                nameof(triangles));
        var faces = new G.Face[triangles.Length / 3];
        for (var i = 0; i < faces.Length; i++)
            faces[i] = new G.Face(triangles[3 * i], triangles[3 * i + 1], triangles[3 * i + 2]);
        Core = G.MeshModule.create(vertices, faces);
    }

    /// <summary>
    /// Creates a mesh from interleaved coordinates x0, y0, z0, x1, … (length a multiple of 3) and a flat triangle
    /// index list (length a multiple of 3).
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A length is not a multiple of 3, a vertex is not finite or an index is out
    /// of range.</exception>
    public Mesh(float[] coordinates, int[] triangles)
        : this(ToVectors(coordinates), triangles)
    {
    }

    private static Vector3[] ToVectors(float[] coordinates)
    {
        ArgumentNullException.ThrowIfNull(coordinates);
        if (coordinates.Length % 3 != 0)
            throw new ArgumentException(
                $"Expected a coordinate count that is a multiple of 3 (x, y, z per vertex), got {coordinates.Length}",
                nameof(coordinates));
        return MemoryMarshal.Cast<float, Vector3>(coordinates).ToArray();
    }

    /// <summary>The F# core mesh this view wraps.</summary>
    internal G.Mesh Core { get; }

    /// <summary>The number of vertices.</summary>
    public int VertexCount => Core.Vertices.Length;

    /// <summary>The number of triangles.</summary>
    public int TriangleCount => Core.Faces.Length;

    /// <summary>The vertex positions (a view, no copy).</summary>
    public ReadOnlySpan<Vector3> Vertices => Core.Vertices;

    /// <summary>The triangles as a flat index list a0, b0, c0, a1, … of length 3 × <see cref="TriangleCount"/>
    /// (a view, no copy).</summary>
    public ReadOnlySpan<int> Triangles => MemoryMarshal.Cast<G.Face, int>(Core.Faces.AsSpan());

    /// <summary>A copy of the vertex positions.</summary>
    public Vector3[] ToVertexArray() => Vertices.ToArray();

    /// <summary>A copy of the coordinates, interleaved x0, y0, z0, x1, ….</summary>
    public float[] ToCoordinateArray() => MemoryMarshal.Cast<Vector3, float>(Vertices).ToArray();

    /// <summary>A copy of the flat triangle index list.</summary>
    public int[] ToTriangleArray() => Triangles.ToArray();

    /// <summary>
    /// The mesh centered on its bounding-box center and scaled uniformly so its farthest vertex lies at distance
    /// <paramref name="radius"/> (1 puts it in the unit ball).
    /// </summary>
    /// <exception cref="ArgumentException">The mesh has no vertices or the radius is not positive.</exception>
    public Mesh Normalize(float radius = 1.0f)
    {
        if (!(radius > 0.0f) || float.IsInfinity(radius))
            throw new ArgumentException($"Expected a positive finite radius, got {radius}", nameof(radius));
        if (VertexCount == 0)
            throw new ArgumentException("Expected a mesh with at least one vertex, got none", nameof(radius));
        return new Mesh(G.MeshModule.normalize(G.CenterBy.BoundingBoxCenter, radius, Core));
    }
}
