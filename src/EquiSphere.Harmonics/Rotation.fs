namespace EquiSphere.Harmonics

open System

/// A unit quaternion w + x i + y j + z k representing a rotation; q and −q are the same rotation.
[<Struct>]
type Quaternion =
    {
        W: float
        X: float
        Y: float
        Z: float
    }

/// A proper rotation of R³ (an element of SO(3)), stored as its 3 × 3 matrix acting on column vectors.
/// Rotations act actively: (Λ_R f)(x) = f(R⁻¹x). Equality is exact, element by element.
[<Sealed; AllowNullLiteral(false)>]
type Rotation private (m: float[]) =

    /// Builds a rotation from nine row-major elements that are already known to be orthonormal with det +1.
    static member internal OfElementsUnchecked(elements: float[]) = Rotation(Array.copy elements)

    /// The element in row `row` and column `col` (both 0..2) of the rotation matrix.
    member _.Item(row: int, col: int) = m[3 * row + col]

    /// The composition a * b: the matrix product, so that (a * b) x = a (b x) applies b first.
    static member (*)(a: Rotation, b: Rotation) =
        let r = Array.zeroCreate 9

        for i in 0..2 do
            for j in 0..2 do
                r[3 * i + j] <- a[i, 0] * b[0, j] + a[i, 1] * b[1, j] + a[i, 2] * b[2, j]

        Rotation r

    override _.Equals(o) =
        match o with
        | :? Rotation as r -> Array.forall2 (=) m [| for i in 0..8 -> r[i / 3, i % 3] |]
        | _ -> false

    override _.GetHashCode() = hash m

    override _.ToString() =
        sprintf "Rotation [[%.6f %.6f %.6f] [%.6f %.6f %.6f] [%.6f %.6f %.6f]]" m[0] m[1] m[2] m[3] m[4] m[5] m[6] m[7] m[8]

/// Conversions, composition and sampling of rotations. Conventions (DESIGN.md): ZYZ Euler
/// R(α, β, γ) = Rz(α) Ry(β) Rz(γ); quaternions (w, x, y, z) with w ≥ 0 on output; angles in radians
/// unless a name says degrees.
[<RequireQualifiedAccess>]
module Rotation =

    /// Tolerance on |RᵀR − I| and |det R − 1| accepted by `ofMatrix`.
    [<Literal>]
    let MatrixTolerance = 1e-6

    /// The identity rotation.
    let identity =
        Rotation.OfElementsUnchecked [| 1.0; 0.0; 0.0; 0.0; 1.0; 0.0; 0.0; 0.0; 1.0 |]

    /// The rotation matrix as a new 3 × 3 array [row, col], acting on column vectors.
    let toMatrix (r: Rotation) : float[,] = Array2D.init 3 3 (fun i j -> r[i, j])

    /// The rotation of a unit quaternion; the input is normalized first. Throws if it is zero or not finite.
    let ofQuaternion (q: Quaternion) =
        let n = sqrt (q.W * q.W + q.X * q.X + q.Y * q.Y + q.Z * q.Z)

        if not (Double.IsFinite n) || n < 1e-300 then
            invalidArg (nameof q) (sprintf "Expected a non-zero finite quaternion, got (%g, %g, %g, %g)" q.W q.X q.Y q.Z)

        let w, x, y, z = q.W / n, q.X / n, q.Y / n, q.Z / n

        Rotation.OfElementsUnchecked
            [|
                1.0 - 2.0 * (y * y + z * z)
                2.0 * (x * y - w * z)
                2.0 * (x * z + w * y)
                2.0 * (x * y + w * z)
                1.0 - 2.0 * (x * x + z * z)
                2.0 * (y * z - w * x)
                2.0 * (x * z - w * y)
                2.0 * (y * z + w * x)
                1.0 - 2.0 * (x * x + y * y)
            |]

    /// The unit quaternion of a rotation, with w ≥ 0 (Shepperd's method, accurate for every rotation).
    let toQuaternion (r: Rotation) : Quaternion =
        let t = r[0, 0] + r[1, 1] + r[2, 2]

        let w, x, y, z =
            if t >= r[0, 0] && t >= r[1, 1] && t >= r[2, 2] then
                let s = sqrt (1.0 + t) * 2.0
                0.25 * s, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s
            elif r[0, 0] >= r[1, 1] && r[0, 0] >= r[2, 2] then
                let s = sqrt (1.0 + r[0, 0] - r[1, 1] - r[2, 2]) * 2.0
                (r[2, 1] - r[1, 2]) / s, 0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s
            elif r[1, 1] >= r[2, 2] then
                let s = sqrt (1.0 + r[1, 1] - r[0, 0] - r[2, 2]) * 2.0
                (r[0, 2] - r[2, 0]) / s, (r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s
            else
                let s = sqrt (1.0 + r[2, 2] - r[0, 0] - r[1, 1]) * 2.0
                (r[1, 0] - r[0, 1]) / s, (r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s

        let n = sqrt (w * w + x * x + y * y + z * z)
        let sign = if w < 0.0 then -1.0 else 1.0

        {
            W = sign * w / n
            X = sign * x / n
            Y = sign * y / n
            Z = sign * z / n
        }

    /// The rotation of a 3 × 3 matrix [row, col]. Throws if the shape is not 3 × 3, an element is not finite,
    /// or the matrix is not orthonormal with determinant +1 within `MatrixTolerance`; the accepted matrix is
    /// projected to the nearest exact rotation.
    let ofMatrix (m: float[,]) =
        if isNull m then
            nullArg (nameof m)

        if Array2D.length1 m <> 3 || Array2D.length2 m <> 3 then
            invalidArg (nameof m) (sprintf "Expected a 3 × 3 rotation matrix, got %d × %d" (Array2D.length1 m) (Array2D.length2 m))

        m
        |> Array2D.iteri (fun i j v ->
            if not (Double.IsFinite v) then
                invalidArg (nameof m) (sprintf "Expected finite matrix elements, got %g at [%d, %d]" v i j))

        let mutable worst = 0.0

        for i in 0..2 do
            for j in 0..2 do
                let dot = m[0, i] * m[0, j] + m[1, i] * m[1, j] + m[2, i] * m[2, j]
                worst <- max worst (abs (dot - (if i = j then 1.0 else 0.0)))

        let det =
            m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
            - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0])

        if worst > MatrixTolerance || abs (det - 1.0) > MatrixTolerance then
            invalidArg
                (nameof m)
                (sprintf
                    "Expected an orthonormal matrix with determinant +1 (tolerance %g), got max |RᵀR − I| = %.3g and det = %.9g"
                    MatrixTolerance
                    worst
                    det)

        Rotation.OfElementsUnchecked [| for i in 0..8 -> m[i / 3, i % 3] |]
        |> toQuaternion
        |> ofQuaternion

    /// Rz(angle): rotation by `angle` radians about the z axis (counter-clockwise seen from +z).
    let aboutZ (angle: float) =
        let c, s = cos angle, sin angle
        Rotation.OfElementsUnchecked [| c; -s; 0.0; s; c; 0.0; 0.0; 0.0; 1.0 |]

    /// Ry(angle): rotation by `angle` radians about the y axis.
    let aboutY (angle: float) =
        let c, s = cos angle, sin angle
        Rotation.OfElementsUnchecked [| c; 0.0; s; 0.0; 1.0; 0.0; -s; 0.0; c |]

    /// Rx(angle): rotation by `angle` radians about the x axis.
    let aboutX (angle: float) =
        let c, s = cos angle, sin angle
        Rotation.OfElementsUnchecked [| 1.0; 0.0; 0.0; 0.0; c; -s; 0.0; s; c |]

    /// The composition as a matrix product: `compose a b` = a * b, which applies b first.
    let compose (a: Rotation) (b: Rotation) = a * b

    /// The inverse rotation Rᵀ. Law: R * inverse R = identity.
    let inverse (r: Rotation) =
        Rotation.OfElementsUnchecked [| for i in 0..8 -> r[i % 3, i / 3] |]

    /// R(α, β, γ) = Rz(α) Ry(β) Rz(γ) (ZYZ Euler angles, radians).
    let ofEulerZyz (alpha: float) (beta: float) (gamma: float) =
        aboutZ alpha * aboutY beta * aboutZ gamma

    /// ZYZ Euler angles (α, β, γ) with α, γ in [0, 2π) and β in [0, π]; at the gimbal poles β = 0 or π,
    /// γ = 0 and α carries the whole rotation about z. Law: ofEulerZyz (toEulerZyz R) = R.
    let toEulerZyz (r: Rotation) : float * float * float =
        let wrap a =
            let t = a % (2.0 * Math.PI)
            let t = if t < 0.0 then t + 2.0 * Math.PI else t
            if t >= 2.0 * Math.PI then 0.0 else t

        let sb = sqrt (r[0, 2] * r[0, 2] + r[1, 2] * r[1, 2])
        let beta = atan2 sb r[2, 2]

        if sb > 1e-12 then
            wrap (atan2 r[1, 2] r[0, 2]), beta, wrap (atan2 r[2, 1] (-r[2, 0]))
        elif r[2, 2] > 0.0 then
            wrap (atan2 r[1, 0] r[0, 0]), 0.0, 0.0
        else
            wrap (atan2 (-r[1, 0]) (-r[0, 0])), Math.PI, 0.0

    /// The rotation by `angle` radians about `axis` (right-hand rule); the axis is normalized first.
    let ofAxisAngle (axisX: float, axisY: float, axisZ: float) (angle: float) =
        let n = sqrt (axisX * axisX + axisY * axisY + axisZ * axisZ)

        if not (Double.IsFinite n) || n < 1e-300 then
            invalidArg "axis" (sprintf "Expected a non-zero finite axis, got (%g, %g, %g)" axisX axisY axisZ)

        let s = sin (angle / 2.0) / n

        ofQuaternion
            {
                W = cos (angle / 2.0)
                X = axisX * s
                Y = axisY * s
                Z = axisZ * s
            }

    /// The unit axis and the angle in [0, π] of a rotation; the identity gives axis (0, 0, 1) and angle 0.
    let toAxisAngle (r: Rotation) : (float * float * float) * float =
        let q = toQuaternion r
        let v = sqrt (q.X * q.X + q.Y * q.Y + q.Z * q.Z)

        if v < 1e-300 then
            (0.0, 0.0, 1.0), 0.0
        else
            (q.X / v, q.Y / v, q.Z / v), 2.0 * atan2 v q.W

    /// R x for a vector x = (x, y, z).
    let apply (r: Rotation) (x: float, y: float, z: float) =
        r[0, 0] * x + r[0, 1] * y + r[0, 2] * z, r[1, 0] * x + r[1, 1] * y + r[1, 2] * z, r[2, 0] * x + r[2, 1] * y + r[2, 2] * z

    /// The geodesic angle of R in radians, arccos((tr R − 1)/2) in [0, π], computed stably as 2 atan2(|v|, |w|).
    let angle (r: Rotation) =
        let q = toQuaternion r
        2.0 * atan2 (sqrt (q.X * q.X + q.Y * q.Y + q.Z * q.Z)) (abs q.W)

    /// The geodesic distance between two rotations in radians: angle (aᵀ b). Symmetric, zero iff a = b.
    let angleBetween (a: Rotation) (b: Rotation) = angle (inverse a * b)

    /// The geodesic distance between two rotations in degrees.
    let angleBetweenDegrees (a: Rotation) (b: Rotation) = angleBetween a b * 180.0 / Math.PI

    /// A rotation drawn uniformly (Haar measure) on SO(3) from `rng` (Shoemake's subgroup algorithm).
    let randomWith (rng: Random) =
        let u1, u2, u3 = rng.NextDouble(), rng.NextDouble(), rng.NextDouble()
        let a, b = sqrt (1.0 - u1), sqrt u1

        ofQuaternion
            {
                W = b * cos (2.0 * Math.PI * u3)
                X = a * sin (2.0 * Math.PI * u2)
                Y = a * cos (2.0 * Math.PI * u2)
                Z = b * sin (2.0 * Math.PI * u3)
            }

    /// A rotation drawn uniformly on SO(3); the same seed gives the same rotation.
    let random (seed: int) = randomWith (Random seed)

    /// The 2DOF pose of a viewpoint: Rx(elevation) * Ry(azimuth) (radians). The canonical object is y-up and faces
    /// the camera on +z; azimuth turns it about its up axis, elevation tilts it toward (+) or away from the camera.
    /// No in-plane roll.
    let ofAzimuthElevation (azimuth: float) (elevation: float) = aboutX elevation * aboutY azimuth

    /// A 2DOF pose with azimuth uniform in [0, 2π) and elevation uniform in [minElevation, maxElevation] (radians).
    let random2DofWith (minElevation: float) (maxElevation: float) (rng: Random) =
        if not (minElevation <= maxElevation) then
            invalidArg (nameof maxElevation) (sprintf "Expected minElevation <= maxElevation, got %g > %g" minElevation maxElevation)

        let az = 2.0 * Math.PI * rng.NextDouble()
        let el = minElevation + (maxElevation - minElevation) * rng.NextDouble()
        ofAzimuthElevation az el
