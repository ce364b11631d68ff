namespace EquiSphere.Harmonics

open System

/// The Driscoll–Healy grid of bandwidth B on S²: 2B × 2B samples, θ_j = π(2j+1)/(4B) (colatitude),
/// φ_k = 2πk/(2B) (azimuth); arrays are [θ, φ] row-major. A point is (sin θ cos φ, sin θ sin φ, cos θ).
[<RequireQualifiedAccess>]
module Grid =

    /// θ_j = π(2j+1)/(4B), j = 0..2B−1.
    let colatitudes (b: int) : float[] =
        Check.bandwidth (nameof b) b
        Array.init (2 * b) (fun j -> Math.PI * float (2 * j + 1) / float (4 * b))

    /// φ_k = 2πk/(2B), k = 0..2B−1.
    let longitudes (b: int) : float[] =
        Check.bandwidth (nameof b) b
        Array.init (2 * b) (fun k -> 2.0 * Math.PI * float k / float (2 * b))

    /// The per-sample quadrature weight of row j, w_j = (2π/n)(4/n) sin θ_j Σ_{k<B} sin((2k+1)θ_j)/(2k+1), n = 2B.
    /// Law: Σ_{j,k} w_j f(θ_j, φ_k) = ∫ f dΩ exactly for band-limited f of degree < 2B; Σ over the grid = 4π.
    let quadratureWeights (b: int) : float[] =
        let n = float (2 * b)

        colatitudes b
        |> Array.map (fun t ->
            let mutable s = 0.0

            for k in 0 .. b - 1 do
                s <- s + sin (float (2 * k + 1) * t) / float (2 * k + 1)

            (2.0 * Math.PI / n) * (4.0 / n) * sin t * s)

    /// The unit vector of the sample (j, k): (sin θ_j cos φ_k, sin θ_j sin φ_k, cos θ_j).
    let point (b: int) (j: int) (k: int) =
        let t = Math.PI * float (2 * j + 1) / float (4 * b)
        let p = 2.0 * Math.PI * float k / float (2 * b)
        sin t * cos p, sin t * sin p, cos t

    /// The spherical coordinates (θ, φ) of a non-zero vector, θ in [0, π], φ in [0, 2π).
    let toSpherical (x: float, y: float, z: float) =
        let r = sqrt (x * x + y * y + z * z)
        let t = acos (max -1.0 (min 1.0 (z / r)))
        let p = atan2 y x
        t, (if p < 0.0 then p + 2.0 * Math.PI else p)

/// The SOFT grid of bandwidth B on SO(3): (2B)³ rotations R(α_i, β_j, γ_k) = Rz(α_i) Ry(β_j) Rz(γ_k) with
/// α_i = 2πi/(2B), β_j = π(2j+1)/(4B), γ_k = 2πk/(2B); arrays are [α, β, γ] row-major.
[<RequireQualifiedAccess>]
module So3Grid =

    /// α_i = 2πi/(2B), i = 0..2B−1.
    let alphas (b: int) = Grid.longitudes b

    /// β_j = π(2j+1)/(4B), j = 0..2B−1.
    let betas (b: int) = Grid.colatitudes b

    /// γ_k = 2πk/(2B), k = 0..2B−1.
    let gammas (b: int) = Grid.longitudes b

    /// The rotation at grid index (i, j, k).
    let rotation (b: int) (i: int) (j: int) (k: int) =
        Rotation.ofEulerZyz
            (2.0 * Math.PI * float i / float (2 * b))
            (Math.PI * float (2 * j + 1) / float (4 * b))
            (2.0 * Math.PI * float k / float (2 * b))
