namespace EquiSphere.Tensor

open System.IO

/// Checkpoints in the safetensors format: a model's parameters and buffers under their hierarchical names, an
/// optimizer's state under "optim.<name>" plus its step count "optim.step", and free metadata. Writes are
/// atomic (temporary file, then move). Loading checks every expected tensor and names the first one that is
/// missing or has the wrong shape.
[<RequireQualifiedAccess>]
module Checkpoint =

    let private entry (name: string) (t: Tensor) =
        let shape = t.Shape |> Array.map int64

        match t.Storage with
        | S32 a -> Safetensors.ofFloat32 name shape a
        | S64 a -> Safetensors.ofFloat64 name shape a

    /// The entries of named tensors (float32 or float64 as stored).
    let entries (tensors: (string * Tensor)[]) =
        tensors |> Array.map (fun (n, t) -> entry n t) |> List.ofArray

    /// Saves the model's parameters and buffers, the optimizer's state (when given) and `metadata` to `path`
    /// atomically.
    let save (path: string) (metadata: Map<string, string>) (model: Model) (optimizer: Optimizer option) =
        if isNull (box model) then
            nullArg "model"

        let opt =
            match optimizer with
            | Some o ->
                entries (o.State |> Array.map (fun (n, t) -> "optim." + n, t))
                @ [ Safetensors.ofInt64 "optim.step" [||] [| o.StepCount |] ]
            | None -> []

        Safetensors.write
            path
            {
                Entries = entries model.Parameters @ entries model.Buffers @ opt
                Metadata = metadata
            }

    let private copyInto (source: string) (name: string) (target: Tensor) (e: SafetensorsEntry) =
        let shape = e.Shape |> Array.map int

        if shape <> target.ShapeRef then
            raise (
                InvalidDataException(
                    sprintf
                        "%s: tensor '%s' has shape %s, the model expects %s"
                        source
                        name
                        (Shape.format shape)
                        (Shape.format target.ShapeRef)
                )
            )

        let values =
            match e.DType with
            | SafetensorsDType.F32 -> Safetensors.toFloat32 e |> Array.map float
            | SafetensorsDType.F64 -> Safetensors.toFloat64 e
            | d ->
                raise (
                    InvalidDataException(sprintf "%s: tensor '%s' has dtype %s, expected S32 or S64" source name (Safetensors.dtypeName d))
                )

        match target.Storage with
        | S32 a ->
            for i in 0 .. a.Length - 1 do
                a[i] <- float32 values[i]
        | S64 a -> Array.blit values 0 a 0 a.Length

    let private find (source: string) (file: SafetensorsFile) (name: string) =
        match file.Entries |> List.tryFind (fun e -> e.Name = name) with
        | Some e -> e
        | None -> raise (InvalidDataException(sprintf "%s: tensor '%s' is missing from the checkpoint" source name))

    /// Loads parameters and buffers (and the optimizer state when given) from `path` into the model in place,
    /// and returns the metadata. Throws InvalidDataException naming the file and the tensor on a missing
    /// tensor, a shape mismatch or a corrupt file.
    let load (path: string) (model: Model) (optimizer: Optimizer option) =
        let file = Safetensors.read path

        for n, t in Array.append model.Parameters model.Buffers do
            copyInto path n t (find path file n)

        match optimizer with
        | Some o ->
            for n, t in o.State do
                copyInto path ("optim." + n) t (find path file ("optim." + n))

            let step = find path file "optim.step"
            o.StepCount <- (Safetensors.toInt64 step)[0]
        | None -> ()

        file.Metadata

    /// Loads the parameters and buffers of `model` from the tensors named `prefix` + its names (for example the
    /// "encoder." part of a whole network's checkpoint) and returns the metadata; other tensors in the file are
    /// ignored. Throws InvalidDataException like `load`.
    let loadPrefixed (prefix: string) (path: string) (model: Model) =
        if isNull prefix then
            nullArg "prefix"

        let file = Safetensors.read path

        for n, t in Array.append model.Parameters model.Buffers do
            copyInto path (prefix + n) t (find path file (prefix + n))

        file.Metadata
