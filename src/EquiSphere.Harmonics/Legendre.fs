namespace EquiSphere.Harmonics

open System
open System.Numerics

/// Normalized associated Legendre functions: the θ-part of the complex spherical harmonics,
/// λ_l^m(θ) = (−1)^m √((2l+1)/(4π) · (l−m)!/(l+m)!) P_l^m(cos θ) for 0 ≤ m ≤ l, so that
/// Y_l^m(θ, φ) = λ_l^m(θ) e^{imφ} (Condon–Shortley phase included); for m &lt; 0, λ_l^{−m} = (−1)^m λ_l^m.
/// Computed by the m-diagonal seed λ_m^m = (−1)^m √((2m+1)/(4π) Π_{k≤m} (2k−1)/(2k)) sin^m θ followed by the
/// three-term recurrence in l, λ_l^m = a_l^m (cos θ λ_{l−1}^m − λ_{l−2}^m / a_{l−1}^m), a_l^m = √((4l²−1)/(l²−m²)),
/// which is stable for increasing l. Seeds that would underflow (sin^m θ at high m near the poles) are carried
/// as a mantissa times 2^(−400e) and rescaled on the way up, so values are exact to rounding for l ≥ 1024.
/// Laws: ∫ λ_l^m λ_{l'}^m sin θ dθ = δ_{ll'} / (2π); λ_l^m(π − θ) = (−1)^{l+m} λ_l^m(θ).
[<RequireQualifiedAccess>]
module Legendre =

    /// 2^400: the rescaling factor of underflow-protected seeds.
    let private big = Math.Pow(2.0, 400.0)

    /// 2^(−400).
    let private small = Math.Pow(2.0, -400.0)

    /// The value of a mantissa carried with the scale exponent e (true value = v · 2^(−400e)).
    let inline private unscale (v: float) (e: int) =
        if e = 0 then v
        elif e = 1 then v * small
        elif e = 2 then v * small * small
        else 0.0

    /// The recurrence coefficients a_l^m = √((4l²−1)/(l²−m²)) and b_l^m = 1/a_{l−1}^m for all 0 ≤ m ≤ l ≤ lmax,
    /// packed at l(l+1)/2 + m; precomputed once per plan.
    [<Sealed>]
    type Coefficients internal (lmax: int, a: float[], b: float[], alpha: float[], scale: float[]) =
        /// The largest degree covered.
        member _.LMax = lmax
        member internal _.A = a
        member internal _.B = b
        /// α'_l of the rescaled recurrence ν_l = α'_l x ν_{l−1} + ν_{l−2} (ν_m = λ_m, ν_{m+1} = λ_{m+1}), one fused
        /// multiply-add per step; λ_l = s'_l ν_l with s'_l = `Scale`.
        member internal _.Alpha = alpha
        /// s'_l with λ_l^m = s'_l ν_l (see `Alpha`); s'_m = s'_{m+1} = 1.
        member internal _.Scale = scale

    /// The packed index l(l+1)/2 + m of the pair 0 ≤ m ≤ l used by the Legendre tables.
    let inline triangularIndex (l: int) (m: int) = l * (l + 1) / 2 + m

    /// The recurrence coefficients for all degrees l ≤ lmax (lmax ≥ 0).
    let coefficients (lmax: int) : Coefficients =
        if lmax < 0 then
            invalidArg (nameof lmax) (sprintf "Expected a maximal degree lmax >= 0, got %d" lmax)

        let count = triangularIndex lmax lmax + 1
        let a = Array.zeroCreate count
        let b = Array.zeroCreate count

        for l in 0..lmax do
            for m in 0..l do
                let i = triangularIndex l m
                let fl, fm = float l, float m

                if l > m then
                    a[i] <- sqrt ((4.0 * fl * fl - 1.0) / ((fl - fm) * (fl + fm)))

                if l > m + 1 then
                    let l1 = fl - 1.0
                    b[i] <- sqrt ((l1 - fm) * (l1 + fm) / (4.0 * l1 * l1 - 1.0))

        // The rescaled recurrence: with λ_l = s_l μ_l, s_l = a_l b_l s_{l−2} (s_m = s_{m+1} = 1) turns
        // λ_l = a_l x λ_{l−1} − a_l b_l λ_{l−2} into μ_l = α_l x μ_{l−1} − μ_{l−2}, α_l = a_l s_{l−1} / s_l; the
        // signs σ_l = (−1)^⌊(l−m)/2⌋ (ν_l = σ_l μ_l) then make it ν_l = (α_l σ_{l−1} σ_l) x ν_{l−1} + ν_{l−2}.
        let alpha = Array.zeroCreate count
        let scale = Array.zeroCreate count

        for m in 0..lmax do
            let mutable s2 = 1.0
            let mutable s1 = 1.0
            scale[triangularIndex m m] <- 1.0

            if m + 1 <= lmax then
                scale[triangularIndex (m + 1) m] <- 1.0

            for l in m + 2 .. lmax do
                let i = triangularIndex l m
                let sl = a[i] * b[i] * s2
                let sigma = if ((l - m) / 2) % 2 = 0 then 1.0 else -1.0
                let sigma1 = if ((l - 1 - m) / 2) % 2 = 0 then 1.0 else -1.0
                alpha[i] <- a[i] * s1 / sl * sigma * sigma1
                scale[i] <- sl * sigma
                s2 <- s1
                s1 <- sl

        Coefficients(lmax, a, b, alpha, scale)

    /// The scaled diagonal seeds λ_m^m(θ) for m = 0..mmax at sin θ = s: (mantissa, exponent) pairs with
    /// λ_m^m = mantissa · 2^(−400 · exponent).
    let internal seeds (mmax: int) (s: float) : float[] * int[] =
        let v = Array.zeroCreate (mmax + 1)
        let e = Array.zeroCreate (mmax + 1)
        let mutable value = sqrt (1.0 / (4.0 * Math.PI))
        let mutable exponent = 0
        v[0] <- value

        for m in 1..mmax do
            value <- -(sqrt (float (2 * m + 1) / float (2 * m))) * s * value

            if abs value < small then
                value <- value * big
                exponent <- exponent + 1

            v[m] <- value
            e[m] <- exponent

        v, e

    /// Runs the l-recurrence for one order m at cos θ = x from the scaled seed (v, e), writing λ_l^m for
    /// l = m..lmax to dst[offset + (l − m) · stride].
    let internal recur (c: Coefficients) (m: int) (lmax: int) (x: float) (v: float) (e: int) (dst: float[]) (offset: int) (stride: int) =
        let a = c.A
        let b = c.B
        let mutable exponent = e
        let mutable p2 = v
        dst[offset] <- unscale p2 exponent

        if lmax > m then
            let mutable p1 = sqrt (float (2 * m + 3)) * x * p2
            dst[offset + stride] <- unscale p1 exponent
            let mutable i = triangularIndex (m + 2) m

            for l in m + 2 .. lmax do
                let p = a[i] * (x * p1 - b[i] * p2)
                p2 <- p1
                p1 <- p

                if exponent > 0 && abs p1 > big then
                    p1 <- p1 * small
                    p2 <- p2 * small
                    exponent <- exponent - 1

                dst[offset + (l - m) * stride] <- unscale p1 exponent
                i <- i + l + 1

    /// Work arrays of `fillRows` for up to `count` rings.
    [<Sealed>]
    type internal RowWork(count: int) =
        member val P1: float[] = Array.zeroCreate count
        member val P2: float[] = Array.zeroCreate count
        member val Scale: float[] = Array.zeroCreate count
        member val Exponent: int[] = Array.zeroCreate count
        member val Scaled: int[] = Array.zeroCreate count

    let inline private scaleOf (e: int) =
        if e = 0 then 1.0
        elif e = 1 then small
        elif e = 2 then small * small
        else 0.0

    /// Runs the l-recurrence of order m for `count` rings at once (SIMD over rings), writing λ_l^m(θ_j) to
    /// dst[offset + (l − m)·stride + j] for l = m..lmax, j &lt; count, from cosines xs[j] and the scaled seeds
    /// (seedV, seedE)[seedOff + j]. Rows are contiguous, so this is the fast way to fill a Legendre block.
    let internal fillRows
        (c: Coefficients)
        (m: int)
        (lmax: int)
        (xs: float[])
        (seedV: float[])
        (seedE: int[])
        (seedOff: int)
        (count: int)
        (dst: float[])
        (offset: int)
        (stride: int)
        (work: RowWork)
        =
        let scale = work.Scale
        let exponent = work.Exponent
        let scaled = work.Scaled
        let mutable p1 = work.P1
        let mutable p2 = work.P2
        let mutable nScaled = 0

        for j in 0 .. count - 1 do
            let e = seedE[seedOff + j]
            p2[j] <- seedV[seedOff + j]
            exponent[j] <- e
            scale[j] <- scaleOf e
            dst[offset + j] <- p2[j] * scale[j]

            if e > 0 then
                scaled[nScaled] <- j
                nScaled <- nScaled + 1

        if lmax > m then
            let c1 = sqrt (float (2 * m + 3))
            let row = offset + stride

            for j in 0 .. count - 1 do
                p1[j] <- c1 * xs[j] * p2[j]
                dst[row + j] <- p1[j] * scale[j]

            let w = Vector<float>.Count
            let a = c.A
            let b = c.B
            let mutable i = triangularIndex (m + 2) m

            for l in m + 2 .. lmax do
                let row = offset + (l - m) * stride
                let av = Vector<float>(a[i])
                let bv = Vector<float>(b[i])
                let mutable j = 0

                while j + w <= count do
                    let next =
                        av * (Vector<float>(xs, j) * Vector<float>(p1, j) - bv * Vector<float>(p2, j))

                    next.CopyTo(p2, j)
                    (next * Vector<float>(scale, j)).CopyTo(dst, row + j)
                    j <- j + w

                while j < count do
                    let next = a[i] * (xs[j] * p1[j] - b[i] * p2[j])
                    p2[j] <- next
                    dst[row + j] <- next * scale[j]
                    j <- j + 1

                // The newest values are now in p2: swap the roles.
                let t = p1
                p1 <- p2
                p2 <- t

                // Rings still carrying a scale exponent: rescale when the mantissa has grown past 2^400.
                let mutable k = 0

                while k < nScaled do
                    let jj = scaled[k]

                    if abs p1[jj] > big then
                        p1[jj] <- p1[jj] * small
                        p2[jj] <- p2[jj] * small
                        exponent[jj] <- exponent[jj] - 1
                        scale[jj] <- scaleOf exponent[jj]

                    if exponent[jj] = 0 then
                        nScaled <- nScaled - 1
                        scaled[k] <- scaled[nScaled]
                    else
                        k <- k + 1

                i <- i + l + 1

    /// λ_l^m(θ) for one order 0 ≤ m ≤ lmax and l = m..lmax (index l − m) at colatitude θ, from precomputed
    /// recurrence coefficients (lmax ≤ c.LMax); O(m + lmax) work.
    let column (c: Coefficients) (m: int) (lmax: int) (theta: float) : float[] =
        if lmax < 0 || lmax > c.LMax then
            invalidArg (nameof lmax) (sprintf "Expected 0 <= lmax <= %d (the coefficients' degree), got %d" c.LMax lmax)

        if m < 0 || m > lmax then
            invalidArg (nameof m) (sprintf "Expected an order 0 <= m <= lmax = %d, got %d" lmax m)

        Check.finite (nameof theta) theta
        let s = sin theta
        let v, e = seeds m (abs s)
        let sign = if s < 0.0 && m % 2 = 1 then -1.0 else 1.0
        let out = Array.zeroCreate (lmax - m + 1)
        recur c m lmax (cos theta) (sign * v[m]) e[m] out 0 1
        out

    /// λ_l^m(θ) for all 0 ≤ m ≤ l ≤ lmax at one colatitude θ (radians), packed at l(l+1)/2 + m.
    let all (lmax: int) (theta: float) : float[] =
        Check.finite (nameof theta) theta
        let c = coefficients lmax
        let x, s = cos theta, sin theta
        let v, e = seeds lmax (abs s)
        let out = Array.zeroCreate (triangularIndex lmax lmax + 1)
        let column = Array.zeroCreate (lmax + 1)

        for m in 0..lmax do
            // An odd power of a negative sine (θ outside [0, π]) flips the seed's sign.
            let sign = if s < 0.0 && m % 2 = 1 then -1.0 else 1.0
            recur c m lmax x (sign * v[m]) e[m] column 0 1

            for l in m..lmax do
                out[triangularIndex l m] <- column[l - m]

        out

    /// λ_l^m(θ) for one (l, m) with |m| ≤ l (negative m by λ_l^{−m} = (−1)^m λ_l^m); O(l²) work
    /// (it builds the recurrence coefficients; use `column` for many values).
    let value (l: int) (m: int) (theta: float) : float =
        Check.degreeOrder l m
        Check.finite (nameof theta) theta
        let am = abs m
        let c = coefficients l
        let s = sin theta
        let v, e = seeds am (abs s)
        let sign = if s < 0.0 && am % 2 = 1 then -1.0 else 1.0
        let column = Array.zeroCreate (l - am + 1)
        recur c am l (cos theta) (sign * v[am]) e[am] column 0 1
        let r = column[l - am]
        if m < 0 && am % 2 = 1 then -r else r
