namespace EquiSphere.Tensor

open System

/// Tensor algebra in DiffSharp's manner, configuration first and data last: creation, conversion,
/// reverse-mode differentiation (`grad`, `valueAndGrad`, `noGrad`), layout (reshape, permute, narrow, concat,
/// stack, split, gather), broadcasting elementwise math, comparisons and `where`, reductions and matmul.
/// Every differentiable function here has a reverse rule checked against central finite differences.
[<RequireQualifiedAccess; CompilationRepresentation(CompilationRepresentationFlags.ModuleSuffix)>]
module Tensor =

    let inline private make storage shape name inputs reverse =
        Tensor.Make(storage, shape, name, inputs, reverse)

    // ---------------------------------------------------------------- creation and conversion

    /// A leaf of `dtype` and `shape` holding `values` (row-major, converted to the dtype).
    let ofArray (dtype: Dtype) (shape: int[]) (values: float[]) =
        Shape.check "shape" shape

        if isNull values then
            nullArg "values"

        Tensor.Leaf(Storage.ofFloats dtype values, shape)

    /// A float32 leaf of `shape` over a copy of `values`.
    let ofFloat32 (shape: int[]) (values: float32[]) =
        Shape.check "shape" shape

        if isNull values then
            nullArg "values"

        Tensor.Leaf(S32(Array.copy values), shape)

    /// A float64 leaf of `shape` over a copy of `values`.
    let ofFloat64 (shape: int[]) (values: float[]) =
        Shape.check "shape" shape

        if isNull values then
            nullArg "values"

        Tensor.Leaf(S64(Array.copy values), shape)

    /// A leaf over a storage without copying it.
    let ofStorage (shape: int[]) (storage: Storage) =
        Shape.check "shape" shape
        Tensor.Leaf(storage, shape)

    /// A rank-0 tensor.
    let scalar (dtype: Dtype) (value: float) =
        Tensor.Leaf(Storage.full dtype 1 value, [||])

    /// Zeros of `shape`.
    let zeros (dtype: Dtype) (shape: int[]) =
        Shape.check "shape" shape
        Tensor.Leaf(Storage.zeros dtype (Shape.numel shape), shape)

    /// Ones of `shape`.
    let ones (dtype: Dtype) (shape: int[]) =
        Shape.check "shape" shape
        Tensor.Leaf(Storage.full dtype (Shape.numel shape) 1.0, shape)

    /// `value` everywhere in `shape`.
    let full (dtype: Dtype) (shape: int[]) (value: float) =
        Shape.check "shape" shape
        Tensor.Leaf(Storage.full dtype (Shape.numel shape) value, shape)

    /// [start, start + step, ...] below `stop` (rank 1).
    let arange (dtype: Dtype) (start: float) (stop: float) (step: float) =
        if step = 0.0 || Double.IsNaN step then
            invalidArg "step" (sprintf "Expected a non-zero step, got %g" step)

        let n = max 0 (int (ceil ((stop - start) / step)))
        Tensor.Leaf(Storage.ofFloats dtype (Array.init n (fun i -> start + float i * step)), [| n |])

    /// Samples of N(mean, std²) drawn from `rng` (Box–Muller), in row-major order.
    let normal (dtype: Dtype) (shape: int[]) (mean: float) (std: float) (rng: Random) =
        Shape.check "shape" shape

        if isNull rng then
            nullArg "rng"

        let n = Shape.numel shape

        let values =
            Array.init n (fun _ ->
                let u1 = 1.0 - rng.NextDouble()
                let u2 = rng.NextDouble()
                mean + std * sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * u2))

        Tensor.Leaf(Storage.ofFloats dtype values, shape)

    /// Standard normal samples drawn from `rng`.
    let randn (dtype: Dtype) (shape: int[]) (rng: Random) = normal dtype shape 0.0 1.0 rng

    /// Uniform samples in [low, high) drawn from `rng`.
    let uniform (dtype: Dtype) (shape: int[]) (low: float) (high: float) (rng: Random) =
        Shape.check "shape" shape

        if isNull rng then
            nullArg "rng"

        Tensor.Leaf(Storage.ofFloats dtype (Array.init (Shape.numel shape) (fun _ -> low + (high - low) * rng.NextDouble())), shape)

    /// Uniform samples in [0, 1) drawn from `rng`.
    let rand (dtype: Dtype) (shape: int[]) (rng: Random) = uniform dtype shape 0.0 1.0 rng

    /// The values as float64, row-major.
    let toArray (t: Tensor) = t.ToArray()

    /// The values as float32, row-major (a copy).
    let toFloat32Array (t: Tensor) =
        match t.Storage with
        | S32 a -> Array.copy a
        | S64 a -> Array.map float32 a

    /// The single value of a one-element tensor.
    let toScalar (t: Tensor) = t.ToScalar()

    /// The dimensions.
    let shape (t: Tensor) = t.Shape

    /// `t` converted to `dtype`; the reverse rule converts the adjoint back.
    let rec convert (dtype: Dtype) (t: Tensor) : Tensor =
        if t.Dtype = dtype then
            t
        else
            let from = t.Dtype
            make (Storage.convert dtype t.Storage) t.ShapeRef "convert" [| t |] (fun g -> [| convert from g |])

    /// The same values, cut from the graph (a leaf that shares the buffer).
    let detach (t: Tensor) = t.Detach()

    /// Marks a leaf to collect gradients in `Grad` and returns it.
    let requireGrad (t: Tensor) =
        t.RequiresGrad <- true
        t

    // ---------------------------------------------------------------- reverse mode

    /// A scope without graph recording (inference): `use _ = Tensor.noGrad ()`.
    let noGrad () = GradMode.Suspend()

    let private checkEnabled () =
        if not GradMode.Enabled then
            invalidOp "Gradients are disabled in this scope (inside Tensor.noGrad); call grad outside it"

    /// The value f(x) and the gradient ∂f/∂x for a one-element f. Leaves inside f (parameters) do not
    /// accumulate into their `Grad`: this is a pure function of x.
    let valueAndGradN (f: Tensor[] -> Tensor) (xs: Tensor[]) =
        checkEnabled ()

        let leaves =
            xs
            |> Array.map (fun x ->
                let l = x.Detach()
                l.RequiresGrad <- true
                l)

        let y = f leaves

        if y.Numel <> 1 then
            invalidArg "f" (sprintf "Expected f to return a one-element tensor, got shape %s" (Shape.format y.ShapeRef))

        let adj = Tensor.Sweep(y, Tensor.Leaf(Storage.full y.Dtype 1 1.0, y.ShapeRef))

        let grads =
            leaves
            |> Array.map (fun l ->
                match adj.TryGetValue l with
                | true, g -> g.Detach()
                | _ -> zeros l.Dtype l.ShapeRef)

        y.Detach(), grads

    /// The value f(x) and the gradient ∂f/∂x (shape of x) for a one-element f.
    let valueAndGrad (f: Tensor -> Tensor) (x: Tensor) =
        let v, g = valueAndGradN (fun xs -> f xs[0]) [| x |]
        v, g[0]

    /// The gradient ∂f/∂x (shape of x) of a function returning one element.
    let grad (f: Tensor -> Tensor) (x: Tensor) = snd (valueAndGrad f x)

    /// The vector–Jacobian product ⟨v, ∂f/∂x⟩ for any f, with v shaped like f(x).
    let vjp (f: Tensor -> Tensor) (x: Tensor) (v: Tensor) =
        checkEnabled ()
        let l = x.Detach()
        l.RequiresGrad <- true
        let y = f l
        Shape.same "v" y.ShapeRef v.ShapeRef
        let adj = Tensor.Sweep(y, v.Detach())

        match adj.TryGetValue l with
        | true, g -> g.Detach()
        | _ -> zeros l.Dtype l.ShapeRef

    // ---------------------------------------------------------------- layout

    /// The same elements in a new shape (one dimension may be −1); shares the buffer (a view).
    let rec reshape (target: int[]) (t: Tensor) : Tensor =
        let s = Shape.reshape t.ShapeRef target
        let back = t.ShapeRef
        make t.Storage s "reshape" [| t |] (fun g -> [| reshape back g |])

    /// Alias of `reshape`: tensors are contiguous, so every reshape is a view.
    let view (target: int[]) (t: Tensor) = reshape target t

    /// Collapses all axes from `startDim` on into one.
    let flatten (startDim: int) (t: Tensor) =
        let d = Shape.axis "startDim" (max 1 t.Rank) startDim
        reshape (Array.append t.ShapeRef[.. d - 1] [| Shape.numel t.ShapeRef[d..] |]) t

    /// Inserts an axis of size 1 at `dim` (0 ≤ dim ≤ rank; negative counts from the end).
    let unsqueeze (dim: int) (t: Tensor) =
        let d = Shape.axis "dim" (t.Rank + 1) dim
        reshape (Array.concat [ t.ShapeRef[.. d - 1]; [| 1 |]; t.ShapeRef[d..] ]) t

    /// Removes the axis `dim`, which must have size 1.
    let squeeze (dim: int) (t: Tensor) =
        let d = Shape.axis "dim" t.Rank dim

        if t.ShapeRef[d] <> 1 then
            invalidArg "dim" (sprintf "Expected dimension %d of size 1 to squeeze, got %s" d (Shape.format t.ShapeRef))

        reshape (Array.append t.ShapeRef[.. d - 1] t.ShapeRef[d + 1 ..]) t

    /// Axes reordered: output axis i is input axis perm[i] (a copy); the reverse applies the inverse permutation.
    let rec permute (perm: int[]) (t: Tensor) : Tensor =
        let out = Shape.permute t.ShapeRef perm

        if perm = Array.init perm.Length id then
            t
        else
            let s =
                match t.Storage with
                | S32 a -> S32(RawLayout.permute t.ShapeRef perm a)
                | S64 a -> S64(RawLayout.permute t.ShapeRef perm a)

            let inv = Array.zeroCreate perm.Length

            for i in 0 .. perm.Length - 1 do
                inv[perm[i]] <- i

            make s out "permute" [| t |] (fun g -> [| permute inv g |])

    /// Swaps axes d0 and d1.
    let transpose (d0: int) (d1: int) (t: Tensor) =
        let a = Shape.axis "d0" t.Rank d0
        let b = Shape.axis "d1" t.Rank d1
        let perm = Array.init t.Rank id
        perm[a] <- b
        perm[b] <- a
        permute perm t

    /// The elements [start, start + length) along `dim` (a copy); the reverse places the adjoint into zeros.
    let narrow (dim: int) (start: int) (length: int) (t: Tensor) =
        let d, out = Shape.narrow t.ShapeRef dim start length
        let sh = t.ShapeRef

        let s =
            match t.Storage with
            | S32 a -> S32(RawLayout.narrow sh d start length a)
            | S64 a -> S64(RawLayout.narrow sh d start length a)

        make s out "narrow" [| t |] (fun g ->
            let back =
                match g.Storage with
                | S32 a -> S32(RawLayout.unnarrow sh d start length a)
                | S64 a -> S64(RawLayout.unnarrow sh d start length a)

            [| Tensor.Leaf(back, sh) |])

    /// The sub-tensor at `index` along `dim`, with that axis removed.
    let select (dim: int) (index: int) (t: Tensor) = narrow dim index 1 t |> squeeze dim

    /// Slices every axis: ranges[i] = (start, stopExclusive) along axis i (missing trailing axes are kept whole).
    let slice (ranges: (int * int)[]) (t: Tensor) =
        if ranges.Length > t.Rank then
            invalidArg "ranges" (sprintf "Expected at most %d ranges for shape %s, got %d" t.Rank (Shape.format t.ShapeRef) ranges.Length)

        ranges
        |> Array.indexed
        |> Array.fold
            (fun acc (i, (a, b)) ->
                if a = 0 && b = t.ShapeRef[i] then
                    acc
                else
                    narrow i a (b - a) acc)
            t

    /// Concatenation along `dim`; the reverse narrows the adjoint back into pieces.
    let concat (dim: int) (tensors: Tensor[]) =
        if isNull tensors then
            nullArg "tensors"

        let shapes = tensors |> Array.map (fun t -> t.ShapeRef)
        let d, out = Shape.concat shapes dim

        for t in tensors do
            Storage.sameDtype "concat" tensors[0].Storage t.Storage

        let s =
            match tensors[0].Storage with
            | S32 _ ->
                S32(
                    RawLayout.concat
                        shapes
                        d
                        (tensors
                         |> Array.map (fun t ->
                             match t.Storage with
                             | S32 a -> a
                             | _ -> [||]))
                )
            | S64 _ ->
                S64(
                    RawLayout.concat
                        shapes
                        d
                        (tensors
                         |> Array.map (fun t ->
                             match t.Storage with
                             | S64 a -> a
                             | _ -> [||]))
                )

        let sizes = shapes |> Array.map (fun s -> s[d])
        let starts = Array.scan (+) 0 sizes
        make s out "concat" tensors (fun g -> Array.init tensors.Length (fun i -> narrow d starts[i] sizes[i] g))

    /// Stacks equal-shaped tensors along a new axis `dim`.
    let stack (dim: int) (tensors: Tensor[]) =
        if isNull tensors || tensors.Length = 0 then
            invalidArg "tensors" "Expected at least one tensor to stack, got none"

        tensors |> Array.map (unsqueeze dim) |> concat dim

    /// Splits along `dim` into pieces of the given sizes (which must sum to the axis length).
    let split (dim: int) (sizes: int[]) (t: Tensor) =
        let d = Shape.axis "dim" t.Rank dim

        if Array.sum sizes <> t.ShapeRef[d] || sizes |> Array.exists (fun s -> s < 0) then
            invalidArg
                "sizes"
                (sprintf
                    "Expected non-negative sizes summing to %d (dimension %d of %s), got %A"
                    t.ShapeRef[d]
                    d
                    (Shape.format t.ShapeRef)
                    sizes)

        let starts = Array.scan (+) 0 sizes
        Array.init sizes.Length (fun i -> narrow d starts[i] sizes[i] t)

    /// out[.., i, ..] = t[.., index[.., i, ..], ..] along `dim`, with `index` of shape `indexShape` agreeing
    /// with t's shape except along `dim`; the reverse scatters the adjoint back (adding on repeats).
    let gather (dim: int) (indexShape: int[]) (index: int[]) (t: Tensor) =
        let d = Shape.axis "dim" t.Rank dim

        if
            indexShape.Length <> t.Rank
            || (indexShape
                |> Array.indexed
                |> Array.exists (fun (i, s) -> i <> d && s <> t.ShapeRef[i]))
            || Shape.numel indexShape <> index.Length
        then
            invalidArg
                "index"
                (sprintf
                    "Expected %d indices of a shape equal to %s except along dimension %d, got %s"
                    index.Length
                    (Shape.format t.ShapeRef)
                    d
                    (Shape.format indexShape))

        match index |> Array.tryFind (fun i -> i < 0 || i >= t.ShapeRef[d]) with
        | Some bad -> invalidArg "index" (sprintf "Expected indices in [0, %d) along dimension %d, got %d" t.ShapeRef[d] d bad)
        | None -> ()

        let sh = t.ShapeRef

        let s =
            match t.Storage with
            | S32 a -> S32(RawLayout.gather sh d indexShape index a)
            | S64 a -> S64(RawLayout.gather sh d indexShape index a)

        make s (Array.copy indexShape) "gather" [| t |] (fun g ->
            let back =
                match g.Storage with
                | S32 a -> S32(RawLayout.scatterAdd sh d indexShape index a)
                | S64 a -> S64(RawLayout.scatterAdd sh d indexShape index a)

            [| Tensor.Leaf(back, sh) |])

    /// `t` broadcast to `shape` (a copy); the reverse sums over the broadcast axes.
    let expand (shape: int[]) (t: Tensor) = t.Expand shape

    // ---------------------------------------------------------------- elementwise

    /// a + b with broadcasting.
    let add (a: Tensor) (b: Tensor) = a + b
    /// a − b with broadcasting.
    let sub (a: Tensor) (b: Tensor) = a - b
    /// a · b elementwise with broadcasting.
    let mul (a: Tensor) (b: Tensor) = a * b
    /// a / b elementwise with broadcasting.
    let div (a: Tensor) (b: Tensor) = a / b
    /// −a.
    let neg (a: Tensor) = -a

    /// s · a for a scalar s.
    let scale (s: float) (a: Tensor) = a * s

    let private unaryOp
        name
        (f32: float32[] -> float32[] -> unit)
        (f64: float[] -> float[] -> unit)
        (reverse: Tensor -> Tensor -> Tensor -> Tensor)
        (x: Tensor)
        =
        let y = RawElementwise.unary f32 f64 x.Storage
        let out = Tensor.Leaf(y, x.ShapeRef)
        make y x.ShapeRef name [| x |] (fun g -> [| reverse (x.Detach()) out g |])

    /// eˣ elementwise; adjoint g·eˣ.
    let exp (x: Tensor) =
        unaryOp
            "exp"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Exp(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Exp(ReadOnlySpan a, Span o))
            (fun _ y g -> g * y)
            x

    /// ln x elementwise; adjoint g/x.
    let log (x: Tensor) =
        unaryOp
            "log"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Log(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Log(ReadOnlySpan a, Span o))
            (fun x _ g -> g / x)
            x

    /// √x elementwise; adjoint g/(2√x).
    let sqrt (x: Tensor) =
        unaryOp
            "sqrt"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Sqrt(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Sqrt(ReadOnlySpan a, Span o))
            (fun _ y g -> g / (y * 2.0))
            x

    /// |x| elementwise; adjoint g·sign(x) (0 at 0).
    let abs (x: Tensor) =
        unaryOp
            "abs"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Abs(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Abs(ReadOnlySpan a, Span o))
            (fun x _ g ->
                let sign =
                    RawElementwise.map (fun v -> float32 (sign v)) (fun v -> float (sign v)) x.Storage

                g * Tensor.Leaf(sign, x.ShapeRef))
            x

    /// tanh x elementwise; adjoint g·(1 − y²).
    let tanh (x: Tensor) =
        unaryOp
            "tanh"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Tanh(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Tanh(ReadOnlySpan a, Span o))
            (fun _ y g -> g * (1.0 - y * y))
            x

    /// 1/(1 + e⁻ˣ) elementwise; adjoint g·y·(1 − y).
    let sigmoid (x: Tensor) =
        unaryOp
            "sigmoid"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Sigmoid(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Sigmoid(ReadOnlySpan a, Span o))
            (fun _ y g -> g * y * (1.0 - y))
            x

    /// sin x elementwise; adjoint g·cos x.
    let rec sin (x: Tensor) : Tensor =
        unaryOp
            "sin"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Sin(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Sin(ReadOnlySpan a, Span o))
            (fun x _ g -> g * cos x)
            x

    /// cos x elementwise; adjoint −g·sin x.
    and cos (x: Tensor) : Tensor =
        unaryOp
            "cos"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Cos(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Cos(ReadOnlySpan a, Span o))
            (fun x _ g -> -(g * sin x))
            x

    /// arccos x elementwise for x in [−1, 1] (the geodesic angle arccos((tr R − 1)/2)); adjoint −g/√(1 − x²),
    /// infinite at ±1, so clamp the argument slightly inside first.
    let acos (x: Tensor) =
        unaryOp
            "acos"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Acos(ReadOnlySpan a, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Acos(ReadOnlySpan a, Span o))
            (fun x _ g -> -(g / sqrt (1.0 - x * x)))
            x

    /// x limited to [low, high] elementwise; the adjoint passes where low < x < high and is 0 where clamped.
    let clamp (low: float) (high: float) (x: Tensor) =
        if not (low <= high) then
            invalidArg "high" (sprintf "Expected low <= high, got [%g, %g]" low high)

        let y =
            RawElementwise.map (fun v -> max (float32 low) (min (float32 high) v)) (fun v -> max low (min high v)) x.Storage

        let sh = x.ShapeRef

        make y sh "clamp" [| x |] (fun g ->
            let d =
                RawElementwise.map2
                    (fun v gv -> if v > float32 low && v < float32 high then gv else 0.0f)
                    (fun v gv -> if v > low && v < high then gv else 0.0)
                    x.Storage
                    g.Storage

            [| Tensor.Leaf(d, sh) |])

    /// xᵖ elementwise for a scalar exponent p; adjoint g·p·xᵖ⁻¹.
    let rec powScalar (p: float) (x: Tensor) : Tensor =
        unaryOp
            "powScalar"
            (fun a o -> Numerics.Tensors.TensorPrimitives.Pow(ReadOnlySpan a, float32 p, Span o))
            (fun a o -> Numerics.Tensors.TensorPrimitives.Pow(ReadOnlySpan a, p, Span o))
            (fun x _ g -> g * powScalar (p - 1.0) x * p)
            x

    /// aᵇ elementwise with broadcasting; adjoints g·b·aᵇ⁻¹ and g·aᵇ·ln a.
    let pow (a: Tensor) (b: Tensor) : Tensor =
        let out = Shape.broadcast2 a.ShapeRef b.ShapeRef
        let y = RawElementwise.pow a.ShapeRef a.Storage b.ShapeRef b.Storage out
        let yt = Tensor.Leaf(y, out)

        make y out "pow" [| a; b |] (fun g ->
            let a0, b0 = a.Detach(), b.Detach()

            [|
                (if a.IsTracked then
                     (g * b0 * yt / a0).SumTo a.ShapeRef
                 else
                     null)
                (if b.IsTracked then
                     (g * yt * log a0).SumTo b.ShapeRef
                 else
                     null)
            |])

    let private compare name (f32: float32 -> float32 -> bool) (f64: float -> float -> bool) (a: Tensor) (b: Tensor) =
        let out = Shape.broadcast2 a.ShapeRef b.ShapeRef
        Storage.sameDtype name a.Storage b.Storage
        let x, y = (a.Expand out).Detach(), (b.Expand out).Detach()

        let s =
            RawElementwise.map2 (fun p q -> if f32 p q then 1.0f else 0.0f) (fun p q -> if f64 p q then 1.0 else 0.0) x.Storage y.Storage

        Tensor.Leaf(s, out)

    /// 1 where a > b, else 0 (broadcasting; not differentiable).
    let gt (a: Tensor) (b: Tensor) = compare "gt" (>) (>) a b
    /// 1 where a < b, else 0 (broadcasting; not differentiable).
    let lt (a: Tensor) (b: Tensor) = compare "lt" (<) (<) a b
    /// 1 where a ≥ b, else 0 (broadcasting; not differentiable).
    let ge (a: Tensor) (b: Tensor) = compare "ge" (>=) (>=) a b
    /// 1 where a ≤ b, else 0 (broadcasting; not differentiable).
    let le (a: Tensor) (b: Tensor) = compare "le" (<=) (<=) a b
    /// 1 where a = b, else 0 (broadcasting; not differentiable).
    let eq (a: Tensor) (b: Tensor) = compare "eq" (=) (=) a b

    /// a where cond ≠ 0, else b (all three broadcast together); adjoints are the output adjoint masked.
    let where (cond: Tensor) (a: Tensor) (b: Tensor) =
        let out = Shape.broadcast2 (Shape.broadcast2 cond.ShapeRef a.ShapeRef) b.ShapeRef
        Storage.sameDtype "where" a.Storage b.Storage
        let c = (cond.Expand out).Detach() |> convert a.Dtype
        let x, y = (a.Expand out).Detach(), (b.Expand out).Detach()

        let s =
            RawElementwise.map3
                (fun c p q -> if c <> 0.0f then p else q)
                (fun c p q -> if c <> 0.0 then p else q)
                c.Storage
                x.Storage
                y.Storage

        make s out "where" [| a; b |] (fun g ->
            let mask = Tensor.Leaf(c.Storage, out)

            [|
                (if a.IsTracked then (g * mask).SumTo a.ShapeRef else null)
                (if b.IsTracked then
                     (g * (1.0 - mask)).SumTo b.ShapeRef
                 else
                     null)
            |])

    /// max(a, b) elementwise with broadcasting; the adjoint goes to a where a ≥ b, else to b.
    let maximum (a: Tensor) (b: Tensor) = where (ge a b) a b

    // ---------------------------------------------------------------- reductions

    /// The sum of all elements (rank 0).
    let sum (t: Tensor) =
        let sh = t.ShapeRef
        make (Storage.full t.Dtype 1 (RawElementwise.sumAll t.Storage)) [||] "sum" [| t |] (fun g -> [| g.Expand sh |])

    /// The mean of all elements (rank 0).
    let mean (t: Tensor) = sum t / float (max 1 t.Numel)

    /// Sums over `dims`, keeping them as size-1 axes when `keepDim`.
    let sumDims (dims: int[]) (keepDim: bool) (t: Tensor) =
        let ds, out = Shape.reduce t.ShapeRef dims keepDim

        let kept =
            t.ShapeRef |> Array.mapi (fun i d -> if Array.contains i ds then 1 else d)

        let s = t.SumTo kept
        if keepDim then s else reshape out s

    /// Means over `dims`, keeping them as size-1 axes when `keepDim`.
    let meanDims (dims: int[]) (keepDim: bool) (t: Tensor) =
        let ds, _ = Shape.reduce t.ShapeRef dims keepDim
        let count = ds |> Array.fold (fun acc d -> acc * t.ShapeRef[d]) 1
        sumDims dims keepDim t / float (max 1 count)

    /// Maxima over `dims` (keeping them as size-1 axes when `keepDim`); the adjoint flows to the first maximum.
    let maxDims (dims: int[]) (keepDim: bool) (t: Tensor) =
        let ds, out = Shape.reduce t.ShapeRef dims keepDim
        let sh = t.ShapeRef

        let s, arg =
            match t.Storage with
            | S32 a ->
                let v, i = RawLayout.maxDims sh ds a
                S32 v, i
            | S64 a ->
                let v, i = RawLayout.maxDims sh ds a
                S64 v, i

        make s out "maxDims" [| t |] (fun g ->
            let back = Storage.zeros g.Dtype (Shape.numel sh)

            match back, g.Storage with
            | S32 b, S32 gv -> arg |> Array.iteri (fun o i -> b[i] <- b[i] + gv[o])
            | S64 b, S64 gv -> arg |> Array.iteri (fun o i -> b[i] <- b[i] + gv[o])
            | _ -> ()

            [| Tensor.Leaf(back, sh) |])

    /// The index of the maximum along `dim` for each position of the other axes (first on ties).
    let argmax (dim: int) (t: Tensor) =
        let d = Shape.axis "dim" t.Rank dim
        let sh = t.ShapeRef
        let outer = Shape.numel sh[.. d - 1]
        let inner = Shape.numel sh[d + 1 ..]
        let v = t.ToArray()

        Array.init (outer * inner) (fun k ->
            let o, i = k / inner, k % inner
            let mutable best = 0

            for j in 1 .. sh[d] - 1 do
                if v[(o * sh[d] + j) * inner + i] > v[(o * sh[d] + best) * inner + i] then
                    best <- j

            best)

    // ---------------------------------------------------------------- linear algebra

    /// Batched op(A)·op(B) on storages: `batch` products of [m × k] by [k × n] matrices stored contiguously,
    /// each operand stored transposed when its MatOp says so.
    let private rawMatmul (opA: Kernels.MatOp) (opB: Kernels.MatOp) (batch: int) (m: int) (k: int) (n: int) (a: Storage) (b: Storage) =
        let lda = if opA = Kernels.MatOp.AsIs then k else m
        let ldb = if opB = Kernels.MatOp.AsIs then n else k
        let t = Kernels.Gemm.defaultThreads

        // β = 0: the GEMM writes every element of c, so a pooled array with stale contents is fine (k = 0 too:
        // then C = β·C = 0 without reading it)
        match a, b with
        | S32 x, S32 y ->
            let c = StoragePool.rent32 (batch * m * n)
            Kernels.Gemm.gemmBatched t opA opB m n k 1.0 x 0 (m * k) lda y 0 (k * n) ldb 0.0 c 0 (m * n) n batch
            S32 c
        | S64 x, S64 y ->
            let c = StoragePool.rent64 (batch * m * n)
            Kernels.Gemm.gemmBatched t opA opB m n k 1.0 x 0 (m * k) lda y 0 (k * n) ldb 0.0 c 0 (m * n) n batch
            S64 c
        | _ -> invalidArg "b" (sprintf "matmul: expected operands of the same dtype, got %A and %A" a.Dtype b.Dtype)

    /// Matrix product [.., m, k] × [.., k, n] → [.., m, n] with broadcast batch axes; adjoints g·bᵀ and aᵀ·g
    /// (summed over broadcast batch axes).
    let rec matmul (a: Tensor) (b: Tensor) : Tensor =
        let out = Shape.matmul a.ShapeRef b.ShapeRef
        let r = out.Length
        let m, n = out[r - 2], out[r - 1]
        let k = a.ShapeRef[a.Rank - 1]
        let batchShape = out[.. r - 3]
        let ae = (a.Detach()).Expand(Array.append batchShape [| m; k |])
        let be = (b.Detach()).Expand(Array.append batchShape [| k; n |])
        let batch = Shape.numel batchShape

        let s =
            rawMatmul Kernels.MatOp.AsIs Kernels.MatOp.AsIs batch m k n ae.Storage be.Storage

        make s out "matmul" [| a; b |] (fun g ->
            [|
                if a.IsTracked then
                    // dA = g·Bᵀ: [m × n]·[n × k]
                    let da =
                        rawMatmul Kernels.MatOp.AsIs Kernels.MatOp.Transposed batch m n k g.Storage be.Storage

                    Tensor.Leaf(da, ae.ShapeRef).SumTo a.ShapeRef
                else
                    null
                if b.IsTracked then
                    // dB = Aᵀ·g: [k × m]·[m × n]
                    let db =
                        rawMatmul Kernels.MatOp.Transposed Kernels.MatOp.AsIs batch k m n ae.Storage g.Storage

                    Tensor.Leaf(db, be.ShapeRef).SumTo b.ShapeRef
                else
                    null
            |])
