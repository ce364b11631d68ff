namespace EquiSphere.Tensor

open System

/// Seeded weight initialization (He et al. 2015; Glorot and Bengio 2010). Fan-in of a weight [O; I; k..] is
/// I·Πk, fan-out O·Πk.
[<RequireQualifiedAccess>]
module Init =

    /// (fanIn, fanOut) of a weight shape of rank ≥ 2.
    let fans (shape: int[]) =
        if shape.Length < 2 then
            invalidArg "shape" (sprintf "Expected a weight of rank >= 2, got %s" (Shape.format shape))

        let receptive = Shape.numel shape[2..]
        shape[1] * receptive, shape[0] * receptive

    /// Kaiming (He) normal: N(0, gain²/fanIn) with gain √2 (for ReLU).
    let kaimingNormal (dtype: Dtype) (shape: int[]) (rng: Random) =
        let fanIn, _ = fans shape
        Tensor.normal dtype shape 0.0 (sqrt 2.0 / sqrt (float fanIn)) rng

    /// Kaiming (He) uniform: U(−b, b) with b = √(6/fanIn).
    let kaimingUniform (dtype: Dtype) (shape: int[]) (rng: Random) =
        let fanIn, _ = fans shape
        let b = sqrt (6.0 / float fanIn)
        Tensor.uniform dtype shape -b b rng

    /// Xavier (Glorot) uniform: U(−b, b) with b = √(6/(fanIn + fanOut)).
    let xavierUniform (dtype: Dtype) (shape: int[]) (rng: Random) =
        let fanIn, fanOut = fans shape
        let b = sqrt (6.0 / float (fanIn + fanOut))
        Tensor.uniform dtype shape -b b rng

    /// Xavier (Glorot) normal: N(0, 2/(fanIn + fanOut)).
    let xavierNormal (dtype: Dtype) (shape: int[]) (rng: Random) =
        let fanIn, fanOut = fans shape
        Tensor.normal dtype shape 0.0 (sqrt (2.0 / float (fanIn + fanOut))) rng
