/// Slow, obviously correct float64 oracles for the kernels: direct sums straight from the definitions.
module KernelsNaive

open System
open EquiSphere.Tensor.Kernels

/// Tolerances of the kernel tests, per precision.
module KTol =
    /// float64 kernels against float64 oracles: sums of at most a few thousand products of values in [−1, 1].
    let f64 = 1e-12
    /// float32 kernels against float64 oracles on the same (float32-representable) inputs: float32 rounding of
    /// sums of up to a few thousand products (relative to max(1, |value|)).
    let f32 = 1e-4
    /// Adjoint identities ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ in float64, relative to the sum of |terms|.
    let adjoint64 = 1e-12
    /// Central differences in float64 against the analytic gradient (relative).
    let fd64 = 1e-6

/// Uniform values in [−1, 1], rounded to float32 so that float32 and float64 kernels see the same inputs.
let randomArray (rng: Random) (n: int) =
    Array.init n (fun _ -> float (float32 (2.0 * rng.NextDouble() - 1.0)))

/// ⟨a, b⟩ and Σ|a_i b_i| (the scale of its rounding error).
let dot (a: float[]) (b: float[]) =
    let mutable s = 0.0
    let mutable m = 0.0

    for i in 0 .. a.Length - 1 do
        s <- s + a[i] * b[i]
        m <- m + abs (a[i] * b[i])

    s, m

/// Asserts ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ relative to the magnitude of the sums.
let adjointClose (what: string) (lhs: float * float) (rhs: float * float) =
    let l, lm = lhs
    let r, rm = rhs
    let scale = max 1.0 (max lm rm)

    if abs (l - r) > KTol.adjoint64 * scale then
        failwithf "%s: ⟨Ax, y⟩ = %.17g but ⟨x, Aᵀy⟩ = %.17g (scale %.3g)" what l r scale

/// C ← α·op(A)·op(B) + β·C by the triple loop (β = 0 ignores C).
let gemm (opA: MatOp) (opB: MatOp) m n k (alpha: float) (a: float[]) offA lda (b: float[]) offB ldb (beta: float) (c: float[]) offC ldc =
    for i in 0 .. m - 1 do
        for j in 0 .. n - 1 do
            let mutable s = 0.0

            for p in 0 .. k - 1 do
                let av =
                    if opA = MatOp.AsIs then
                        a[offA + i * lda + p]
                    else
                        a[offA + p * lda + i]

                let bv =
                    if opB = MatOp.AsIs then
                        b[offB + p * ldb + j]
                    else
                        b[offB + j * ldb + p]

                s <- s + av * bv

            let ci = offC + i * ldc + j
            c[ci] <- alpha * s + (if beta = 0.0 then 0.0 else beta * c[ci])

/// Direct convolution: y[n, co, oh, ow] = Σ w[co, ci, kh, kw] x[n, g·Cin/G + ci, oh·s − p + kh·d, ow·s − p + kw·d].
let conv (s: Conv2dSpec) (x: float[]) (w: float[]) =
    let oh, ow = s.OutHeight, s.OutWidth
    let cig, cog = s.InChannels / s.Groups, s.OutChannels / s.Groups
    let y = Array.zeroCreate (s.Batch * s.OutChannels * oh * ow)

    for n in 0 .. s.Batch - 1 do
        for co in 0 .. s.OutChannels - 1 do
            let g = co / cog

            for i in 0 .. oh - 1 do
                for j in 0 .. ow - 1 do
                    let mutable acc = 0.0

                    for ci in 0 .. cig - 1 do
                        for kh in 0 .. s.KernelHeight - 1 do
                            for kw in 0 .. s.KernelWidth - 1 do
                                let ih = i * s.StrideH - s.PadH + kh * s.DilationH
                                let iw = j * s.StrideW - s.PadW + kw * s.DilationW

                                if ih >= 0 && ih < s.Height && iw >= 0 && iw < s.Width then
                                    let xv = x[((n * s.InChannels + g * cig + ci) * s.Height + ih) * s.Width + iw]
                                    let wv = w[((co * cig + ci) * s.KernelHeight + kh) * s.KernelWidth + kw]
                                    acc <- acc + xv * wv

                    y[((n * s.OutChannels + co) * oh + i) * ow + j] <- acc

    y

/// Direct transposed convolution by scattering: every input sample x[n, ci, i, j] adds w[ci, co, kh, kw]·x to
/// y[n, g·Cout/G + co, i·s − p + kh·d, j·s − p + kw·d] where that lies inside the output.
let convTranspose (s: ConvTranspose2dSpec) (x: float[]) (w: float[]) =
    let oh, ow = s.OutHeight, s.OutWidth
    let cig, cog = s.InChannels / s.Groups, s.OutChannels / s.Groups
    let y = Array.zeroCreate (s.Batch * s.OutChannels * oh * ow)

    for n in 0 .. s.Batch - 1 do
        for ci in 0 .. s.InChannels - 1 do
            let g = ci / cig

            for i in 0 .. s.Height - 1 do
                for j in 0 .. s.Width - 1 do
                    let xv = x[((n * s.InChannels + ci) * s.Height + i) * s.Width + j]

                    for co in 0 .. cog - 1 do
                        for kh in 0 .. s.KernelHeight - 1 do
                            for kw in 0 .. s.KernelWidth - 1 do
                                let yh = i * s.StrideH - s.PadH + kh * s.DilationH
                                let yw = j * s.StrideW - s.PadW + kw * s.DilationW

                                if yh >= 0 && yh < oh && yw >= 0 && yw < ow then
                                    let wv = w[((ci * cog + co) * s.KernelHeight + kh) * s.KernelWidth + kw]
                                    let yi = ((n * s.OutChannels + g * cog + co) * oh + yh) * ow + yw
                                    y[yi] <- y[yi] + wv * xv

    y

/// The input index read by padded index i along an axis of length n with `before` samples added in front, found
/// by repeated mirroring (reflect) or shifting by n (circular); None for zeros.
let padSource (mode: PadMode) (n: int) (before: int) (i: int) =
    let mutable j = i - before

    match mode with
    | PadMode.Zeros -> if j >= 0 && j < n then Some j else None
    | PadMode.Reflect ->
        while j < 0 || j >= n do
            if j < 0 then
                j <- -j

            if j >= n then
                j <- 2 * (n - 1) - j

        Some j
    | PadMode.Circular ->
        while j < 0 do
            j <- j + n

        while j >= n do
            j <- j - n

        Some j

/// Padding from the definition, one output sample at a time.
let pad (s: Pad2dSpec) (x: float[]) =
    Array.init (s.Planes * s.OutHeight * s.OutWidth) (fun k ->
        let p, r = k / (s.OutHeight * s.OutWidth), k % (s.OutHeight * s.OutWidth)
        let i, j = r / s.OutWidth, r % s.OutWidth

        match padSource s.ModeH s.Height s.Top i, padSource s.ModeW s.Width s.Left j with
        | Some h, Some w -> x[(p * s.Height + h) * s.Width + w]
        | _ -> 0.0)

/// Max pooling from the definition: the largest sample over the window's positions inside the input.
let maxPool (s: Pool2dSpec) (x: float[]) =
    Array.init (s.Planes * s.OutHeight * s.OutWidth) (fun k ->
        let p, r = k / (s.OutHeight * s.OutWidth), k % (s.OutHeight * s.OutWidth)
        let i, j = r / s.OutWidth, r % s.OutWidth

        seq {
            for kh in 0 .. s.KernelHeight - 1 do
                for kw in 0 .. s.KernelWidth - 1 do
                    let h, w = i * s.StrideH - s.PadH + kh, j * s.StrideW - s.PadW + kw

                    if h >= 0 && h < s.Height && w >= 0 && w < s.Width then
                        yield x[(p * s.Height + h) * s.Width + w]
        }
        |> Seq.max)

/// The argmax of max pooling from the definition: the in-plane index h·W + w of the first NaN of the window in
/// row-major order if there is one, else of the first sample equal to the window maximum.
let maxPoolArgmax (s: Pool2dSpec) (x: float[]) =
    Array.init (s.Planes * s.OutHeight * s.OutWidth) (fun k ->
        let p, r = k / (s.OutHeight * s.OutWidth), k % (s.OutHeight * s.OutWidth)
        let i, j = r / s.OutWidth, r % s.OutWidth

        let window =
            [
                for kh in 0 .. s.KernelHeight - 1 do
                    for kw in 0 .. s.KernelWidth - 1 do
                        let h, w = i * s.StrideH - s.PadH + kh, j * s.StrideW - s.PadW + kw

                        if h >= 0 && h < s.Height && w >= 0 && w < s.Width then
                            yield h * s.Width + w, x[(p * s.Height + h) * s.Width + w]
            ]

        match window |> List.tryFind (fun (_, v) -> Double.IsNaN v) with
        | Some(at, _) -> at
        | None ->
            let top = window |> List.map snd |> List.max
            window |> List.find (fun (_, v) -> v = top) |> fst)

/// Average pooling from the definition (window sum over the area or over the samples inside the input).
let avgPool (s: Pool2dSpec) (countPad: bool) (x: float[]) =
    Array.init (s.Planes * s.OutHeight * s.OutWidth) (fun k ->
        let p, r = k / (s.OutHeight * s.OutWidth), k % (s.OutHeight * s.OutWidth)
        let i, j = r / s.OutWidth, r % s.OutWidth

        let inside =
            [
                for kh in 0 .. s.KernelHeight - 1 do
                    for kw in 0 .. s.KernelWidth - 1 do
                        let h, w = i * s.StrideH - s.PadH + kh, j * s.StrideW - s.PadW + kw

                        if h >= 0 && h < s.Height && w >= 0 && w < s.Width then
                            yield x[(p * s.Height + h) * s.Width + w]
            ]

        let count =
            if countPad then
                s.KernelHeight * s.KernelWidth
            else
                inside.Length

        List.sum inside / float count)

/// Keys' cubic kernel with a = −0.75 in expanded form: 1.25|t|³ − 2.25|t|² + 1 on [0, 1],
/// −0.75|t|³ + 3.75|t|² − 6|t| + 3 on (1, 2), else 0.
let keys (t: float) =
    let t = abs t

    if t <= 1.0 then
        1.25 * t * t * t - 2.25 * t * t + 1.0
    elif t < 2.0 then
        -0.75 * t * t * t + 3.75 * t * t - 6.0 * t + 3.0
    else
        0.0

/// Upsampling from the definition, one output sample at a time: the 2D sum over the 2 × 2 (bilinear) or 4 × 4
/// (bicubic) neighbourhood of the source coordinate with product weights, edge-clamped or width-wrapped.
let upsample (s: Upsample2dSpec) (x: float[]) =
    let oh, ow = s.OutHeight, s.OutWidth

    let clampH i = min (s.Height - 1) (max 0 i)

    let fixW i =
        if s.WrapW then
            ((i % s.Width) + s.Width) % s.Width
        else
            min (s.Width - 1) (max 0 i)

    Array.init (s.Planes * oh * ow) (fun k ->
        let p, r = k / (oh * ow), k % (oh * ow)
        let i, j = r / ow, r % ow
        let ch = (float i + 0.5) / float s.FactorH - 0.5
        let cw = (float j + 0.5) / float s.FactorW - 0.5

        let at h w =
            x[(p * s.Height + clampH h) * s.Width + fixW w]

        match s.Mode with
        | UpsampleMode.Bilinear ->
            let ch = max 0.0 ch
            let cw = if s.WrapW then cw else max 0.0 cw
            let h0, w0 = int (floor ch), int (floor cw)
            let th, tw = ch - float h0, cw - float w0

            (1.0 - th) * ((1.0 - tw) * at h0 w0 + tw * at h0 (w0 + 1))
            + th * ((1.0 - tw) * at (h0 + 1) w0 + tw * at (h0 + 1) (w0 + 1))
        | UpsampleMode.Bicubic ->
            let h0, w0 = int (floor ch), int (floor cw)
            let mutable acc = 0.0

            for a in h0 - 1 .. h0 + 2 do
                for b in w0 - 1 .. w0 + 2 do
                    acc <- acc + keys (ch - float a) * keys (cw - float b) * at a b

            acc)
