using G = EquiSphere.Geometry;

namespace EquiSphere;

/// <summary>
/// The spherical signal r(M) of a mesh in the unit ball: from each point of the Driscoll–Healy grid of bandwidth B
/// (2B × 2B samples, colatitude × longitude) on a sphere of radius ρ &gt; 1, a ray is cast toward the center.
/// Channels: 0 distance to the first hit divided by ρ (1 where the segment to the center hits nothing); 1 and 2 the
/// cosine and sine of the angle between the ray and the surface normal (0 where nothing is hit); with the convex
/// hull, channels 3–5 repeat these for the mesh's convex hull.
/// </summary>
public static class SphericalSignal
{
    /// <summary>The default ray sphere radius ρ.</summary>
    public const double DefaultRadius = 1.1;

    /// <summary>The channel names in order, without or with the convex-hull channels.</summary>
    public static IReadOnlyList<string> ChannelNames(bool convexHull) =>
        Array.AsReadOnly(G.RayCast.channelNames(Options(1, convexHull, DefaultRadius)));

    /// <summary>The three-channel signal [3, 2B, 2B] with ρ = <see cref="DefaultRadius"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mesh"/> is null.</exception>
    /// <exception cref="ArgumentException">The bandwidth is outside [1, 2048].</exception>
    public static float[,,] RayCast(Mesh mesh, int bandwidth) => RayCast(mesh, bandwidth, false, DefaultRadius);

    /// <summary>The signal [C, 2B, 2B] (C = 6 with the convex hull, else 3) with ρ = <see cref="DefaultRadius"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mesh"/> is null.</exception>
    /// <exception cref="ArgumentException">The bandwidth is outside [1, 2048], or the hull is requested for a flat
    /// mesh.</exception>
    public static float[,,] RayCast(Mesh mesh, int bandwidth, bool convexHull) =>
        RayCast(mesh, bandwidth, convexHull, DefaultRadius);

    /// <summary>The signal [C, 2B, 2B] (C = 6 with the convex hull, else 3) cast from the sphere of radius
    /// <paramref name="radius"/> &gt; 1.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="mesh"/> is null.</exception>
    /// <exception cref="ArgumentException">The bandwidth is outside [1, 2048], the radius is not above 1, or the hull
    /// is requested for a flat mesh.</exception>
    public static float[,,] RayCast(Mesh mesh, int bandwidth, bool convexHull, double radius)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var options = Options(bandwidth, convexHull, radius);
        var flat = G.RayCast.signal(options, mesh.Core);
        var n = 2 * bandwidth;
        var channels = flat.Length / (n * n);
        var result = new float[channels, n, n];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }

    /// <summary>The signal of the mesh in pose R, r(R M)(x) = r(M)(R⁻¹x), without moving the mesh.</summary>
    /// <param name="mesh">The mesh in its canonical pose.</param>
    /// <param name="rotation">R as a 3 × 3 rotation matrix [row, column] acting on column vectors.</param>
    /// <param name="bandwidth">The bandwidth B.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The matrix is not a rotation or the bandwidth is out of range.</exception>
    public static float[,,] RayCastRotated(Mesh mesh, double[,] rotation, int bandwidth)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(rotation);
        return RayCastRotatedCore(mesh, Harmonics.RotationModule.ofMatrix(rotation), bandwidth);
    }

    /// <summary>The signal of the mesh in pose R, r(R M)(x) = r(M)(R⁻¹x), without moving the mesh.</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The bandwidth is out of range.</exception>
    public static float[,,] RayCastRotated(Mesh mesh, Rotation pose, int bandwidth)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(pose);
        return RayCastRotatedCore(mesh, pose.Core, bandwidth);
    }

    private static float[,,] RayCastRotatedCore(Mesh mesh, Harmonics.Rotation pose, int bandwidth)
    {
        var options = Options(bandwidth, false, DefaultRadius);
        var flat = G.RayCast.castRotated(options, pose, G.RayCast.scene(options, mesh.Core));
        var n = 2 * bandwidth;
        var result = new float[3, n, n];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(float));
        return result;
    }

    private static G.RayCastOptions Options(int bandwidth, bool convexHull, double radius) =>
        new(bandwidth, radius, convexHull);
}
