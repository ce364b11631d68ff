using System.Numerics;
using Xunit;

namespace EquiSphere.Tests;

public class HarmonicsShtTests
{
    private static Complex[] RealSignalCoefficients(Random rng, int b)
    {
        var a = new Complex[b * b];
        for (int l = 0; l < b; l++)
        {
            a[l * l + l] = new Complex(rng.NextDouble() - 0.5, 0.0);
            for (int m = 1; m <= l; m++)
            {
                var c = new Complex(rng.NextDouble() - 0.5, rng.NextDouble() - 0.5);
                a[l * l + l + m] = c;
                a[l * l + l - m] = (m % 2 == 0 ? 1.0 : -1.0) * Complex.Conjugate(c);
            }
        }
        return a;
    }

    private static double MaxError(Complex[] x, Complex[] y) => x.Zip(y, (p, q) => (p - q).Magnitude).Max();

    [Fact]
    public void EvaluateMatchesThePinnedY21()
    {
        double theta = 0.7, phi = 1.9;
        var expected = Complex.FromPolarCoordinates(1.0, phi) * (-0.5 * Math.Sqrt(15.0 / (2.0 * Math.PI)) * Math.Sin(theta) * Math.Cos(theta));
        var actual = SphericalHarmonics.Evaluate(2, 1, theta, phi);
        Assert.True((expected - actual).Magnitude < 1e-14, $"expected {expected}, got {actual}");
    }

    [Fact]
    public void EvaluateRealIsTheStandardCombination()
    {
        double theta = 1.2, phi = 0.4;
        var y = SphericalHarmonics.Evaluate(3, 2, theta, phi);
        Assert.Equal(Math.Sqrt(2.0) * y.Real, SphericalHarmonics.EvaluateReal(3, 2, theta, phi), 14);
        Assert.Equal(Math.Sqrt(2.0) * y.Imaginary, SphericalHarmonics.EvaluateReal(3, -2, theta, phi), 14);
    }

    [Fact]
    public void IndexPacksDegreeAndOrder()
    {
        Assert.Equal(0, SphericalHarmonics.Index(0, 0));
        Assert.Equal(5, SphericalHarmonics.Index(2, -1));
        Assert.Equal(8, SphericalHarmonics.Index(2, 2));
    }

    [Fact]
    public void EvaluateRejectsInvalidArguments()
    {
        Assert.Equal("m", Assert.Throws<ArgumentException>(() => SphericalHarmonics.Evaluate(1, 2, 0.1, 0.2)).ParamName);
        Assert.Equal("l", Assert.Throws<ArgumentException>(() => SphericalHarmonics.EvaluateReal(-1, 0, 0.1, 0.2)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentException>(() => SphericalHarmonics.Evaluate(1, 0, double.NaN, 0.2)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentException>(() => SphericalHarmonics.Index(1, -2)).ParamName);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(256)]
    public void InverseAfterForwardIsIdentityFromGrid8To512(int bandwidth)
    {
        var transform = new SphericalTransform(bandwidth);
        Assert.Equal(bandwidth, transform.Bandwidth);
        Assert.Equal(2 * bandwidth, transform.GridSize);
        Assert.Equal(bandwidth * bandwidth, transform.CoefficientCount);
        Assert.True(transform.MemoryBytes > 0);
        var a = RealSignalCoefficients(new Random(bandwidth), bandwidth);
        double[,] f = transform.Inverse(a);
        Assert.Equal(2 * bandwidth, f.GetLength(0));
        Assert.Equal(2 * bandwidth, f.GetLength(1));
        Assert.True(MaxError(a, transform.Forward(f)) < 1e-12);
    }

    [Fact]
    public void ComplexForwardInvertsInverseComplex()
    {
        var transform = new SphericalTransform(8);
        var rng = new Random(3);
        var a = Enumerable.Range(0, 64).Select(_ => new Complex(rng.NextDouble(), rng.NextDouble())).ToArray();
        Complex[,] f = transform.InverseComplex(a);
        Assert.True(MaxError(a, transform.Forward(f)) < 1e-13);
    }

    [Fact]
    public void CosThetaHasOnlyTheDegreeOneZonalCoefficient()
    {
        var transform = new SphericalTransform(4);
        var f = new double[8, 8];
        for (int j = 0; j < 8; j++)
            for (int k = 0; k < 8; k++)
                f[j, k] = Math.Cos(Math.PI * (2 * j + 1) / 16.0);
        var a = transform.Forward(f);
        for (int i = 0; i < a.Length; i++)
        {
            double expected = i == SphericalHarmonics.Index(1, 0) ? Math.Sqrt(4.0 * Math.PI / 3.0) : 0.0;
            Assert.True((a[i] - expected).Magnitude < 1e-14, $"coefficient {i}: {a[i]}");
        }
    }

    [Fact]
    public void TransformRejectsWrongShapesAndBandwidths()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SphericalTransform(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SphericalTransform(4096));
        var transform = new SphericalTransform(4);
        var e = Assert.Throws<ArgumentException>(() => transform.Forward(new double[8, 7]));
        Assert.Equal("samples", e.ParamName);
        Assert.Contains("[2B=8; 2B=8]", e.Message);
        Assert.Contains("[8; 7]", e.Message);
        Assert.Throws<ArgumentException>(() => transform.Forward(new Complex[7, 8]));
        Assert.Equal("coefficients", Assert.Throws<ArgumentException>(() => transform.Inverse(new Complex[15])).ParamName);
        Assert.Throws<ArgumentException>(() => transform.InverseComplex(new Complex[17]));
        Assert.Throws<ArgumentNullException>(() => transform.Forward((double[,])null!));
        Assert.Throws<ArgumentNullException>(() => transform.Forward((Complex[,])null!));
        Assert.Throws<ArgumentNullException>(() => transform.Inverse(null!));
        Assert.Throws<ArgumentNullException>(() => transform.InverseComplex(null!));
    }
}
