module OptimTests

open System
open Xunit
open EquiSphere.Tensor
open TestKit

let private withGrad (p: Tensor) (g: float[]) =
    p.Grad <- Tensor.ofArray p.Dtype p.Shape g

[<Fact>]
let ``SGD with momentum and weight decay follows its update formula`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed
        let p0 = Array.init 5 (fun _ -> rng.NextDouble() - 0.5)
        let p = Tensor.ofArray Float64 [| 5 |] p0 |> Tensor.requireGrad
        let lr, mu, wd = 0.1 * rng.NextDouble(), rng.NextDouble(), 0.01 * rng.NextDouble()
        let opt = SGD([| "p", p |], lr, momentum = mu, weightDecay = wd)
        let mutable expected = Array.copy p0
        let buf = Array.zeroCreate 5

        for step in 1..3 do
            let g = Array.init 5 (fun _ -> rng.NextDouble() - 0.5)
            withGrad p g
            opt.Step()

            for j in 0..4 do
                let gj = g[j] + wd * expected[j]
                buf[j] <- (if step = 1 then gj else mu * buf[j] + gj)
                expected[j] <- expected[j] - lr * buf[j]

            closeTo (sprintf "step %d" step) 1e-14 expected (p.ToArray()))

[<Fact>]
let ``Adam and AdamW follow their update formulas`` () =
    property 30 (fun (seed: int) ->
        let rng = Random seed

        for decoupled in [ false; true ] do
            let p0 = Array.init 4 (fun _ -> rng.NextDouble() - 0.5)
            let p = Tensor.ofArray Float64 [| 4 |] p0 |> Tensor.requireGrad
            let lr, b1, b2, eps, wd = 0.01, 0.8, 0.99, 1e-6, 0.1

            let opt =
                Adam([| "p", p |], lr, beta1 = b1, beta2 = b2, eps = eps, weightDecay = wd, decoupled = decoupled)

            let x = Array.copy p0
            let m, v = Array.zeroCreate 4, Array.zeroCreate 4

            for t in 1..4 do
                let g = Array.init 4 (fun _ -> rng.NextDouble() - 0.5)
                withGrad p g
                opt.Step()

                for j in 0..3 do
                    if decoupled then
                        x[j] <- x[j] * (1.0 - lr * wd)

                    let gj = if decoupled then g[j] else g[j] + wd * x[j]
                    m[j] <- b1 * m[j] + (1.0 - b1) * gj
                    v[j] <- b2 * v[j] + (1.0 - b2) * gj * gj
                    let mh, vh = m[j] / (1.0 - b1 ** float t), v[j] / (1.0 - b2 ** float t)
                    x[j] <- x[j] - lr * mh / (sqrt vh + eps)

                closeTo (sprintf "decoupled=%b step %d" decoupled t) 1e-14 x (p.ToArray()))

[<Fact>]
let ``a float32 parameter is updated in place`` () =
    let p = Tensor.ofFloat32 [| 2 |] [| 1.0f; 2.0f |] |> Tensor.requireGrad
    let opt = SGD([| "p", p |], 0.5)
    p.Grad <- Tensor.ofFloat32 [| 2 |] [| 1.0f; -2.0f |]
    opt.Step()
    Assert.Equal<float[]>([| 0.5; 3.0 |], p.ToArray())
    Assert.Equal(1L, opt.StepCount)

[<Fact>]
let ``parameters without gradients are left alone`` () =
    let p = Tensor.ofArray Float64 [| 2 |] [| 1.0; 2.0 |] |> Tensor.requireGrad
    let opt = Adam([| "p", p |], 0.5)
    opt.Step()
    Assert.Equal<float[]>([| 1.0; 2.0 |], p.ToArray())

[<Fact>]
let ``piecewise schedule switches at its boundaries`` () =
    let s = Schedule.piecewise 1e-3 [ 32, 2e-4; 40, 4e-5 ]
    Assert.Equal(1e-3, s 0)
    Assert.Equal(1e-3, s 31)
    Assert.Equal(2e-4, s 32)
    Assert.Equal(4e-5, s 47)

[<Fact>]
let ``cosine schedule goes from max to min through the midpoint`` () =
    let s = Schedule.cosine 1.0 0.1 100
    close "start" 1e-15 1.0 (s 0)
    close "middle" 1e-15 0.55 (s 50)
    close "end" 1e-15 0.1 (s 100)
    close "after" 1e-15 0.1 (s 150)
    Assert.True(s 20 > s 21)

[<Fact>]
let ``SGD on float32 parameters rounds the float64 update once per element`` () =
    // lengths across the 4096-element chunks and SIMD tails; values with non-trivial float64 → float32 rounding
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let n = rng.Next(1, 10000)
        let p0 = Array.init n (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0))
        let g = Array.init n (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0))
        let lr = 0.1 * rng.NextDouble()
        let p = Tensor.ofFloat32 [| n |] p0 |> Tensor.requireGrad
        p.Grad <- Tensor.ofFloat32 [| n |] g
        SGD([| "p", p |], lr).Step()
        // the definition: float64 arithmetic on the widened values, one rounding to float32
        let expected =
            Array.init n (fun j -> float (float32 (float p0[j] - lr * float g[j])))

        Assert.Equal<float[]>(expected, p.ToArray()))

[<Fact>]
let ``SGD with momentum, weight decay and Nesterov on float32 parameters follows the float64 formula rounded once per step`` () =
    // three steps over lengths across SIMD tails: the momentum buffer stays float64, the parameter is rounded to
    // float32 after each update, exactly as the widened SIMD path must compute it
    property 10 (fun (seed: int) ->
        let rng = Random seed
        let n = rng.Next(1, 300)
        let lr, mu, wd = 0.1 * rng.NextDouble(), rng.NextDouble(), 0.01 * rng.NextDouble()
        let nesterov = rng.Next 2 = 0
        let p0 = Array.init n (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0))
        let p = Tensor.ofFloat32 [| n |] p0 |> Tensor.requireGrad

        let opt =
            SGD([| "p", p |], lr, momentum = mu, weightDecay = wd, nesterov = nesterov)

        let expected = Array.copy p0
        let buf = Array.zeroCreate<float> n

        for step in 1..3 do
            let g = Array.init n (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0))
            p.Grad <- Tensor.ofFloat32 [| n |] g
            opt.Step()

            for j in 0 .. n - 1 do
                let gj = float g[j] + wd * float expected[j]
                buf[j] <- mu * buf[j] + gj
                let d = if nesterov then gj + mu * buf[j] else buf[j]
                expected[j] <- float32 (float expected[j] - lr * d)

            Assert.Equal<float[]>(Array.map float expected, p.ToArray()))
