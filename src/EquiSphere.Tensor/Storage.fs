namespace EquiSphere.Tensor

open System

/// Element type of a tensor: float32 for training, float64 as the reference (gradient checks, oracles).
type Dtype =
    /// 32-bit IEEE 754 floats.
    | Float32
    /// 64-bit IEEE 754 floats.
    | Float64

/// The dense, contiguous, row-major element buffer of a tensor.
type Storage =
    /// float32 elements.
    | S32 of float32[]
    /// float64 elements.
    | S64 of float[]

    /// Number of elements.
    member s.Length =
        match s with
        | S32 a -> a.Length
        | S64 a -> a.Length

    /// The element type.
    member s.Dtype =
        match s with
        | S32 _ -> Float32
        | S64 _ -> Float64

/// Creation of and conversion between storages.
[<RequireQualifiedAccess>]
module Storage =

    /// n zeros of the given dtype.
    let zeros (dtype: Dtype) (n: int) =
        match dtype with
        | Float32 -> S32(Array.zeroCreate n)
        | Float64 -> S64(Array.zeroCreate n)

    /// n copies of `value` (rounded to float32 for Float32).
    let full (dtype: Dtype) (n: int) (value: float) =
        match dtype with
        | Float32 -> S32(Array.create n (float32 value))
        | Float64 -> S64(Array.create n value)

    /// The values converted to `dtype` (a copy).
    let ofFloats (dtype: Dtype) (values: float[]) =
        match dtype with
        | Float32 -> S32(Array.map float32 values)
        | Float64 -> S64(Array.copy values)

    /// The values as float64 (a copy).
    let toFloats (s: Storage) =
        match s with
        | S32 a -> Array.map float a
        | S64 a -> Array.copy a

    /// A copy of the storage converted to `dtype`.
    let convert (dtype: Dtype) (s: Storage) =
        match dtype, s with
        | Float32, S32 a -> S32(Array.copy a)
        | Float64, S64 a -> S64(Array.copy a)
        | Float32, S64 a -> S32(Array.map float32 a)
        | Float64, S32 a -> S64(Array.map float a)

    /// A copy of the storage.
    let copy (s: Storage) =
        match s with
        | S32 a -> S32(Array.copy a)
        | S64 a -> S64(Array.copy a)

    /// Element i as float64.
    let item (i: int) (s: Storage) =
        match s with
        | S32 a -> float a[i]
        | S64 a -> a[i]

    /// Throws unless both storages have the same dtype; `op` names the operation.
    let sameDtype (op: string) (a: Storage) (b: Storage) =
        if a.Dtype <> b.Dtype then
            invalidArg "b" (sprintf "%s: expected operands of the same dtype, got %A and %A" op a.Dtype b.Dtype)
