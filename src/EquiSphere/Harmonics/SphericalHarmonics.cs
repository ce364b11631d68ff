using System.Numerics;
using Sh = EquiSphere.Harmonics.SphericalHarmonics;

namespace EquiSphere;

/// <summary>
/// Spherical harmonics with the toolkit's conventions: complex, orthonormal over the sphere, Condon–Shortley phase
/// included, Y_l^m(θ, φ) = λ_l^m(θ) e^{imφ}; coefficients are packed at index l² + l + m.
/// </summary>
public static class SphericalHarmonics
{
    /// <summary>The complex harmonic Y_l^m(θ, φ), e.g. Y_2^1 = −½ √(15/(2π)) sin θ cos θ e^{iφ}.</summary>
    /// <param name="l">Degree, l ≥ 0.</param>
    /// <param name="m">Order, |m| ≤ l.</param>
    /// <param name="theta">Colatitude in radians, [0, π].</param>
    /// <param name="phi">Azimuth in radians.</param>
    /// <exception cref="ArgumentException">When l &lt; 0, |m| &gt; l, or an angle is not finite.</exception>
    public static Complex Evaluate(int l, int m, double theta, double phi)
    {
        Validate(l, m, theta, phi);
        return Sh.complex(l, m, theta, phi);
    }

    /// <summary>
    /// The real harmonic Y_{lm}(θ, φ): √2 (−1)^m Re Y_l^m for m &gt; 0, Y_l^0 for m = 0, √2 (−1)^m Im Y_l^{|m|} for m &lt; 0.
    /// </summary>
    /// <param name="l">Degree, l ≥ 0.</param>
    /// <param name="m">Order, |m| ≤ l.</param>
    /// <param name="theta">Colatitude in radians.</param>
    /// <param name="phi">Azimuth in radians.</param>
    /// <exception cref="ArgumentException">When l &lt; 0, |m| &gt; l, or an angle is not finite.</exception>
    public static double EvaluateReal(int l, int m, double theta, double phi)
    {
        Validate(l, m, theta, phi);
        return Sh.real(l, m, theta, phi);
    }

    /// <summary>The packed coefficient index l² + l + m.</summary>
    /// <param name="l">Degree, l ≥ 0.</param>
    /// <param name="m">Order, |m| ≤ l.</param>
    /// <exception cref="ArgumentException">When l &lt; 0 or |m| &gt; l.</exception>
    public static int Index(int l, int m)
    {
        Validate(l, m, 0.0, 0.0);
        return l * l + l + m;
    }

    private static void Validate(int l, int m, double theta, double phi)
    {
        if (l < 0)
            throw new ArgumentException($"Expected a degree l >= 0, got {l}.", nameof(l));
        if (Math.Abs(m) > l)
            throw new ArgumentException($"Expected an order |m| <= l = {l}, got m = {m}.", nameof(m));
        if (!double.IsFinite(theta))
            throw new ArgumentException($"Expected a finite colatitude, got {theta}.", nameof(theta));
        if (!double.IsFinite(phi))
            throw new ArgumentException($"Expected a finite azimuth, got {phi}.", nameof(phi));
    }
}
