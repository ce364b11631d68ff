using System.Linq;
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

    private static double[] TrainingStep(float[] w0, bool scoped)
    {
        // A layer on a batch large enough that its activations are pooled (256 × 128 ≥ 16 384 elements).
        var x = Tensors.RandomNormal(7, 256, 512);
        var w = Tensors.FromArray(w0, 512, 128);
        w.RequiresGrad = true;
        double[] result;
        using (var scope = scoped ? Tensors.BeginStorageScope() : null)
        {
            var h = Tensors.Relu(Tensors.MatMul(x, w));
            var loss = Tensors.Sum(h * h);
            loss.Backward();
            result = Tensors.ToArray(w.Grad);
        }
        return result;
    }

    [Fact]
    public void StorageScopesAndThePoolChangeNoValue()
    {
        var w0 = Tensors.ToArray(Tensors.RandomNormal(3, 512, 128)).Select(v => (float)v).ToArray();
        var plain = TrainingStep(w0, false);
        Tensors.StoragePoolEnabled = false;
        double[] off;
        try
        {
            Assert.False(Tensors.StoragePoolEnabled);
            off = TrainingStep(w0, false);
        }
        finally
        {
            Tensors.StoragePoolEnabled = true;
        }
        var s0 = Tensors.StoragePoolStatistics();
        var unscoped = TrainingStep(w0, false);
        var s1 = Tensors.StoragePoolStatistics();
        var first = TrainingStep(w0, true);
        var s2 = Tensors.StoragePoolStatistics();
        var second = TrainingStep(w0, true);
        var s3 = Tensors.StoragePoolStatistics();
        Assert.Equal(plain, off);
        Assert.Equal(plain, unscoped);
        Assert.Equal(plain, first);
        Assert.Equal(plain, second);
        // A scoped step gives its activations back on top of the dead adjoints every step returns, and the next step
        // draws on them.
        long unscopedReturns = s1.Returned - s0.Returned, scopedReturns = s2.Returned - s1.Returned;
        Assert.True(scopedReturns > unscopedReturns, $"returned per step: unscoped {unscopedReturns}, scoped {scopedReturns}");
        Assert.True(s3.Hits > s2.Hits, $"hits {s2.Hits} -> {s3.Hits}");
        Tensors.TrimStoragePool();
        Assert.Equal(0L, Tensors.StoragePoolStatistics().RetainedBytes);
    }

    // A product of x made and dropped on another thread; a weak reference that follows its array through
    // finalization (the array lives on in the pool only if its lease handed it back).
    private static WeakReference DroppedProduct(TensorT x) =>
        System.Threading.Tasks.Task.Run(() => new WeakReference(((Storage.S32)(x * 2.0).Storage).Item, true)).Result;

    [Fact]
    public void UnreachableArraysComeBackToThePoolUnlessReclaimingIsOff()
    {
        Assert.True(Tensors.StoragePoolReclaimsUnreachable);
        var x = Tensors.FromArray(new float[5 * 16384 + 3], 5 * 16384 + 3);
        var kept = DroppedProduct(x);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.True(kept.IsAlive, "an unreachable rented array is kept by the pool");
        Assert.Same(kept.Target, ((Storage.S32)(x * 3.0).Storage).Item);
        Tensors.StoragePoolReclaimsUnreachable = false;
        try
        {
            Assert.False(Tensors.StoragePoolReclaimsUnreachable);
            var freed = DroppedProduct(x);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.False(freed.IsAlive, "with reclaiming off the collector frees it");
        }
        finally
        {
            Tensors.StoragePoolReclaimsUnreachable = true;
        }
    }
}
