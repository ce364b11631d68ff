namespace EquiSphere.Harmonics

open System
open System.Numerics

/// Wigner small-d and big-D functions. Convention (DESIGN.md): D^l_{m'm}(α, β, γ) = e^{−im'α} d^l_{m'm}(β) e^{−imγ}
/// with d^1_{10}(β) = −sin β / √2, so that Y_l^m(R⁻¹x) = Σ_{m'} D^l_{m'm}(R) Y_l^{m'}(x).
/// Values come from the three-term recurrence in l (Kostelec–Rockmore) seeded at l₀ = max(|m'|, |m|) by the
/// closed form of Wigner's formula evaluated in log space; this stays accurate (|d dᵀ − I| ~ 1e-13) to l = 2048.
/// Laws: d^l(β) is orthogonal; d^l_{m'm} = (−1)^{m'−m} d^l_{mm'} = d^l_{−m,−m'}; D(R1 R2) = D(R1) D(R2).
[<RequireQualifiedAccess>]
module Wigner =

    /// ln C(n, t) as a compensated sum of ln((n − t' + i)/i), t' = min(t, n − t).
    let private lnBinomial (n: int) (t: int) =
        let tt = min t (n - t)
        let mutable sum = 0.0
        let mutable comp = 0.0

        for i in 1..tt do
            let y = log (float (n - tt + i) / float i) - comp
            let s = sum + y
            comp <- (s - sum) - y
            sum <- s

        sum

    /// d^{l₀}_{m'm}(β) at l₀ = max(|m'|, |m|), from the single surviving term of Wigner's formula.
    let private seed (mp: int) (m: int) (cosHalf: float) (sinHalf: float) =
        let l0 = max (abs mp) (abs m)

        // t: the binomial index; a, b: the powers of cos(β/2) and sin(β/2); negative: the sign.
        let t, a, b, negative =
            if mp = l0 then l0 + m, l0 + m, l0 - m, (l0 - m) % 2 <> 0
            elif mp = -l0 then l0 + m, l0 - m, l0 + m, false
            elif m = l0 then l0 + mp, l0 + mp, l0 - mp, false
            else l0 + mp, l0 - mp, l0 + mp, (l0 + mp) % 2 <> 0

        let power (x: float) (k: int) = if k = 0 then 0.0 else float k * log x

        let value =
            if (a > 0 && cosHalf <= 0.0) || (b > 0 && sinHalf <= 0.0) then
                0.0
            else
                exp (0.5 * lnBinomial (2 * l0) t + power cosHalf a + power sinHalf b)

        if negative then -value else value

    let private halfAngles (beta: float) =
        let c = cos (beta / 2.0)
        let s = sin (beta / 2.0)
        max c 0.0, max s 0.0

    /// d^l_{m'm}(β) for one (l, m', m); O(l) work. β in radians.
    let smallD (l: int) (mPrime: int) (m: int) (beta: float) =
        Check.degreeOrder l mPrime
        Check.degreeOrder l m
        Check.finite (nameof beta) beta
        let c, s = halfAngles beta
        let cb = cos beta
        let l0 = max (abs mPrime) (abs m)
        let mutable prev = 0.0
        let mutable cur = seed mPrime m c s

        for k in l0 .. l - 1 do
            let fk = float k
            let rm = sqrt ((fk + 1.0) * (fk + 1.0) - float (m * m))
            let rp = sqrt ((fk + 1.0) * (fk + 1.0) - float (mPrime * mPrime))

            let ratio =
                if k = 0 then
                    0.0
                else
                    float (m * mPrime) / (fk * (fk + 1.0))

            let a = (fk + 1.0) * (2.0 * fk + 1.0) / (rm * rp)

            let bcoef =
                if k = 0 then
                    0.0
                else
                    (fk + 1.0)
                    * sqrt (fk * fk - float (m * m))
                    * sqrt (fk * fk - float (mPrime * mPrime))
                    / (fk * rm * rp)

            let next = a * (cb - ratio) * cur - bcoef * prev
            prev <- cur
            cur <- next

        cur

    /// Calls `visit l d` for l = 0..lmax with the matrix d^l(β) held in a reused (2 lmax + 1)² buffer indexed
    /// [(m' + lmax) * (2 lmax + 1) + (m + lmax)]; entries with max(|m'|, |m|) > l are zero. The buffer is
    /// overwritten after `visit` returns, so copy what you keep. O(lmax³) work, O(lmax²) memory.
    let iterate (lmax: int) (beta: float) (visit: int -> float[] -> unit) =
        if lmax < 0 then
            invalidArg (nameof lmax) (sprintf "Expected lmax >= 0, got %d" lmax)

        Check.finite (nameof beta) beta
        let n = 2 * lmax + 1
        let c, s = halfAngles beta
        let cb = cos beta
        let mutable prev = Array.zeroCreate<float>(n * n)
        let mutable cur = Array.zeroCreate<float>(n * n)
        let mutable next = Array.zeroCreate<float>(n * n)
        cur[lmax * n + lmax] <- 1.0
        visit 0 cur
        let r = Array.zeroCreate<float> n
        let q = Array.zeroCreate<float> n

        for k in 0 .. lmax - 1 do
            let fk = float k

            for x in -k .. k do
                r[x + lmax] <- sqrt ((fk + 1.0) * (fk + 1.0) - float (x * x))
                q[x + lmax] <- sqrt (fk * fk - float (x * x))

            let inv = if k = 0 then 0.0 else 1.0 / (fk * (fk + 1.0))
            let a0 = (fk + 1.0) * (2.0 * fk + 1.0)
            let b0 = if k = 0 then 0.0 else (fk + 1.0) / fk

            for mp in -k .. k do
                let row = (mp + lmax) * n
                let rp = r[mp + lmax]
                let qp = q[mp + lmax]

                for m in -k .. k do
                    let rr = rp * r[m + lmax]
                    let a = a0 / rr
                    let b = b0 * qp * q[m + lmax] / rr
                    let i = row + m + lmax
                    next[i] <- a * (cb - float (m * mp) * inv) * cur[i] - b * prev[i]

            let l1 = k + 1

            for x in -l1 .. l1 do
                next[(l1 + lmax) * n + x + lmax] <- seed l1 x c s
                next[(-l1 + lmax) * n + x + lmax] <- seed -l1 x c s
                next[(x + lmax) * n + l1 + lmax] <- seed x l1 c s
                next[(x + lmax) * n - l1 + lmax] <- seed x -l1 c s

            let t = prev
            prev <- cur
            cur <- next
            next <- t
            visit l1 cur

    /// The (2l+1) × (2l+1) matrix d^l(β), indexed [m' + l, m + l]. O(l³) work.
    let smallDMatrix (l: int) (beta: float) : float[,] =
        Check.degreeOrder l 0
        let result = Array2D.zeroCreate (2 * l + 1) (2 * l + 1)

        iterate l beta (fun k d ->
            if k = l then
                for i in 0 .. 2 * l do
                    for j in 0 .. 2 * l do
                        result[i, j] <- d[i * (2 * l + 1) + j])

        result

    /// D^l_{m'm}(α, β, γ) = e^{−im'α} d^l_{m'm}(β) e^{−imγ} for one entry.
    let bigD (l: int) (mPrime: int) (m: int) (alpha: float) (beta: float) (gamma: float) =
        let d = smallD l mPrime m beta
        Complex.FromPolarCoordinates(d, -(float mPrime * alpha + float m * gamma))

    /// The (2l+1) × (2l+1) matrix D^l(α, β, γ), indexed [m' + l, m + l]. Unitary; law: D(R⁻¹) = D(R)ᴴ.
    let bigDMatrix (l: int) (alpha: float) (beta: float) (gamma: float) : Complex[,] =
        let d = smallDMatrix l beta

        Array2D.init (2 * l + 1) (2 * l + 1) (fun i j ->
            let mp, m = i - l, j - l
            Complex.FromPolarCoordinates(d[i, j], -(float mp * alpha + float m * gamma)))

    /// D^l(R) of a rotation through its ZYZ Euler angles, indexed [m' + l, m + l].
    let bigDOfRotation (l: int) (r: Rotation) : Complex[,] =
        let a, b, g = Rotation.toEulerZyz r
        bigDMatrix l a b g
