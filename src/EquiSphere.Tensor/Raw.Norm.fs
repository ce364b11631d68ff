namespace EquiSphere.Tensor

open System
open System.Numerics.Tensors
open System.Threading.Tasks

/// Batch-normalization kernels on [N; C; P] arrays (P = product of the spatial axes), one channel per task,
/// statistics accumulated in float64; float32 has SIMD variants (suffix 32) built on TensorPrimitives.
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

    /// float32 `stats` with SIMD plane sums (two passes: the mean, then the squared deviations).
    let stats32 (n: int) (c: int) (p: int) (x: float32[]) =
        let mean = Array.zeroCreate c
        let var = Array.zeroCreate c

        Parallel.For(
            0,
            c,
            fun ch ->
                let mutable s = 0.0

                for i in 0 .. n - 1 do
                    s <- s + float (TensorPrimitives.Sum(ReadOnlySpan(x, (i * c + ch) * p, p)))

                let m = s / float (n * p)
                let tmp = Array.zeroCreate<float32> p
                let mutable q = 0.0

                for i in 0 .. n - 1 do
                    TensorPrimitives.Subtract(ReadOnlySpan(x, (i * c + ch) * p, p), float32 m, Span tmp)
                    q <- q + float (TensorPrimitives.SumOfSquares(ReadOnlySpan tmp))

                mean[ch] <- m
                var[ch] <- q / float (n * p)
        )
        |> ignore

        mean, var

    /// float32 `affine` with SIMD planes.
    let affine32 (n: int) (c: int) (p: int) (scale: float[]) (shift: float[]) (x: float32[]) =
        let y = Array.zeroCreate x.Length

        Parallel.For(
            0,
            n * c,
            fun k ->
                let dst = Span(y, k * p, p)
                TensorPrimitives.Multiply(ReadOnlySpan(x, k * p, p), float32 scale[k % c], dst)
                TensorPrimitives.Add(ReadOnlySpan(y, k * p, p), float32 shift[k % c], dst)
        )
        |> ignore

        y

    /// float32 `reduceGrad`: Σg and Σg·x̂ = invStd·(Σg·x − mean·Σg) from SIMD plane sums and dot products.
    let reduceGrad32 (n: int) (c: int) (p: int) (mean: float[]) (invStd: float[]) (x: float32[]) (g: float32[]) =
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
                    a <- a + float (TensorPrimitives.Sum(ReadOnlySpan(g, off, p)))

                    b <-
                        b
                        + float (TensorPrimitives.Dot(ReadOnlySpan(g, off, p), ReadOnlySpan(x, off, p)))

                sg[ch] <- a
                sgx[ch] <- invStd[ch] * (b - mean[ch] * a)
        )
        |> ignore

        sg, sgx

    /// float32 `trainBackward`, written as dx = A·g + B·x + C per channel with SIMD planes.
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
        let dx = Array.zeroCreate x.Length
        let m = float (n * p)

        Parallel.For(
            0,
            n * c,
            fun k ->
                let ch = k % c
                let k1 = gamma[ch] * invStd[ch]
                let mg, mgx = sg[ch] / m, sgx[ch] / m
                let b = -k1 * mgx * invStd[ch]
                let c0 = k1 * (-mg + mgx * invStd[ch] * mean[ch])
                let dst = Span(dx, k * p, p)
                TensorPrimitives.Multiply(ReadOnlySpan(x, k * p, p), float32 b, dst)
                TensorPrimitives.Add(ReadOnlySpan(dx, k * p, p), float32 c0, dst)
                TensorPrimitives.MultiplyAdd(ReadOnlySpan(g, k * p, p), float32 k1, ReadOnlySpan(dx, k * p, p), dst)
        )
        |> ignore

        dx

    /// float32 y = max(x·scale[c] + shift[c], 0): the planes of `affine32` with ReLU's max applied while each
    /// plane is still in cache (the same three TensorPrimitives calls per plane as `affine32` followed by ReLU,
    /// so the values are bit-identical to the unfused pair). Planes are split into fixed contiguous ranges by
    /// `RawSplit.parts` of the element count.
    let affineRelu32 (n: int) (c: int) (p: int) (scale: float[]) (shift: float[]) (x: float32[]) =
        let y = StoragePool.rent32 x.Length
        let planes = n * c
        let parts = min planes (RawSplit.parts x.Length)
        let per = (planes + parts - 1) / parts

        let body (k0: int) (k1: int) =
            for k in k0 .. k1 - 1 do
                let dst = Span(y, k * p, p)
                TensorPrimitives.Multiply(ReadOnlySpan(x, k * p, p), float32 scale[k % c], dst)
                TensorPrimitives.Add(ReadOnlySpan(y, k * p, p), float32 shift[k % c], dst)
                TensorPrimitives.Max(ReadOnlySpan(y, k * p, p), 0.0f, dst)

        if parts <= 1 then
            body 0 planes
        else
            Parallel.For(0, parts, fun t -> body (t * per) (min planes ((t + 1) * per)))
            |> ignore

        y

    /// gm ← g where y > 0, else g·0 (ReLU's adjoint mask on its output y, SIMD), for `count` elements from `off`.
    let private reluMask (y: float32[]) (g: float32[]) (off: int) (count: int) (gm: float32[]) =
        let w = Numerics.Vector<float32>.Count
        let zero = Numerics.Vector<float32>.Zero
        let mutable i = 0

        while i <= count - w do
            let yv = Numerics.Vector<float32>(y, off + i)
            let gv = Numerics.Vector<float32>(g, off + i)
            Numerics.Vector.ConditionalSelect(Numerics.Vector.GreaterThan(yv, zero), gv, gv * zero).CopyTo(gm, i)
            i <- i + w

        while i < count do
            gm[i] <- (if y[off + i] > 0.0f then g[off + i] else g[off + i] * 0.0f)
            i <- i + 1

    /// The reverse of float32 batch norm + ReLU in one task per channel: with gm = g·[y > 0] (y the fused op's
    /// output) it forms Σgm and Σgm·x̂ (as `reduceGrad32`) and, when `withDx`, dx from the same channel while its
    /// planes are still in cache: in training mode as `trainBackward32`, in evaluation mode scale·gm + 0 (as
    /// `affine32` with a zero shift). Every plane goes through the same TensorPrimitives calls as the unfused
    /// ReLU adjoint followed by the batch-norm reverse, so (Σg, Σg·x̂, dx) are bit-identical to it. Returns
    /// (Σgm, Σgm·x̂, dx), dx null when not `withDx`.
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
        let sg = Array.zeroCreate c
        let sgx = Array.zeroCreate c

        let dx = if withDx then StoragePool.rent32 x.Length else null

        let m = float (n * p)

        Parallel.For(
            0,
            c,
            (fun () -> Array.zeroCreate<float32> p),
            (fun ch _ (gm: float32[]) ->
                let gms = ReadOnlySpan(gm, 0, p)
                let mutable a = 0.0
                let mutable b = 0.0

                for i in 0 .. n - 1 do
                    let off = (i * c + ch) * p
                    reluMask y g off p gm
                    a <- a + float (TensorPrimitives.Sum gms)
                    b <- b + float (TensorPrimitives.Dot(gms, ReadOnlySpan(x, off, p)))

                sg[ch] <- a
                sgx[ch] <- invStd[ch] * (b - mean[ch] * a)

                if withDx then
                    let k1 = gamma[ch] * invStd[ch]
                    let mg, mgx = sg[ch] / m, sgx[ch] / m
                    let bx = -k1 * mgx * invStd[ch]
                    let c0 = k1 * (-mg + mgx * invStd[ch] * mean[ch])

                    for i in 0 .. n - 1 do
                        let off = (i * c + ch) * p
                        reluMask y g off p gm
                        let dst = Span(dx, off, p)

                        if training then
                            TensorPrimitives.Multiply(ReadOnlySpan(x, off, p), float32 bx, dst)
                            TensorPrimitives.Add(ReadOnlySpan(dx, off, p), float32 c0, dst)
                            TensorPrimitives.MultiplyAdd(gms, float32 k1, ReadOnlySpan(dx, off, p), dst)
                        else
                            TensorPrimitives.Multiply(gms, float32 scale[ch], dst)
                            TensorPrimitives.Add(ReadOnlySpan(dx, off, p), 0.0f, dst)

                gm),
            (fun _ -> ())
        )
        |> ignore

        sg, sgx, dx
