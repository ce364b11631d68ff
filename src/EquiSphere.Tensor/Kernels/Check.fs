namespace EquiSphere.Tensor.Kernels

/// Argument validation shared by the kernels, called first in every public kernel so that F#, C# and the command
/// line report the same errors. Messages name the parameter, the expected and the actual value.
[<RequireQualifiedAccess>]
module internal KernelCheck =

    /// Requires `value ≥ 1`.
    let positive (name: string) (value: int) =
        if value < 1 then
            invalidArg name (sprintf "Expected %s ≥ 1, got %d" name value)

    /// Requires `value ≥ 0`.
    let nonNegative (name: string) (value: int) =
        if value < 0 then
            invalidArg name (sprintf "Expected %s ≥ 0, got %d" name value)

    /// Requires a non-null array holding `count` elements from `offset` on.
    let span (name: string) (data: 'T[]) (offset: int) (count: int) =
        if isNull data then
            nullArg name

        if offset < 0 || count < 0 || int64 offset + int64 count > int64 data.Length then
            invalidArg
                name
                (sprintf
                    "Expected %s to hold %d elements from offset %d (length ≥ %d), got an array of length %d"
                    name
                    count
                    offset
                    (int64 offset + int64 count)
                    data.Length)

    /// Requires a non-null array holding a row-major `rows × cols` matrix at `offset` with leading dimension `ld`
    /// (elements between the starts of consecutive rows, ld ≥ cols).
    let matrix (name: string) (data: 'T[]) (offset: int) (rows: int) (cols: int) (ld: int) =
        if isNull data then
            nullArg name

        if ld < max 1 cols then
            invalidArg name (sprintf "Expected the leading dimension of %s to be ≥ max(1, columns = %d), got %d" name cols ld)

        if offset < 0 then
            invalidArg name (sprintf "Expected the offset of %s to be ≥ 0, got %d" name offset)

        if rows > 0 && cols > 0 then
            let last = int64 offset + int64 (rows - 1) * int64 ld + int64 cols

            if last > int64 data.Length then
                invalidArg
                    name
                    (sprintf
                        "Expected %s to hold a %d × %d matrix at offset %d with leading dimension %d (length ≥ %d), got an array of length %d"
                        name
                        rows
                        cols
                        offset
                        ld
                        last
                        data.Length)

    /// Requires the element type to be float32 or float64 (the kernels' precisions).
    let floatType<'T> (name: string) =
        if typeof<'T> <> typeof<float32> && typeof<'T> <> typeof<float> then
            invalidArg name (sprintf "Expected %s to be a float32[] or float[] (float64) array, got %s[]" name typeof<'T>.Name)
