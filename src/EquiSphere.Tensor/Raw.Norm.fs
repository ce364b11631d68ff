namespace EquiSphere.Tensor

open System
open System.Numerics
open System.Threading.Tasks

/// Batch-normalization kernels on [N; C; P] arrays (P = product of the spatial axes). The float64 reference
/// kernels run one channel per task with float64 accumulation. The float32 variants (suffix 32) make one SIMD
/// pass in memory order per reduction and per output (FMA-based, ReLU masks applied in registers, no temporary
/// arrays), planes split over the cores, one thread for small tensors; their per-plane sums are folded per
/// channel in a fixed order, so results do not depend on the number of cores.
[<RequireQualifiedAccess>]
module RawNorm =

    /// Per-channel mean and biased variance over N and P.
    let inline stats (n: int) (c: int) (p: int) (x: ^T[]) =
        let mean = Array.zeroCreate c
        let var = Array.zeroCreate c

        Parallel.For(
            0,
            c,
            fun ch ->
                let mutable s = 0.0

                for i in 0 .. n - 1 do
                    let off = (i * c + ch) * p

                    for j in off .. off + p - 1 do
                        s <- s + float x[j]

                let m = s / float (n * p)
                let mutable q = 0.0

                for i in 0 .. n - 1 do
                    let off = (i * c + ch) * p

                    for j in off .. off + p - 1 do
                        let d = float x[j] - m
                        q <- q + d * d

                mean[ch] <- m
                var[ch] <- q / float (n * p)
        )
        |> ignore

        mean, var

    /// y = x·scale[c] + shift[c].
    let inline affine (n: int) (c: int) (p: int) (scale: float[]) (shift: float[]) (ofFloat: float -> ^T) (x: ^T[]) =
        let y = Array.zeroCreate x.Length

        Parallel.For(
            0,
            n * c,
            fun k ->
                let a, b = ofFloat scale[k % c], ofFloat shift[k % c]

                for j in k * p .. (k + 1) * p - 1 do
                    y[j] <- x[j] * a + b
        )
        |> ignore

        y

    /// Per-channel Σ g and Σ g·x̂ with x̂ = (x − mean)·invStd.
    let inline reduceGrad (n: int) (c: int) (p: int) (mean: float[]) (invStd: float[]) (x: ^T[]) (g: ^T[]) =
        let sg = Array.zeroCreate c
        let sgx = Array.zeroCreate c

        Parallel.For(
            0,
            c,
            fun ch ->
                let mutable a = 0.0
                let mutable b = 0.0

                for i in 0 .. n - 1 do
                    let off = (i * c + ch) * p

                    for j in off .. off + p - 1 do
                        let gv = float g[j]
                        a <- a + gv
                        b <- b + gv * (float x[j] - mean[ch]) * invStd[ch]

                sg[ch] <- a
                sgx[ch] <- b
        )
        |> ignore

        sg, sgx

    /// dx of training-mode batch norm: γ·invStd·(g − Σg/M − x̂·Σg·x̂/M), M = N·P.
    let inline trainBackward
        (n: int)
        (c: int)
        (p: int)
        (mean: float[])
        (invStd: float[])
        (gamma: float[])
        (sg: float[])
        (sgx: float[])
        (ofFloat: float -> ^T)
        (x: ^T[])
        (g: ^T[])
        =
        let dx = Array.zeroCreate x.Length
        let m = float (n * p)

        Parallel.For(
            0,
            n * c,
            fun k ->
                let ch = k % c
                let k1 = gamma[ch] * invStd[ch]
                let mg = sg[ch] / m
                let mgx = sgx[ch] / m

                for j in k * p .. (k + 1) * p - 1 do
                    let xh = (float x[j] - mean[ch]) * invStd[ch]
                    dx[j] <- ofFloat (k1 * (float g[j] - mg - xh * mgx))
        )
        |> ignore

        dx

    /// Elements per float32 accumulation block of the float32 reductions: within a block each SIMD lane of the
    /// two accumulators per sum adds at most FoldBlock / (2·W) terms in float32 (W = `Vector<float32>.Count`),
    /// then the lanes are folded into float64; planes and channels are summed in float64.
    [<Literal>]
    let FoldBlock = 1024

    /// Runs `body lo hi` over contiguous ranges covering [0, items): one range on the calling thread when
    /// `RawSplit.parts elements` is 1 (small tensors, where thread hand-off costs more than the work), else one
    /// range per part in parallel. Each item is computed the same way whatever the split.
    let private split (items: int) (elements: int) (body: int -> int -> unit) =
        let parts = min items (RawSplit.parts elements)

        if parts <= 1 then
            body 0 items
        else
            let per = (items + parts - 1) / parts

            Parallel.For(0, parts, fun t -> body (t * per) (min items ((t + 1) * per)))
            |> ignore

    /// g[i] where y[i] > 0 else g[i]·0 when `mask` (ReLU's adjoint on its output y, the same values as
    /// `RawElementwise.leakyMask 0.0`), else g[i]; one SIMD vector from index i.
    let inline private loadGrad (mask: bool) (y: float32[]) (g: float32[]) (i: int) =
        let gv = Vector<float32>(g, i)

        if mask then
            Vector.ConditionalSelect(Vector.GreaterThan(Vector<float32>(y, i), Vector<float32>.Zero), gv, gv * Vector<float32>.Zero)
        else
            gv

    /// The scalar twin of `loadGrad`, branch-free (ReLU masks of random signs defeat branch prediction): the
    /// same select as the SIMD path, on one lane.
    let inline private loadGradScalar (mask: bool) (y: float32[]) (g: float32[]) (i: int) =
        if mask then
            let gv = Runtime.Intrinsics.Vector128.CreateScalarUnsafe g[i]
            let yv = Runtime.Intrinsics.Vector128.CreateScalarUnsafe y[i]

            Runtime.Intrinsics.Vector128.ToScalar(
                Runtime.Intrinsics.Vector128.ConditionalSelect(
                    Runtime.Intrinsics.Vector128.GreaterThan(yv, Runtime.Intrinsics.Vector128<float32>.Zero),
                    gv,
                    gv * Runtime.Intrinsics.Vector128<float32>.Zero
                )
            )
        else
            g[i]

    /// (Σ d, Σ d²) with d = x[j] − k over the plane x[off .. off + p − 1], d and d² in float32 SIMD lanes per
    /// block of `FoldBlock` elements (d² accumulated by FMA), folded into float64.
    let inline private shiftedSums (x: float32[]) (off: int) (p: int) (k: float32) =
        let w = Vector<float32>.Count
        let kv = Vector<float32>(k)
        let stop = off + p
        let mutable s1 = 0.0
        let mutable s2 = 0.0
        let mutable start = off

        while start < stop do
            let blockEnd = min stop (start + FoldBlock)
            let mutable a0 = Vector<float32>.Zero
            let mutable a1 = Vector<float32>.Zero
            let mutable q0 = Vector<float32>.Zero
            let mutable q1 = Vector<float32>.Zero
            let mutable i = start

            while i <= blockEnd - 2 * w do
                let d0 = Vector<float32>(x, i) - kv
                let d1 = Vector<float32>(x, i + w) - kv
                a0 <- a0 + d0
                a1 <- a1 + d1
                q0 <- Vector.FusedMultiplyAdd(d0, d0, q0)
                q1 <- Vector.FusedMultiplyAdd(d1, d1, q1)
                i <- i + 2 * w

            if i <= blockEnd - w then
                let d0 = Vector<float32>(x, i) - kv
                a0 <- a0 + d0
                q0 <- Vector.FusedMultiplyAdd(d0, d0, q0)
                i <- i + w

            // planes shorter than one vector (P = 4 at the encoder's end) skip the horizontal sums
            let vectors = i > start
            let mutable t1 = if vectors then float (Vector.Sum(a0 + a1)) else 0.0
            let mutable t2 = if vectors then float (Vector.Sum(q0 + q1)) else 0.0

            while i < blockEnd do
                let d = float (x[i] - k)
                t1 <- t1 + d
                t2 <- t2 + d * d
                i <- i + 1

            s1 <- s1 + t1
            s2 <- s2 + t2
            start <- blockEnd

        struct (s1, s2)

    /// (Σ gm, Σ gm·(x − m0)) over one plane from `off`, gm = `loadGrad mask y g`, in float32 SIMD lanes per
    /// block of `FoldBlock` elements (the products by FMA), folded into float64. x − m0 is exact in float32
    /// for x within a factor 2 of m0 (Sterbenz), so centering on m0 = float32 mean keeps Σgm·x̂ accurate when
    /// |mean| ≫ std.
    let inline private gradSums (mask: bool) (x: float32[]) (y: float32[]) (g: float32[]) (off: int) (p: int) (m0: float32) =
        let w = Vector<float32>.Count
        let mv = Vector<float32>(m0)
        let stop = off + p
        let mutable s1 = 0.0
        let mutable s2 = 0.0
        let mutable start = off

        while start < stop do
            let blockEnd = min stop (start + FoldBlock)
            let mutable a0 = Vector<float32>.Zero
            let mutable a1 = Vector<float32>.Zero
            let mutable b0 = Vector<float32>.Zero
            let mutable b1 = Vector<float32>.Zero
            let mutable i = start

            while i <= blockEnd - 2 * w do
                let g0 = loadGrad mask y g i
                let g1 = loadGrad mask y g (i + w)
                a0 <- a0 + g0
                a1 <- a1 + g1
                b0 <- Vector.FusedMultiplyAdd(g0, Vector<float32>(x, i) - mv, b0)
                b1 <- Vector.FusedMultiplyAdd(g1, Vector<float32>(x, i + w) - mv, b1)
                i <- i + 2 * w

            if i <= blockEnd - w then
                let g0 = loadGrad mask y g i
                a0 <- a0 + g0
                b0 <- Vector.FusedMultiplyAdd(g0, Vector<float32>(x, i) - mv, b0)
                i <- i + w

            // planes shorter than one vector (P = 4 at the encoder's end) skip the horizontal sums
            let vectors = i > start
            let mutable t1 = if vectors then float (Vector.Sum(a0 + a1)) else 0.0
            let mutable t2 = if vectors then float (Vector.Sum(b0 + b1)) else 0.0

            while i < blockEnd do
                let gm = float (loadGradScalar mask y g i)
                t1 <- t1 + gm
                t2 <- t2 + gm * float (x[i] - m0)
                i <- i + 1

            s1 <- s1 + t1
            s2 <- s2 + t2
            start <- blockEnd

        struct (s1, s2)

    /// dst = fma(src', a, b) over one plane, src' = `loadGrad mask y src`, then max(·, 0) when `relu`
    /// (IEEE maximum, as `TensorPrimitives.Max`).
    let private affinePlane
        (mask: bool)
        (relu: bool)
        (src: float32[])
        (y: float32[])
        (dst: float32[])
        (off: int)
        (p: int)
        (a: float32)
        (b: float32)
        =
        let w = Vector<float32>.Count
        let av, bv = Vector<float32>(a), Vector<float32>(b)
        let stop = off + p
        let mutable i = off

        while i <= stop - w do
            let v = Vector.FusedMultiplyAdd(loadGrad mask y src i, av, bv)

            (if relu then Vector.Max(v, Vector<float32>.Zero) else v).CopyTo(dst, i)

            i <- i + w

        while i < stop do
            let v = MathF.FusedMultiplyAdd(loadGradScalar mask y src i, a, b)
            dst[i] <- (if relu then MathF.Max(v, 0.0f) else v)
            i <- i + 1

    /// dx = fma(k1, gm, fma(bx, x − m0, c0)) over one plane, gm = `loadGrad mask y g`.
    let private dxPlane
        (mask: bool)
        (x: float32[])
        (y: float32[])
        (g: float32[])
        (dx: float32[])
        (off: int)
        (p: int)
        (struct (m0: float32, k1: float32, bx: float32, c0: float32))
        =
        let w = Vector<float32>.Count

        let mv, kv, bv, cv =
            Vector<float32>(m0), Vector<float32>(k1), Vector<float32>(bx), Vector<float32>(c0)

        let stop = off + p
        let mutable i = off

        while i <= stop - w do
            let t = Vector.FusedMultiplyAdd(bv, Vector<float32>(x, i) - mv, cv)
            Vector.FusedMultiplyAdd(kv, loadGrad mask y g i, t).CopyTo(dx, i)
            i <- i + w

        while i < stop do
            let t = MathF.FusedMultiplyAdd(bx, x[i] - m0, c0)
            dx[i] <- MathF.FusedMultiplyAdd(k1, loadGradScalar mask y g i, t)
            i <- i + 1

    /// Per-channel float32 coefficients (m0, k1, bx, c0) of the training-mode dx = k1·g + bx·(x − m0) + c0,
    /// which is γ·invStd·(g − Σg/M − x̂·Σg·x̂/M) with m0 = float32 mean, k1 = γ·invStd, bx = −k1·invStd·Σg·x̂/M
    /// and c0 = −k1·Σg/M + bx·(m0 − mean), all formed in float64.
    let private trainCoefficients (m: float) (mean: float) (invStd: float) (gamma: float) (sg: float) (sgx: float) =
        let m0 = float32 mean
        let k1 = gamma * invStd
        let bx = -k1 * (sgx / m) * invStd
        let c0 = -k1 * (sg / m) + bx * (float m0 - mean)
        struct (m0, float32 k1, float32 bx, float32 c0)

    /// Per-plane partial sums in memory order, then folded per channel: `plane k` gives two float64 partials of
    /// plane k = i·C + ch (planes split in contiguous ranges over the cores), and channel ch's sums are
    /// Σ_i partials[i·C + ch] added in the order i = 0 .. N − 1 whatever the split, so the results are
    /// bit-identical for every number of cores. Traversing x in memory order (instead of channel by channel, N
    /// planes C·P apart) lets the hardware prefetcher stream it. Returns (Σ first, Σ second) per channel.
    let inline private planeFold (n: int) (c: int) (elements: int) (plane: int -> struct (float * float)) =
        let planes = n * c
        let partial = Buffers.ArrayPool<float>.Shared.Rent(2 * planes)

        split planes elements (fun k0 k1 ->
            for k in k0 .. k1 - 1 do
                let struct (a, b) = plane k
                partial[2 * k] <- a
                partial[2 * k + 1] <- b)

        let s1 = Array.zeroCreate c
        let s2 = Array.zeroCreate c

        for ch in 0 .. c - 1 do
            let mutable a = 0.0
            let mutable b = 0.0

            for i in 0 .. n - 1 do
                a <- a + partial[2 * (i * c + ch)]
                b <- b + partial[2 * (i * c + ch) + 1]

            s1[ch] <- a
            s2[ch] <- b

        Buffers.ArrayPool<float>.Shared.Return partial
        s1, s2

    /// Per-channel (Σgm, Σgm·x̂), gm masked as `loadGrad mask y g`: Σgm·x̂ = invStd·(Σgm·(x − m0) − (mean − m0)·Σgm)
    /// with m0 = float32 mean, from `gradSums` per plane folded by `planeFold`.
    let private channelGradSums
        (mask: bool)
        (n: int)
        (c: int)
        (p: int)
        (mean: float[])
        (invStd: float[])
        (x: float32[])
        (y: float32[])
        (g: float32[])
        =
        let m0 = mean |> Array.map float32

        let sg, sxm =
            planeFold n c x.Length (fun k -> gradSums mask x y g (k * p) p m0[k % c])

        let sgx =
            Array.init c (fun ch -> invStd[ch] * (sxm[ch] - (mean[ch] - float m0[ch]) * sg[ch]))

        sg, sgx

    /// float32 `stats` in one SIMD pass over x per channel: with the shift K = the channel's first element it
    /// accumulates Σ(x − K) and Σ(x − K)² (float32 lanes over at most `FoldBlock` elements, then float64) and
    /// returns mean = K + Σ(x − K)/M and var = Σ(x − K)²/M − (Σ(x − K)/M)², M = N·P. Accuracy (a bound on
    /// the float32 summation error, W the SIMD width): |Δmean|/(std + |mean − K|) and |Δvar|/(var + (mean − K)²)
    /// are at most about (FoldBlock/(2W) + 4)·2⁻²⁴, which is 4e-6 for W ≥ 8 and 8e-6 for W = 4. Since K is a
    /// sample, (mean − K)² is typically a few var, so the variance keeps its relative accuracy even when
    /// |mean| ≫ std (tested against the float64 two-pass `stats` with 1e-5 in general and at mean = 1e3·std).
    /// Planes are read in memory order, split over the cores (one thread for small tensors).
    let stats32 (n: int) (c: int) (p: int) (x: float32[]) =
        let mean = Array.zeroCreate c
        let var = Array.zeroCreate c
        let m = float (n * p)

        let k = Array.init c (fun ch -> x[ch * p])
        let s1, s2 = planeFold n c x.Length (fun j -> shiftedSums x (j * p) p k[j % c])

        for ch in 0 .. c - 1 do
            let d = s1[ch] / m
            mean[ch] <- float k[ch] + d
            var[ch] <- max 0.0 (s2[ch] / m - d * d)

        mean, var

    /// float32 `affine`: y = fma(x, scale[c], shift[c]) (one rounding; scale and shift rounded to float32), one
    /// SIMD pass per plane, planes split over the cores (one thread for small tensors); y from `StoragePool`.
    let affine32 (n: int) (c: int) (p: int) (scale: float[]) (shift: float[]) (x: float32[]) =
        let y = StoragePool.rent32 x.Length

        split (n * c) x.Length (fun k0 k1 ->
            for k in k0 .. k1 - 1 do
                affinePlane false false x null y (k * p) p (float32 scale[k % c]) (float32 shift[k % c]))

        y

    /// float32 `reduceGrad` in one SIMD pass over (x, g) per channel: Σg and Σg·x̂ = invStd·(Σg·(x − m0) −
    /// (mean − m0)·Σg) with m0 = float32 mean (x − m0 is exact near the mean, so no cancellation when
    /// |mean| ≫ std), float32 lanes over at most `FoldBlock` elements folded into float64.
    let reduceGrad32 (n: int) (c: int) (p: int) (mean: float[]) (invStd: float[]) (x: float32[]) (g: float32[]) =
        channelGradSums false n c p mean invStd x null g

    /// float32 `trainBackward` in one SIMD pass: dx = k1·g + bx·(x − m0) + c0 per channel, two FMAs per element
    /// (coefficients as in the private `trainCoefficients`: k1 = γ·invStd, m0 = float32 mean); dx from
    /// `StoragePool`.
    let trainBackward32
        (n: int)
        (c: int)
        (p: int)
        (mean: float[])
        (invStd: float[])
        (gamma: float[])
        (sg: float[])
        (sgx: float[])
        (x: float32[])
        (g: float32[])
        =
        let dx = StoragePool.rent32 x.Length
        let m = float (n * p)

        let coef =
            Array.init c (fun ch -> trainCoefficients m mean[ch] invStd[ch] gamma[ch] sg[ch] sgx[ch])

        split (n * c) x.Length (fun k0 k1 ->
            for k in k0 .. k1 - 1 do
                dxPlane false x null g dx (k * p) p coef[k % c])

        dx

    /// float32 y = max(fma(x, scale[c], shift[c]), 0) in one SIMD pass per plane: `affine32` with ReLU's max
    /// (IEEE maximum, as `TensorPrimitives.Max`) applied in registers, so the values are bit-identical to
    /// `affine32` followed by ReLU. Planes are split over the cores (one thread for small tensors); y from
    /// `StoragePool`.
    let affineRelu32 (n: int) (c: int) (p: int) (scale: float[]) (shift: float[]) (x: float32[]) =
        let y = StoragePool.rent32 x.Length

        split (n * c) x.Length (fun k0 k1 ->
            for k in k0 .. k1 - 1 do
                affinePlane false true x null y (k * p) p (float32 scale[k % c]) (float32 shift[k % c]))

        y

    /// The reverse of float32 batch norm + ReLU: with gm = g·[y > 0] (y the fused op's output) masked in
    /// registers, one SIMD pass over (x, y, g) forms Σgm and Σgm·x̂ per channel (as `reduceGrad32`), and when
    /// `withDx` a second pass writes dx: in training mode k1·gm + bx·(x − m0) + c0 (as `trainBackward32`), in
    /// evaluation mode fma(gm, scale, 0) (as `affine32` with a zero shift). Each element goes through the same
    /// operations as the unfused ReLU adjoint followed by the batch-norm reverse, so (Σg, Σg·x̂, dx) are
    /// bit-identical to it. No temporary array; planes in memory order split over the cores (one thread for small
    /// tensors). Returns (Σgm, Σgm·x̂, dx), dx null when not `withDx`.
    let reluBackward32
        (training: bool)
        (withDx: bool)
        (n: int)
        (c: int)
        (p: int)
        (mean: float[])
        (invStd: float[])
        (gamma: float[])
        (scale: float[])
        (x: float32[])
        (y: float32[])
        (g: float32[])
        =
        let sg, sgx = channelGradSums true n c p mean invStd x y g
        let dx = if withDx then StoragePool.rent32 x.Length else null

        if withDx then
            let m = float (n * p)

            let coef =
                Array.init c (fun ch -> trainCoefficients m mean[ch] invStd[ch] gamma[ch] sg[ch] sgx[ch])

            split (n * c) x.Length (fun k0 k1 ->
                for k in k0 .. k1 - 1 do
                    if training then
                        dxPlane true x y g dx (k * p) p coef[k % c]
                    else
                        affinePlane true false g y dx (k * p) p (float32 scale[k % c]) 0.0f)

        sg, sgx, dx
