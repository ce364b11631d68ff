namespace EquiSphere.Harmonics

open System

/// Law checkers as library code (in e3nn's manner): measure how far a map is from a law, as a relative L2 error, so
/// tests, notebooks and training loops can check equivariance, round trips and homomorphisms of their own maps.
/// Grid signals [2B, 2B] ([θ, φ], Driscoll–Healy) are compared in the quadrature-weighted L² norm of S²; flat
/// arrays in the plain Euclidean norm. An exact law gives ~1e-15; a broken one gives O(1).
[<RequireQualifiedAccess>]
module Laws =

    /// ‖actual − expected‖ / ‖expected‖ in the Euclidean norm (‖actual − expected‖ when expected is zero).
    let relativeL2 (expected: float[]) (actual: float[]) : float =
        if isNull expected then
            nullArg (nameof expected)

        if isNull actual then
            nullArg (nameof actual)

        if expected.Length <> actual.Length then
            invalidArg (nameof actual) (sprintf "Expected %d values (as many as expected), got %d" expected.Length actual.Length)

        let mutable num = 0.0
        let mutable den = 0.0

        for i in 0 .. expected.Length - 1 do
            let d = actual[i] - expected[i]
            num <- num + d * d
            den <- den + expected[i] * expected[i]

        if den > 0.0 then sqrt (num / den) else sqrt num

    /// ‖actual − expected‖ / ‖expected‖ for grid signals [2B, 2B] in the L²(S²) norm (Driscoll–Healy quadrature
    /// weights; a zero expected signal gives the absolute norm of the difference).
    let relativeL2OnSphere (expected: float[,]) (actual: float[,]) : float =
        if isNull expected then
            nullArg (nameof expected)

        if isNull actual then
            nullArg (nameof actual)

        let rows, cols = Array2D.length1 expected, Array2D.length2 expected

        if rows <> cols || rows % 2 <> 0 || rows < 2 then
            invalidArg
                (nameof expected)
                (sprintf "Expected a square grid of even size [2B; 2B] (colatitude × longitude), got [%d; %d]" rows cols)

        let b = rows / 2
        Check.gridShape (nameof actual) b (Array2D.length1 actual) (Array2D.length2 actual)
        let w = Grid.quadratureWeights b
        let mutable num = 0.0
        let mutable den = 0.0

        for j in 0 .. rows - 1 do
            for k in 0 .. cols - 1 do
                let d = actual[j, k] - expected[j, k]
                num <- num + w[j] * d * d
                den <- den + w[j] * expected[j, k] * expected[j, k]

        if den > 0.0 then sqrt (num / den) else sqrt num

    /// The equivariance error of a map f between grid signals for one rotation R and input x: the relative L²(S²)
    /// error between f(Λ_R x) and Λ_R f(x), with `rotate` applying Λ_R to a signal (e.g. `Rotate.grid plan`, exact for
    /// band-limited signals). Zero (to rounding) iff f commutes with this rotation on x.
    let equivarianceError (rotate: Rotation -> float[,] -> float[,]) (f: float[,] -> float[,]) (r: Rotation) (x: float[,]) : float =
        relativeL2OnSphere (rotate r (f x)) (f (rotate r x))

    /// The worst equivariance error over `trials` random rotations drawn from `rng`.
    let worstEquivarianceError
        (rotate: Rotation -> float[,] -> float[,])
        (f: float[,] -> float[,])
        (trials: int)
        (rng: Random)
        (x: float[,])
        : float =
        if trials < 1 then
            invalidArg (nameof trials) (sprintf "Expected at least one trial, got %d" trials)

        Seq.init trials (fun _ -> equivarianceError rotate f (Rotation.randomWith rng) x)
        |> Seq.max

    /// The round-trip error of a transform pair: ‖inverse (forward x) − x‖ / ‖x‖ (Euclidean, flat arrays).
    let roundTripError (forward: 'x -> 'y) (inverse: 'y -> float[]) (toFlat: 'x -> float[]) (x: 'x) : float =
        relativeL2 (toFlat x) (inverse (forward x))

    /// The homomorphism error of a real matrix representation ρ (e.g. `Rotation.toMatrix`):
    /// ‖ρ(R1 R2) − ρ(R1) ρ(R2)‖ / ‖ρ(R1 R2)‖ in the Frobenius norm. Zero iff ρ(R1 R2) = ρ(R1) ρ(R2).
    let homomorphismError (rho: Rotation -> float[,]) (r1: Rotation) (r2: Rotation) : float =
        let a, b, ab = rho r1, rho r2, rho (r1 * r2)
        let n = Array2D.length1 a

        let product =
            Array2D.init n n (fun i j ->
                let mutable s = 0.0

                for k in 0 .. n - 1 do
                    s <- s + a[i, k] * b[k, j]

                s)

        relativeL2 (Seq.cast<float> ab |> Array.ofSeq) (Seq.cast<float> product |> Array.ofSeq)
