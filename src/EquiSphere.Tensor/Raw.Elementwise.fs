namespace EquiSphere.Tensor

open System
open System.Numerics.Tensors

/// Elementwise kernels on storages through `TensorPrimitives` (SIMD): binary ops broadcast by expanding the
/// operands to the output shape first; unary ops map one storage to a new one of the same dtype.
[<RequireQualifiedAccess>]
module RawElementwise =

    let private expandTo (shape: int[]) (target: int[]) (s: Storage) =
        if shape = target then
            s
        else
            match s with
            | F32 a -> F32(RawLayout.expand shape target a)
            | F64 a -> F64(RawLayout.expand shape target a)

    /// The binary op `f32`/`f64` (each filling its destination span from two equal-length sources) on `a` and
    /// `b` broadcast to `outShape`.
    let binary
        (op: string)
        (f32: float32[] -> float32[] -> float32[] -> unit)
        (f64: float[] -> float[] -> float[] -> unit)
        (aShape: int[])
        (a: Storage)
        (bShape: int[])
        (b: Storage)
        (outShape: int[])
        =
        Storage.sameDtype op a b

        match expandTo aShape outShape a, expandTo bShape outShape b with
        | F32 x, F32 y ->
            let o = Array.zeroCreate x.Length
            f32 x y o
            F32 o
        | F64 x, F64 y ->
            let o = Array.zeroCreate x.Length
            f64 x y o
            F64 o
        | _ -> invalidOp "unreachable: dtypes were checked"

    /// a + b with broadcasting.
    let add = binary "add" (fun x y o -> TensorPrimitives.Add(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o -> TensorPrimitives.Add(ReadOnlySpan x, ReadOnlySpan y, Span o))
    /// a − b with broadcasting.
    let sub = binary "sub" (fun x y o -> TensorPrimitives.Subtract(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o -> TensorPrimitives.Subtract(ReadOnlySpan x, ReadOnlySpan y, Span o))
    /// a · b with broadcasting.
    let mul = binary "mul" (fun x y o -> TensorPrimitives.Multiply(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o -> TensorPrimitives.Multiply(ReadOnlySpan x, ReadOnlySpan y, Span o))
    /// a / b with broadcasting.
    let div = binary "div" (fun x y o -> TensorPrimitives.Divide(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o -> TensorPrimitives.Divide(ReadOnlySpan x, ReadOnlySpan y, Span o))
    /// a^b with broadcasting.
    let pow = binary "pow" (fun x y o -> TensorPrimitives.Pow(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o -> TensorPrimitives.Pow(ReadOnlySpan x, ReadOnlySpan y, Span o))
    /// max(a, b) with broadcasting.
    let maximum = binary "maximum" (fun x y o -> TensorPrimitives.Max(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o -> TensorPrimitives.Max(ReadOnlySpan x, ReadOnlySpan y, Span o))

    /// The unary op on a new storage of the same dtype.
    let unary (f32: float32[] -> float32[] -> unit) (f64: float[] -> float[] -> unit) (s: Storage) =
        match s with
        | F32 x ->
            let o = Array.zeroCreate x.Length
            f32 x o
            F32 o
        | F64 x ->
            let o = Array.zeroCreate x.Length
            f64 x o
            F64 o

    /// A scalar function applied elementwise (float64 arithmetic for Float64, float32 for Float32).
    let map (f32: float32 -> float32) (f64: float -> float) (s: Storage) =
        match s with
        | F32 x -> F32(Array.map f32 x)
        | F64 x -> F64(Array.map f64 x)

    /// A scalar function of two equal-length storages.
    let map2 (f32: float32 -> float32 -> float32) (f64: float -> float -> float) (a: Storage) (b: Storage) =
        match a, b with
        | F32 x, F32 y -> F32(Array.map2 f32 x y)
        | F64 x, F64 y -> F64(Array.map2 f64 x y)
        | _ -> invalidArg "b" (sprintf "Expected operands of the same dtype, got %A and %A" a.Dtype b.Dtype)

    /// A scalar function of three equal-length storages.
    let map3 (f32: float32 -> float32 -> float32 -> float32) (f64: float -> float -> float -> float) (a: Storage) (b: Storage) (c: Storage) =
        match a, b, c with
        | F32 x, F32 y, F32 z -> F32(Array.init x.Length (fun i -> f32 x[i] y[i] z[i]))
        | F64 x, F64 y, F64 z -> F64(Array.init x.Length (fun i -> f64 x[i] y[i] z[i]))
        | _ -> invalidArg "c" (sprintf "Expected operands of the same dtype, got %A, %A and %A" a.Dtype b.Dtype c.Dtype)

    /// a · s for a scalar s.
    let scale (s: float) (a: Storage) =
        unary (fun x o -> TensorPrimitives.Multiply(ReadOnlySpan x, float32 s, Span o)) (fun x o -> TensorPrimitives.Multiply(ReadOnlySpan x, s, Span o)) a

    /// a + s for a scalar s.
    let shift (s: float) (a: Storage) =
        unary (fun x o -> TensorPrimitives.Add(ReadOnlySpan x, float32 s, Span o)) (fun x o -> TensorPrimitives.Add(ReadOnlySpan x, s, Span o)) a

    /// The sum of all elements, accumulated in float64.
    let sumAll (s: Storage) =
        match s with
        | F32 x ->
            let mutable acc = 0.0

            for v in x do
                acc <- acc + float v

            acc
        | F64 x -> TensorPrimitives.Sum(ReadOnlySpan x)
