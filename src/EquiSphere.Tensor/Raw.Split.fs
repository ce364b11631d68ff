namespace EquiSphere.Tensor

open System
open System.Threading.Tasks

/// Fixed partitions of elementwise work over the cores. A range of n elements is cut into contiguous chunks
/// whose bounds depend only on n and `Environment.ProcessorCount` (never on timing), each chunk a multiple of
/// 64 elements except the last; since every element is computed independently, the results are bit-identical
/// to a single pass whatever the chunking.
[<RequireQualifiedAccess>]
module RawSplit =

    /// Ranges shorter than this many elements per extra thread run on the calling thread.
    [<Literal>]
    let MinChunk = 65536

    /// The number of chunks for n elements: 1 below 2·MinChunk, else up to the processor count (at most 8).
    let parts (n: int) =
        max 1 (min (min Environment.ProcessorCount 8) (n / MinChunk))

    /// Runs `body start count` over contiguous chunks covering [0, n), in parallel when `parts n` > 1.
    let run (n: int) (body: int -> int -> unit) =
        let p = parts n

        if p <= 1 then
            body 0 n
        else
            // chunk length rounded up to 64 elements (whole cache lines, whole SIMD vectors)
            let len = ((n + p - 1) / p + 63) &&& ~~~63

            Parallel.For(
                0,
                p,
                fun k ->
                    let start = k * len

                    if start < n then
                        body start (min len (n - start))
            )
            |> ignore
