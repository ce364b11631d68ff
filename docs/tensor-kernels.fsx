// Runnable tour of the tensor kernels: GEMM, convolution and its adjoints, padding, pooling, upsampling.
// Build first:  dotnet build src/EquiSphere.Tensor -c Release   then:  dotnet fsi docs/tensor-kernels.fsx
#r "../src/EquiSphere.Tensor/bin/Release/net10.0/EquiSphere.Tensor.dll"

open System
open EquiSphere.Tensor.Kernels

let rng = Random 42

let randoms n =
    Array.init n (fun _ -> float32 (rng.NextDouble() - 0.5))

let threads = Gemm.defaultThreads

// GEMM: C[m×n] = α·A·Bᵀ + β·C with B stored n × k (row-major, leading dimensions = row lengths).
let m, n, k = 3, 4, 5
let a, b = randoms (m * k), randoms (n * k)
let c = Array.zeroCreate<float32>(m * n)
Gemm.sgemm threads MatOp.AsIs MatOp.Transposed m n k 1.0f a 0 k b 0 k 0.0f c 0 n

let naive i j =
    Seq.sum (seq { for p in 0 .. k - 1 -> a[i * k + p] * b[j * k + p] })

printfn
    "GEMM max error vs naive: %.2e"
    (Seq.max (
        seq {
            for i in 0 .. m - 1 do
                for j in 0 .. n - 1 -> abs (c[i * n + j] - naive i j)
        }
    ))

// A 3×3 convolution with padding 1 on a batch of 2 images, and its two adjoints.
let spec =
    { Conv.spec 2 3 8 (16, 16) (3, 3) with
        PadH = 1
        PadW = 1
    }

let x, w = randoms spec.InputLength, randoms spec.WeightLength
let y = Array.zeroCreate<float32> spec.OutputLength
Conv.forward threads spec x 0 w 0 y 0
let dy = randoms spec.OutputLength
let dx = Array.zeroCreate<float32> spec.InputLength
let dw = Array.zeroCreate<float32> spec.WeightLength
Conv.backwardData threads spec dy 0 w 0 dx 0
Conv.backwardWeight threads spec x 0 dy 0 dw 0

let dot (u: float32[]) (v: float32[]) =
    Array.fold2 (fun s p q -> s + float p * float q) 0.0 u v

printfn
    "conv %d×%d → %d×%d; ⟨conv x, dy⟩ = %.5f, ⟨x, convᵀ dy⟩ = %.5f, ⟨w, ∂w⟩ = %.5f"
    spec.Height
    spec.Width
    spec.OutHeight
    spec.OutWidth
    (dot y dy)
    (dot x dx)
    (dot w dw)

// Reflect padding along colatitude, circular along longitude (the decoder's spherical padding), and its adjoint.
let pad =
    { Pad.spec 1 (4, 6) PadMode.Reflect 1 with
        ModeW = PadMode.Circular
    }

let plane = Array.init 24 float32
let padded = Array.zeroCreate<float32>(pad.OutHeight * pad.OutWidth)
Pad.forward pad plane 0 padded 0
printfn "padded first row: %A" padded[0 .. pad.OutWidth - 1]

// 2×2 max pooling with argmax, and its backward.
let pool = Pool.spec 1 (4, 6) 2 2 0
let pooled = Array.zeroCreate<float32>(pool.OutHeight * pool.OutWidth)
let argmax = Array.zeroCreate<int> pooled.Length
Pool.maxForward pool plane 0 pooled 0 argmax 0
printfn "max pooled: %A, argmax: %A" pooled argmax

// Longitude-periodic bicubic upsampling by 4 (as the relative-pose step does with 16 × 16 maps).
let up =
    { Upsample.spec 1 (4, 6) UpsampleMode.Bicubic 4 with
        WrapW = true
    }

let upsampled = Array.zeroCreate<float32>(up.OutHeight * up.OutWidth)
Upsample.forward up plane 0 upsampled 0
printfn "upsampled %d×%d → %d×%d; first row starts %A" up.Height up.Width up.OutHeight up.OutWidth upsampled[0..3]
