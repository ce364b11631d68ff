namespace EquiSphere.Tensor.Kernels

#nowarn "9" // The micro-kernels read packed panels and write tiles through raw pointers (bounds are checked up front).

open System.Runtime.CompilerServices
open System.Runtime.Intrinsics
open Microsoft.FSharp.NativeInterop

/// Register-tile micro-kernels of the GEMM: D[MR × NR] ← Ã·B̃ (or D ← D + Ã·B̃ when `accumulate`), where Ã is a
/// packed panel of A (MR values per k, k-major), B̃ a packed panel of B (NR values per k) and D a row-major tile
/// with leading dimension `ldd`. The accumulators live in registers for the whole k loop (one FMA per register
/// per k); the straight-line body keeps the JIT from spilling them.
module internal Micro =

    /// float32, Vector512: an 8 × 48 tile (8 rows of Ã, 48 columns of B̃ per k).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let sgemm512 (kc: int) (ap: nativeptr<float32>) (bp: nativeptr<float32>) (dst: nativeptr<float32>) (ldd: int) (accumulate: bool) =
        let mutable c0_0 = Vector512<float32>.Zero
        let mutable c0_1 = Vector512<float32>.Zero
        let mutable c0_2 = Vector512<float32>.Zero
        let mutable c1_0 = Vector512<float32>.Zero
        let mutable c1_1 = Vector512<float32>.Zero
        let mutable c1_2 = Vector512<float32>.Zero
        let mutable c2_0 = Vector512<float32>.Zero
        let mutable c2_1 = Vector512<float32>.Zero
        let mutable c2_2 = Vector512<float32>.Zero
        let mutable c3_0 = Vector512<float32>.Zero
        let mutable c3_1 = Vector512<float32>.Zero
        let mutable c3_2 = Vector512<float32>.Zero
        let mutable c4_0 = Vector512<float32>.Zero
        let mutable c4_1 = Vector512<float32>.Zero
        let mutable c4_2 = Vector512<float32>.Zero
        let mutable c5_0 = Vector512<float32>.Zero
        let mutable c5_1 = Vector512<float32>.Zero
        let mutable c5_2 = Vector512<float32>.Zero
        let mutable c6_0 = Vector512<float32>.Zero
        let mutable c6_1 = Vector512<float32>.Zero
        let mutable c6_2 = Vector512<float32>.Zero
        let mutable c7_0 = Vector512<float32>.Zero
        let mutable c7_1 = Vector512<float32>.Zero
        let mutable c7_2 = Vector512<float32>.Zero
        let mutable pa = ap
        let mutable pb = bp

        for _ in 1..kc do
            let b0 = Vector512.Load(pb)
            let b1 = Vector512.Load(NativePtr.add pb 16)
            let b2 = Vector512.Load(NativePtr.add pb 32)
            let a0 = Vector512.Create(NativePtr.get pa 0)
            c0_0 <- Vector512.FusedMultiplyAdd(a0, b0, c0_0)
            c0_1 <- Vector512.FusedMultiplyAdd(a0, b1, c0_1)
            c0_2 <- Vector512.FusedMultiplyAdd(a0, b2, c0_2)
            let a1 = Vector512.Create(NativePtr.get pa 1)
            c1_0 <- Vector512.FusedMultiplyAdd(a1, b0, c1_0)
            c1_1 <- Vector512.FusedMultiplyAdd(a1, b1, c1_1)
            c1_2 <- Vector512.FusedMultiplyAdd(a1, b2, c1_2)
            let a2 = Vector512.Create(NativePtr.get pa 2)
            c2_0 <- Vector512.FusedMultiplyAdd(a2, b0, c2_0)
            c2_1 <- Vector512.FusedMultiplyAdd(a2, b1, c2_1)
            c2_2 <- Vector512.FusedMultiplyAdd(a2, b2, c2_2)
            let a3 = Vector512.Create(NativePtr.get pa 3)
            c3_0 <- Vector512.FusedMultiplyAdd(a3, b0, c3_0)
            c3_1 <- Vector512.FusedMultiplyAdd(a3, b1, c3_1)
            c3_2 <- Vector512.FusedMultiplyAdd(a3, b2, c3_2)
            let a4 = Vector512.Create(NativePtr.get pa 4)
            c4_0 <- Vector512.FusedMultiplyAdd(a4, b0, c4_0)
            c4_1 <- Vector512.FusedMultiplyAdd(a4, b1, c4_1)
            c4_2 <- Vector512.FusedMultiplyAdd(a4, b2, c4_2)
            let a5 = Vector512.Create(NativePtr.get pa 5)
            c5_0 <- Vector512.FusedMultiplyAdd(a5, b0, c5_0)
            c5_1 <- Vector512.FusedMultiplyAdd(a5, b1, c5_1)
            c5_2 <- Vector512.FusedMultiplyAdd(a5, b2, c5_2)
            let a6 = Vector512.Create(NativePtr.get pa 6)
            c6_0 <- Vector512.FusedMultiplyAdd(a6, b0, c6_0)
            c6_1 <- Vector512.FusedMultiplyAdd(a6, b1, c6_1)
            c6_2 <- Vector512.FusedMultiplyAdd(a6, b2, c6_2)
            let a7 = Vector512.Create(NativePtr.get pa 7)
            c7_0 <- Vector512.FusedMultiplyAdd(a7, b0, c7_0)
            c7_1 <- Vector512.FusedMultiplyAdd(a7, b1, c7_1)
            c7_2 <- Vector512.FusedMultiplyAdd(a7, b2, c7_2)
            pa <- NativePtr.add pa 8
            pb <- NativePtr.add pb 48

        if accumulate then
            let p = NativePtr.add dst (0 * ldd + 0)
            Vector512.Store(Vector512.Load p + c0_0, p)
            let p = NativePtr.add dst (0 * ldd + 16)
            Vector512.Store(Vector512.Load p + c0_1, p)
            let p = NativePtr.add dst (0 * ldd + 32)
            Vector512.Store(Vector512.Load p + c0_2, p)
            let p = NativePtr.add dst (1 * ldd + 0)
            Vector512.Store(Vector512.Load p + c1_0, p)
            let p = NativePtr.add dst (1 * ldd + 16)
            Vector512.Store(Vector512.Load p + c1_1, p)
            let p = NativePtr.add dst (1 * ldd + 32)
            Vector512.Store(Vector512.Load p + c1_2, p)
            let p = NativePtr.add dst (2 * ldd + 0)
            Vector512.Store(Vector512.Load p + c2_0, p)
            let p = NativePtr.add dst (2 * ldd + 16)
            Vector512.Store(Vector512.Load p + c2_1, p)
            let p = NativePtr.add dst (2 * ldd + 32)
            Vector512.Store(Vector512.Load p + c2_2, p)
            let p = NativePtr.add dst (3 * ldd + 0)
            Vector512.Store(Vector512.Load p + c3_0, p)
            let p = NativePtr.add dst (3 * ldd + 16)
            Vector512.Store(Vector512.Load p + c3_1, p)
            let p = NativePtr.add dst (3 * ldd + 32)
            Vector512.Store(Vector512.Load p + c3_2, p)
            let p = NativePtr.add dst (4 * ldd + 0)
            Vector512.Store(Vector512.Load p + c4_0, p)
            let p = NativePtr.add dst (4 * ldd + 16)
            Vector512.Store(Vector512.Load p + c4_1, p)
            let p = NativePtr.add dst (4 * ldd + 32)
            Vector512.Store(Vector512.Load p + c4_2, p)
            let p = NativePtr.add dst (5 * ldd + 0)
            Vector512.Store(Vector512.Load p + c5_0, p)
            let p = NativePtr.add dst (5 * ldd + 16)
            Vector512.Store(Vector512.Load p + c5_1, p)
            let p = NativePtr.add dst (5 * ldd + 32)
            Vector512.Store(Vector512.Load p + c5_2, p)
            let p = NativePtr.add dst (6 * ldd + 0)
            Vector512.Store(Vector512.Load p + c6_0, p)
            let p = NativePtr.add dst (6 * ldd + 16)
            Vector512.Store(Vector512.Load p + c6_1, p)
            let p = NativePtr.add dst (6 * ldd + 32)
            Vector512.Store(Vector512.Load p + c6_2, p)
            let p = NativePtr.add dst (7 * ldd + 0)
            Vector512.Store(Vector512.Load p + c7_0, p)
            let p = NativePtr.add dst (7 * ldd + 16)
            Vector512.Store(Vector512.Load p + c7_1, p)
            let p = NativePtr.add dst (7 * ldd + 32)
            Vector512.Store(Vector512.Load p + c7_2, p)
        else
            Vector512.Store(c0_0, NativePtr.add dst (0 * ldd + 0))
            Vector512.Store(c0_1, NativePtr.add dst (0 * ldd + 16))
            Vector512.Store(c0_2, NativePtr.add dst (0 * ldd + 32))
            Vector512.Store(c1_0, NativePtr.add dst (1 * ldd + 0))
            Vector512.Store(c1_1, NativePtr.add dst (1 * ldd + 16))
            Vector512.Store(c1_2, NativePtr.add dst (1 * ldd + 32))
            Vector512.Store(c2_0, NativePtr.add dst (2 * ldd + 0))
            Vector512.Store(c2_1, NativePtr.add dst (2 * ldd + 16))
            Vector512.Store(c2_2, NativePtr.add dst (2 * ldd + 32))
            Vector512.Store(c3_0, NativePtr.add dst (3 * ldd + 0))
            Vector512.Store(c3_1, NativePtr.add dst (3 * ldd + 16))
            Vector512.Store(c3_2, NativePtr.add dst (3 * ldd + 32))
            Vector512.Store(c4_0, NativePtr.add dst (4 * ldd + 0))
            Vector512.Store(c4_1, NativePtr.add dst (4 * ldd + 16))
            Vector512.Store(c4_2, NativePtr.add dst (4 * ldd + 32))
            Vector512.Store(c5_0, NativePtr.add dst (5 * ldd + 0))
            Vector512.Store(c5_1, NativePtr.add dst (5 * ldd + 16))
            Vector512.Store(c5_2, NativePtr.add dst (5 * ldd + 32))
            Vector512.Store(c6_0, NativePtr.add dst (6 * ldd + 0))
            Vector512.Store(c6_1, NativePtr.add dst (6 * ldd + 16))
            Vector512.Store(c6_2, NativePtr.add dst (6 * ldd + 32))
            Vector512.Store(c7_0, NativePtr.add dst (7 * ldd + 0))
            Vector512.Store(c7_1, NativePtr.add dst (7 * ldd + 16))
            Vector512.Store(c7_2, NativePtr.add dst (7 * ldd + 32))

    /// float64, Vector512: an 8 × 24 tile.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let dgemm512 (kc: int) (ap: nativeptr<float>) (bp: nativeptr<float>) (dst: nativeptr<float>) (ldd: int) (accumulate: bool) =
        let mutable c0_0 = Vector512<float>.Zero
        let mutable c0_1 = Vector512<float>.Zero
        let mutable c0_2 = Vector512<float>.Zero
        let mutable c1_0 = Vector512<float>.Zero
        let mutable c1_1 = Vector512<float>.Zero
        let mutable c1_2 = Vector512<float>.Zero
        let mutable c2_0 = Vector512<float>.Zero
        let mutable c2_1 = Vector512<float>.Zero
        let mutable c2_2 = Vector512<float>.Zero
        let mutable c3_0 = Vector512<float>.Zero
        let mutable c3_1 = Vector512<float>.Zero
        let mutable c3_2 = Vector512<float>.Zero
        let mutable c4_0 = Vector512<float>.Zero
        let mutable c4_1 = Vector512<float>.Zero
        let mutable c4_2 = Vector512<float>.Zero
        let mutable c5_0 = Vector512<float>.Zero
        let mutable c5_1 = Vector512<float>.Zero
        let mutable c5_2 = Vector512<float>.Zero
        let mutable c6_0 = Vector512<float>.Zero
        let mutable c6_1 = Vector512<float>.Zero
        let mutable c6_2 = Vector512<float>.Zero
        let mutable c7_0 = Vector512<float>.Zero
        let mutable c7_1 = Vector512<float>.Zero
        let mutable c7_2 = Vector512<float>.Zero
        let mutable pa = ap
        let mutable pb = bp

        for _ in 1..kc do
            let b0 = Vector512.Load(pb)
            let b1 = Vector512.Load(NativePtr.add pb 8)
            let b2 = Vector512.Load(NativePtr.add pb 16)
            let a0 = Vector512.Create(NativePtr.get pa 0)
            c0_0 <- Vector512.FusedMultiplyAdd(a0, b0, c0_0)
            c0_1 <- Vector512.FusedMultiplyAdd(a0, b1, c0_1)
            c0_2 <- Vector512.FusedMultiplyAdd(a0, b2, c0_2)
            let a1 = Vector512.Create(NativePtr.get pa 1)
            c1_0 <- Vector512.FusedMultiplyAdd(a1, b0, c1_0)
            c1_1 <- Vector512.FusedMultiplyAdd(a1, b1, c1_1)
            c1_2 <- Vector512.FusedMultiplyAdd(a1, b2, c1_2)
            let a2 = Vector512.Create(NativePtr.get pa 2)
            c2_0 <- Vector512.FusedMultiplyAdd(a2, b0, c2_0)
            c2_1 <- Vector512.FusedMultiplyAdd(a2, b1, c2_1)
            c2_2 <- Vector512.FusedMultiplyAdd(a2, b2, c2_2)
            let a3 = Vector512.Create(NativePtr.get pa 3)
            c3_0 <- Vector512.FusedMultiplyAdd(a3, b0, c3_0)
            c3_1 <- Vector512.FusedMultiplyAdd(a3, b1, c3_1)
            c3_2 <- Vector512.FusedMultiplyAdd(a3, b2, c3_2)
            let a4 = Vector512.Create(NativePtr.get pa 4)
            c4_0 <- Vector512.FusedMultiplyAdd(a4, b0, c4_0)
            c4_1 <- Vector512.FusedMultiplyAdd(a4, b1, c4_1)
            c4_2 <- Vector512.FusedMultiplyAdd(a4, b2, c4_2)
            let a5 = Vector512.Create(NativePtr.get pa 5)
            c5_0 <- Vector512.FusedMultiplyAdd(a5, b0, c5_0)
            c5_1 <- Vector512.FusedMultiplyAdd(a5, b1, c5_1)
            c5_2 <- Vector512.FusedMultiplyAdd(a5, b2, c5_2)
            let a6 = Vector512.Create(NativePtr.get pa 6)
            c6_0 <- Vector512.FusedMultiplyAdd(a6, b0, c6_0)
            c6_1 <- Vector512.FusedMultiplyAdd(a6, b1, c6_1)
            c6_2 <- Vector512.FusedMultiplyAdd(a6, b2, c6_2)
            let a7 = Vector512.Create(NativePtr.get pa 7)
            c7_0 <- Vector512.FusedMultiplyAdd(a7, b0, c7_0)
            c7_1 <- Vector512.FusedMultiplyAdd(a7, b1, c7_1)
            c7_2 <- Vector512.FusedMultiplyAdd(a7, b2, c7_2)
            pa <- NativePtr.add pa 8
            pb <- NativePtr.add pb 24

        if accumulate then
            let p = NativePtr.add dst (0 * ldd + 0)
            Vector512.Store(Vector512.Load p + c0_0, p)
            let p = NativePtr.add dst (0 * ldd + 8)
            Vector512.Store(Vector512.Load p + c0_1, p)
            let p = NativePtr.add dst (0 * ldd + 16)
            Vector512.Store(Vector512.Load p + c0_2, p)
            let p = NativePtr.add dst (1 * ldd + 0)
            Vector512.Store(Vector512.Load p + c1_0, p)
            let p = NativePtr.add dst (1 * ldd + 8)
            Vector512.Store(Vector512.Load p + c1_1, p)
            let p = NativePtr.add dst (1 * ldd + 16)
            Vector512.Store(Vector512.Load p + c1_2, p)
            let p = NativePtr.add dst (2 * ldd + 0)
            Vector512.Store(Vector512.Load p + c2_0, p)
            let p = NativePtr.add dst (2 * ldd + 8)
            Vector512.Store(Vector512.Load p + c2_1, p)
            let p = NativePtr.add dst (2 * ldd + 16)
            Vector512.Store(Vector512.Load p + c2_2, p)
            let p = NativePtr.add dst (3 * ldd + 0)
            Vector512.Store(Vector512.Load p + c3_0, p)
            let p = NativePtr.add dst (3 * ldd + 8)
            Vector512.Store(Vector512.Load p + c3_1, p)
            let p = NativePtr.add dst (3 * ldd + 16)
            Vector512.Store(Vector512.Load p + c3_2, p)
            let p = NativePtr.add dst (4 * ldd + 0)
            Vector512.Store(Vector512.Load p + c4_0, p)
            let p = NativePtr.add dst (4 * ldd + 8)
            Vector512.Store(Vector512.Load p + c4_1, p)
            let p = NativePtr.add dst (4 * ldd + 16)
            Vector512.Store(Vector512.Load p + c4_2, p)
            let p = NativePtr.add dst (5 * ldd + 0)
            Vector512.Store(Vector512.Load p + c5_0, p)
            let p = NativePtr.add dst (5 * ldd + 8)
            Vector512.Store(Vector512.Load p + c5_1, p)
            let p = NativePtr.add dst (5 * ldd + 16)
            Vector512.Store(Vector512.Load p + c5_2, p)
            let p = NativePtr.add dst (6 * ldd + 0)
            Vector512.Store(Vector512.Load p + c6_0, p)
            let p = NativePtr.add dst (6 * ldd + 8)
            Vector512.Store(Vector512.Load p + c6_1, p)
            let p = NativePtr.add dst (6 * ldd + 16)
            Vector512.Store(Vector512.Load p + c6_2, p)
            let p = NativePtr.add dst (7 * ldd + 0)
            Vector512.Store(Vector512.Load p + c7_0, p)
            let p = NativePtr.add dst (7 * ldd + 8)
            Vector512.Store(Vector512.Load p + c7_1, p)
            let p = NativePtr.add dst (7 * ldd + 16)
            Vector512.Store(Vector512.Load p + c7_2, p)
        else
            Vector512.Store(c0_0, NativePtr.add dst (0 * ldd + 0))
            Vector512.Store(c0_1, NativePtr.add dst (0 * ldd + 8))
            Vector512.Store(c0_2, NativePtr.add dst (0 * ldd + 16))
            Vector512.Store(c1_0, NativePtr.add dst (1 * ldd + 0))
            Vector512.Store(c1_1, NativePtr.add dst (1 * ldd + 8))
            Vector512.Store(c1_2, NativePtr.add dst (1 * ldd + 16))
            Vector512.Store(c2_0, NativePtr.add dst (2 * ldd + 0))
            Vector512.Store(c2_1, NativePtr.add dst (2 * ldd + 8))
            Vector512.Store(c2_2, NativePtr.add dst (2 * ldd + 16))
            Vector512.Store(c3_0, NativePtr.add dst (3 * ldd + 0))
            Vector512.Store(c3_1, NativePtr.add dst (3 * ldd + 8))
            Vector512.Store(c3_2, NativePtr.add dst (3 * ldd + 16))
            Vector512.Store(c4_0, NativePtr.add dst (4 * ldd + 0))
            Vector512.Store(c4_1, NativePtr.add dst (4 * ldd + 8))
            Vector512.Store(c4_2, NativePtr.add dst (4 * ldd + 16))
            Vector512.Store(c5_0, NativePtr.add dst (5 * ldd + 0))
            Vector512.Store(c5_1, NativePtr.add dst (5 * ldd + 8))
            Vector512.Store(c5_2, NativePtr.add dst (5 * ldd + 16))
            Vector512.Store(c6_0, NativePtr.add dst (6 * ldd + 0))
            Vector512.Store(c6_1, NativePtr.add dst (6 * ldd + 8))
            Vector512.Store(c6_2, NativePtr.add dst (6 * ldd + 16))
            Vector512.Store(c7_0, NativePtr.add dst (7 * ldd + 0))
            Vector512.Store(c7_1, NativePtr.add dst (7 * ldd + 8))
            Vector512.Store(c7_2, NativePtr.add dst (7 * ldd + 16))

    /// float32, Vector256 (no AVX-512): a 4 × 24 tile.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let sgemm256 (kc: int) (ap: nativeptr<float32>) (bp: nativeptr<float32>) (dst: nativeptr<float32>) (ldd: int) (accumulate: bool) =
        let mutable c0_0 = Vector256<float32>.Zero
        let mutable c0_1 = Vector256<float32>.Zero
        let mutable c0_2 = Vector256<float32>.Zero
        let mutable c1_0 = Vector256<float32>.Zero
        let mutable c1_1 = Vector256<float32>.Zero
        let mutable c1_2 = Vector256<float32>.Zero
        let mutable c2_0 = Vector256<float32>.Zero
        let mutable c2_1 = Vector256<float32>.Zero
        let mutable c2_2 = Vector256<float32>.Zero
        let mutable c3_0 = Vector256<float32>.Zero
        let mutable c3_1 = Vector256<float32>.Zero
        let mutable c3_2 = Vector256<float32>.Zero
        let mutable pa = ap
        let mutable pb = bp

        for _ in 1..kc do
            let b0 = Vector256.Load(pb)
            let b1 = Vector256.Load(NativePtr.add pb 8)
            let b2 = Vector256.Load(NativePtr.add pb 16)
            let a0 = Vector256.Create(NativePtr.get pa 0)
            c0_0 <- Vector256.FusedMultiplyAdd(a0, b0, c0_0)
            c0_1 <- Vector256.FusedMultiplyAdd(a0, b1, c0_1)
            c0_2 <- Vector256.FusedMultiplyAdd(a0, b2, c0_2)
            let a1 = Vector256.Create(NativePtr.get pa 1)
            c1_0 <- Vector256.FusedMultiplyAdd(a1, b0, c1_0)
            c1_1 <- Vector256.FusedMultiplyAdd(a1, b1, c1_1)
            c1_2 <- Vector256.FusedMultiplyAdd(a1, b2, c1_2)
            let a2 = Vector256.Create(NativePtr.get pa 2)
            c2_0 <- Vector256.FusedMultiplyAdd(a2, b0, c2_0)
            c2_1 <- Vector256.FusedMultiplyAdd(a2, b1, c2_1)
            c2_2 <- Vector256.FusedMultiplyAdd(a2, b2, c2_2)
            let a3 = Vector256.Create(NativePtr.get pa 3)
            c3_0 <- Vector256.FusedMultiplyAdd(a3, b0, c3_0)
            c3_1 <- Vector256.FusedMultiplyAdd(a3, b1, c3_1)
            c3_2 <- Vector256.FusedMultiplyAdd(a3, b2, c3_2)
            pa <- NativePtr.add pa 4
            pb <- NativePtr.add pb 24

        if accumulate then
            let p = NativePtr.add dst (0 * ldd + 0)
            Vector256.Store(Vector256.Load p + c0_0, p)
            let p = NativePtr.add dst (0 * ldd + 8)
            Vector256.Store(Vector256.Load p + c0_1, p)
            let p = NativePtr.add dst (0 * ldd + 16)
            Vector256.Store(Vector256.Load p + c0_2, p)
            let p = NativePtr.add dst (1 * ldd + 0)
            Vector256.Store(Vector256.Load p + c1_0, p)
            let p = NativePtr.add dst (1 * ldd + 8)
            Vector256.Store(Vector256.Load p + c1_1, p)
            let p = NativePtr.add dst (1 * ldd + 16)
            Vector256.Store(Vector256.Load p + c1_2, p)
            let p = NativePtr.add dst (2 * ldd + 0)
            Vector256.Store(Vector256.Load p + c2_0, p)
            let p = NativePtr.add dst (2 * ldd + 8)
            Vector256.Store(Vector256.Load p + c2_1, p)
            let p = NativePtr.add dst (2 * ldd + 16)
            Vector256.Store(Vector256.Load p + c2_2, p)
            let p = NativePtr.add dst (3 * ldd + 0)
            Vector256.Store(Vector256.Load p + c3_0, p)
            let p = NativePtr.add dst (3 * ldd + 8)
            Vector256.Store(Vector256.Load p + c3_1, p)
            let p = NativePtr.add dst (3 * ldd + 16)
            Vector256.Store(Vector256.Load p + c3_2, p)
        else
            Vector256.Store(c0_0, NativePtr.add dst (0 * ldd + 0))
            Vector256.Store(c0_1, NativePtr.add dst (0 * ldd + 8))
            Vector256.Store(c0_2, NativePtr.add dst (0 * ldd + 16))
            Vector256.Store(c1_0, NativePtr.add dst (1 * ldd + 0))
            Vector256.Store(c1_1, NativePtr.add dst (1 * ldd + 8))
            Vector256.Store(c1_2, NativePtr.add dst (1 * ldd + 16))
            Vector256.Store(c2_0, NativePtr.add dst (2 * ldd + 0))
            Vector256.Store(c2_1, NativePtr.add dst (2 * ldd + 8))
            Vector256.Store(c2_2, NativePtr.add dst (2 * ldd + 16))
            Vector256.Store(c3_0, NativePtr.add dst (3 * ldd + 0))
            Vector256.Store(c3_1, NativePtr.add dst (3 * ldd + 8))
            Vector256.Store(c3_2, NativePtr.add dst (3 * ldd + 16))

    /// float64, Vector256 (no AVX-512): a 4 × 12 tile.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let dgemm256 (kc: int) (ap: nativeptr<float>) (bp: nativeptr<float>) (dst: nativeptr<float>) (ldd: int) (accumulate: bool) =
        let mutable c0_0 = Vector256<float>.Zero
        let mutable c0_1 = Vector256<float>.Zero
        let mutable c0_2 = Vector256<float>.Zero
        let mutable c1_0 = Vector256<float>.Zero
        let mutable c1_1 = Vector256<float>.Zero
        let mutable c1_2 = Vector256<float>.Zero
        let mutable c2_0 = Vector256<float>.Zero
        let mutable c2_1 = Vector256<float>.Zero
        let mutable c2_2 = Vector256<float>.Zero
        let mutable c3_0 = Vector256<float>.Zero
        let mutable c3_1 = Vector256<float>.Zero
        let mutable c3_2 = Vector256<float>.Zero
        let mutable pa = ap
        let mutable pb = bp

        for _ in 1..kc do
            let b0 = Vector256.Load(pb)
            let b1 = Vector256.Load(NativePtr.add pb 4)
            let b2 = Vector256.Load(NativePtr.add pb 8)
            let a0 = Vector256.Create(NativePtr.get pa 0)
            c0_0 <- Vector256.FusedMultiplyAdd(a0, b0, c0_0)
            c0_1 <- Vector256.FusedMultiplyAdd(a0, b1, c0_1)
            c0_2 <- Vector256.FusedMultiplyAdd(a0, b2, c0_2)
            let a1 = Vector256.Create(NativePtr.get pa 1)
            c1_0 <- Vector256.FusedMultiplyAdd(a1, b0, c1_0)
            c1_1 <- Vector256.FusedMultiplyAdd(a1, b1, c1_1)
            c1_2 <- Vector256.FusedMultiplyAdd(a1, b2, c1_2)
            let a2 = Vector256.Create(NativePtr.get pa 2)
            c2_0 <- Vector256.FusedMultiplyAdd(a2, b0, c2_0)
            c2_1 <- Vector256.FusedMultiplyAdd(a2, b1, c2_1)
            c2_2 <- Vector256.FusedMultiplyAdd(a2, b2, c2_2)
            let a3 = Vector256.Create(NativePtr.get pa 3)
            c3_0 <- Vector256.FusedMultiplyAdd(a3, b0, c3_0)
            c3_1 <- Vector256.FusedMultiplyAdd(a3, b1, c3_1)
            c3_2 <- Vector256.FusedMultiplyAdd(a3, b2, c3_2)
            pa <- NativePtr.add pa 4
            pb <- NativePtr.add pb 12

        if accumulate then
            let p = NativePtr.add dst (0 * ldd + 0)
            Vector256.Store(Vector256.Load p + c0_0, p)
            let p = NativePtr.add dst (0 * ldd + 4)
            Vector256.Store(Vector256.Load p + c0_1, p)
            let p = NativePtr.add dst (0 * ldd + 8)
            Vector256.Store(Vector256.Load p + c0_2, p)
            let p = NativePtr.add dst (1 * ldd + 0)
            Vector256.Store(Vector256.Load p + c1_0, p)
            let p = NativePtr.add dst (1 * ldd + 4)
            Vector256.Store(Vector256.Load p + c1_1, p)
            let p = NativePtr.add dst (1 * ldd + 8)
            Vector256.Store(Vector256.Load p + c1_2, p)
            let p = NativePtr.add dst (2 * ldd + 0)
            Vector256.Store(Vector256.Load p + c2_0, p)
            let p = NativePtr.add dst (2 * ldd + 4)
            Vector256.Store(Vector256.Load p + c2_1, p)
            let p = NativePtr.add dst (2 * ldd + 8)
            Vector256.Store(Vector256.Load p + c2_2, p)
            let p = NativePtr.add dst (3 * ldd + 0)
            Vector256.Store(Vector256.Load p + c3_0, p)
            let p = NativePtr.add dst (3 * ldd + 4)
            Vector256.Store(Vector256.Load p + c3_1, p)
            let p = NativePtr.add dst (3 * ldd + 8)
            Vector256.Store(Vector256.Load p + c3_2, p)
        else
            Vector256.Store(c0_0, NativePtr.add dst (0 * ldd + 0))
            Vector256.Store(c0_1, NativePtr.add dst (0 * ldd + 4))
            Vector256.Store(c0_2, NativePtr.add dst (0 * ldd + 8))
            Vector256.Store(c1_0, NativePtr.add dst (1 * ldd + 0))
            Vector256.Store(c1_1, NativePtr.add dst (1 * ldd + 4))
            Vector256.Store(c1_2, NativePtr.add dst (1 * ldd + 8))
            Vector256.Store(c2_0, NativePtr.add dst (2 * ldd + 0))
            Vector256.Store(c2_1, NativePtr.add dst (2 * ldd + 4))
            Vector256.Store(c2_2, NativePtr.add dst (2 * ldd + 8))
            Vector256.Store(c3_0, NativePtr.add dst (3 * ldd + 0))
            Vector256.Store(c3_1, NativePtr.add dst (3 * ldd + 4))
            Vector256.Store(c3_2, NativePtr.add dst (3 * ldd + 8))

    /// float32, Vector512, for the direct convolution (`ConvDirect`): an 8 × 48 tile whose B operand is read in place,
    /// not packed: its three 16-wide column vectors start at b0, b1, b2, and row k of the tile's B is the 16 values at
    /// b_v + offs[k] (a tap's shift into a padded image). D_v[r, 0 .. 15] (at d_v + r·ldd) ← Σ_{k < kc} Ã[k·8 + r] ·
    /// b_v[offs[k] .. offs[k] + 15], one fused multiply-add per k in k order (added to D_v when `accumulate`).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let sconv512
        (kc: int)
        (ap: nativeptr<float32>)
        (offs: nativeptr<int>)
        (b0: nativeptr<float32>)
        (b1: nativeptr<float32>)
        (b2: nativeptr<float32>)
        (d0: nativeptr<float32>)
        (d1: nativeptr<float32>)
        (d2: nativeptr<float32>)
        (ldd: int)
        (accumulate: bool)
        =
        let mutable c0_0 = Vector512<float32>.Zero
        let mutable c0_1 = Vector512<float32>.Zero
        let mutable c0_2 = Vector512<float32>.Zero
        let mutable c1_0 = Vector512<float32>.Zero
        let mutable c1_1 = Vector512<float32>.Zero
        let mutable c1_2 = Vector512<float32>.Zero
        let mutable c2_0 = Vector512<float32>.Zero
        let mutable c2_1 = Vector512<float32>.Zero
        let mutable c2_2 = Vector512<float32>.Zero
        let mutable c3_0 = Vector512<float32>.Zero
        let mutable c3_1 = Vector512<float32>.Zero
        let mutable c3_2 = Vector512<float32>.Zero
        let mutable c4_0 = Vector512<float32>.Zero
        let mutable c4_1 = Vector512<float32>.Zero
        let mutable c4_2 = Vector512<float32>.Zero
        let mutable c5_0 = Vector512<float32>.Zero
        let mutable c5_1 = Vector512<float32>.Zero
        let mutable c5_2 = Vector512<float32>.Zero
        let mutable c6_0 = Vector512<float32>.Zero
        let mutable c6_1 = Vector512<float32>.Zero
        let mutable c6_2 = Vector512<float32>.Zero
        let mutable c7_0 = Vector512<float32>.Zero
        let mutable c7_1 = Vector512<float32>.Zero
        let mutable c7_2 = Vector512<float32>.Zero
        let mutable pa = ap
        let mutable po = offs

        for _ in 1..kc do
            let o = NativePtr.read po
            let v0 = Vector512.Load(NativePtr.add b0 o)
            let v1 = Vector512.Load(NativePtr.add b1 o)
            let v2 = Vector512.Load(NativePtr.add b2 o)
            let a0 = Vector512.Create(NativePtr.get pa 0)
            c0_0 <- Vector512.FusedMultiplyAdd(a0, v0, c0_0)
            c0_1 <- Vector512.FusedMultiplyAdd(a0, v1, c0_1)
            c0_2 <- Vector512.FusedMultiplyAdd(a0, v2, c0_2)
            let a1 = Vector512.Create(NativePtr.get pa 1)
            c1_0 <- Vector512.FusedMultiplyAdd(a1, v0, c1_0)
            c1_1 <- Vector512.FusedMultiplyAdd(a1, v1, c1_1)
            c1_2 <- Vector512.FusedMultiplyAdd(a1, v2, c1_2)
            let a2 = Vector512.Create(NativePtr.get pa 2)
            c2_0 <- Vector512.FusedMultiplyAdd(a2, v0, c2_0)
            c2_1 <- Vector512.FusedMultiplyAdd(a2, v1, c2_1)
            c2_2 <- Vector512.FusedMultiplyAdd(a2, v2, c2_2)
            let a3 = Vector512.Create(NativePtr.get pa 3)
            c3_0 <- Vector512.FusedMultiplyAdd(a3, v0, c3_0)
            c3_1 <- Vector512.FusedMultiplyAdd(a3, v1, c3_1)
            c3_2 <- Vector512.FusedMultiplyAdd(a3, v2, c3_2)
            let a4 = Vector512.Create(NativePtr.get pa 4)
            c4_0 <- Vector512.FusedMultiplyAdd(a4, v0, c4_0)
            c4_1 <- Vector512.FusedMultiplyAdd(a4, v1, c4_1)
            c4_2 <- Vector512.FusedMultiplyAdd(a4, v2, c4_2)
            let a5 = Vector512.Create(NativePtr.get pa 5)
            c5_0 <- Vector512.FusedMultiplyAdd(a5, v0, c5_0)
            c5_1 <- Vector512.FusedMultiplyAdd(a5, v1, c5_1)
            c5_2 <- Vector512.FusedMultiplyAdd(a5, v2, c5_2)
            let a6 = Vector512.Create(NativePtr.get pa 6)
            c6_0 <- Vector512.FusedMultiplyAdd(a6, v0, c6_0)
            c6_1 <- Vector512.FusedMultiplyAdd(a6, v1, c6_1)
            c6_2 <- Vector512.FusedMultiplyAdd(a6, v2, c6_2)
            let a7 = Vector512.Create(NativePtr.get pa 7)
            c7_0 <- Vector512.FusedMultiplyAdd(a7, v0, c7_0)
            c7_1 <- Vector512.FusedMultiplyAdd(a7, v1, c7_1)
            c7_2 <- Vector512.FusedMultiplyAdd(a7, v2, c7_2)
            pa <- NativePtr.add pa 8
            po <- NativePtr.add po 1

        if accumulate then
            let p = NativePtr.add d0 (0 * ldd)
            Vector512.Store(Vector512.Load p + c0_0, p)
            let p = NativePtr.add d1 (0 * ldd)
            Vector512.Store(Vector512.Load p + c0_1, p)
            let p = NativePtr.add d2 (0 * ldd)
            Vector512.Store(Vector512.Load p + c0_2, p)
            let p = NativePtr.add d0 (1 * ldd)
            Vector512.Store(Vector512.Load p + c1_0, p)
            let p = NativePtr.add d1 (1 * ldd)
            Vector512.Store(Vector512.Load p + c1_1, p)
            let p = NativePtr.add d2 (1 * ldd)
            Vector512.Store(Vector512.Load p + c1_2, p)
            let p = NativePtr.add d0 (2 * ldd)
            Vector512.Store(Vector512.Load p + c2_0, p)
            let p = NativePtr.add d1 (2 * ldd)
            Vector512.Store(Vector512.Load p + c2_1, p)
            let p = NativePtr.add d2 (2 * ldd)
            Vector512.Store(Vector512.Load p + c2_2, p)
            let p = NativePtr.add d0 (3 * ldd)
            Vector512.Store(Vector512.Load p + c3_0, p)
            let p = NativePtr.add d1 (3 * ldd)
            Vector512.Store(Vector512.Load p + c3_1, p)
            let p = NativePtr.add d2 (3 * ldd)
            Vector512.Store(Vector512.Load p + c3_2, p)
            let p = NativePtr.add d0 (4 * ldd)
            Vector512.Store(Vector512.Load p + c4_0, p)
            let p = NativePtr.add d1 (4 * ldd)
            Vector512.Store(Vector512.Load p + c4_1, p)
            let p = NativePtr.add d2 (4 * ldd)
            Vector512.Store(Vector512.Load p + c4_2, p)
            let p = NativePtr.add d0 (5 * ldd)
            Vector512.Store(Vector512.Load p + c5_0, p)
            let p = NativePtr.add d1 (5 * ldd)
            Vector512.Store(Vector512.Load p + c5_1, p)
            let p = NativePtr.add d2 (5 * ldd)
            Vector512.Store(Vector512.Load p + c5_2, p)
            let p = NativePtr.add d0 (6 * ldd)
            Vector512.Store(Vector512.Load p + c6_0, p)
            let p = NativePtr.add d1 (6 * ldd)
            Vector512.Store(Vector512.Load p + c6_1, p)
            let p = NativePtr.add d2 (6 * ldd)
            Vector512.Store(Vector512.Load p + c6_2, p)
            let p = NativePtr.add d0 (7 * ldd)
            Vector512.Store(Vector512.Load p + c7_0, p)
            let p = NativePtr.add d1 (7 * ldd)
            Vector512.Store(Vector512.Load p + c7_1, p)
            let p = NativePtr.add d2 (7 * ldd)
            Vector512.Store(Vector512.Load p + c7_2, p)
        else
            Vector512.Store(c0_0, NativePtr.add d0 (0 * ldd))
            Vector512.Store(c0_1, NativePtr.add d1 (0 * ldd))
            Vector512.Store(c0_2, NativePtr.add d2 (0 * ldd))
            Vector512.Store(c1_0, NativePtr.add d0 (1 * ldd))
            Vector512.Store(c1_1, NativePtr.add d1 (1 * ldd))
            Vector512.Store(c1_2, NativePtr.add d2 (1 * ldd))
            Vector512.Store(c2_0, NativePtr.add d0 (2 * ldd))
            Vector512.Store(c2_1, NativePtr.add d1 (2 * ldd))
            Vector512.Store(c2_2, NativePtr.add d2 (2 * ldd))
            Vector512.Store(c3_0, NativePtr.add d0 (3 * ldd))
            Vector512.Store(c3_1, NativePtr.add d1 (3 * ldd))
            Vector512.Store(c3_2, NativePtr.add d2 (3 * ldd))
            Vector512.Store(c4_0, NativePtr.add d0 (4 * ldd))
            Vector512.Store(c4_1, NativePtr.add d1 (4 * ldd))
            Vector512.Store(c4_2, NativePtr.add d2 (4 * ldd))
            Vector512.Store(c5_0, NativePtr.add d0 (5 * ldd))
            Vector512.Store(c5_1, NativePtr.add d1 (5 * ldd))
            Vector512.Store(c5_2, NativePtr.add d2 (5 * ldd))
            Vector512.Store(c6_0, NativePtr.add d0 (6 * ldd))
            Vector512.Store(c6_1, NativePtr.add d1 (6 * ldd))
            Vector512.Store(c6_2, NativePtr.add d2 (6 * ldd))
            Vector512.Store(c7_0, NativePtr.add d0 (7 * ldd))
            Vector512.Store(c7_1, NativePtr.add d1 (7 * ldd))
            Vector512.Store(c7_2, NativePtr.add d2 (7 * ldd))

    /// float32, Vector512, for the channel-vector direct convolution (`ConvDirect.runChannels`): a tile of 6 output
    /// pixels × 64 output channels, whose pixels are read in place from a padded image and whose channels are the
    /// vector lanes. For k < kc: the 64 packed weights of tap k at wp + 64·k (four vectors) and the image sample of
    /// pixel i under tap k at x_i + offs[k] (broadcast); D[i, 0 .. 63] (at dst + i·ldd) ← Σ_k x_i[offs[k]] ·
    /// wp[64·k .. 64·k + 63], one fused multiply-add per k in k order (added to D when `accumulate`).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let sconvChannels512
        (kc: int)
        (wp: nativeptr<float32>)
        (offs: nativeptr<int>)
        (x0: nativeptr<float32>)
        (x1: nativeptr<float32>)
        (x2: nativeptr<float32>)
        (x3: nativeptr<float32>)
        (x4: nativeptr<float32>)
        (x5: nativeptr<float32>)
        (dst: nativeptr<float32>)
        (ldd: int)
        (accumulate: bool)
        =
        let mutable c0_0 = Vector512<float32>.Zero
        let mutable c0_1 = Vector512<float32>.Zero
        let mutable c0_2 = Vector512<float32>.Zero
        let mutable c0_3 = Vector512<float32>.Zero
        let mutable c1_0 = Vector512<float32>.Zero
        let mutable c1_1 = Vector512<float32>.Zero
        let mutable c1_2 = Vector512<float32>.Zero
        let mutable c1_3 = Vector512<float32>.Zero
        let mutable c2_0 = Vector512<float32>.Zero
        let mutable c2_1 = Vector512<float32>.Zero
        let mutable c2_2 = Vector512<float32>.Zero
        let mutable c2_3 = Vector512<float32>.Zero
        let mutable c3_0 = Vector512<float32>.Zero
        let mutable c3_1 = Vector512<float32>.Zero
        let mutable c3_2 = Vector512<float32>.Zero
        let mutable c3_3 = Vector512<float32>.Zero
        let mutable c4_0 = Vector512<float32>.Zero
        let mutable c4_1 = Vector512<float32>.Zero
        let mutable c4_2 = Vector512<float32>.Zero
        let mutable c4_3 = Vector512<float32>.Zero
        let mutable c5_0 = Vector512<float32>.Zero
        let mutable c5_1 = Vector512<float32>.Zero
        let mutable c5_2 = Vector512<float32>.Zero
        let mutable c5_3 = Vector512<float32>.Zero
        let mutable pw = wp
        let mutable po = offs

        for _ in 1..kc do
            let o = NativePtr.read po
            let w0 = Vector512.Load(NativePtr.add pw 0)
            let w1 = Vector512.Load(NativePtr.add pw 16)
            let w2 = Vector512.Load(NativePtr.add pw 32)
            let w3 = Vector512.Load(NativePtr.add pw 48)
            let a0 = Vector512.Create(NativePtr.get x0 o)
            c0_0 <- Vector512.FusedMultiplyAdd(a0, w0, c0_0)
            c0_1 <- Vector512.FusedMultiplyAdd(a0, w1, c0_1)
            c0_2 <- Vector512.FusedMultiplyAdd(a0, w2, c0_2)
            c0_3 <- Vector512.FusedMultiplyAdd(a0, w3, c0_3)
            let a1 = Vector512.Create(NativePtr.get x1 o)
            c1_0 <- Vector512.FusedMultiplyAdd(a1, w0, c1_0)
            c1_1 <- Vector512.FusedMultiplyAdd(a1, w1, c1_1)
            c1_2 <- Vector512.FusedMultiplyAdd(a1, w2, c1_2)
            c1_3 <- Vector512.FusedMultiplyAdd(a1, w3, c1_3)
            let a2 = Vector512.Create(NativePtr.get x2 o)
            c2_0 <- Vector512.FusedMultiplyAdd(a2, w0, c2_0)
            c2_1 <- Vector512.FusedMultiplyAdd(a2, w1, c2_1)
            c2_2 <- Vector512.FusedMultiplyAdd(a2, w2, c2_2)
            c2_3 <- Vector512.FusedMultiplyAdd(a2, w3, c2_3)
            let a3 = Vector512.Create(NativePtr.get x3 o)
            c3_0 <- Vector512.FusedMultiplyAdd(a3, w0, c3_0)
            c3_1 <- Vector512.FusedMultiplyAdd(a3, w1, c3_1)
            c3_2 <- Vector512.FusedMultiplyAdd(a3, w2, c3_2)
            c3_3 <- Vector512.FusedMultiplyAdd(a3, w3, c3_3)
            let a4 = Vector512.Create(NativePtr.get x4 o)
            c4_0 <- Vector512.FusedMultiplyAdd(a4, w0, c4_0)
            c4_1 <- Vector512.FusedMultiplyAdd(a4, w1, c4_1)
            c4_2 <- Vector512.FusedMultiplyAdd(a4, w2, c4_2)
            c4_3 <- Vector512.FusedMultiplyAdd(a4, w3, c4_3)
            let a5 = Vector512.Create(NativePtr.get x5 o)
            c5_0 <- Vector512.FusedMultiplyAdd(a5, w0, c5_0)
            c5_1 <- Vector512.FusedMultiplyAdd(a5, w1, c5_1)
            c5_2 <- Vector512.FusedMultiplyAdd(a5, w2, c5_2)
            c5_3 <- Vector512.FusedMultiplyAdd(a5, w3, c5_3)
            pw <- NativePtr.add pw 64
            po <- NativePtr.add po 1

        if accumulate then
            let p = NativePtr.add dst (0 * ldd + 0)
            Vector512.Store(Vector512.Load p + c0_0, p)
            let p = NativePtr.add dst (0 * ldd + 16)
            Vector512.Store(Vector512.Load p + c0_1, p)
            let p = NativePtr.add dst (0 * ldd + 32)
            Vector512.Store(Vector512.Load p + c0_2, p)
            let p = NativePtr.add dst (0 * ldd + 48)
            Vector512.Store(Vector512.Load p + c0_3, p)
            let p = NativePtr.add dst (1 * ldd + 0)
            Vector512.Store(Vector512.Load p + c1_0, p)
            let p = NativePtr.add dst (1 * ldd + 16)
            Vector512.Store(Vector512.Load p + c1_1, p)
            let p = NativePtr.add dst (1 * ldd + 32)
            Vector512.Store(Vector512.Load p + c1_2, p)
            let p = NativePtr.add dst (1 * ldd + 48)
            Vector512.Store(Vector512.Load p + c1_3, p)
            let p = NativePtr.add dst (2 * ldd + 0)
            Vector512.Store(Vector512.Load p + c2_0, p)
            let p = NativePtr.add dst (2 * ldd + 16)
            Vector512.Store(Vector512.Load p + c2_1, p)
            let p = NativePtr.add dst (2 * ldd + 32)
            Vector512.Store(Vector512.Load p + c2_2, p)
            let p = NativePtr.add dst (2 * ldd + 48)
            Vector512.Store(Vector512.Load p + c2_3, p)
            let p = NativePtr.add dst (3 * ldd + 0)
            Vector512.Store(Vector512.Load p + c3_0, p)
            let p = NativePtr.add dst (3 * ldd + 16)
            Vector512.Store(Vector512.Load p + c3_1, p)
            let p = NativePtr.add dst (3 * ldd + 32)
            Vector512.Store(Vector512.Load p + c3_2, p)
            let p = NativePtr.add dst (3 * ldd + 48)
            Vector512.Store(Vector512.Load p + c3_3, p)
            let p = NativePtr.add dst (4 * ldd + 0)
            Vector512.Store(Vector512.Load p + c4_0, p)
            let p = NativePtr.add dst (4 * ldd + 16)
            Vector512.Store(Vector512.Load p + c4_1, p)
            let p = NativePtr.add dst (4 * ldd + 32)
            Vector512.Store(Vector512.Load p + c4_2, p)
            let p = NativePtr.add dst (4 * ldd + 48)
            Vector512.Store(Vector512.Load p + c4_3, p)
            let p = NativePtr.add dst (5 * ldd + 0)
            Vector512.Store(Vector512.Load p + c5_0, p)
            let p = NativePtr.add dst (5 * ldd + 16)
            Vector512.Store(Vector512.Load p + c5_1, p)
            let p = NativePtr.add dst (5 * ldd + 32)
            Vector512.Store(Vector512.Load p + c5_2, p)
            let p = NativePtr.add dst (5 * ldd + 48)
            Vector512.Store(Vector512.Load p + c5_3, p)
        else
            Vector512.Store(c0_0, NativePtr.add dst (0 * ldd + 0))
            Vector512.Store(c0_1, NativePtr.add dst (0 * ldd + 16))
            Vector512.Store(c0_2, NativePtr.add dst (0 * ldd + 32))
            Vector512.Store(c0_3, NativePtr.add dst (0 * ldd + 48))
            Vector512.Store(c1_0, NativePtr.add dst (1 * ldd + 0))
            Vector512.Store(c1_1, NativePtr.add dst (1 * ldd + 16))
            Vector512.Store(c1_2, NativePtr.add dst (1 * ldd + 32))
            Vector512.Store(c1_3, NativePtr.add dst (1 * ldd + 48))
            Vector512.Store(c2_0, NativePtr.add dst (2 * ldd + 0))
            Vector512.Store(c2_1, NativePtr.add dst (2 * ldd + 16))
            Vector512.Store(c2_2, NativePtr.add dst (2 * ldd + 32))
            Vector512.Store(c2_3, NativePtr.add dst (2 * ldd + 48))
            Vector512.Store(c3_0, NativePtr.add dst (3 * ldd + 0))
            Vector512.Store(c3_1, NativePtr.add dst (3 * ldd + 16))
            Vector512.Store(c3_2, NativePtr.add dst (3 * ldd + 32))
            Vector512.Store(c3_3, NativePtr.add dst (3 * ldd + 48))
            Vector512.Store(c4_0, NativePtr.add dst (4 * ldd + 0))
            Vector512.Store(c4_1, NativePtr.add dst (4 * ldd + 16))
            Vector512.Store(c4_2, NativePtr.add dst (4 * ldd + 32))
            Vector512.Store(c4_3, NativePtr.add dst (4 * ldd + 48))
            Vector512.Store(c5_0, NativePtr.add dst (5 * ldd + 0))
            Vector512.Store(c5_1, NativePtr.add dst (5 * ldd + 16))
            Vector512.Store(c5_2, NativePtr.add dst (5 * ldd + 32))
            Vector512.Store(c5_3, NativePtr.add dst (5 * ldd + 48))
