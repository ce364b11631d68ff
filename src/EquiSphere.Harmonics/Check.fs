namespace EquiSphere.Harmonics

open System

/// Argument validation for the Harmonics layer: every public function calls these first, so F#, C# and the
/// command line report the same errors. Messages name the parameter, the expected and the actual value.
[<RequireQualifiedAccess>]
module Check =

    /// The largest bandwidth any plan accepts.
    [<Literal>]
    let MaxBandwidth = 2048

    /// Throws unless 1 ≤ b ≤ MaxBandwidth.
    let bandwidth (name: string) (b: int) =
        if b < 1 || b > MaxBandwidth then
            invalidArg name (sprintf "Expected a bandwidth B in [1, %d], got %d" MaxBandwidth b)

    /// Throws unless 0 ≤ l and |m| ≤ l.
    let degreeOrder (l: int) (m: int) =
        if l < 0 then
            invalidArg "l" (sprintf "Expected a degree l >= 0, got %d" l)

        if abs m > l then
            invalidArg "m" (sprintf "Expected an order |m| <= l = %d, got m = %d" l m)

    /// Throws unless `value` is finite.
    let finite (name: string) (value: float) =
        if not (Double.IsFinite value) then
            invalidArg name (sprintf "Expected a finite number, got %g" value)

    /// Throws unless a [θ, φ] grid array has shape [2B, 2B].
    let gridShape (name: string) (b: int) (rows: int) (cols: int) =
        if rows <> 2 * b || cols <> 2 * b then
            invalidArg
                name
                (sprintf "Expected a signal of shape [2B=%d; 2B=%d] (colatitude × longitude), got [%d; %d]" (2 * b) (2 * b) rows cols)

    /// Throws unless a packed coefficient vector has length B² (indices l² + l + m, l < B).
    let coefficientCount (name: string) (b: int) (length: int) =
        if length <> b * b then
            invalidArg name (sprintf "Expected B² = %d coefficients packed at l² + l + m for B = %d, got %d" (b * b) b length)
