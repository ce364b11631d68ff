module MeshFileFuzzTests

open System
open System.IO
open Xunit
open EquiSphere.Geometry
open TestKit

/// Reads mutated bytes; passes when the reader returns a mesh or throws MeshFormatException, fails on anything else.
let private survives (format: MeshFileFormat) (what: string) (bytes: byte[]) =
    try
        use ms = new MemoryStream(bytes, false)
        MeshFile.readStream format "fuzzed" ms |> ignore
    with
    | :? MeshFormatException -> ()
    | e -> failwithf "%A reader threw %s on %s input (%d bytes): %s" format (e.GetType().Name) what bytes.Length e.Message

[<Fact>]
let ``random byte flips give a mesh or a MeshFormatException`` () =
    let samples = MeshFileTests.samples ()

    property 150 (fun (seed: int) ->
        let rng = Random seed

        for format, good in samples do
            let bytes = Array.copy good

            for _ in 1 .. rng.Next(1, 6) do
                let i = rng.Next bytes.Length
                // Half of the flips write a character that matters to the grammar.
                bytes[i] <-
                    if rng.Next 2 = 0 then
                        byte (rng.Next 256)
                    else
                        " \n-9.e#/\"0x"B[rng.Next 11]

            survives format "byte-flipped" bytes)

[<Fact>]
let ``truncated files give a mesh or a MeshFormatException`` () =
    let samples = MeshFileTests.samples ()

    property 150 (fun (seed: int) ->
        let rng = Random seed

        for format, good in samples do
            survives format "truncated" (Array.sub good 0 (rng.Next good.Length)))

[<Fact>]
let ``inserted and deleted runs give a mesh or a MeshFormatException`` () =
    let samples = MeshFileTests.samples ()

    property 100 (fun (seed: int) ->
        let rng = Random seed

        for format, good in samples do
            let at = rng.Next good.Length
            let cut = min (good.Length - at) (rng.Next 12)
            let insert = Array.init (rng.Next 12) (fun _ -> byte (rng.Next 256))
            survives format "spliced" (Array.concat [ good[.. at - 1]; insert; good[at + cut ..] ]))
