using Core = EquiSphere.Harmonics;

namespace EquiSphere;

/// <summary>A unit quaternion w + x i + y j + z k with w ≥ 0; q and −q are the same rotation.</summary>
/// <param name="W">The scalar part.</param>
/// <param name="X">The i component.</param>
/// <param name="Y">The j component.</param>
/// <param name="Z">The k component.</param>
public readonly record struct Quaternion(double W, double X, double Y, double Z);

/// <summary>ZYZ Euler angles in radians: R(α, β, γ) = Rz(α) Ry(β) Rz(γ).</summary>
/// <param name="Alpha">The first angle α about z, in [0, 2π).</param>
/// <param name="Beta">The angle β about y, in [0, π].</param>
/// <param name="Gamma">The last angle γ about z, in [0, 2π).</param>
public readonly record struct EulerZyz(double Alpha, double Beta, double Gamma);

/// <summary>A vector of R³.</summary>
/// <param name="X">The x coordinate.</param>
/// <param name="Y">The y coordinate.</param>
/// <param name="Z">The z coordinate.</param>
public readonly record struct Vector3D(double X, double Y, double Z);

/// <summary>
/// An immutable proper rotation of R³ (an element of SO(3)). Rotations act actively on vectors and on functions,
/// (Λ_R f)(x) = f(R⁻¹x); <c>a * b</c> applies <c>b</c> first. ZYZ Euler angles follow R(α, β, γ) = Rz(α) Ry(β) Rz(γ).
/// </summary>
public sealed class Rotation : IEquatable<Rotation>
{
    internal Rotation(Core.Rotation core) => Core = core;

    internal Core.Rotation Core { get; }

    /// <summary>The identity rotation.</summary>
    public static Rotation Identity { get; } = new(Harmonics.RotationModule.identity);

    /// <summary>The rotation R(α, β, γ) = Rz(α) Ry(β) Rz(γ) (radians).</summary>
    /// <exception cref="ArgumentException">An angle is not finite.</exception>
    public static Rotation FromEulerZyz(double alpha, double beta, double gamma)
    {
        Finite(alpha, nameof(alpha));
        Finite(beta, nameof(beta));
        Finite(gamma, nameof(gamma));
        return new Rotation(Harmonics.RotationModule.ofEulerZyz(alpha, beta, gamma));
    }

    /// <summary>The rotation of the quaternion w + x i + y j + z k, normalized first.</summary>
    /// <exception cref="ArgumentException">The quaternion is zero or not finite.</exception>
    public static Rotation FromQuaternion(double w, double x, double y, double z) =>
        new(Harmonics.RotationModule.ofQuaternion(new Core.Quaternion(w, x, y, z)));

    /// <summary>The rotation of a 3 × 3 matrix [row, column] acting on column vectors; projected to the nearest exact rotation.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="matrix"/> is null.</exception>
    /// <exception cref="ArgumentException">The matrix is not 3 × 3, or not orthonormal with determinant +1 within 1e-6.</exception>
    public static Rotation FromMatrix(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        return new Rotation(Harmonics.RotationModule.ofMatrix(matrix));
    }

    /// <summary>A rotation drawn uniformly (Haar measure) on SO(3); the same seed gives the same rotation.</summary>
    public static Rotation Random(int seed) => new(Harmonics.RotationModule.random(seed));

    /// <summary>The rotation matrix as a new 3 × 3 array [row, column], acting on column vectors.</summary>
    public double[,] ToMatrix() => Harmonics.RotationModule.toMatrix(Core);

    /// <summary>The unit quaternion of this rotation, with W ≥ 0.</summary>
    public Quaternion ToQuaternion()
    {
        var q = Harmonics.RotationModule.toQuaternion(Core);
        return new Quaternion(q.W, q.X, q.Y, q.Z);
    }

    /// <summary>ZYZ Euler angles with α, γ in [0, 2π) and β in [0, π]; <c>FromEulerZyz</c> of them gives this rotation back.</summary>
    public EulerZyz ToEulerZyz()
    {
        var (a, b, g) = Harmonics.RotationModule.toEulerZyz(Core);
        return new EulerZyz(a, b, g);
    }

    /// <summary>The inverse rotation Rᵀ.</summary>
    public Rotation Inverse() => new(Harmonics.RotationModule.inverse(Core));

    /// <summary>The composition a * b (matrix product): applies <paramref name="b"/> first, then <paramref name="a"/>.</summary>
    /// <exception cref="ArgumentNullException">An operand is null.</exception>
    public static Rotation operator *(Rotation a, Rotation b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new Rotation(Harmonics.RotationModule.compose(a.Core, b.Core));
    }

    /// <summary>R v for the vector v = (x, y, z).</summary>
    public Vector3D Apply(double x, double y, double z)
    {
        var (rx, ry, rz) = Harmonics.RotationModule.apply(Core, x, y, z);
        return new Vector3D(rx, ry, rz);
    }

    /// <summary>The geodesic angle between this rotation and <paramref name="other"/>, in degrees (0 to 180).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    public double AngleTo(Rotation other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Harmonics.RotationModule.angleBetweenDegrees(Core, other.Core);
    }

    /// <summary>Exact element-by-element equality of the matrices.</summary>
    public bool Equals(Rotation? other) => other is not null && Core.Equals(other.Core);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Rotation);

    /// <inheritdoc/>
    public override int GetHashCode() => Core.GetHashCode();

    /// <summary>The matrix, row by row.</summary>
    public override string ToString() => Core.ToString();

    private static void Finite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"Expected a finite angle in radians, got {value}", name);
        }
    }
}
