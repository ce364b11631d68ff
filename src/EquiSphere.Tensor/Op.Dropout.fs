namespace EquiSphere.Tensor

open System

/// Seeded inverted dropout.
[<RequireQualifiedAccess>]
module Dropout =

    /// In training, zeroes each element with probability p (mask drawn from `rng`) and scales the rest by
    /// 1/(1 − p), so the expectation is unchanged; outside training (or p = 0) returns x.
    let dropout (p: float) (training: bool) (rng: Random) (x: Tensor) =
        if p < 0.0 || p >= 1.0 then
            invalidArg "p" (sprintf "Expected a drop probability in [0, 1), got %g" p)

        if not training || p = 0.0 then
            x
        else
            if isNull rng then
                nullArg "rng"

            let keep = 1.0 / (1.0 - p)
            let mask = Array.init x.Numel (fun _ -> if rng.NextDouble() < p then 0.0 else keep)
            x * Tensor.ofArray x.Dtype x.Shape mask
