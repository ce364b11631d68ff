namespace EquiSphere.Harmonics

open System
open System.Numerics

/// Spherical harmonics Y_l^m(θ, φ) = λ_l^m(θ) e^{imφ}: complex, orthonormal over S², Condon–Shortley phase
/// included (DESIGN.md), e.g. Y_2^1 = −½ √(15/(2π)) sin θ cos θ e^{iφ}; and the real harmonics
/// Y_{lm} = √2 (−1)^m Re Y_l^m (m &gt; 0), Y_{l0} = Y_l^0, Y_{lm} = √2 (−1)^{|m|} Im Y_l^{|m|} (m &lt; 0),
/// i.e. √2 N_l^{|m|} P_l^{|m|}(cos θ) cos(mφ) or sin(|m|φ) with the positive normalization N and no phase.
/// Coefficients of both kinds are packed at l² + l + m. Laws: ∫ Y_l^m conj Y_{l'}^{m'} dΩ = δ_{ll'} δ_{mm'};
/// Y_l^{−m} = (−1)^m conj Y_l^m; the real harmonics are orthonormal too.
[<RequireQualifiedAccess>]
module SphericalHarmonics =

    /// The packed index l² + l + m of (l, m), |m| ≤ l.
    let inline index (l: int) (m: int) = l * l + l + m

    /// The (l, m) of a packed index i ≥ 0 (inverse of `index`).
    let degreeOrder (i: int) =
        if i < 0 then
            invalidArg (nameof i) (sprintf "Expected a packed index >= 0, got %d" i)

        let l = int (sqrt (float i))
        // Guard against rounding of the square root at perfect squares.
        let l =
            if (l + 1) * (l + 1) <= i then l + 1
            elif l * l > i then l - 1
            else l

        l, i - l * l - l

    /// The complex harmonic Y_l^m(θ, φ) (θ colatitude, φ azimuth, radians), |m| ≤ l.
    let complex (l: int) (m: int) (theta: float) (phi: float) : Complex =
        Check.finite (nameof phi) phi
        let v = Legendre.value l m theta
        Complex(v * cos (float m * phi), v * sin (float m * phi))

    /// The real harmonic Y_{lm}(θ, φ): √2 (−1)^m λ_l^m(θ) cos(mφ) for m &gt; 0, λ_l^0(θ) for m = 0,
    /// √2 (−1)^{|m|} λ_l^{|m|}(θ) sin(|m|φ) for m &lt; 0.
    let real (l: int) (m: int) (theta: float) (phi: float) : float =
        Check.finite (nameof phi) phi
        let am = abs m
        let v = Legendre.value l am theta
        let sign = if am % 2 = 0 then 1.0 else -1.0

        if m = 0 then v
        elif m > 0 then sqrt 2.0 * sign * v * cos (float m * phi)
        else sqrt 2.0 * sign * v * sin (float am * phi)

    let private checkPacked (name: string) (length: int) =
        let b = int (sqrt (float length))

        if b * b <> length || b < 1 then
            invalidArg name (sprintf "Expected B² coefficients packed at l² + l + m (a perfect square >= 1), got %d" length)

        b

    /// Real-harmonic coefficients r of a real function from its complex coefficients a (packed, length B²):
    /// r_{l0} = Re a_l^0, r_{lm} = (−1)^m √2 Re a_l^m, r_{l,−m} = −(−1)^m √2 Im a_l^m (m &gt; 0).
    /// Uses only m ≥ 0 (a real function has a_l^{−m} = (−1)^m conj a_l^m); Σ r Y_real = Σ a Y.
    let toRealCoefficients (coeffs: Complex[]) : float[] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        let b = checkPacked (nameof coeffs) coeffs.Length
        let out = Array.zeroCreate coeffs.Length

        for l in 0 .. b - 1 do
            let c = index l 0
            out[c] <- coeffs[c].Real

            for m in 1..l do
                let s = if m % 2 = 0 then sqrt 2.0 else -(sqrt 2.0)
                out[c + m] <- s * coeffs[c + m].Real
                out[c - m] <- -s * coeffs[c + m].Imaginary

        out

    /// Complex coefficients of the real function Σ r_{lm} Y_{lm} (inverse of `toRealCoefficients`):
    /// a_l^m = (−1)^m (r_{lm} − i r_{l,−m}) / √2, a_l^{−m} = (r_{lm} + i r_{l,−m}) / √2 (m &gt; 0), a_l^0 = r_{l0}.
    let ofRealCoefficients (coeffs: float[]) : Complex[] =
        if isNull coeffs then
            nullArg (nameof coeffs)

        let b = checkPacked (nameof coeffs) coeffs.Length
        let out = Array.zeroCreate coeffs.Length
        let h = 1.0 / sqrt 2.0

        for l in 0 .. b - 1 do
            let c = index l 0
            out[c] <- Complex(coeffs[c], 0.0)

            for m in 1..l do
                let s = if m % 2 = 0 then 1.0 else -1.0
                let rp, rn = coeffs[c + m], coeffs[c - m]
                out[c + m] <- Complex(s * h * rp, -s * h * rn)
                out[c - m] <- Complex(h * rp, h * rn)

        out
