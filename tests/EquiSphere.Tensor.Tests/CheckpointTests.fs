module CheckpointTests

open System
open System.IO
open Xunit
open EquiSphere.Tensor
open TestKit

let private tempFile () =
    Path.Combine(Path.GetTempPath(), sprintf "es-ckpt-%s.safetensors" (Guid.NewGuid().ToString "N"))

let private model (seed: int) =
    let rng = Random seed
    Sequential([ Conv2d(1, 4, 3, rng) :> Model; BatchNorm2d(4) :> Model; PReLU(4) :> Model ])

let private train (m: Model) (opt: Optimizer) (seed: int) =
    let x = Tensor.randn Float32 [| 2; 1; 6; 6 |] (Random seed)
    opt.ZeroGrad()
    (Tensor.mean (m.Forward x * m.Forward x)).Backward()
    opt.Step()

[<Fact>]
let ``save then load restores parameters buffers and optimizer state`` () =
    let path = tempFile ()

    try
        let a = model 1
        let optA = Adam(a.Parameters, 0.01)
        train a optA 5
        Checkpoint.save path (Map [ "epoch", "1" ]) a (Some(optA :> Optimizer))

        let b = model 2
        let optB = Adam(b.Parameters, 0.01)
        let meta = Checkpoint.load path b (Some(optB :> Optimizer))
        Assert.Equal("1", meta["epoch"])

        for (n, p), (_, q) in Array.zip (Array.append a.Parameters a.Buffers) (Array.append b.Parameters b.Buffers) do
            Assert.True((p.ToArray() = q.ToArray()), n)

        // continuing training from either gives the same parameters
        train a optA 6
        train b optB 6

        for (n, p), (_, q) in Array.zip a.Parameters b.Parameters do
            Assert.True((p.ToArray() = q.ToArray()), n)
    finally
        File.Delete path

[<Fact>]
let ``loading into a mismatched model names the tensor and both shapes`` () =
    let path = tempFile ()

    try
        Checkpoint.save path Map.empty (model 1) None

        let other =
            Sequential(
                [
                    Conv2d(1, 5, 3, Random 1) :> Model
                    BatchNorm2d(5) :> Model
                    PReLU(5) :> Model
                ]
            )

        throwsWith<InvalidDataException> [ path; "'0.weight'"; "[4; 1; 3; 3]"; "[5; 1; 3; 3]" ] (fun () ->
            Checkpoint.load path other None |> ignore)

        let bigger =
            Sequential(
                [
                    Conv2d(1, 4, 3, Random 1) :> Model
                    BatchNorm2d(4) :> Model
                    PReLU(4) :> Model
                    Linear(2, 2, Random 1) :> Model
                ]
            )

        throwsWith<InvalidDataException> [ "'3.weight'"; "missing" ] (fun () -> Checkpoint.load path bigger None |> ignore)

        throwsWith<InvalidDataException> [ "'optim.0.weight.m'"; "missing" ] (fun () ->
            let m = model 1
            Checkpoint.load path m (Some(Adam(m.Parameters, 0.1) :> Optimizer)) |> ignore)
    finally
        File.Delete path

[<Fact>]
let ``a corrupt checkpoint gives an error naming the file`` () =
    let path = tempFile ()

    try
        File.WriteAllBytes(path, [| 1uy; 2uy; 3uy |])
        throwsWith<InvalidDataException> [ path; "at least 8 bytes" ] (fun () -> Checkpoint.load path (model 1) None |> ignore)
    finally
        File.Delete path

[<Fact>]
let ``a sub-model loads from its prefix in a whole network's checkpoint`` () =
    let path = tempFile ()

    try
        let whole =
            Sequential([ "encoder", model 1 :> Model; "head", Linear(4, 2, Random 1) :> Model ])

        Checkpoint.save path Map.empty whole None
        let encoder = model 2
        Checkpoint.loadPrefixed "encoder." path encoder |> ignore
        let expected = (snd whole.Children[0]).Parameters

        for (n, p), (_, q) in Array.zip expected encoder.Parameters do
            Assert.True((p.ToArray() = q.ToArray()), n)

        throwsWith<InvalidDataException> [ "'decoder.0.weight'"; "missing" ] (fun () ->
            Checkpoint.loadPrefixed "decoder." path (model 3) |> ignore)
    finally
        File.Delete path
