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

    /// The binary op `f32`/`f64` on `a` and `b` broadcast to `outShape`, each call filling `count` elements of
    /// the destination from `start` on; the range is cut by `RawSplit.run` (results do not depend on the
    /// chunking). The destination is allocated without zeroing, so the op must write every element of its range.
    let binarySplit
        (op: string)
        (f32: float32[] -> float32[] -> float32[] -> int -> int -> unit)
        (f64: float[] -> float[] -> float[] -> int -> int -> unit)
        (aShape: int[])
        (a: Storage)
        (bShape: int[])
        (b: Storage)
        (outShape: int[])
        =
        Storage.sameDtype op a b

        match expandTo aShape outShape a, expandTo bShape outShape b with
        | S32 x, S32 y ->
            let o = StoragePool.rent32 x.Length
            RawSplit.run x.Length (f32 x y o)
            S32 o
        | S64 x, S64 y ->
            let o = StoragePool.rent64 x.Length
            RawSplit.run x.Length (f64 x y o)
            S64 o
        | _ -> invalidOp "unreachable: dtypes were checked"

    /// a + b with broadcasting.
    let add =
        binarySplit
            "add"
            (fun x y o i n -> TensorPrimitives.Add(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))
            (fun x y o i n -> TensorPrimitives.Add(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))

    /// acc += b in place for storages of equal length and dtype, split over the cores (`RawSplit.run`); one IEEE
    /// addition per element, so it rounds as `add` does. Only for buffers the caller owns exclusively.
    let addInto (acc: Storage) (b: Storage) =
        match acc, b with
        | S32 x, S32 y ->
            RawSplit.run x.Length (fun i n -> TensorPrimitives.Add(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(x, i, n)))
        | S64 x, S64 y ->
            RawSplit.run x.Length (fun i n -> TensorPrimitives.Add(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(x, i, n)))
        | _ -> invalidOp "addInto: expected storages of one dtype"

    /// a − b with broadcasting.
    let sub =
        binarySplit
            "sub"
            (fun x y o i n -> TensorPrimitives.Subtract(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))
            (fun x y o i n -> TensorPrimitives.Subtract(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))

    /// a · b with broadcasting.
    let mul =
        binarySplit
            "mul"
            (fun x y o i n -> TensorPrimitives.Multiply(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))
            (fun x y o i n -> TensorPrimitives.Multiply(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))

    /// a / b with broadcasting.
    let div =
        binarySplit
            "div"
            (fun x y o i n -> TensorPrimitives.Divide(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))
            (fun x y o i n -> TensorPrimitives.Divide(ReadOnlySpan(x, i, n), ReadOnlySpan(y, i, n), Span(o, i, n)))

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

    /// The unary op `f32`/`f64` on a new storage of the same dtype, each call filling `count` elements from
    /// `start` on; the range is cut by `RawSplit.run`. The destination is allocated without zeroing, so the op
    /// must write every element of its range.
    let unarySplit (f32: float32[] -> float32[] -> int -> int -> unit) (f64: float[] -> float[] -> int -> int -> unit) (s: Storage) =
        match s with
        | S32 x ->
            let o = StoragePool.rent32 x.Length
            RawSplit.run x.Length (f32 x o)
            S32 o
        | S64 x ->
            let o = StoragePool.rent64 x.Length
            RawSplit.run x.Length (f64 x o)
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
        unarySplit
            (fun x o i n -> TensorPrimitives.Multiply(ReadOnlySpan(x, i, n), float32 s, Span(o, i, n)))
            (fun x o i n -> TensorPrimitives.Multiply(ReadOnlySpan(x, i, n), s, Span(o, i, n)))
            a

    /// s / a for a scalar s.
    let rdiv (s: float) (a: Storage) =
        unary
            (fun x o -> TensorPrimitives.Divide(float32 s, ReadOnlySpan x, Span o))
            (fun x o -> TensorPrimitives.Divide(s, ReadOnlySpan x, Span o))
            a

    /// a + s for a scalar s.
    let shift (s: float) (a: Storage) =
        unarySplit
            (fun x o i n -> TensorPrimitives.Add(ReadOnlySpan(x, i, n), float32 s, Span(o, i, n)))
            (fun x o i n -> TensorPrimitives.Add(ReadOnlySpan(x, i, n), s, Span(o, i, n)))
            a

    let inline private maskRange (slope: ^T) (x: ^T[]) (g: ^T[]) (o: ^T[]) (start: int) (count: int) =
        let w = Numerics.Vector< ^T>.Count
        let zero = Numerics.Vector< ^T>.Zero
        let vs = Numerics.Vector< ^T>(slope)
        let stop = start + count
        let mutable i = start

        while i <= stop - w do
            let xv = Numerics.Vector< ^T>(x, i)
            let gv = Numerics.Vector< ^T>(g, i)
            Numerics.Vector.ConditionalSelect(Numerics.Vector.GreaterThan(xv, zero), gv, gv * vs).CopyTo(o, i)
            i <- i + w

        while i < stop do
            o[i] <-
                (if x[i] > LanguagePrimitives.GenericZero then
                     g[i]
                 else
                     g[i] * slope)

            i <- i + 1

    let inline private maskKernel (slope: ^T) (x: ^T[]) (g: ^T[]) (o: ^T[]) : ^T[] =
        RawSplit.run x.Length (fun start count -> maskRange slope x g o start count)
        o

    /// g where x > 0, else slope·g (SIMD): the adjoint of ReLU (slope 0) and leaky ReLU.
    let leakyMask (slope: float) (x: Storage) (g: Storage) =
        match x, g with
        | S32 a, S32 b -> S32(maskKernel (float32 slope) a b (StoragePool.rent32 a.Length))
        | S64 a, S64 b -> S64(maskKernel slope a b (StoragePool.rent64 a.Length))
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
