module Crc32Tests

open System
open Xunit
open EquiSphere.Geometry
open TestKit

/// Bit-at-a-time CRC-32 straight from the definition (reflected polynomial 0xEDB88320): the oracle for the table.
let bitwiseCrc (data: byte[]) =
    let mutable c = 0xFFFFFFFFu

    for b in data do
        c <- c ^^^ uint32 b

        for _ in 1..8 do
            c <- if c &&& 1u = 1u then (c >>> 1) ^^^ 0xEDB88320u else c >>> 1

    c ^^^ 0xFFFFFFFFu

[<Fact>]
let ``crc of the standard check string is 0xCBF43926`` () =
    Assert.Equal(0xCBF43926u, Crc32.compute "123456789"B)

[<Fact>]
let ``table crc equals the bitwise definition`` () =
    property 200 (fun (seed: int) ->
        let rng = Random seed
        let data = Array.zeroCreate<byte>(rng.Next 300)
        rng.NextBytes data
        Assert.Equal(bitwiseCrc data, Crc32.compute data))

[<Fact>]
let ``updating piecewise equals computing at once`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let data = Array.zeroCreate<byte>(1 + rng.Next 200)
        rng.NextBytes data
        let cut = rng.Next(data.Length + 1)
        let first = Crc32.update 0xFFFFFFFFu data 0 cut
        let both = Crc32.update first data cut (data.Length - cut)
        Assert.Equal(Crc32.compute data, both ^^^ 0xFFFFFFFFu))

[<Fact>]
let ``a range outside the buffer is refused with its bounds`` () =
    throwsWith<ArgumentException> [ "10-byte"; "offset 8"; "count 5" ] (fun () -> Crc32.computeRange (Array.zeroCreate 10) 8 5 |> ignore)
