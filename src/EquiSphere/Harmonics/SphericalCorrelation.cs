using Core = EquiSphere.Harmonics;

namespace EquiSphere;

/// <summary>A peak of an SO(3) correlation: a rotation and its normalized score.</summary>
/// <param name="Rotation">The rotation R of the peak (signal1 ≈ signal2 rotated by R there).</param>
/// <param name="Score">G(R) / (‖signal1‖ ‖signal2‖), in [−1, 1]; 1 for an exact match up to rotation.</param>
public sealed record Peak(Rotation Rotation, double Score);

/// <summary>The result of aligning two spherical signals by SO(3) correlation.</summary>
/// <param name="Rotation">The best rotation R*, refined below the grid cell: signal1 ≈ signal2 rotated by R*.</param>
/// <param name="Score">The normalized correlation at R*, in [−1, 1].</param>
/// <param name="TopPeaks">The best distinct peaks, best first (the first is Rotation/Score).</param>
public sealed record AlignmentResult(Rotation Rotation, double Score, IReadOnlyList<Peak> TopPeaks);

/// <summary>
/// Relative rotation of multi-channel spherical signals by SO(3) cross-correlation
/// G(R) = Σ_k ∫ f1_k(x) f2_k(R⁻¹x) dx, computed spectrally on the SOFT grid of the given bandwidth B, then refined
/// below the grid cell. Signals are Driscoll–Healy grids [2b, 2b] (colatitude × longitude), channels the outer array;
/// grids coarser than B are upsampled (spectral zero-padding: band-limited interpolation).
/// </summary>
public static class SphericalCorrelation
{
    /// <summary>The smallest grid side accepted (8 × 8).</summary>
    public const int MinGridSize = 8;

    /// <summary>The largest grid side accepted (512 × 512).</summary>
    public const int MaxGridSize = 512;

    /// <summary>The default minimum angle between distinct peaks, in degrees.</summary>
    public const double DefaultMinSeparationDegrees = 10.0;

    /// <summary>Finds the rotation R* with signal1 ≈ signal2 rotated by R*, with the best 4 distinct peaks.</summary>
    /// <param name="signal1">Channels of [2b, 2b] grids (colatitude × longitude), 8 ≤ 2b ≤ 512.</param>
    /// <param name="signal2">As many channels of grids of one size (may differ from signal1's).</param>
    /// <param name="bandwidth">The correlation bandwidth B (SO(3) grid of (2B)³ rotations), 1 ≤ B ≤ 256.</param>
    /// <exception cref="ArgumentNullException">A signal or channel is null.</exception>
    /// <exception cref="ArgumentException">Shapes are wrong, channel counts differ, or the bandwidth is out of range.</exception>
    public static AlignmentResult Align(double[][,] signal1, double[][,] signal2, int bandwidth) =>
        Align(signal1, signal2, bandwidth, 4, DefaultMinSeparationDegrees);

    /// <summary>Finds R* and the best <paramref name="topK"/> peaks at least <paramref name="minSeparationDegrees"/> apart.</summary>
    /// <param name="signal1">Channels of [2b, 2b] grids (colatitude × longitude), 8 ≤ 2b ≤ 512.</param>
    /// <param name="signal2">As many channels of grids of one size (may differ from signal1's).</param>
    /// <param name="bandwidth">The correlation bandwidth B (SO(3) grid of (2B)³ rotations), 1 ≤ B ≤ 256.</param>
    /// <param name="topK">How many distinct peaks to report (≥ 1).</param>
    /// <param name="minSeparationDegrees">The minimum geodesic angle between reported peaks, in degrees (≥ 0).</param>
    /// <exception cref="ArgumentNullException">A signal or channel is null.</exception>
    /// <exception cref="ArgumentException">Shapes are wrong, channel counts differ, or a number is out of range.</exception>
    public static AlignmentResult Align(double[][,] signal1, double[][,] signal2, int bandwidth, int topK, double minSeparationDegrees)
    {
        CheckSignal(signal1, nameof(signal1));
        CheckSignal(signal2, nameof(signal2));
        if (bandwidth < 1 || bandwidth > MaxGridSize / 2)
        {
            throw new ArgumentException($"Expected a bandwidth B in [1, {MaxGridSize / 2}], got {bandwidth}", nameof(bandwidth));
        }

        if (topK < 1)
        {
            throw new ArgumentException($"Expected at least one peak, got {topK}", nameof(topK));
        }

        if (!(minSeparationDegrees >= 0.0 && double.IsFinite(minSeparationDegrees)))
        {
            throw new ArgumentException($"Expected a finite minimum separation >= 0 degrees, got {minSeparationDegrees}", nameof(minSeparationDegrees));
        }

        var plan = Core.Correlation.planFor(bandwidth);
        var a = Core.Correlation.align(plan, Core.Upsampling.Spectral, topK, minSeparationDegrees * Math.PI / 180.0, signal1, signal2);
        var peaks = a.Peaks.Select(p => new Peak(new Rotation(p.Rotation), p.Score)).ToArray();
        return new AlignmentResult(new Rotation(a.Rotation), a.Score, peaks);
    }

    private static void CheckSignal(double[][,] signal, string name)
    {
        ArgumentNullException.ThrowIfNull(signal, name);
        if (signal.Length == 0)
        {
            throw new ArgumentException("Expected at least one channel, got 0", name);
        }

        for (var i = 0; i < signal.Length; i++)
        {
            var c = signal[i] ?? throw new ArgumentNullException($"{name}[{i}]");
            var rows = c.GetLength(0);
            var cols = c.GetLength(1);
            if (rows != cols || rows % 2 != 0 || rows < MinGridSize || rows > MaxGridSize)
            {
                throw new ArgumentException(
                    $"Expected {name}[{i}] to be a square grid [2b; 2b] (colatitude × longitude) with {MinGridSize} <= 2b <= {MaxGridSize}, got [{rows}; {cols}]",
                    name);
            }
        }
    }
}
