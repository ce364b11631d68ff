/// Finite-difference oracle for reverse rules: central differences in float64 of L = Σ w ⊙ f(x) with random
/// weights w, compared with the reverse-mode gradient of the same L.
module GradCheck

open System
open EquiSphere.Tensor
open TestKit

/// Named tolerances for gradient checks (see CONTRIBUTING.md: gradients vs central differences, float64).
module GradTol =
    /// Relative tolerance of reverse-mode gradients against central differences with step `step`.
    let rel = 1e-6
    /// Central-difference step: truncation error O(h²) ≈ 1e-12, rounding error ε/h ≈ 1e-10.
    let step = 1e-6

/// A float64 tensor of uniform values in [lo, hi).
let uniform (rng: Random) (lo: float) (hi: float) (shape: int[]) =
    Tensor.ofArray Float64 shape (Array.init (Shape.numel shape) (fun _ -> lo + (hi - lo) * rng.NextDouble()))

/// A float64 tensor of uniform values in [−1, 1).
let random (rng: Random) (shape: int[]) = uniform rng -1.0 1.0 shape

/// Checks the reverse rules of `f` at `xs` against central differences; `what` names the case.
let check (what: string) (rng: Random) (f: Tensor[] -> Tensor) (xs: Tensor[]) =
    let y0 =
        use _ = Tensor.noGrad ()
        f xs

    let w = random rng y0.Shape
    let loss (xs: Tensor[]) = Tensor.sum (f xs * w)
    let _, grads = Tensor.valueAndGradN loss xs

    for i in 0 .. xs.Length - 1 do
        let v = xs[i].ToArray()

        let eval (j: int) (d: float) =
            let v2 = Array.copy v
            v2[j] <- v2[j] + d
            let xs2 = Array.copy xs
            xs2[i] <- Tensor.ofArray Float64 xs[i].Shape v2
            use _ = Tensor.noGrad ()
            (loss xs2).ToScalar()

        let fd =
            Array.init v.Length (fun j -> (eval j GradTol.step - eval j -GradTol.step) / (2.0 * GradTol.step))

        closeTo (sprintf "%s: gradient of input %d" what i) GradTol.rel fd (grads[i].ToArray())

/// Checks a one-input function.
let check1 (what: string) (rng: Random) (f: Tensor -> Tensor) (x: Tensor) =
    check what rng (fun xs -> f xs[0]) [| x |]

/// A random shape of the given rank with dimensions in [1, maxDim].
let shapeOf (rng: Random) (rank: int) (maxDim: int) =
    Array.init rank (fun _ -> rng.Next(1, maxDim + 1))
