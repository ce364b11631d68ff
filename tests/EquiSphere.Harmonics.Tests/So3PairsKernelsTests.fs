module So3PairsKernelsTests

#nowarn "9" // The kernels take raw pointers; the tests pin their arrays with `fixed`.

open System
open System.Runtime.Intrinsics
open Microsoft.FSharp.NativeInterop
open Xunit
open EquiSphere.Harmonics
open TestKit

/// Sums of at most 40 products of values in [−1, 1]: rounding stays far below this.
let private TileTolerance = 1e-13

let private randoms (rng: Random) (k: int) =
    Array.init k (fun _ -> rng.NextDouble() * 2.0 - 1.0)

/// out[r, c] = Σ_t a[r · rowStride + t · tStride] · y[16t + c], written out directly (the definition).
let private tileOracle (rows: int) (a: float[]) (rowStride: int) (tStride: int) (count: int) (y: float[]) =
    Array.init (16 * rows) (fun i ->
        let r, c = i / 16, i % 16
        Seq.sum (seq { for t in 0 .. count - 1 -> a[r * rowStride + t * tStride] * y[16 * t + c] }))

type private TilePath = int -> nativeptr<float> -> int -> int -> int -> nativeptr<float> -> nativeptr<float> -> unit

let private paths: (string * bool * TilePath) list =
    [
        "tile512", Vector512.IsHardwareAccelerated, So3PairsKernels.tile512
        "tile256", Vector256.IsHardwareAccelerated, So3PairsKernels.tile256
        "tileScalar", true, So3PairsKernels.tileScalar
        "tile", true, So3PairsKernels.tile
    ]

[<Fact>]
let ``every tile path computes the tile product of its definition`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let rows, count = 1 + rng.Next 20, 1 + rng.Next 40
        // Both layouts of the transform: rows contiguous in t (analysis) or t-major with rows adjacent (synthesis).
        let rowStride, tStride = if rng.Next 2 = 0 then count, 1 else 1, rows
        let a = randoms rng (rows * count)
        let y = randoms rng (16 * count)
        let expected = tileOracle rows a rowStride tStride count y

        for name, available, path in paths do
            if available then
                let out = Array.create (16 * rows) nan
                use pa = fixed a
                use py = fixed y
                use po = fixed out
                path rows pa rowStride tStride count py po
                closeTo (sprintf "%s, %d rows, count %d, strides (%d, %d)" name rows count rowStride tStride) TileTolerance expected out)

/// Eight disjoint vectors of n values at random offsets in an array of 10n.
let private layout (rng: Random) (n: int) =
    let slots = Array.init 10 id |> Array.sortBy (fun _ -> rng.Next())
    Array.init 8 (fun c -> slots[c] * n)

[<Fact>]
let ``interleave places each order's beta vector in its column, the last four reversed`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let n = 2 * (1 + rng.Next 24)
        let offsets = layout rng n
        let src = randoms rng (10 * n)
        let dst = Array.create (16 * n) nan
        use ps = fixed src
        use pd = fixed dst
        So3PairsKernels.interleave n ps offsets (NativePtr.add pd 8)

        for j in 0 .. n - 1 do
            for c in 0..7 do
                let expected =
                    if c < 4 then
                        src[offsets[c] + j]
                    else
                        src[offsets[c] + n - 1 - j]

                Assert.Equal(expected, dst[16 * j + 8 + c])
                Assert.True(Double.IsNaN dst[16 * j + c], "interleave wrote outside its 8 columns"))

[<Fact>]
let ``deinterleave after interleave restores the beta vectors`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let n = 2 * (1 + rng.Next 24)
        let offsets = layout rng n
        let src = randoms rng (10 * n)
        let mid = Array.zeroCreate (16 * n)
        let back = Array.create (10 * n) nan
        use ps = fixed src
        use pm = fixed mid
        use pb = fixed back
        So3PairsKernels.interleave n ps offsets pm
        So3PairsKernels.deinterleave n pm pb offsets

        for c in 0..7 do
            Assert.Equal<float>(src[offsets[c] .. offsets[c] + n - 1], back[offsets[c] .. offsets[c] + n - 1]))

[<Fact>]
let ``the recurrence step equals its scalar formula exactly on every path`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let n = 1 + rng.Next 70
        let cosb, d, prev = randoms rng n, randoms rng n, randoms rng n
        let ca, cb, cc = 1.0 + rng.NextDouble(), rng.NextDouble(), rng.NextDouble()
        let expected = Array.init n (fun j -> ca * (cosb[j] - cb) * d[j] - cc * prev[j])
        let dst = Array.zeroCreate n
        use pc = fixed cosb
        use pd = fixed d
        use pp = fixed prev
        use po = fixed dst
        So3PairsKernels.recurrence n pc ca cb cc pd pp po
        Assert.Equal<float>(expected, dst)
        // In place (dst = prev), as the pair engine uses it.
        So3PairsKernels.recurrence n pc ca cb cc pd pp pp
        Assert.Equal<float>(expected, prev))

[<Fact>]
let ``streamOut copies each staged beta vector to its place whatever the alignment`` () =
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let n = 8 * (1 + rng.Next 12)

        if So3PairsKernels.canStream n then
            let offsets = layout rng n
            let shift = rng.Next 8
            let src = randoms rng (8 * n)
            let dst = Array.create (10 * n + 8) nan
            use ps = fixed src
            use pd = fixed dst
            So3PairsKernels.streamOut n ps (NativePtr.add pd shift) offsets
            let expected = Array.create (10 * n + 8) nan

            for c in 0..7 do
                Array.blit src (c * n) expected (shift + offsets[c]) n

            Assert.Equal<float>(expected, dst))
