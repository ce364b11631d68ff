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
            | S32 a -> S32(RawLayout.expand shape target a)
            | S64 a -> S64(RawLayout.expand shape target a)

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
        | S32 x, S32 y ->
            let o = Array.zeroCreate x.Length
            f32 x y o
            S32 o
        | S64 x, S64 y ->
            let o = Array.zeroCreate x.Length
            f64 x y o
            S64 o
        | _ -> invalidOp "unreachable: dtypes were checked"

    /// a + b with broadcasting.
    let add =
        binary "add" (fun x y o -> TensorPrimitives.Add(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o ->
            TensorPrimitives.Add(ReadOnlySpan x, ReadOnlySpan y, Span o))

    /// a − b with broadcasting.
    let sub =
        binary "sub" (fun x y o -> TensorPrimitives.Subtract(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o ->
            TensorPrimitives.Subtract(ReadOnlySpan x, ReadOnlySpan y, Span o))

    /// a · b with broadcasting.
    let mul =
        binary "mul" (fun x y o -> TensorPrimitives.Multiply(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o ->
            TensorPrimitives.Multiply(ReadOnlySpan x, ReadOnlySpan y, Span o))

    /// a / b with broadcasting.
    let div =
        binary "div" (fun x y o -> TensorPrimitives.Divide(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o ->
            TensorPrimitives.Divide(ReadOnlySpan x, ReadOnlySpan y, Span o))

    /// a^b with broadcasting.
    let pow =
        binary "pow" (fun x y o -> TensorPrimitives.Pow(ReadOnlySpan x, ReadOnlySpan y, Span o)) (fun x y o ->
            TensorPrimitives.Pow(ReadOnlySpan x, ReadOnlySpan y, Span o))

    /// The unary op on a new storage of the same dtype.
    let unary (f32: float32[] -> float32[] -> unit) (f64: float[] -> float[] -> unit) (s: Storage) =
        match s with
        | S32 x ->
            let o = Array.zeroCreate x.Length
            f32 x o
            S32 o
        | S64 x ->
            let o = Array.zeroCreate x.Length
            f64 x o
            S64 o

    /// A scalar function applied elementwise (float64 arithmetic for Float64, float32 for Float32).
    let map (f32: float32 -> float32) (f64: float -> float) (s: Storage) =
        match s with
        | S32 x -> S32(Array.map f32 x)
        | S64 x -> S64(Array.map f64 x)

    /// A scalar function of two equal-length storages.
    let map2 (f32: float32 -> float32 -> float32) (f64: float -> float -> float) (a: Storage) (b: Storage) =
        match a, b with
        | S32 x, S32 y -> S32(Array.map2 f32 x y)
        | S64 x, S64 y -> S64(Array.map2 f64 x y)
        | _ -> invalidArg "b" (sprintf "Expected operands of the same dtype, got %A and %A" a.Dtype b.Dtype)

    /// A scalar function of three equal-length storages.
    let map3
        (f32: float32 -> float32 -> float32 -> float32)
        (f64: float -> float -> float -> float)
        (a: Storage)
        (b: Storage)
        (c: Storage)
        =
        match a, b, c with
        | S32 x, S32 y, S32 z -> S32(Array.init x.Length (fun i -> f32 x[i] y[i] z[i]))
        | S64 x, S64 y, S64 z -> S64(Array.init x.Length (fun i -> f64 x[i] y[i] z[i]))
        | _ -> invalidArg "c" (sprintf "Expected operands of the same dtype, got %A, %A and %A" a.Dtype b.Dtype c.Dtype)

    /// a · s for a scalar s.
    let scale (s: float) (a: Storage) =
        unary
            (fun x o -> TensorPrimitives.Multiply(ReadOnlySpan x, float32 s, Span o))
            (fun x o -> TensorPrimitives.Multiply(ReadOnlySpan x, s, Span o))
            a

    /// s / a for a scalar s.
    let rdiv (s: float) (a: Storage) =
        unary
            (fun x o -> TensorPrimitives.Divide(float32 s, ReadOnlySpan x, Span o))
            (fun x o -> TensorPrimitives.Divide(s, ReadOnlySpan x, Span o))
            a

    /// a + s for a scalar s.
    let shift (s: float) (a: Storage) =
        unary
            (fun x o -> TensorPrimitives.Add(ReadOnlySpan x, float32 s, Span o))
            (fun x o -> TensorPrimitives.Add(ReadOnlySpan x, s, Span o))
            a

    let inline private maskKernel (slope: ^T) (x: ^T[]) (g: ^T[]) : ^T[] =
        let o = Array.zeroCreate x.Length
        let w = Numerics.Vector< ^T>.Count
        let zero = Numerics.Vector< ^T>.Zero
        let vs = Numerics.Vector< ^T>(slope)
        let mutable i = 0

        while i <= x.Length - w do
            let xv = Numerics.Vector< ^T>(x, i)
            let gv = Numerics.Vector< ^T>(g, i)
            Numerics.Vector.ConditionalSelect(Numerics.Vector.GreaterThan(xv, zero), gv, gv * vs).CopyTo(o, i)
            i <- i + w

        while i < x.Length do
            o[i] <-
                (if x[i] > LanguagePrimitives.GenericZero then
                     g[i]
                 else
                     g[i] * slope)

            i <- i + 1

        o

    /// g where x > 0, else slope·g (SIMD): the adjoint of ReLU (slope 0) and leaky ReLU.
    let leakyMask (slope: float) (x: Storage) (g: Storage) =
        match x, g with
        | S32 a, S32 b -> S32(maskKernel (float32 slope) a b)
        | S64 a, S64 b -> S64(maskKernel slope a b)
        | _ -> invalidArg "g" (sprintf "Expected operands of the same dtype, got %A and %A" x.Dtype g.Dtype)

    /// The sum of all elements, accumulated in float64.
    let sumAll (s: Storage) =
        match s with
        | S32 x ->
            let mutable acc = 0.0

            for v in x do
                acc <- acc + float v

            acc
        | S64 x -> TensorPrimitives.Sum(ReadOnlySpan x)
