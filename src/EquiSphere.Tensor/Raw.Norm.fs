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
