module SafetensorsTests

open System
open System.IO
open System.Text
open Xunit
open EquiSphere.Tensor
open TestKit

let private tempFile () =
    Path.Combine(Path.GetTempPath(), sprintf "es-%s.safetensors" (Guid.NewGuid().ToString "N"))

[<Fact>]
let ``write then read is identity`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let shape = Array.init (rng.Next(0, 4)) (fun _ -> int64 (rng.Next(0, 5)))
        let n = shape |> Array.fold (*) 1L |> int
        let f32 = Array.init n (fun _ -> float32 (rng.NextDouble() - 0.5))
        let f64 = Array.init n (fun _ -> rng.NextDouble())
        let i64 = Array.init n (fun _ -> rng.NextInt64())

        let file =
            {
                Entries =
                    [
                        Safetensors.ofFloat32 "a.weight" shape f32
                        Safetensors.ofFloat64 "b" shape f64
                        Safetensors.ofInt64 "step" shape i64
                    ]
                Metadata = Map [ "format", "pt"; "seed", string seed ]
            }

        let path = tempFile ()

        try
            Safetensors.write path file
            let back = Safetensors.read path
            Assert.Equal<Map<string, string>>(file.Metadata, back.Metadata)
            Assert.Equal<float32[]>(f32, Safetensors.toFloat32 (Safetensors.find "a.weight" back))
            Assert.Equal<float[]>(f64, Safetensors.toFloat64 (Safetensors.find "b" back))
            Assert.Equal<int64[]>(i64, Safetensors.toInt64 (Safetensors.find "step" back))
            Assert.Equal<int64[]>(shape, (Safetensors.find "b" back).Shape)
        finally
            File.Delete path)

[<Fact>]
let ``a file written by hand byte for byte is read`` () =
    // Header as the reference implementation writes it: {"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}
    let json = """{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"""
    let header = Encoding.UTF8.GetBytes json

    let bytes =
        Array.concat
            [
                BitConverter.GetBytes(int64 header.Length)
                header
                BitConverter.GetBytes 1.5f
                BitConverter.GetBytes -2.0f
            ]

    match Safetensors.tryParse "hand.safetensors" bytes with
    | Ok f -> Assert.Equal<float32[]>([| 1.5f; -2.0f |], Safetensors.toFloat32 (Safetensors.find "t" f))
    | Error e -> failwith e

[<Fact>]
let ``written header is padded to 8 bytes and lists offsets in order`` () =
    use ms = new MemoryStream()

    Safetensors.writeTo
        ms
        {
            Entries = [ Safetensors.ofFloat32 "x" [| 3L |] [| 1.0f; 2.0f; 3.0f |] ]
            Metadata = Map.empty
        }

    let bytes = ms.ToArray()
    let n = BitConverter.ToInt64(bytes, 0)
    Assert.Equal(0L, n % 8L)
    Assert.Equal("""{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", Encoding.UTF8.GetString(bytes, 8, int n).TrimEnd())
    Assert.Equal(8L + n + 12L, int64 bytes.Length)

[<Fact>]
let ``corrupt files give errors naming the file and the problem`` () =
    let good =
        use ms = new MemoryStream()

        Safetensors.writeTo
            ms
            {
                Entries = [ Safetensors.ofFloat32 "w" [| 2L; 2L |] (Array.zeroCreate 4) ]
                Metadata = Map.empty
            }

        ms.ToArray()

    let expectError (bytes: byte[]) (fragment: string) =
        match Safetensors.tryParse "model.safetensors" bytes with
        | Ok _ -> failwithf "expected an error containing '%s'" fragment
        | Error e ->
            Assert.Contains("model.safetensors", e)
            Assert.Contains(fragment, e)

    expectError good[0..5] "at least 8 bytes"
    expectError good[0 .. good.Length - 2] "data_offsets"
    expectError (Array.append (BitConverter.GetBytes 1000000000L) good[8..]) "header length"
    let broken = Array.copy good
    broken[8] <- byte 'x'
    expectError broken "malformed JSON"

    property 200 (fun (seed: int) ->
        let rng = Random seed
        let b = Array.copy good
        b[rng.Next(8, b.Length)] <- byte (rng.Next 256)
        Safetensors.tryParse "fuzz" b |> ignore)

[<Fact>]
let ``entries reject a byte count that does not match the shape`` () =
    throwsWith<ArgumentException> [ "'w'"; "needs 16 bytes"; "got 12" ] (fun () ->
        Safetensors.ofFloat32 "w" [| 2L; 2L |] (Array.zeroCreate 3) |> ignore)
