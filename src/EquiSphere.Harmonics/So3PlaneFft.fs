namespace EquiSphere.Harmonics

#nowarn "9" // `address` hands out the address of an element of a pinned array.

open System
open System.Collections.Concurrent
open System.Runtime.CompilerServices
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open System.Runtime.Intrinsics.X86
open Microsoft.FSharp.NativeInterop

/// The plan of the strip FFT for one power-of-two length n ≥ 8: the bit-reversal permutation and, per radix-4 pass of
/// half-span h (h = 1, 4, 16, … for even log₂ n; 2, 8, 32, … after one radix-2 pass for odd log₂ n), the twiddles
/// [4k .. 4k+3] = (Re t₁, Im t₁, Re t₂, Im t₂) with t₁ = e^{∓2πik/(2h)}, t₂ = e^{∓2πik/(4h)}, k < h, for both signs.
type internal StripFftPlan =
    {
        /// The sequence length n (a power of two, ≥ 8).
        N: int
        /// The bit-reversal permutation of log₂ n bits.
        Rev: int[]
        /// Whether log₂ n is odd (one radix-2 pass before the radix-4 passes).
        Odd: bool
        /// Half-spans h of the radix-4 passes, in order.
        Spans: int[]
        /// Twiddles of each pass for the sign −1 (e^{−…}).
        Negative: float[][]
        /// Twiddles of each pass for the sign +1.
        Positive: float[][]
    }

/// Per-worker scratch of the strip FFT path of the SO(3) FFT: one strip of eight interleaved sequences (re, im; n · 8
/// doubles each, L1-resident for n ≤ 256) and the block buffer of the eight β of a block (re, im; n strips, one per γ_k,
/// flat [k · n · 8 + slot · 8 + q], n = 2B).
[<Sealed>]
type internal So3BlockScratch(n: int) =
    /// The strip [k · 8 + lane] (real parts).
    member val StripRe = Array.zeroCreate<float>(n * 8)
    /// The strip [k · 8 + lane] (imaginary parts).
    member val StripIm = Array.zeroCreate<float>(n * 8)
    /// Doubles between consecutive rows of the block buffer: n · 8 and one cache line more, so that a column of the
    /// buffer does not fall into one cache set (n · 8 doubles is a multiple of 4 KiB for n ≥ 64).
    member val RowStride = 8 * n + 8
    /// The block buffer [k · RowStride + slot · 8 + q] (real parts).
    member val BlockRe = Array.zeroCreate<float>((8 * n + 8) * n)
    /// The block buffer [k · RowStride + slot · 8 + q] (imaginary parts).
    member val BlockIm = Array.zeroCreate<float>((8 * n + 8) * n)

/// The per-call scratch of the table-free SO(3) FFT: the per-order spectra between the α–γ stage and the Wigner stage
/// (re, im; (2B−1)² · 2B doubles each, layout [offset + ((m'+B−1)(2B−1) + (m+B−1)) · 2B + j]) in pinned arrays whose
/// entries start on a 64-byte boundary at `OffsetRe` / `OffsetIm` (the α–γ stage writes them in whole cache lines).
[<Sealed>]
type internal So3Workspace(b: int) =
    let len = (2 * b - 1) * (2 * b - 1) * 2 * b
    let re = GC.AllocateArray<float>(len + 8, true)
    let im = GC.AllocateArray<float>(len + 8, true)

    /// Doubles before the first 64-byte boundary of a pinned array.
    static let skip (a: float[]) =
        int ((64L - int64 (Marshal.UnsafeAddrOfPinnedArrayElement(a, 0)) % 64L) % 64L)
        / 8

    /// Spectra, real parts (from `OffsetRe`).
    member _.SpectraRe = re
    /// Spectra, imaginary parts (from `OffsetIm`).
    member _.SpectraIm = im
    /// The index of the first spectrum entry in `SpectraRe` (on a 64-byte boundary).
    member val OffsetRe = skip re
    /// The index of the first spectrum entry in `SpectraIm` (on a 64-byte boundary).
    member val OffsetIm = skip im

/// A thread-safe pool of reusable scratch objects: `Lease` takes one (or creates it), `Release` puts it back.
[<Sealed>]
type internal ScratchPool<'T when 'T: not struct>(create: unit -> 'T) =
    let bag = ConcurrentBag<'T>()

    /// Takes a pooled object or creates one.
    member _.Lease() =
        match bag.TryTake() with
        | true, x -> x
        | _ -> create ()

    /// Returns an object to the pool.
    member _.Release(x: 'T) = bag.Add x

/// Batched complex FFTs of eight interleaved sequences of a power-of-two length n ≥ 8 ("strips"): element k of lane q
/// at [k · 8 + q] (re and im arrays), in place, unnormalized, X_m = Σ_k x_k e^{∓2πimk/n}. The input is expected in
/// bit-reversed order (the callers fold the permutation into their gathers), the output is in natural order. Radix-4
/// decimation-in-time passes (two radix-2 stages per pass in registers; one radix-2 pass first when log₂ n is odd),
/// each butterfly on one Vector512 where AVX-512 is available, else on two Vector256; AVX-512 8 × 8 transposes serve
/// the transposed gathers and scatters (scalar loops otherwise).
[<RequireQualifiedAccess>]
module internal So3PlaneFft =

    [<assembly: InternalsVisibleTo("EquiSphere.Harmonics.Tests")>]
    do ()

    /// Sequences per strip.
    [<Literal>]
    let Lanes = 8

    /// Whether the butterflies run on one Vector512 (8 lanes) instead of two Vector256.
    let internal Wide = Vector512.IsHardwareAccelerated && Avx512F.IsSupported

    /// Whether the strip path serves length n: a power of two ≥ `Lanes`, with hardware Vector256.
    let supports (n: int) =
        n >= Lanes && n &&& (n - 1) = 0 && Vector256.IsHardwareAccelerated

    /// The plan for a power-of-two n ≥ 8.
    let plan (n: int) : StripFftPlan =
        if n < Lanes || n &&& (n - 1) <> 0 then
            invalidArg (nameof n) (sprintf "Expected a power-of-two length n >= %d, got %d" Lanes n)

        let bits = int (Math.Round(Math.Log2(float n)))

        let odd = bits % 2 = 1

        let spans =
            [|
                let mutable h = if odd then 2 else 1

                while 4 * h <= n do
                    yield h
                    h <- 4 * h
            |]

        let twiddles (sign: float) =
            spans
            |> Array.map (fun h ->
                let t = Array.zeroCreate (4 * h)

                for k in 0 .. h - 1 do
                    let a1 = sign * 2.0 * Math.PI * float k / float (2 * h)
                    let a2 = sign * 2.0 * Math.PI * float k / float (4 * h)
                    t[4 * k] <- cos a1
                    t[4 * k + 1] <- sin a1
                    t[4 * k + 2] <- cos a2
                    t[4 * k + 3] <- sin a2

                t)

        {
            N = n
            Rev = Fft.bitReversal n
            Odd = odd
            Spans = spans
            Negative = twiddles -1.0
            Positive = twiddles 1.0
        }

    /// Loads four lanes at [o .. o+3] without a bounds check (callers keep o + 3 < length).
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal ld4 (a: float[]) (o: int) =
        Vector256.LoadUnsafe<float>(&MemoryMarshal.GetArrayDataReference(a), unativeint o)

    /// Stores four lanes at [o .. o+3] without a bounds check.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal st4 (a: float[]) (o: int) (v: Vector256<float>) =
        v.StoreUnsafe(&MemoryMarshal.GetArrayDataReference(a), unativeint o)

    /// Loads eight lanes at [o .. o+7] without a bounds check.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal ld8 (a: float[]) (o: int) =
        Vector512.LoadUnsafe<float>(&MemoryMarshal.GetArrayDataReference(a), unativeint o)

    /// Stores eight lanes at [o .. o+7] without a bounds check.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal st8 (a: float[]) (o: int) (v: Vector512<float>) =
        v.StoreUnsafe(&MemoryMarshal.GetArrayDataReference(a), unativeint o)

    /// Copies the 8 × 8 block src[sOff + r · sStride + c] (r, c < 8) transposed into dst[dOff[c] + r]: column c of the
    /// block becomes a contiguous run of eight at dOff[c] (AVX-512 permutes; needs `Wide`).
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal transposeBlock
        (src: float[])
        (sOff: int)
        (sStride: int)
        (dst: float[])
        (d0: int)
        (d1: int)
        (d2: int)
        (d3: int)
        (d4: int)
        (d5: int)
        (d6: int)
        (d7: int)
        =
        let struct (c0, c1, c2, c3, c4, c5, c6, c7) =
            V512.transpose8
                (ld8 src sOff)
                (ld8 src (sOff + sStride))
                (ld8 src (sOff + 2 * sStride))
                (ld8 src (sOff + 3 * sStride))
                (ld8 src (sOff + 4 * sStride))
                (ld8 src (sOff + 5 * sStride))
                (ld8 src (sOff + 6 * sStride))
                (ld8 src (sOff + 7 * sStride))

        st8 dst d0 c0
        st8 dst d1 c1
        st8 dst d2 c2
        st8 dst d3 c3
        st8 dst d4 c4
        st8 dst d5 c5
        st8 dst d6 c6
        st8 dst d7 c7

    /// One radix-2² butterfly on four lanes at offset o, element stride s: the two radix-2 stages of half-spans h and
    /// 2h in registers. `negative` selects the sign (the second stage's odd pair uses w_{4h}^h = ∓i).
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline private butterfly4
        (negative: bool)
        (re: float[])
        (im: float[])
        (o: int)
        (s: int)
        (t1r: Vector256<float>)
        (t1i: Vector256<float>)
        (t2r: Vector256<float>)
        (t2i: Vector256<float>)
        =
        let x0r, x0i = ld4 re o, ld4 im o
        let x1r, x1i = ld4 re (o + s), ld4 im (o + s)
        let x2r, x2i = ld4 re (o + 2 * s), ld4 im (o + 2 * s)
        let x3r, x3i = ld4 re (o + 3 * s), ld4 im (o + 3 * s)
        // First stage (half-span h): (x0, x1) and (x2, x3) with t1.
        let ar = t1r * x1r - t1i * x1i
        let ai = t1r * x1i + t1i * x1r
        let br = t1r * x3r - t1i * x3i
        let bi = t1r * x3i + t1i * x3r
        let p0r, p0i = x0r + ar, x0i + ai
        let p1r, p1i = x0r - ar, x0i - ai
        let p2r, p2i = x2r + br, x2i + bi
        let p3r, p3i = x2r - br, x2i - bi
        // Second stage (half-span 2h): (p0, p2) with t2, (p1, p3) with t2 · (∓i).
        let cr = t2r * p2r - t2i * p2i
        let ci = t2r * p2i + t2i * p2r
        let dr = t2r * p3r - t2i * p3i
        let di = t2r * p3i + t2i * p3r
        // −i·d = (di, −dr); +i·d = (−di, dr).
        let er, ei = if negative then di, -dr else -di, dr
        st4 re o (p0r + cr)
        st4 im o (p0i + ci)
        st4 re (o + s) (p1r + er)
        st4 im (o + s) (p1i + ei)
        st4 re (o + 2 * s) (p0r - cr)
        st4 im (o + 2 * s) (p0i - ci)
        st4 re (o + 3 * s) (p1r - er)
        st4 im (o + 3 * s) (p1i - ei)

    /// `butterfly4` on all eight lanes in one Vector512.
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline private butterfly8
        (negative: bool)
        (re: float[])
        (im: float[])
        (o: int)
        (s: int)
        (t1r: Vector512<float>)
        (t1i: Vector512<float>)
        (t2r: Vector512<float>)
        (t2i: Vector512<float>)
        =
        let x0r = ld8 re o
        let x0i = ld8 im o
        let x1r = ld8 re (o + s)
        let x1i = ld8 im (o + s)
        let x2r = ld8 re (o + 2 * s)
        let x2i = ld8 im (o + 2 * s)
        let x3r = ld8 re (o + 3 * s)
        let x3i = ld8 im (o + 3 * s)
        let ar = Avx512F.FusedMultiplySubtract(t1r, x1r, t1i * x1i)
        let ai = Avx512F.FusedMultiplyAdd(t1r, x1i, t1i * x1r)
        let br = Avx512F.FusedMultiplySubtract(t1r, x3r, t1i * x3i)
        let bi = Avx512F.FusedMultiplyAdd(t1r, x3i, t1i * x3r)
        let p0r = x0r + ar
        let p0i = x0i + ai
        let p1r = x0r - ar
        let p1i = x0i - ai
        let p2r = x2r + br
        let p2i = x2i + bi
        let p3r = x2r - br
        let p3i = x2i - bi
        let cr = Avx512F.FusedMultiplySubtract(t2r, p2r, t2i * p2i)
        let ci = Avx512F.FusedMultiplyAdd(t2r, p2i, t2i * p2r)
        let dr = Avx512F.FusedMultiplySubtract(t2r, p3r, t2i * p3i)
        let di = Avx512F.FusedMultiplyAdd(t2r, p3i, t2i * p3r)
        let er, ei = if negative then di, -dr else -di, dr
        st8 re o (p0r + cr)
        st8 im o (p0i + ci)
        st8 re (o + s) (p1r + er)
        st8 im (o + s) (p1i + ei)
        st8 re (o + 2 * s) (p0r - cr)
        st8 im (o + 2 * s) (p0i - ci)
        st8 re (o + 3 * s) (p1r - er)
        st8 im (o + 3 * s) (p1i - ei)

    /// (∓i) · z for `negative` (−i) or not (+i), as (re, im).
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline private rotQuarter (negative: bool) (zr: Vector512<float>) (zi: Vector512<float>) =
        if negative then struct (zi, -zr) else struct (-zi, zr)

    /// The first three radix-2 stages of a strip in one pass, on all eight lanes (needs `Wide`): every run of eight
    /// consecutive elements (bit-reversed input) becomes its 8-point DFT. Their twiddles are 1, ∓i and (±1 ∓ i)/√2, so
    /// the pass takes adds and four multiplications by √½ per run instead of the complex products of a radix-2 and a
    /// radix-4 pass.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private radix8First (negative: bool) (re: float[]) (im: float[]) (offset: int) (n: int) =
        let h = Vector512.Create(sqrt 0.5)
        let mutable o = offset

        while o < offset + n * Lanes do
            let inline ld (k: int) =
                struct (ld8 re (o + k * Lanes), ld8 im (o + k * Lanes))

            let struct (x0r, x0i) = ld 0
            let struct (x1r, x1i) = ld 1
            let struct (x2r, x2i) = ld 2
            let struct (x3r, x3i) = ld 3
            let struct (x4r, x4i) = ld 4
            let struct (x5r, x5i) = ld 5
            let struct (x6r, x6i) = ld 6
            let struct (x7r, x7i) = ld 7
            // Stage 1 (span 1, twiddle 1).
            let u0r, u0i, u1r, u1i = x0r + x1r, x0i + x1i, x0r - x1r, x0i - x1i
            let u2r, u2i, u3r, u3i = x2r + x3r, x2i + x3i, x2r - x3r, x2i - x3i
            let u4r, u4i, u5r, u5i = x4r + x5r, x4i + x5i, x4r - x5r, x4i - x5i
            let u6r, u6i, u7r, u7i = x6r + x7r, x6i + x7i, x6r - x7r, x6i - x7i
            // Stage 2 (span 2, twiddles 1 and ∓i).
            let struct (t3r, t3i) = rotQuarter negative u3r u3i
            let struct (t7r, t7i) = rotQuarter negative u7r u7i
            let v0r, v0i, v2r, v2i = u0r + u2r, u0i + u2i, u0r - u2r, u0i - u2i
            let v1r, v1i, v3r, v3i = u1r + t3r, u1i + t3i, u1r - t3r, u1i - t3i
            let v4r, v4i, v6r, v6i = u4r + u6r, u4i + u6i, u4r - u6r, u4i - u6i
            let v5r, v5i, v7r, v7i = u5r + t7r, u5i + t7i, u5r - t7r, u5i - t7i
            // Stage 3 (span 4, twiddles w₈^k = e^{∓2πik/8}, k < 4).
            let struct (w5r, w5i) =
                if negative then
                    struct (h * (v5r + v5i), h * (v5i - v5r))
                else
                    struct (h * (v5r - v5i), h * (v5r + v5i))

            let struct (w6r, w6i) = rotQuarter negative v6r v6i

            let struct (w7r, w7i) =
                if negative then
                    struct (h * (v7i - v7r), -(h * (v7r + v7i)))
                else
                    struct (-(h * (v7r + v7i)), h * (v7r - v7i))

            let inline st (k: int) (vr: Vector512<float>) (vi: Vector512<float>) =
                st8 re (o + k * Lanes) vr
                st8 im (o + k * Lanes) vi

            st 0 (v0r + v4r) (v0i + v4i)
            st 4 (v0r - v4r) (v0i - v4i)
            st 1 (v1r + w5r) (v1i + w5i)
            st 5 (v1r - w5r) (v1i - w5i)
            st 2 (v2r + w6r) (v2i + w6i)
            st 6 (v2r - w6r) (v2i - w6i)
            st 3 (v3r + w7r) (v3i + w7i)
            st 7 (v3r - w7r) (v3i - w7i)
            o <- o + 8 * Lanes

    /// The first radix-4 pass of an even-log strip (half-span 1, all twiddles 1) without multiplications (needs
    /// `Wide`).
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private radix4First (negative: bool) (re: float[]) (im: float[]) (offset: int) (n: int) =
        let mutable o = offset

        while o < offset + n * Lanes do
            let x0r, x0i = ld8 re o, ld8 im o
            let x1r, x1i = ld8 re (o + Lanes), ld8 im (o + Lanes)
            let x2r, x2i = ld8 re (o + 2 * Lanes), ld8 im (o + 2 * Lanes)
            let x3r, x3i = ld8 re (o + 3 * Lanes), ld8 im (o + 3 * Lanes)
            let p0r, p0i, p1r, p1i = x0r + x1r, x0i + x1i, x0r - x1r, x0i - x1i
            let p2r, p2i, p3r, p3i = x2r + x3r, x2i + x3i, x2r - x3r, x2i - x3i
            let struct (er, ei) = rotQuarter negative p3r p3i
            st8 re o (p0r + p2r)
            st8 im o (p0i + p2i)
            st8 re (o + Lanes) (p1r + er)
            st8 im (o + Lanes) (p1i + ei)
            st8 re (o + 2 * Lanes) (p0r - p2r)
            st8 im (o + 2 * Lanes) (p0i - p2i)
            st8 re (o + 3 * Lanes) (p1r - er)
            st8 im (o + 3 * Lanes) (p1i - ei)
            o <- o + 4 * Lanes

    /// The radix-4 passes with one sign (a separate body per sign keeps the ∓i branch out of the loop); one Vector512
    /// per butterfly where 512-bit vectors are hardware accelerated, else two Vector256.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let private passes (p: StripFftPlan) (negative: bool) (re: float[]) (im: float[]) (offset: int) (first: int) =
        let n = p.N
        let tws = if negative then p.Negative else p.Positive

        for pass in first .. p.Spans.Length - 1 do
            let h = p.Spans[pass]
            let tw = tws[pass]
            let s = h * Lanes
            let mutable start = 0

            while start < n do
                for k in 0 .. h - 1 do
                    let o = offset + (start + k) * Lanes

                    if Wide then
                        let t1r = Vector512.Create(tw[4 * k])
                        let t1i = Vector512.Create(tw[4 * k + 1])
                        let t2r = Vector512.Create(tw[4 * k + 2])
                        let t2i = Vector512.Create(tw[4 * k + 3])

                        if negative then
                            butterfly8 true re im o s t1r t1i t2r t2i
                        else
                            butterfly8 false re im o s t1r t1i t2r t2i
                    else
                        let t1r = Vector256.Create(tw[4 * k])
                        let t1i = Vector256.Create(tw[4 * k + 1])
                        let t2r = Vector256.Create(tw[4 * k + 2])
                        let t2i = Vector256.Create(tw[4 * k + 3])

                        if negative then
                            butterfly4 true re im o s t1r t1i t2r t2i
                            butterfly4 true re im (o + 4) s t1r t1i t2r t2i
                        else
                            butterfly4 false re im o s t1r t1i t2r t2i
                            butterfly4 false re im (o + 4) s t1r t1i t2r t2i

                start <- start + 4 * h

    /// The eight DFTs of the strip at [offset, offset + 8n) of (re, im) in place: X_m = Σ_k x_k e^{−2πimk/n}
    /// (`negative`) or e^{+2πimk/n}, from bit-reversed input [offset + rev(k) · 8 + lane] to natural-order output
    /// [offset + m · 8 + lane].
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let transformAt (p: StripFftPlan) (negative: bool) (re: float[]) (im: float[]) (offset: int) =
        let len = p.N * Lanes

        if offset < 0 || offset + len > re.Length || offset + len > im.Length then
            invalidArg
                (nameof offset)
                (sprintf "Expected a strip of %d doubles at offset %d inside arrays of %d and %d" len offset re.Length im.Length)

        if Wide && p.Odd then
            if negative then
                radix8First true re im offset p.N
            else
                radix8First false re im offset p.N

            // The radix-8 pass did the stages of the radix-2 pass and of the first radix-4 pass (half-span 2).
            passes p negative re im offset 1
        elif Wide then
            if negative then
                radix4First true re im offset p.N
            else
                radix4First false re im offset p.N

            passes p negative re im offset 1
        else
            if p.Odd then
                let mutable o = offset

                while o < offset + len do
                    for v in 0..1 do
                        let a = o + 4 * v
                        let b = a + Lanes
                        let ar, ai = ld4 re a, ld4 im a
                        let br, bi = ld4 re b, ld4 im b
                        st4 re a (ar + br)
                        st4 im a (ai + bi)
                        st4 re b (ar - br)
                        st4 im b (ai - bi)

                    o <- o + 2 * Lanes

            passes p negative re im offset 0

    /// `transformAt` at offset 0: the strip [k · 8 + lane] of (re, im), length ≥ 8n.
    let transform (p: StripFftPlan) (negative: bool) (re: float[]) (im: float[]) = transformAt p negative re im 0

    /// Copies 8 doubles (re and im) from (sRe, sIm)[src] to (dRe, dIm)[dst].
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal copy8 (sRe: float[]) (sIm: float[]) (src: int) (dRe: float[]) (dIm: float[]) (dst: int) =
        Vector256.LoadUnsafe<float>(&sRe.[src]).StoreUnsafe(&dRe.[dst])
        Vector256.LoadUnsafe<float>(&sRe.[src + 4]).StoreUnsafe(&dRe.[dst + 4])
        Vector256.LoadUnsafe<float>(&sIm.[src]).StoreUnsafe(&dIm.[dst])
        Vector256.LoadUnsafe<float>(&sIm.[src + 4]).StoreUnsafe(&dIm.[dst + 4])

    /// Copies 8 doubles from sRe[reAt] and sIm[imAt] to (dRe, dIm)[dst].
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal copy8Split (sRe: float[]) (reAt: int) (sIm: float[]) (imAt: int) (dRe: float[]) (dIm: float[]) (dst: int) =
        Vector256.LoadUnsafe<float>(&sRe.[reAt]).StoreUnsafe(&dRe.[dst])
        Vector256.LoadUnsafe<float>(&sRe.[reAt + 4]).StoreUnsafe(&dRe.[dst + 4])
        Vector256.LoadUnsafe<float>(&sIm.[imAt]).StoreUnsafe(&dIm.[dst])
        Vector256.LoadUnsafe<float>(&sIm.[imAt + 4]).StoreUnsafe(&dIm.[dst + 4])

    /// The address of a[i] in a pinned array (the caller keeps the array pinned, e.g. allocated on the pinned heap).
    [<MethodImpl(MethodImplOptions.AggressiveInlining)>]
    let inline internal address (a: float[]) (i: int) : nativeptr<float> =
        NativePtr.ofVoidPtr (Unsafe.AsPointer(&a.[i]))

    /// dst[i] = src[i] for i < len, the whole 64-byte lines of dst with non-temporal stores (no read for ownership) and
    /// the partial lines at either end with plain stores; needs `Wide`. The caller issues a store fence before the data
    /// is read by another thread.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let internal streamCopy (src: float[]) (dst: nativeptr<float>) (len: int) =
        let head = min len (int ((64L - int64 (NativePtr.toNativeInt dst) % 64L) % 64L) / 8)
        let body = (len - head) / Lanes * Lanes

        for i in 0 .. head - 1 do
            NativePtr.set dst i src[i]

        let mutable i = head

        while i < head + body do
            Avx512F.StoreAlignedNonTemporal(NativePtr.add dst i, ld8 src i)
            i <- i + Lanes

        while i < len do
            NativePtr.set dst i src[i]
            i <- i + 1

    /// The 2D DFT of an n × n plane [row · n + col] in place (n = p.N), unnormalized, sign −1 (`negative`) or +1:
    /// X(u, v) = Σ_{r,c} x(r, c) e^{∓2πi(ur + vc)/n}. Columns in strips of eight (contiguous loads), then rows in
    /// strips of eight gathered transposed; stripRe, stripIm: scratch of length ≥ 8n. No full-plane transposes.
    [<MethodImpl(MethodImplOptions.AggressiveOptimization)>]
    let dft2 (p: StripFftPlan) (negative: bool) (re: float[]) (im: float[]) (stripRe: float[]) (stripIm: float[]) =
        let n = p.N
        let rev = p.Rev

        // The kernels below load and store without bounds checks.
        if re.Length < n * n || im.Length < n * n then
            invalidArg (nameof re) (sprintf "Expected planes of n² = %d doubles, got %d and %d" (n * n) re.Length im.Length)

        if stripRe.Length < Lanes * n || stripIm.Length < Lanes * n then
            invalidArg
                (nameof stripRe)
                (sprintf "Expected strips of 8n = %d doubles, got %d and %d" (Lanes * n) stripRe.Length stripIm.Length)

        let mutable c0 = 0

        while c0 < n do
            for r in 0 .. n - 1 do
                copy8 re im (r * n + c0) stripRe stripIm (rev[r] * Lanes)

            transform p negative stripRe stripIm

            for r in 0 .. n - 1 do
                copy8 stripRe stripIm (r * Lanes) re im (r * n + c0)

            c0 <- c0 + Lanes

        let mutable r0 = 0

        while r0 < n do
            if Wide then
                let mutable c = 0

                while c < n do
                    let r = r0 * n + c
                    let inline d i = rev[c + i] * Lanes
                    transposeBlock re r n stripRe (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    transposeBlock im r n stripIm (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    c <- c + Lanes
            else
                for c in 0 .. n - 1 do
                    let d = rev[c] * Lanes

                    for q in 0 .. Lanes - 1 do
                        stripRe[d + q] <- re[(r0 + q) * n + c]
                        stripIm[d + q] <- im[(r0 + q) * n + c]

            transform p negative stripRe stripIm

            if Wide then
                let mutable c = 0

                while c < n do
                    let inline d i = (r0 + i) * n + c
                    transposeBlock stripRe (c * Lanes) Lanes re (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    transposeBlock stripIm (c * Lanes) Lanes im (d 0) (d 1) (d 2) (d 3) (d 4) (d 5) (d 6) (d 7)
                    c <- c + Lanes
            else
                for c in 0 .. n - 1 do
                    let s = c * Lanes

                    for q in 0 .. Lanes - 1 do
                        re[(r0 + q) * n + c] <- stripRe[s + q]
                        im[(r0 + q) * n + c] <- stripIm[s + q]

            r0 <- r0 + Lanes
