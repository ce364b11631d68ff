namespace EquiSphere.Tensor

/// Interpolation kernel of an upsampling.
type Interpolation =
    /// Linear along each axis (2 taps), PyTorch's `bilinear` with align_corners = false.
    | Bilinear
    /// Keys cubic convolution with a = −0.75 along each axis (4 taps), PyTorch's `bicubic`, align_corners = false.
    | Bicubic

/// How interpolation treats samples beyond an axis' edge.
type Boundary =
    /// Repeat the edge sample (PyTorch's behavior).
    | Clamp
    /// Periodic axis (longitude on the sphere): index −1 is the last sample.
    | Wrap

/// Separable resampling along one axis of a [outer; n; inner] array by a tap table (source index, weight per
/// output sample), and its adjoint.
[<RequireQualifiedAccess>]
module RawResample =

    let private cubic (t: float) =
        let a = -0.75
        let t = abs t

        if t <= 1.0 then
            ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0
        elif t < 2.0 then
            ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a
        else
            0.0

    /// Taps for resampling n samples to m (source coordinate (i + ½)·n/m − ½): indices and weights, `taps` per
    /// output sample.
    let taps (kind: Interpolation) (boundary: Boundary) (n: int) (m: int) =
        let scale = float n / float m

        let fix i =
            match boundary with
            | Clamp -> max 0 (min (n - 1) i)
            | Wrap -> ((i % n) + n) % n

        match kind with
        | Bilinear ->
            let idx = Array.zeroCreate (2 * m)
            let w = Array.zeroCreate (2 * m)

            for i in 0 .. m - 1 do
                let src = (float i + 0.5) * scale - 0.5
                let src = if boundary = Clamp then max 0.0 src else src
                let i0 = int (floor src)
                let l = src - float i0
                idx[2 * i] <- fix i0
                idx[2 * i + 1] <- fix (i0 + 1)
                w[2 * i] <- 1.0 - l
                w[2 * i + 1] <- l

            2, idx, w
        | Bicubic ->
            let idx = Array.zeroCreate (4 * m)
            let w = Array.zeroCreate (4 * m)

            for i in 0 .. m - 1 do
                let src = (float i + 0.5) * scale - 0.5
                let i0 = int (floor src)
                let t = src - float i0

                for k in 0..3 do
                    idx[4 * i + k] <- fix (i0 - 1 + k)
                    w[4 * i + k] <- cubic (t - float (k - 1))

            4, idx, w

    /// y[o, i, j] = Σ_t w[i, t] x[o, idx[i, t], j] for x of [outer; n; inner] and m output samples.
    let inline apply (outer: int) (n: int) (inner: int) (m: int) (nt: int, idx: int[], w: float[]) (ofFloat: float -> ^T) (x: ^T[]) =
        let y = Array.zeroCreate (outer * m * inner)
        let wt = Array.map ofFloat w

        for o in 0 .. outer - 1 do
            for i in 0 .. m - 1 do
                let dst = (o * m + i) * inner

                for t in 0 .. nt - 1 do
                    let src = (o * n + idx[i * nt + t]) * inner
                    let wv = wt[i * nt + t]

                    for j in 0 .. inner - 1 do
                        y[dst + j] <- y[dst + j] + wv * x[src + j]

        y

    /// The adjoint of `apply`: [outer; m; inner] → [outer; n; inner].
    let inline adjoint (outer: int) (n: int) (inner: int) (m: int) (nt: int, idx: int[], w: float[]) (ofFloat: float -> ^T) (dy: ^T[]) =
        let dx = Array.zeroCreate (outer * n * inner)
        let wt = Array.map ofFloat w

        for o in 0 .. outer - 1 do
            for i in 0 .. m - 1 do
                let src = (o * m + i) * inner

                for t in 0 .. nt - 1 do
                    let dst = (o * n + idx[i * nt + t]) * inner
                    let wv = wt[i * nt + t]

                    for j in 0 .. inner - 1 do
                        dx[dst + j] <- dx[dst + j] + wv * dy[src + j]

        dx
