namespace EquiSphere.Tensor

open System
open System.Numerics
open System.Threading.Tasks

/// Matrix products on flat row-major arrays: C[m×n] += A[m×k] · B[k×n] with leading dimensions, a register-
/// blocked SIMD micro-kernel (4 rows × 2 vectors), and transposed variants that pack the transposed operand
/// first. Every element of C is summed over k in increasing order by one thread, so results do not depend on
/// the thread count.
[<RequireQualifiedAccess>]
module RawGemm =

    /// C[i, j] += Σ_p A[i, p] B[p, j] for i in [i0, i1), j in [j0, j1) (row-major with leading dims):
    /// the register-blocked kernel on the sub-block of rows [i0, i1) and columns [j0, j1).
    let inline block
        (i0: int)
        (i1: int)
        (j0: int)
        (j1: int)
        (k: int)
        (a: ^T[])
        (aOff: int)
        (lda: int)
        (b: ^T[])
        (bOff: int)
        (ldb: int)
        (c: ^T[])
        (cOff: int)
        (ldc: int)
        =
        let w = Vector< ^T>.Count
        let mutable i = i0

        while i + 4 <= i1 do
            let mutable j = j0

            while j + 2 * w <= j1 do
                let r0, r1, r2, r3 =
                    cOff + i * ldc + j, cOff + (i + 1) * ldc + j, cOff + (i + 2) * ldc + j, cOff + (i + 3) * ldc + j

                let mutable c00 = Vector< ^T>(c, r0)
                let mutable c01 = Vector< ^T>(c, r0 + w)
                let mutable c10 = Vector< ^T>(c, r1)
                let mutable c11 = Vector< ^T>(c, r1 + w)
                let mutable c20 = Vector< ^T>(c, r2)
                let mutable c21 = Vector< ^T>(c, r2 + w)
                let mutable c30 = Vector< ^T>(c, r3)
                let mutable c31 = Vector< ^T>(c, r3 + w)

                let a0, a1, a2, a3 =
                    aOff + i * lda, aOff + (i + 1) * lda, aOff + (i + 2) * lda, aOff + (i + 3) * lda

                for p in 0 .. k - 1 do
                    let bp = bOff + p * ldb + j
                    let b0 = Vector< ^T>(b, bp)
                    let b1 = Vector< ^T>(b, bp + w)
                    let x0 = Vector< ^T>(a[a0 + p])
                    c00 <- c00 + x0 * b0
                    c01 <- c01 + x0 * b1
                    let x1 = Vector< ^T>(a[a1 + p])
                    c10 <- c10 + x1 * b0
                    c11 <- c11 + x1 * b1
                    let x2 = Vector< ^T>(a[a2 + p])
                    c20 <- c20 + x2 * b0
                    c21 <- c21 + x2 * b1
                    let x3 = Vector< ^T>(a[a3 + p])
                    c30 <- c30 + x3 * b0
                    c31 <- c31 + x3 * b1

                c00.CopyTo(c, r0)
                c01.CopyTo(c, r0 + w)
                c10.CopyTo(c, r1)
                c11.CopyTo(c, r1 + w)
                c20.CopyTo(c, r2)
                c21.CopyTo(c, r2 + w)
                c30.CopyTo(c, r3)
                c31.CopyTo(c, r3 + w)
                j <- j + 2 * w

            // remaining columns of these 4 rows
            for r in i .. i + 3 do
                for jj in j .. j1 - 1 do
                    let mutable s = c[cOff + r * ldc + jj]

                    for p in 0 .. k - 1 do
                        s <- s + a[aOff + r * lda + p] * b[bOff + p * ldb + jj]

                    c[cOff + r * ldc + jj] <- s

            i <- i + 4

        // remaining rows, one vector of columns at a time
        while i < i1 do
            let mutable j = j0

            while j + w <= j1 do
                let r0 = cOff + i * ldc + j
                let mutable acc = Vector< ^T>(c, r0)

                for p in 0 .. k - 1 do
                    acc <- acc + Vector< ^T>(a[aOff + i * lda + p]) * Vector< ^T>(b, bOff + p * ldb + j)

                acc.CopyTo(c, r0)
                j <- j + w

            for jj in j .. j1 - 1 do
                let mutable s = c[cOff + i * ldc + jj]

                for p in 0 .. k - 1 do
                    s <- s + a[aOff + i * lda + p] * b[bOff + p * ldb + jj]

                c[cOff + i * ldc + jj] <- s

            i <- i + 1

    /// Column panel width: columns are processed in panels so one panel of B stays in cache across rows.
    let panel = 256

    /// C[m×n] += A[m×k] · B[k×n] on one thread (A, B, C row-major at the given offsets, dense rows).
    let inline gemm (m: int) (n: int) (k: int) (a: ^T[]) (aOff: int) (b: ^T[]) (bOff: int) (c: ^T[]) (cOff: int) =
        let mutable j0 = 0

        while j0 < n do
            let j1 = min n (j0 + panel)
            block 0 m j0 j1 k a aOff k b bOff n c cOff n
            j0 <- j1

    /// C[m×n] += A[m×k] · B[k×n] split over column panels and row blocks on the thread pool.
    let inline gemmParallel (m: int) (n: int) (k: int) (a: ^T[]) (aOff: int) (b: ^T[]) (bOff: int) (c: ^T[]) (cOff: int) =
        let rowBlock = 64
        let colTiles = (n + panel - 1) / panel
        let rowTiles = (m + rowBlock - 1) / rowBlock
        let tiles = colTiles * rowTiles

        if int64 m * int64 n * int64 k < 32768L || tiles = 1 then
            gemm m n k a aOff b bOff c cOff
        else
            Parallel.For(
                0,
                tiles,
                fun t ->
                    let ti, tj = t / colTiles, t % colTiles
                    let i0, j0 = ti * rowBlock, tj * panel
                    block i0 (min m (i0 + rowBlock)) j0 (min n (j0 + panel)) k a aOff k b bOff n c cOff n
            )
            |> ignore

    /// The transpose of the [rows × cols] row-major block at `off` as a new [cols × rows] array.
    let transpose (rows: int) (cols: int) (a: 'T[]) (off: int) : 'T[] =
        let t = Array.zeroCreate (rows * cols)
        let tile = 32

        for i0 in 0..tile .. rows - 1 do
            for j0 in 0..tile .. cols - 1 do
                for i in i0 .. min rows (i0 + tile) - 1 do
                    for j in j0 .. min cols (j0 + tile) - 1 do
                        t[j * rows + i] <- a[off + i * cols + j]

        t
