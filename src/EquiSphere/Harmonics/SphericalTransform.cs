using System.Numerics;
using EquiSphere.Harmonics;

namespace EquiSphere;

/// <summary>
/// A spherical harmonic transform for one bandwidth B on the Driscoll–Healy grid: 2B × 2B samples indexed
/// [colatitude, longitude] with θ_j = π(2j+1)/(4B) and φ_k = 2πk/(2B). Coefficients f_l^m = ∫ f conj(Y_l^m) dΩ
/// for l &lt; B are packed at l² + l + m (B² values). Build once per bandwidth and reuse; instances are immutable
/// and safe to use from several threads. Laws: <c>Inverse(Forward(f)) == f</c> for band-limited f, and
/// <c>Forward(Inverse(a)) == a</c> for coefficients of real signals.
/// </summary>
public sealed class SphericalTransform
{
    private readonly ShtPlan _plan;

    /// <summary>Builds the transform (Legendre tables, FFT plans) for a bandwidth.</summary>
    /// <param name="bandwidth">B, from 1 to 2048; grids are 2B × 2B (8 × 8 for B = 4, 512 × 512 for B = 256).</param>
    /// <exception cref="ArgumentOutOfRangeException">When the bandwidth is outside [1, 2048].</exception>
    public SphericalTransform(int bandwidth)
    {
        if (bandwidth < 1 || bandwidth > 2048)
            throw new ArgumentOutOfRangeException(nameof(bandwidth), bandwidth, $"Expected a bandwidth B in [1, 2048], got {bandwidth}.");
        _plan = Sht.plan(bandwidth);
    }

    /// <summary>The bandwidth B: degrees l &lt; B.</summary>
    public int Bandwidth => _plan.Bandwidth;

    /// <summary>The side 2B of the sample grid.</summary>
    public int GridSize => 2 * _plan.Bandwidth;

    /// <summary>The number B² of coefficients.</summary>
    public int CoefficientCount => _plan.Bandwidth * _plan.Bandwidth;

    /// <summary>Bytes held by the precomputed tables of this transform.</summary>
    public long MemoryBytes => _plan.MemoryBytes;

    /// <summary>Analysis of real samples: B² coefficients packed at l² + l + m.</summary>
    /// <param name="samples">Real samples of shape [2B, 2B] (colatitude × longitude).</param>
    /// <exception cref="ArgumentNullException">When <paramref name="samples"/> is null.</exception>
    /// <exception cref="ArgumentException">When the shape is not [2B, 2B].</exception>
    public Complex[] Forward(double[,] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        CheckShape(samples.GetLength(0), samples.GetLength(1), nameof(samples));
        return Sht.forward(_plan, samples);
    }

    /// <summary>Analysis of complex samples: B² coefficients packed at l² + l + m.</summary>
    /// <param name="samples">Complex samples of shape [2B, 2B] (colatitude × longitude).</param>
    /// <exception cref="ArgumentNullException">When <paramref name="samples"/> is null.</exception>
    /// <exception cref="ArgumentException">When the shape is not [2B, 2B].</exception>
    public Complex[] Forward(Complex[,] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        CheckShape(samples.GetLength(0), samples.GetLength(1), nameof(samples));
        return Sht.forwardComplex(_plan, samples);
    }

    /// <summary>Synthesis to real samples: the real part of Σ f_l^m Y_l^m on the [2B, 2B] grid.</summary>
    /// <param name="coefficients">B² coefficients packed at l² + l + m.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="coefficients"/> is null.</exception>
    /// <exception cref="ArgumentException">When the length is not B².</exception>
    public double[,] Inverse(Complex[] coefficients)
    {
        CheckCoefficients(coefficients);
        return Sht.inverse(_plan, coefficients);
    }

    /// <summary>Synthesis to complex samples: Σ f_l^m Y_l^m on the [2B, 2B] grid.</summary>
    /// <param name="coefficients">B² coefficients packed at l² + l + m.</param>
    /// <exception cref="ArgumentNullException">When <paramref name="coefficients"/> is null.</exception>
    /// <exception cref="ArgumentException">When the length is not B².</exception>
    public Complex[,] InverseComplex(Complex[] coefficients)
    {
        CheckCoefficients(coefficients);
        return Sht.inverseComplex(_plan, coefficients);
    }

    private void CheckShape(int rows, int cols, string name)
    {
        int n = GridSize;
        if (rows != n || cols != n)
            throw new ArgumentException(
                $"Expected samples of shape [2B={n}; 2B={n}] (colatitude × longitude), got [{rows}; {cols}].", name);
    }

    private void CheckCoefficients(Complex[] coefficients)
    {
        ArgumentNullException.ThrowIfNull(coefficients);
        if (coefficients.Length != CoefficientCount)
            throw new ArgumentException(
                $"Expected B² = {CoefficientCount} coefficients packed at l² + l + m for B = {Bandwidth}, got {coefficients.Length}.",
                nameof(coefficients));
    }
}
