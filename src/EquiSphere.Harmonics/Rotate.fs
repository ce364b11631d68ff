namespace EquiSphere.Harmonics

open System
open System.Numerics

/// Rotation of band-limited functions on S². Rotations act actively, (Λ_R f)(x) = f(R⁻¹x) (DESIGN.md); on packed
/// coefficients (index l² + l + m, l < B) this is (Λ_R f)_l^{m'} = Σ_m D^l_{m'm}(R) f_l^m, which follows from
/// Y_l^m(R⁻¹x) = Σ_{m'} D^l_{m'm}(R) Y_l^{m'}(x). Exact for band-limited functions.
/// Laws: Λ_{R1} Λ_{R2} = Λ_{R1 R2} (homomorphism); Λ_I = identity; Λ_R preserves the L² norm (D is unitary);
/// spectral rotation of grid samples agrees with evaluating the function at R⁻¹x.
[<RequireQualifiedAccess>]
module Rotate =

    /// The bandwidth B of a packed coefficient vector of length B²; throws unless the length is a positive square.
    let bandwidthOf (name: string) (length: int) =
        let b = int (round (sqrt (float length)))

        if length < 1 || b * b <> length then
            invalidArg name (sprintf "Expected B² coefficients packed at l² + l + m (a positive square length), got %d" length)

        b

    /// The matrices D^l(R) for l < B, each (2l+1)² row-major [(m'+l)(2l+1) + (m+l)]; O(B³).
    let wignerMatrices (b: int) (r: Rotation) : Complex[][] =
        Check.bandwidth (nameof b) b
        let alpha, beta, gamma = Rotation.toEulerZyz r
        let lmax = b - 1
        let n = 2 * lmax + 1

        let ea =
            Array.init n (fun i -> Complex.FromPolarCoordinates(1.0, -float(i - lmax) * alpha))

        let eg =
            Array.init n (fun i -> Complex.FromPolarCoordinates(1.0, -float(i - lmax) * gamma))

        let result = Array.zeroCreate b

        Wigner.iterate lmax beta (fun l d ->
            let w = 2 * l + 1
            let m = Array.zeroCreate (w * w)

            for mp in -l .. l do
                let src = (mp + lmax) * n + lmax
                let a = ea[mp + lmax]

                for k in -l .. l do
                    m[(mp + l) * w + k + l] <- a * (d[src + k] * eg[k + lmax])

            result[l] <- m)

        result

    /// Applies precomputed D^l matrices to one coefficient vector of bandwidth ≤ their count.
    let private apply (ds: Complex[][]) (b: int) (coeffs: Complex[]) =
        let out = Array.zeroCreate (b * b)

        for l in 0 .. b - 1 do
            let w = 2 * l + 1
            let d = ds[l]
            let c = l * l + l

            for mp in -l .. l do
                let mutable s = Complex.Zero
                let row = (mp + l) * w + l

                for m in -l .. l do
                    s <- s + d[row + m] * coeffs[c + m]

                out[c + mp] <- s

        out

    /// The coefficients of Λ_R f from those of f (length B², packed at l² + l + m): (Λ_R f)_l^{m'} = Σ_m D^l_{m'm}(R) f_l^m.
    let coefficients (r: Rotation) (coeffs: Complex[]) : Complex[] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        let b = bandwidthOf (nameof coeffs) coeffs.Length
        apply (wignerMatrices b r) b coeffs

    /// Rotates every channel of a multi-channel coefficient set [channel][l² + l + m] by the same R (D computed once).
    let channels (r: Rotation) (coeffs: Complex[][]) : Complex[][] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        if coeffs.Length = 0 then
            [||]
        else
            coeffs
            |> Array.iteri (fun i c ->
                if isNull c then
                    nullArg (sprintf "coeffs[%d]" i))

            let b = bandwidthOf "coeffs[0]" coeffs[0].Length

            coeffs
            |> Array.iteri (fun i c -> Check.coefficientCount (sprintf "coeffs[%d]" i) b c.Length)

            let ds = wignerMatrices b r
            coeffs |> Array.Parallel.map (apply ds b)

    /// Rotates real grid samples [2B, 2B] ([θ, φ], Driscoll–Healy) spectrally: inverse (Λ_R (forward signal)).
    /// Exact for band-limited signals (l < B); anything above the band is removed.
    let grid (plan: ShtPlan) (r: Rotation) (signal: float[,]) : float[,] =
        Sht.forward plan signal |> coefficients r |> Sht.inverse plan

    /// f(θ, φ) = Σ_{l<B} Σ_m f_l^m Y_l^m(θ, φ) at one point (radians); O(B²). For a real signal's coefficients the
    /// imaginary part is zero up to rounding.
    let evaluate (coeffs: Complex[]) (theta: float) (phi: float) : Complex =
        if isNull coeffs then
            nullArg (nameof coeffs)

        let b = bandwidthOf (nameof coeffs) coeffs.Length
        Check.finite (nameof theta) theta
        Check.finite (nameof phi) phi
        let lam = Legendre.all (b - 1) theta
        let mutable s = Complex.Zero

        for m in -(b - 1) .. b - 1 do
            let am = abs m
            let sign = if m < 0 && am % 2 = 1 then -1.0 else 1.0
            let mutable part = Complex.Zero

            for l in am .. b - 1 do
                part <- part + coeffs[l * l + l + m] * lam[Legendre.triangularIndex l am]

            s <- s + sign * part * Complex.FromPolarCoordinates(1.0, float m * phi)

        s

    /// f at a unit vector x = (x, y, z) (normalized first); see `evaluate`.
    let evaluateAt (coeffs: Complex[]) (x: float, y: float, z: float) : Complex =
        let theta, phi = Grid.toSpherical (x, y, z)
        evaluate coeffs theta phi
