module KernelsGemmTests

open System
open Xunit
open EquiSphere.Tensor.Kernels
open TestKit
open KernelsNaive

/// A random GEMM problem: sizes, transposes, leading dimensions (with slack), offsets, α, β and arrays.
type private Problem =
    {
        OpA: MatOp
        OpB: MatOp
        M: int
        N: int
        K: int
        Alpha: float
        Beta: float
        A: float[]
        OffA: int
        Lda: int
        B: float[]
        OffB: int
        Ldb: int
        C: float[]
        OffC: int
        Ldc: int
    }

let private problem (rng: Random) (maxM: int) (maxN: int) (maxK: int) =
    let op () =
        if rng.Next 2 = 0 then MatOp.AsIs else MatOp.Transposed

    let opA, opB = op (), op ()
    let m, n, k = rng.Next(1, maxM + 1), rng.Next(1, maxN + 1), rng.Next(0, maxK + 1)
    let rowsA, colsA = if opA = MatOp.AsIs then m, k else k, m
    let rowsB, colsB = if opB = MatOp.AsIs then k, n else n, k

    let lda, ldb, ldc =
        max 1 colsA + rng.Next 3, max 1 colsB + rng.Next 3, n + rng.Next 3

    let offA, offB, offC = rng.Next 4, rng.Next 4, rng.Next 4

    let alpha =
        match rng.Next 3 with
        | 0 -> 1.0
        | _ -> float (float32 (2.0 * rng.NextDouble() - 1.0))

    let beta =
        match rng.Next 4 with
        | 0 -> 0.0
        | 1 -> 1.0
        | _ -> float (float32 (2.0 * rng.NextDouble() - 1.0))

    {
        OpA = opA
        OpB = opB
        M = m
        N = n
        K = k
        Alpha = alpha
        Beta = beta
        A = randomArray rng (offA + rowsA * lda)
        OffA = offA
        Lda = lda
        B = randomArray rng (offB + rowsB * ldb)
        OffB = offB
        Ldb = ldb
        C = randomArray rng (offC + m * ldc)
        OffC = offC
        Ldc = ldc
    }

let private expected (p: Problem) =
    let c = Array.copy p.C
    gemm p.OpA p.OpB p.M p.N p.K p.Alpha p.A p.OffA p.Lda p.B p.OffB p.Ldb p.Beta c p.OffC p.Ldc
    c

let private runD (threads: int) (p: Problem) =
    let c = Array.copy p.C
    Gemm.dgemm threads p.OpA p.OpB p.M p.N p.K p.Alpha p.A p.OffA p.Lda p.B p.OffB p.Ldb p.Beta c p.OffC p.Ldc
    c

let private runS (threads: int) (p: Problem) =
    let c = Array.map float32 p.C

    Gemm.sgemm
        threads
        p.OpA
        p.OpB
        p.M
        p.N
        p.K
        (float32 p.Alpha)
        (Array.map float32 p.A)
        p.OffA
        p.Lda
        (Array.map float32 p.B)
        p.OffB
        p.Ldb
        (float32 p.Beta)
        c
        p.OffC
        p.Ldc

    Array.map float c

[<Fact>]
let ``dgemm equals the triple loop for all transposes, odd sizes, leading dimensions, alpha and beta`` () =
    property 60 (fun (seed: int) ->
        let p = problem (Random seed) 40 70 90
        closeTo "dgemm" KTol.f64 (expected p) (runD 2 p))

[<Fact>]
let ``sgemm equals the triple loop for all transposes, odd sizes, leading dimensions, alpha and beta`` () =
    property 60 (fun (seed: int) ->
        let p = problem (Random seed) 40 70 90
        closeTo "sgemm" KTol.f32 (expected p) (runS 2 p))

[<Fact>]
let ``gemm equals the triple loop across the cache-block boundaries`` () =
    // Shapes that cross KC = 256 (k), MC (m) and NC (n) blocks, and partial register tiles on every edge; A and B
    // read as stored and transposed (the packers' SIMD transposes and their k tails).
    let rng = Random 7

    for m, n, k in [ 9, 3100, 300; 140, 50, 520; 67, 200, 257 ] do
        for opA, opB in
            [
                MatOp.AsIs, MatOp.AsIs
                MatOp.Transposed, MatOp.AsIs
                MatOp.AsIs, MatOp.Transposed
            ] do
            let p =
                { problem rng 1 1 1 with
                    OpA = opA
                    M = m
                    N = n
                    K = k
                    Lda = (if opA = MatOp.AsIs then k else m)
                    Ldb = (if opB = MatOp.AsIs then n else k)
                    Ldc = n
                    OffA = 0
                    OffB = 0
                    OffC = 0
                    OpB = opB
                    Beta = 0.5
                }

            let p =
                { p with
                    A = randomArray rng (m * k)
                    B = randomArray rng (k * n)
                    C = randomArray rng (m * n)
                }

            let e = expected p
            closeTo (sprintf "dgemm %d×%d×%d" m n k) KTol.f64 e (runD 2 p)
            closeTo (sprintf "sgemm %d×%d×%d" m n k) KTol.f32 e (runS 2 p)

[<Fact>]
let ``gemm is bit-identical across runs and thread counts`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let p = { problem rng 1 1 1 with Beta = 0.0 }
        let m, n, k = rng.Next(60, 200), rng.Next(60, 200), rng.Next(60, 300)
        let lda = if p.OpA = MatOp.AsIs then k else m
        let ldb = if p.OpB = MatOp.AsIs then n else k

        let p =
            { p with
                M = m
                N = n
                K = k
                A = randomArray rng (m * k)
                OffA = 0
                Lda = lda
                B = randomArray rng (k * n)
                OffB = 0
                Ldb = ldb
                C = Array.zeroCreate (m * n)
                OffC = 0
                Ldc = n
            }

        let s1 = runS 1 p
        Assert.Equal<float[]>(s1, runS 1 p)
        Assert.Equal<float[]>(s1, runS 2 p)
        Assert.Equal<float[]>(s1, runS 3 p)
        let d1 = runD 1 p
        Assert.Equal<float[]>(d1, runD 2 p)
        Assert.Equal<float[]>(d1, runD 4 p))

[<Fact>]
let ``gemm with beta zero never reads C`` () =
    property 20 (fun (seed: int) ->
        let p =
            { problem (Random seed) 30 60 40 with
                Beta = 0.0
            }

        let nanC = Array.create p.C.Length nan

        let e =
            expected
                { p with
                    C = Array.zeroCreate p.C.Length
                }

        let d = runD 2 { p with C = nanC }
        // Entries outside the m × n window keep their NaN; compare the window only.
        for i in 0 .. p.M - 1 do
            let row = p.OffC + i * p.Ldc
            closeTo "dgemm β = 0" KTol.f64 e[row .. row + p.N - 1] d[row .. row + p.N - 1])

[<Fact>]
let ``gemm with k zero or alpha zero scales C by beta`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let p = problem rng 20 20 20

        let p =
            if rng.Next 2 = 0 then
                { p with K = 0 }
            else
                { p with Alpha = 0.0 }

        let e = Array.copy p.C

        for i in 0 .. p.M - 1 do
            for j in 0 .. p.N - 1 do
                let ci = p.OffC + i * p.Ldc + j
                e[ci] <- p.Beta * p.C[ci]

        closeTo "dgemm" KTol.f64 e (runD 1 p)
        closeTo "sgemm" KTol.f32 e (runS 1 p))

[<Fact>]
let ``gemmBatched equals gemm on each product`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed

        let m, n, k, count =
            rng.Next(1, 30), rng.Next(1, 40), rng.Next(1, 50), rng.Next(1, 6)

        let a = randomArray rng (count * m * k + 3)
        let b = randomArray rng (count * k * n)
        let c = randomArray rng (count * m * n)
        let e = Array.copy c

        for i in 0 .. count - 1 do
            gemm MatOp.AsIs MatOp.AsIs m n k 0.5 a (3 + i * m * k) k b (i * k * n) n 2.0 e (i * m * n) n

        let d = Array.copy c
        Gemm.gemmBatched 3 MatOp.AsIs MatOp.AsIs m n k 0.5 a 3 (m * k) k b 0 (k * n) n 2.0 d 0 (m * n) n count
        closeTo "gemmBatched float64" KTol.f64 e d
        let s = Array.map float32 c

        Gemm.gemmBatched
            2
            MatOp.AsIs
            MatOp.AsIs
            m
            n
            k
            0.5
            (Array.map float32 a)
            3
            (m * k)
            k
            (Array.map float32 b)
            0
            (k * n)
            n
            2.0
            s
            0
            (m * n)
            n
            count

        closeTo "gemmBatched float32" KTol.f32 e (Array.map float s))

[<Fact>]
let ``gemm rejects arrays too short for their shape, naming the operand`` () =
    let a = Array.zeroCreate<float> 12
    let c = Array.zeroCreate<float> 12

    throwsWith<ArgumentException> [ "b"; "3 × 4"; "length 11" ] (fun () ->
        Gemm.dgemm 1 MatOp.AsIs MatOp.AsIs 3 4 3 1.0 a 0 3 (Array.zeroCreate 11) 0 4 0.0 c 0 4)

    throwsWith<ArgumentException> [ "leading dimension of a"; "got 2" ] (fun () ->
        Gemm.dgemm 1 MatOp.AsIs MatOp.AsIs 3 4 3 1.0 a 0 2 a 0 4 0.0 c 0 4)

    throwsWith<ArgumentException> [ "threads"; "got 0" ] (fun () -> Gemm.dgemm 0 MatOp.AsIs MatOp.AsIs 3 4 3 1.0 a 0 3 a 0 4 0.0 c 0 4)

    throwsWith<ArgumentException> [ "float32[] or float[]"; "Int32" ] (fun () ->
        Gemm.gemm 1 MatOp.AsIs MatOp.AsIs 1 1 1 1.0 [| 1 |] 0 1 [| 1 |] 0 1 0.0 [| 1 |] 0 1)
