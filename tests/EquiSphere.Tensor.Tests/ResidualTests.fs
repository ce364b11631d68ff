/// The fused residual convolution (`Conv.conv2dPaddedAdd`, `Conv2d.ForwardAdd`, the residual sum of
/// `PreActBlock`) and the backward sweep's in-place adjoint sums.
module ResidualTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit
open GradCheck

/// Tolerance of float64 gradients built from a few exact operations against the same sum formed by hand.
let private sumTol = 1e-12

/// A random padding mode per axis (zeros included), a stride of 1 or 2 and a padding of 1 or 2.
let private randomLayer (rng: Random) =
    let modes = [| PadMode.Zeros; PadMode.Reflect; PadMode.Circular |]
    let stride = rng.Next(1, 3)

    (modes[rng.Next 3], modes[rng.Next 3]),
    {
        Stride = (stride, stride)
        Padding = (rng.Next(1, 3), rng.Next(1, 3))
        Dilation = (1, 1)
        Groups = 1
    }

/// Values and the gradients of Σ v ⊙ f(xs) for every input, as float64 arrays.
let private valuesAndGrads (f: Tensor[] -> Tensor) (xs: Tensor[]) (seed: int) =
    let y =
        use _ = Tensor.noGrad ()
        f xs

    let v = Tensor.convert xs[0].Dtype (random (Random seed) y.Shape)
    let _, grads = Tensor.valueAndGradN (fun xs -> Tensor.sum (f xs * v)) xs
    Array.append [| y.ToArray() |] (grads |> Array.map (fun t -> t.ToArray()))

[<Fact>]
let ``conv2dPaddedAdd equals conv2dPadded plus the residual bit for bit in values and gradients`` () =
    // float32; images up to 9 × 9 and one case of 4 × 8 × 48 × 48 (the in-place sum split over the cores)
    property 16 (fun (seed: int) ->
        let rng = Random seed
        let modes, cfg = randomLayer rng
        let f32 = Tensor.convert Float32
        let big = seed % 8 = 0

        let n, c, h, w =
            if big then
                4, 8, 48, 48
            else
                rng.Next(1, 4), rng.Next(1, 4), rng.Next(3, 10), rng.Next(3, 10)

        let x = f32 (random rng [| n; c; h; w |])
        let wt = f32 (random rng [| c + 1; c; 3; 3 |])
        let b = f32 (random rng [| c + 1 |])

        let out = (Conv.conv2dPadded modes cfg wt (Some b) x).Shape

        let r = f32 (random rng out)

        let fused (xs: Tensor[]) =
            Conv.conv2dPaddedAdd modes cfg xs[1] (Some xs[2]) xs[3] xs[0]

        let composed (xs: Tensor[]) =
            Conv.conv2dPadded modes cfg xs[1] (Some xs[2]) xs[0] + xs[3]

        let a = valuesAndGrads fused [| x; wt; b; r |] seed
        let e = valuesAndGrads composed [| x; wt; b; r |] seed

        for i in 0 .. a.Length - 1 do
            bitEqual (sprintf "output %d (0: values, 1–4: gradients of x, w, b, residual)" i) e[i] a[i])

[<Fact>]
let ``reverse rules of conv2dPaddedAdd match finite differences`` () =
    property 8 (fun (seed: int) ->
        let rng = Random seed
        let modes, cfg = randomLayer rng
        let x = random rng [| 2; 2; 5; 4 |]
        let w = random rng [| 3; 2; 3; 2 |]
        let b = random rng [| 3 |]

        let out = (Conv.conv2dPadded modes cfg w (Some b) x).Shape

        let r = random rng out
        check "conv2dPaddedAdd" rng (fun xs -> Conv.conv2dPaddedAdd modes cfg xs[1] (Some xs[2]) xs[3] xs[0]) [| x; w; b; r |])

[<Fact>]
let ``conv2dPaddedAdd rejects a residual of another shape or dtype`` () =
    let rng = Random 3
    let x = random rng [| 1; 2; 5; 5 |]
    let w = random rng [| 3; 2; 3; 3 |]

    let cfg =
        { Conv2dConfig.Default with
            Padding = (1, 1)
        }

    let modes = PadMode.Reflect, PadMode.Reflect

    throwsWith<ArgumentException> [ "residual"; "[1; 3; 5; 5]"; "[1; 3; 5; 4]" ] (fun () ->
        Conv.conv2dPaddedAdd modes cfg w None (random rng [| 1; 3; 5; 4 |]) x |> ignore)

    throwsWith<ArgumentException> [ "residual"; "Float64"; "Float32" ] (fun () ->
        Conv.conv2dPaddedAdd modes cfg w None (Tensor.convert Float32 (random rng [| 1; 3; 5; 5 |])) x
        |> ignore)

[<Fact>]
let ``Conv2d ForwardAdd equals Forward plus the residual bit for bit`` () =
    property 6 (fun (seed: int) ->
        let rng = Random seed
        let (rowMode, colMode), _ = randomLayer rng
        let stride = rng.Next(1, 3)
        let padding = rng.Next(0, 2)

        let layer =
            Conv2d(3, 4, 3, Random seed, stride = stride, padding = padding, rowMode = rowMode, colMode = colMode)

        let x = Tensor.randn Float32 [| 2; 3; 7; 6 |] rng
        let y = layer.Forward x
        let r = Tensor.randn Float32 y.Shape rng

        let run (f: Tensor -> Tensor) =
            valuesAndGrads (fun xs -> f xs[0]) [| x |] seed

        let e = run (fun x -> layer.Forward x + r)
        let a = run (fun x -> layer.ForwardAdd(x, r))

        for i in 0 .. a.Length - 1 do
            bitEqual (sprintf "output %d (0: values, 1: gradient of x)" i) e[i] a[i])

[<Fact>]
let ``a pre-activation block equals its ops composed with a separate residual add bit for bit`` () =
    // the block as it was written before the fused sum: BN + ReLU, conv, BN + ReLU, conv, then h + skip
    property 4 (fun (seed: int) ->
        let rng = Random seed
        let stride = rng.Next(1, 3)
        let outC = if stride = 2 then 6 else 3
        let block = PreActBlock(3, outC, stride, Random seed, PadMode.Reflect)
        let x = Tensor.randn Float32 [| 2; 3; 8; 8 |] rng

        let child (name: string) =
            block.Children |> Array.find (fun (n, _) -> n = name) |> snd

        let bn1, bn2 = child "bn1" :?> BatchNorm2d, child "bn2" :?> BatchNorm2d
        let conv1, conv2 = child "conv1" :?> Conv2d, child "conv2" :?> Conv2d

        let composed (x: Tensor) =
            let a = bn1.ForwardRelu x
            let h = conv2.Forward(bn2.ForwardRelu(conv1.Forward a))

            let skip =
                if stride = 2 then
                    (child "shortcut" :?> Conv2d).Forward a
                else
                    x

            h + skip

        // both runs update the running statistics the same way; only values and gradients are compared
        let e = valuesAndGrads (fun xs -> composed xs[0]) [| x |] seed
        let a = valuesAndGrads (fun xs -> block.Forward xs[0]) [| x |] seed

        for i in 0 .. a.Length - 1 do
            bitEqual (sprintf "output %d (0: values, 1: gradient of x)" i) e[i] a[i])

[<Fact>]
let ``adjoints of a tensor used by several ops add up to the sum of their gradients`` () =
    // x [2; 4; 64; 64] (pooled sizes, so the sweep sums into its own fresh adjoints in place, split over the
    // cores): L = Σ v1 ⊙ relu(x) + Σ v2 ⊙ 3x + Σ v3 ⊙ (x + x) + Σ v4 ⊙ x² has the gradient
    // v1·[x > 0] + 3·v2 + 2·v3 + 2·v4·x; the x + x branch hands one adjoint array to both operands (shared, so
    // never summed into in place)
    property 4 (fun (seed: int) ->
        let rng = Random seed
        let shape = [| 2; 4; 64; 64 |]
        let x = random rng shape
        let v = Array.init 4 (fun _ -> random rng shape)

        let loss (xs: Tensor[]) =
            let x = xs[0]

            Tensor.sum (Activation.relu x * v[0])
            + Tensor.sum (x * 3.0 * v[1])
            + Tensor.sum ((x + x) * v[2])
            + Tensor.sum (x * x * v[3])

        let _, grads = Tensor.valueAndGradN loss [| x |]
        let xv, vs = x.ToArray(), v |> Array.map (fun t -> t.ToArray())

        let expected =
            Array.init xv.Length (fun i ->
                (if xv[i] > 0.0 then vs[0][i] else 0.0)
                + 3.0 * vs[1][i]
                + 2.0 * vs[2][i]
                + 2.0 * vs[3][i] * xv[i])

        closeTo "gradient of x" sumTol expected (grads[0].ToArray()))
