module ConvTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

/// Direct-loop convolution: the textbook sum over channels of the group and kernel taps.
let naiveConv (cfg: Conv2dConfig) (x: Tensor) (w: Tensor) =
    let xs, ws = x.Shape, w.Shape
    let out = Shape.conv2d xs ws cfg.Stride cfg.Padding cfg.Dilation cfg.Groups
    let (sh, sw), (ph, pw), (dh, dw) = cfg.Stride, cfg.Padding, cfg.Dilation
    let cg, og = xs[1] / cfg.Groups, ws[0] / cfg.Groups

    Array.init (Shape.numel out) (fun o ->
        let n, oc, oy, ox =
            o / (out[1] * out[2] * out[3]), (o / (out[2] * out[3])) % out[1], (o / out[3]) % out[2], o % out[3]

        let grp = oc / og
        let mutable s = 0.0

        for c in 0 .. cg - 1 do
            for u in 0 .. ws[2] - 1 do
                for v in 0 .. ws[3] - 1 do
                    let iy, ix = oy * sh - ph + u * dh, ox * sw - pw + v * dw

                    if iy >= 0 && iy < xs[2] && ix >= 0 && ix < xs[3] then
                        s <- s + x[[| n; grp * cg + c; iy; ix |]] * w[[| oc; c; u; v |]]

        s)

let private randomConfig (rng: Random) =
    let groups = if rng.Next 3 = 0 then 2 else 1

    {
        Stride = (rng.Next(1, 3), rng.Next(1, 3))
        Padding = (rng.Next(0, 3), rng.Next(0, 2))
        Dilation = (rng.Next(1, 3), 1)
        Groups = groups
    },
    groups

[<Fact>]
let ``conv2d matches direct loops for any stride padding dilation and groups`` () =
    property 40 (fun (seed: int) ->
        let rng = Random seed
        let cfg, g = randomConfig rng

        let x =
            random rng [| rng.Next(1, 3); g * rng.Next(1, 3); rng.Next(6, 11); rng.Next(6, 11) |]

        let w =
            random rng [| g * rng.Next(1, 3); x.Shape[1] / g; rng.Next(1, 4); rng.Next(1, 4) |]

        closeTo "conv2d" Tol.f64 (naiveConv cfg x w) ((Conv.conv2d cfg w None x).ToArray())
        let y32 = Conv.conv2d cfg (Tensor.convert Float32 w) None (Tensor.convert Float32 x)
        closeTo "conv2d float32" 1e-5 (naiveConv cfg x w) (y32.ToArray()))

[<Fact>]
let ``conv2d adds the bias per output channel`` () =
    let rng = Random 2

    let x, w, b =
        random rng [| 2; 3; 5; 5 |], random rng [| 4; 3; 3; 3 |], random rng [| 4 |]

    let y0 = (Conv.conv2d Conv2dConfig.Default w None x).ToArray()
    let y1 = Conv.conv2d Conv2dConfig.Default w (Some b) x
    let bv = b.ToArray()
    closeTo "bias" Tol.f64 (y0 |> Array.mapi (fun i v -> v + bv[(i / 9) % 4])) (y1.ToArray())

[<Fact>]
let ``conv-transpose2d is the adjoint of conv2d`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let cfg, g = randomConfig rng
        let x = random rng [| 2; g * rng.Next(1, 3); rng.Next(6, 10); rng.Next(6, 10) |]
        let w = random rng [| g * rng.Next(1, 3); x.Shape[1] / g; 3; 3 |]
        let y = Conv.conv2d cfg w None x
        let v = random rng y.Shape
        // output padding recovers the exact input size lost to the floor in the output size formula
        let ys = y.Shape
        let (sh, sw), (ph, pw), (dh, dw) = cfg.Stride, cfg.Padding, cfg.Dilation
        let oph = x.Shape[2] - ((ys[2] - 1) * sh - 2 * ph + dh * 2 + 1)
        let opw = x.Shape[3] - ((ys[3] - 1) * sw - 2 * pw + dw * 2 + 1)

        if oph < max sh dh && opw < max sw dw then
            let xt = Conv.convTranspose2d cfg (oph, opw) w None v
            Assert.Equal<int[]>(x.Shape, xt.Shape)
            close "<conv x, v> = <x, convT v>" Tol.f64 ((Tensor.sum (y * v)).ToScalar()) ((Tensor.sum (x * xt)).ToScalar()))

[<Fact>]
let ``reverse rules of conv2d match finite differences`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let cfg, g = randomConfig rng
        let x = random rng [| 2; 2 * g; 6; 5 |]
        let w = random rng [| 2 * g; 2; 3; 2 |]
        let b = random rng [| 2 * g |]
        check "conv2d" rng (fun xs -> Conv.conv2d cfg xs[1] (Some xs[2]) xs[0]) [| x; w; b |])

[<Fact>]
let ``reverse rules of conv-transpose2d match finite differences`` () =
    property 12 (fun (seed: int) ->
        let rng = Random seed
        let cfg, g = randomConfig rng
        let x = random rng [| 2; 2 * g; 4; 3 |]
        let w = random rng [| 2 * g; 2; 3; 3 |]
        let b = random rng [| 2 * g |]
        let op = (if fst cfg.Stride > 1 then 1 else 0), 0
        check "convTranspose2d" rng (fun xs -> Conv.convTranspose2d cfg op xs[1] (Some xs[2]) xs[0]) [| x; w; b |])

/// A random padding (1–2 per axis) and mode per axis, not both zeros, for inputs of at least 3 × 3 (reflect
/// needs pad < size).
let private randomModes (rng: Random) =
    let rowMode = [| PadMode.Zeros; PadMode.Reflect; PadMode.Circular |][rng.Next 3]

    let colMode =
        if rowMode = PadMode.Zeros then
            [| PadMode.Reflect; PadMode.Circular |][rng.Next 2]
        else
            [| PadMode.Zeros; PadMode.Reflect; PadMode.Circular |][rng.Next 3]

    (rowMode, rng.Next(1, 3)), (colMode, rng.Next(1, 3))

/// float32 input gradients of the interior-plus-ring path against the folded form: sums of at most a few
/// hundred products of values in [−1, 1], grouped differently (relative to max(1, |value|)).
let private ringTol = 1e-5

[<Fact>]
let ``conv2dPadded equals conv2d of pad2d bit for bit in values and gradients`` () =
    // float32, reflect or circular on at least one axis; stride 1 (the fused fill of the padded buffer, small
    // images stacked) and stride 2 (padded copy)
    property 20 (fun (seed: int) ->
        let rng = Random seed
        let (rowMode, ph), (colMode, pw) = randomModes rng
        let cfg, g = randomConfig rng
        let cfg = { cfg with Padding = (0, 0) }
        let f32 = Tensor.convert Float32

        let x =
            f32 (random rng [| rng.Next(1, 6); 2 * g; rng.Next(3, 10); rng.Next(3, 10) |])

        let w = f32 (random rng [| 3 * g; 2; rng.Next(1, 4); rng.Next(1, 4) |])
        let b = f32 (random rng [| 3 * g |])

        let fused (xs: Tensor[]) =
            Conv.conv2dPadded (rowMode, colMode) { cfg with Padding = (ph, pw) } xs[1] (Some xs[2]) xs[0]

        let composed (xs: Tensor[]) =
            Conv.conv2d cfg xs[1] (Some xs[2]) (Pad.pad2d (rowMode, ph, ph) (colMode, pw, pw) xs[0])

        let run (f: Tensor[] -> Tensor) =
            let y =
                use _ = Tensor.noGrad ()
                f [| x; w; b |]

            let v = f32 (random (Random seed) y.Shape)
            let _, grads = Tensor.valueAndGradN (fun xs -> Tensor.sum (f xs * v)) [| x; w; b |]
            Array.append [| y.ToArray() |] (grads |> Array.map (fun t -> t.ToArray()))

        let a, e = run fused, run composed
        // the input gradient of stride-1 convolutions padded by one row and column of inputs of at least 8 × 8 and
        // at most 128 samples is the interior plus the ring (`Kernels.ConvPadded.usesRing`): equal up to float32
        // rounding
        let xs = x.Shape

        let ring =
            cfg.Stride = (1, 1)
            && cfg.Dilation = (1, 1)
            && g = 1
            && (ph, pw) = (1, 1)
            && xs[2] >= 8
            && xs[3] >= 8
            && xs[2] * xs[3] <= 128

        for i in 0 .. a.Length - 1 do
            if ring && i = 1 then
                closeTo "input gradient (ring path)" ringTol e[i] a[i]
            else
                Assert.Equal<float[]>(e[i], a[i]))

[<Fact>]
let ``reverse rules of conv2dPadded match finite differences`` () =
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let (rowMode, ph), (colMode, pw) = randomModes rng
        let cfg, g = randomConfig rng
        let cfg = { cfg with Padding = (ph, pw) }
        let x = random rng [| 2; 2 * g; 5; 4 |]
        let w = random rng [| 2 * g; 2; 3; 2 |]
        let b = random rng [| 2 * g |]
        check "conv2dPadded" rng (fun xs -> Conv.conv2dPadded (rowMode, colMode) cfg xs[1] (Some xs[2]) xs[0]) [| x; w; b |])
