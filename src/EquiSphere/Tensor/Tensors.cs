using EquiSphere.Tensor;
using Microsoft.FSharp.Core;
using TensorT = EquiSphere.Tensor.Tensor;
using TensorModule = EquiSphere.Tensor.TensorModule;

namespace EquiSphere;

/// <summary>A function value and its gradient with respect to the input (same shape as the input).</summary>
/// <param name="Value">f(x), a one-element function value.</param>
/// <param name="Gradient">∂f/∂x, shaped like x.</param>
public sealed record ValueAndGradient(double Value, TensorT Gradient);

/// <summary>
/// C# entry points to the tensor engine: creating dense row-major tensors, reading them back, reverse-mode
/// gradients, and defining new differentiable ops from a forward function and a reverse rule. Tensors support
/// <c>+ - * /</c> with NumPy broadcasting and <c>Backward()</c> directly.
/// </summary>
public static class Tensors
{
    private static void CheckShape(int[] shape, int count, string name)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Expected non-negative dimensions, got [{string.Join("; ", shape)}].", nameof(shape));
            n *= d;
        }
        if (n != count)
            throw new ArgumentException($"Expected {n} values for shape [{string.Join("; ", shape)}], got {count}.", name);
    }

    /// <summary>A float32 tensor over a copy of row-major values.</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions; their product must equal the number of values.</param>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentException">When the shape does not match the number of values.</exception>
    public static TensorT FromArray(float[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckShape(shape, values.Length, nameof(values));
        return TensorModule.ofFloat32(shape, values);
    }

    /// <summary>A float64 tensor over a copy of row-major values (the reference precision for checks).</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions; their product must equal the number of values.</param>
    /// <exception cref="ArgumentNullException">When an argument is null.</exception>
    /// <exception cref="ArgumentException">When the shape does not match the number of values.</exception>
    public static TensorT FromArray(double[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckShape(shape, values.Length, nameof(values));
        return TensorModule.ofFloat64(shape, values);
    }

    /// <summary>Standard normal float32 samples drawn from a seeded generator (the same seed gives the same tensor).</summary>
    /// <param name="seed">Seed of <see cref="Random"/>.</param>
    /// <param name="shape">The dimensions.</param>
    public static TensorT RandomNormal(int seed, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return TensorModule.randn(Dtype.Float32, shape, new Random(seed));
    }

    /// <summary>The elements as float64 in row-major order (a copy).</summary>
    /// <param name="tensor">The tensor to read.</param>
    public static double[] ToArray(TensorT tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.ToArray();
    }

    /// <summary>The value f(x) and the gradient ∂f/∂x of a function returning a one-element tensor.</summary>
    /// <param name="f">The function, built from tensor operations.</param>
    /// <param name="x">The point; it is not modified.</param>
    /// <exception cref="ArgumentException">When f does not return a one-element tensor.</exception>
    public static ValueAndGradient Gradient(Func<TensorT, TensorT> f, TensorT x)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var result = TensorModule.valueAndGrad(FuncConvert.FromFunc(f), x);
        return new ValueAndGradient(result.Item1.ToScalar(), result.Item2);
    }

    /// <summary>
    /// Defines a differentiable one-input op from a forward function and a reverse rule
    /// <c>reverse(x, y, adjoint)</c> that returns the input adjoint ⟨adjoint, ∂y/∂x⟩, shaped like x. Both run with
    /// gradients off and may use any tensor operations; the returned function records the op for reverse mode.
    /// </summary>
    /// <param name="name">Names the op in error messages.</param>
    /// <param name="forward">y = forward(x).</param>
    /// <param name="reverse">The reverse rule (input, output, output adjoint) → input adjoint.</param>
    public static Func<TensorT, TensorT> DefineOp(string name, Func<TensorT, TensorT> forward, Func<TensorT, TensorT, TensorT, TensorT> reverse)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(reverse);
        var op = Op.defineUnary(name, FuncConvert.FromFunc(forward), FuncConvert.FromFunc(reverse));
        return x => op.Invoke(x);
    }

    /// <summary>Matrix product [.., m, k] × [.., k, n] → [.., m, n] with broadcast batch axes.</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    public static TensorT MatMul(TensorT a, TensorT b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return TensorModule.matmul(a, b);
    }

    /// <summary>The sum of all elements (a rank-0 tensor).</summary>
    /// <param name="tensor">The tensor to sum.</param>
    public static TensorT Sum(TensorT tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return TensorModule.sum(tensor);
    }

    /// <summary>max(x, 0) elementwise.</summary>
    /// <param name="tensor">The input.</param>
    public static TensorT Relu(TensorT tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return Activation.relu(tensor);
    }

    /// <summary>
    /// Opens a storage scope on this thread (dispose it with <c>using</c>): every large element array an op allocates
    /// while it is open goes back to the engine's storage pool when it is disposed, so the next training step reuses
    /// it. Leaf gradients and gradient results escape automatically; <see cref="StorageScope.Keep"/> exempts a tensor.
    /// After disposal no other tensor made inside the scope may be read. Scopes nest and close innermost first.
    /// </summary>
    public static StorageScope BeginStorageScope() => new StorageScope();

    /// <summary>
    /// Whether the engine recycles dead element arrays (on by default). Results are bit-identical either way; off
    /// allocates every array fresh.
    /// </summary>
    public static bool StoragePoolEnabled
    {
        get => StoragePool.enabled();
        set => StoragePool.setEnabled(value);
    }

    /// <summary>
    /// Whether arrays the engine rented and that become unreachable (a step's activations outside a storage scope)
    /// come back to the storage pool once the garbage collector finds them, instead of being freed (on by default).
    /// When on, the pool may start a full collection itself after many dead arrays were rented. Results are
    /// bit-identical either way.
    /// </summary>
    public static bool StoragePoolReclaimsUnreachable
    {
        get => StoragePool.reclaimsUnreachable();
        set => StoragePool.setReclaimsUnreachable(value);
    }

    /// <summary>
    /// The storage pool's counters: hits, misses, arrays returned, reclaimed from the garbage collector and dropped,
    /// collections the pool started, bytes held now.
    /// </summary>
    public static StoragePoolStatistics StoragePoolStatistics() => StoragePool.statistics();

    /// <summary>Empties the storage pool, giving its memory back to the garbage collector (e.g. after training).</summary>
    public static void TrimStoragePool() => StoragePool.trim();
}
