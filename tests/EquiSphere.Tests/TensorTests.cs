using EquiSphere.Tensor;
using Xunit;
using TensorT = EquiSphere.Tensor.Tensor;

namespace EquiSphere.Tests;

public class TensorTests
{
    [Fact]
    public void FromArrayAndToArrayRoundTrip()
    {
        var t = Tensors.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);
        Assert.Equal(new[] { 2, 3 }, t.Shape);
        Assert.Equal(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, Tensors.ToArray(t));
        var d = Tensors.FromArray(new[] { 0.5, -1.5 }, 2);
        Assert.Equal(Dtype.Float64, d.Dtype);
        Assert.Equal(new[] { 0.5, -1.5 }, Tensors.ToArray(d));
    }

    [Fact]
    public void FromArrayRejectsAMismatchedShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensors.FromArray(new[] { 1f, 2f, 3f }, 2, 2));
        Assert.Contains("Expected 4 values", e.Message);
        Assert.Throws<ArgumentNullException>(() => Tensors.FromArray((float[])null!, 1));
    }

    [Fact]
    public void RandomNormalIsSeeded()
    {
        Assert.Equal(Tensors.ToArray(Tensors.RandomNormal(3, 4, 5)), Tensors.ToArray(Tensors.RandomNormal(3, 4, 5)));
        Assert.NotEqual(Tensors.ToArray(Tensors.RandomNormal(3, 4, 5)), Tensors.ToArray(Tensors.RandomNormal(4, 4, 5)));
    }

    [Fact]
    public void GradientOfSumOfSquaresIsTwiceTheInput()
    {
        var x = Tensors.FromArray(new[] { 1.0, -2.0, 3.0 }, 3);
        var r = Tensors.Gradient(t => Tensors.Sum(t * t), x);
        Assert.Equal(14.0, r.Value, 12);
        Assert.Equal(new[] { 2.0, -4.0, 6.0 }, Tensors.ToArray(r.Gradient));
    }

    [Fact]
    public void AnOpDefinedInCSharpHasTheGradientOfItsReverseRule()
    {
        // y = x³ with reverse rule 3x²·adjoint, checked against a central difference
        var cube = Tensors.DefineOp("cube", x => x * x * x, (x, y, g) => g * x * x * 3.0);
        var x0 = Tensors.FromArray(new[] { 0.3, -1.2 }, 2);
        var analytic = Tensors.ToArray(Tensors.Gradient(t => Tensors.Sum(cube(t)), x0).Gradient);
        for (int i = 0; i < 2; i++)
        {
            double h = 1e-6;
            var plus = Tensors.ToArray(x0);
            var minus = Tensors.ToArray(x0);
            plus[i] += h;
            minus[i] -= h;
            double f(double[] v) => Tensors.ToArray(Tensors.Sum(cube(Tensors.FromArray(v, 2))))[0];
            Assert.Equal((f(plus) - f(minus)) / (2 * h), analytic[i], 6);
        }
    }

    [Fact]
    public void MatMulMatchesTheTripleLoop()
    {
        var a = Tensors.FromArray(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, 2, 3);
        var b = Tensors.FromArray(new[] { 7.0, 8.0, 9.0, 10.0, 11.0, 12.0 }, 3, 2);
        Assert.Equal(new[] { 58.0, 64.0, 139.0, 154.0 }, Tensors.ToArray(Tensors.MatMul(a, b)));
    }

    [Fact]
    public void ReluZeroesNegativesAndBackwardFillsGradients()
    {
        var x = Tensors.FromArray(new[] { -1.0, 2.0 }, 2);
        x.RequiresGrad = true;
        TensorT y = Tensors.Sum(Tensors.Relu(x));
        Assert.Equal(2.0, Tensors.ToArray(y)[0]);
        y.Backward();
        Assert.Equal(new[] { 0.0, 1.0 }, Tensors.ToArray(x.Grad));
    }
}
