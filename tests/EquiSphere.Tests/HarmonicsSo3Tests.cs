using EquiSphere;
using Xunit;

namespace EquiSphere.Tests;

public class HarmonicsSo3Tests
{
    private const double Tight = 1e-12;

    private static void Close(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1.0, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    private static void CloseVectors(Vector3D e, Vector3D a, double tol, string what)
    {
        Close(e.X, a.X, tol, what + ".X");
        Close(e.Y, a.Y, tol, what + ".Y");
        Close(e.Z, a.Z, tol, what + ".Z");
    }

    [Fact]
    public void SmallD_matches_the_pinned_convention_and_its_symmetry()
    {
        foreach (var beta in new[] { 0.0, 0.4, 1.3, Math.PI / 2, 2.8 })
        {
            Close(-Math.Sin(beta) / Math.Sqrt(2.0), Wigner.SmallD(1, 1, 0, beta), Tight, "d^1_10");
            Close(Wigner.SmallD(5, 3, -2, beta) * -1.0, Wigner.SmallD(5, -2, 3, beta), Tight, "d_{m'm} = (−1)^{m'−m} d_{mm'}");
        }

        Assert.Throws<ArgumentException>(() => Wigner.SmallD(2, 3, 0, 0.1));
        Assert.Throws<ArgumentException>(() => Wigner.SmallD(-1, 0, 0, 0.1));
    }

    [Fact]
    public void Euler_quaternion_and_matrix_conversions_round_trip()
    {
        for (var seed = 0; seed < 50; seed++)
        {
            var r = Rotation.Random(seed);
            var e = r.ToEulerZyz();
            Assert.True(Rotation.FromEulerZyz(e.Alpha, e.Beta, e.Gamma).AngleTo(r) < 1e-6, "Euler round trip");
            var q = r.ToQuaternion();
            Assert.True(q.W >= 0.0);
            Assert.True(Rotation.FromQuaternion(q.W, q.X, q.Y, q.Z).AngleTo(r) < 1e-6, "quaternion round trip");
            var m = r.ToMatrix();
            Assert.Equal(3, m.GetLength(0));
            Assert.Equal(3, m.GetLength(1));
            Assert.True(Rotation.FromMatrix(m).AngleTo(r) < 1e-6, "matrix round trip");
        }
    }

    [Fact]
    public void Matrix_acts_on_column_vectors_and_Euler_angles_are_ZYZ()
    {
        var r = Rotation.FromEulerZyz(0.3, 1.1, -0.7);
        var m = r.ToMatrix();
        // The third column of Rz(α) Ry(β) Rz(γ) is (cos α sin β, sin α sin β, cos β).
        Close(Math.Cos(0.3) * Math.Sin(1.1), m[0, 2], Tight, "m[0,2]");
        Close(Math.Sin(0.3) * Math.Sin(1.1), m[1, 2], Tight, "m[1,2]");
        Close(Math.Cos(1.1), m[2, 2], Tight, "m[2,2]");
        CloseVectors(new Vector3D(m[0, 2], m[1, 2], m[2, 2]), r.Apply(0, 0, 1), Tight, "R e_z");
        var quarter = Rotation.FromEulerZyz(Math.PI / 2, 0, 0);
        CloseVectors(new Vector3D(0, 1, 0), quarter.Apply(1, 0, 0), Tight, "Rz(90°) x = y");
    }

    [Fact]
    public void Composition_applies_the_right_operand_first_and_inverse_undoes()
    {
        var a = Rotation.Random(1);
        var b = Rotation.Random(2);
        var v = b.Apply(0.2, -0.5, 0.9);
        CloseVectors(a.Apply(v.X, v.Y, v.Z), (a * b).Apply(0.2, -0.5, 0.9), Tight, "(a * b) v = a (b v)");
        Assert.True((a * a.Inverse()).AngleTo(Rotation.Identity) < 1e-6);
        CloseVectors(new Vector3D(0.2, -0.5, 0.9), Rotation.Identity.Apply(0.2, -0.5, 0.9), 0.0, "identity");
        Assert.Throws<ArgumentNullException>(() => a * null!);
    }

    [Fact]
    public void AngleTo_is_the_geodesic_angle_in_degrees()
    {
        Close(30.0, Rotation.Identity.AngleTo(Rotation.FromEulerZyz(Math.PI / 6, 0, 0)), 1e-9, "30°");
        Close(90.0, Rotation.FromEulerZyz(0, Math.PI / 2, 0).AngleTo(Rotation.Identity), 1e-9, "90°");
        Assert.Throws<ArgumentNullException>(() => Rotation.Identity.AngleTo(null!));
    }

    [Fact]
    public void Random_rotations_are_deterministic_and_compare_by_value()
    {
        var a = Rotation.Random(42);
        var b = Rotation.Random(42);
        Assert.Equal(a, b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Rotation.Random(43));
        Assert.False(a.Equals(null));
        Assert.StartsWith("Rotation", a.ToString());
    }

    [Fact]
    public void Invalid_rotations_are_rejected_with_clear_errors()
    {
        var reflection = new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, -1 } };
        Assert.Contains("det", Assert.Throws<ArgumentException>(() => Rotation.FromMatrix(reflection)).Message);
        Assert.Contains("3 × 3", Assert.Throws<ArgumentException>(() => Rotation.FromMatrix(new double[2, 3])).Message);
        Assert.Throws<ArgumentNullException>(() => Rotation.FromMatrix(null!));
        Assert.Throws<ArgumentException>(() => Rotation.FromQuaternion(0, 0, 0, 0));
        Assert.Throws<ArgumentException>(() => Rotation.FromEulerZyz(double.NaN, 0, 0));
    }

    /// <summary>A smooth function (sum of von Mises–Fisher bumps) sampled at R⁻¹x on the Driscoll–Healy grid of side n.</summary>
    private static double[,] Sample(int n, Rotation r, (double X, double Y, double Z, double W)[] bumps)
    {
        var inv = r.Inverse();
        var grid = new double[n, n];
        for (var j = 0; j < n; j++)
        {
            var theta = Math.PI * (2 * j + 1) / (2.0 * n);
            for (var k = 0; k < n; k++)
            {
                var phi = 2.0 * Math.PI * k / n;
                var p = inv.Apply(Math.Sin(theta) * Math.Cos(phi), Math.Sin(theta) * Math.Sin(phi), Math.Cos(theta));
                var s = 0.0;
                foreach (var b in bumps)
                {
                    s += b.W * Math.Exp(2.0 * (p.X * b.X + p.Y * b.Y + p.Z * b.Z - 1.0));
                }

                grid[j, k] = s;
            }
        }

        return grid;
    }

    private static (double, double, double, double)[] Bumps(Random rng) =>
        Enumerable.Range(0, 4)
            .Select(_ =>
            {
                var v = Rotation.Random(rng.Next()).Apply(0, 0, 1);
                return (v.X, v.Y, v.Z, rng.NextDouble() * 2 - 1);
            })
            .ToArray();

    [Fact]
    public void Align_recovers_a_random_rotation_of_smooth_coarse_signals()
    {
        var rng = new Random(5);
        var channels = Enumerable.Range(0, 3).Select(_ => Bumps(rng)).ToArray();
        var truth = Rotation.Random(77);
        var signal1 = channels.Select(c => Sample(16, truth, c)).ToArray();
        var signal2 = channels.Select(c => Sample(16, Rotation.Identity, c)).ToArray();
        var result = SphericalCorrelation.Align(signal1, signal2, 16);
        // Broad bumps are nearly band-limited at b = 8, so the recovery is close but not exact.
        Assert.True(result.Rotation.AngleTo(truth) < 2.0, $"error {result.Rotation.AngleTo(truth)}°");
        Assert.InRange(result.Score, 0.9, 1.0 + 1e-9);
        Assert.InRange(result.TopPeaks.Count, 1, 4);
        Assert.Equal(result.Rotation, result.TopPeaks[0].Rotation);
        Assert.Equal(result.Score, result.TopPeaks[0].Score);

        var two = SphericalCorrelation.Align(signal1, signal2, 16, 2, 30.0);
        Assert.InRange(two.TopPeaks.Count, 1, 2);
        if (two.TopPeaks.Count == 2)
        {
            Assert.True(two.TopPeaks[0].Rotation.AngleTo(two.TopPeaks[1].Rotation) >= 30.0 - 1e-6);
        }
    }

    [Fact]
    public void Align_accepts_the_documented_grid_range_and_default_separation()
    {
        var rng = new Random(9);
        var channels = Enumerable.Range(0, 2).Select(_ => Bumps(rng)).ToArray();
        var truth = Rotation.Random(3);
        var n = SphericalCorrelation.MinGridSize;
        var s1 = channels.Select(c => Sample(n, truth, c)).ToArray();
        var s2 = channels.Select(c => Sample(n, Rotation.Identity, c)).ToArray();
        var byDefault = SphericalCorrelation.Align(s1, s2, 8);
        var explicitly = SphericalCorrelation.Align(s1, s2, 8, 4, SphericalCorrelation.DefaultMinSeparationDegrees);
        Assert.Equal(byDefault.Rotation, explicitly.Rotation);
        Assert.Equal(byDefault.TopPeaks.Count, explicitly.TopPeaks.Count);
        var tooLarge = new[] { new double[SphericalCorrelation.MaxGridSize + 2, SphericalCorrelation.MaxGridSize + 2] };
        Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(tooLarge, tooLarge, 8));
    }

    [Fact]
    public void Align_rejects_wrong_shapes_with_clear_errors()
    {
        var ok = new[] { new double[16, 16] };
        Assert.Throws<ArgumentNullException>(() => SphericalCorrelation.Align(null!, ok, 8));
        Assert.Throws<ArgumentNullException>(() => SphericalCorrelation.Align(new double[][,] { null! }, ok, 8));
        Assert.Contains("[16; 15]", Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(new[] { new double[16, 15] }, ok, 8)).Message);
        Assert.Contains("[6; 6]", Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(new[] { new double[6, 6] }, ok, 8)).Message);
        Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(ok, new[] { new double[16, 16], new double[16, 16] }, 8));
        Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(Array.Empty<double[,]>(), ok, 8));
        Assert.Contains("bandwidth", Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(ok, ok, 0)).Message);
        Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(ok, ok, 8, 0, 10.0));
        Assert.Throws<ArgumentException>(() => SphericalCorrelation.Align(ok, ok, 8, 1, double.NaN));
    }
}
