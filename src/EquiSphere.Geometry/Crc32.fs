namespace EquiSphere.Geometry

/// CRC-32 as PNG (ISO 3309, ITU-T V.42) and zlib's gzip use it: reflected polynomial 0xEDB88320, initial value
/// 0xFFFFFFFF, final complement. Computed with a 256-entry table built once from the polynomial.
/// Law: `update (update seed a) b = update seed (a ++ b)`, so chunks can be checked piecewise.
[<RequireQualifiedAccess>]
module Crc32 =

    /// The reflected generator polynomial of CRC-32.
    [<Literal>]
    let Polynomial = 0xEDB88320u

    let private table =
        Array.init 256 (fun n ->
            let mutable c = uint32 n

            for _ in 1..8 do
                c <- if c &&& 1u <> 0u then Polynomial ^^^ (c >>> 1) else c >>> 1

            c)

    /// The running (uncomplemented) register after feeding `count` bytes of `data` from `offset` to `crc`.
    /// Start from `0xFFFFFFFFu` and complement the end result (or use `compute`).
    let update (crc: uint32) (data: byte[]) (offset: int) (count: int) =
        if isNull data then
            nullArg (nameof data)

        if offset < 0 || count < 0 || offset > data.Length - count then
            invalidArg
                (nameof count)
                (sprintf "Expected a range inside the %d-byte buffer, got offset %d and count %d" data.Length offset count)

        let mutable c = crc

        for i in offset .. offset + count - 1 do
            c <- table[int ((c ^^^ uint32 data[i]) &&& 0xFFu)] ^^^ (c >>> 8)

        c

    /// The CRC-32 of `count` bytes of `data` starting at `offset`.
    let computeRange (data: byte[]) (offset: int) (count: int) =
        update 0xFFFFFFFFu data offset count ^^^ 0xFFFFFFFFu

    /// The CRC-32 of all of `data`. The standard check value: `compute "123456789"B = 0xCBF43926u`.
    let compute (data: byte[]) =
        if isNull data then
            nullArg (nameof data)

        computeRange data 0 data.Length
