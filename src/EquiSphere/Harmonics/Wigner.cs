namespace EquiSphere;

/// <summary>
/// Wigner small-d functions with the convention D^l_{m'm}(α, β, γ) = e^{−im'α} d^l_{m'm}(β) e^{−imγ} and
/// d^1_{10}(β) = −sin β / √2, so that Y_l^m(R⁻¹x) = Σ_{m'} D^l_{m'm}(R) Y_l^{m'}(x).
/// </summary>
public static class Wigner
{
    /// <summary>d^l_{m'm}(β) for one degree <paramref name="l"/> ≥ 0 and orders |m'|, |m| ≤ l; β in radians; O(l) work.</summary>
    /// <exception cref="ArgumentException">l &lt; 0, an order exceeds l, or β is not finite.</exception>
    public static double SmallD(int l, int mPrime, int m, double beta) => Harmonics.Wigner.smallD(l, mPrime, m, beta);
}
