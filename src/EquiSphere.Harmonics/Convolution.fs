namespace EquiSphere.Harmonics

open System
open System.Numerics

/// Spherical convolution with zonal filters (Esteves et al., ECCV 2018; DESIGN.md):
/// (f ⋆ h)_l^m = 2π √(4π/(2l+1)) f_l^m h_l^0, i.e. (f ⋆ h)(x) = 2π ∫_{S²} f(y) h(angle(x, y)) dy where the zonal
/// filter h is given by its coefficients h_l^0 (l &lt; B). Law: convolution commutes with rotation,
/// (Λ_R f) ⋆ h = Λ_R (f ⋆ h). Multi-channel: out_o = Σ_i in_i ⋆ h_{o,i}, the sum taken in the spectral domain,
/// weights [Cout, Cin, B] (h_{o,i,l}).
[<RequireQualifiedAccess>]
module Convolution =

    /// The gain 2π √(4π/(2l+1)) of degree l.
    let gain (l: int) =
        if l < 0 then
            invalidArg (nameof l) (sprintf "Expected a degree l >= 0, got %d" l)

        2.0 * Math.PI * sqrt (4.0 * Math.PI / float (2 * l + 1))

    /// A filter h_l^0 over l &lt; b from P ≥ 1 values at the anchor degrees l_p = p (b − 1)/(P − 1), p = 0..P−1
    /// (for P = 1 the one value everywhere), linearly interpolated between anchors. Laws: exact at the anchors
    /// (at integer anchor degrees), linear between them.
    let interpolateAnchors (b: int) (anchors: float[]) : float[] =
        Check.bandwidth (nameof b) b

        if isNull anchors then
            nullArg (nameof anchors)

        let p = anchors.Length

        if p < 1 then
            invalidArg (nameof anchors) "Expected at least one anchor value, got 0"

        if p = 1 || b = 1 then
            Array.create b anchors[0]
        else
            let step = float (b - 1) / float (p - 1)

            Array.init b (fun l ->
                let x = float l / step
                let i = min (p - 2) (int (floor x))
                let t = x - float i
                (1.0 - t) * anchors[i] + t * anchors[i + 1])

    let private checkFilter (name: string) (b: int) (length: int) =
        if length <> b then
            invalidArg name (sprintf "Expected a zonal filter of B = %d coefficients h_l^0 (l < B), got %d" b length)

    /// (f ⋆ h)_l^m = 2π √(4π/(2l+1)) f_l^m h_l^0 for coefficients packed at l² + l + m (length B²) and a zonal
    /// filter h_l^0 of length B.
    let spectral (filter: float[]) (coeffs: Complex[]) : Complex[] =
        if isNull filter then
            nullArg (nameof filter)

        if isNull coeffs then
            nullArg (nameof coeffs)

        let b = filter.Length
        Check.bandwidth (nameof filter) b
        Check.coefficientCount (nameof coeffs) b coeffs.Length
        let out = Array.zeroCreate coeffs.Length

        for l in 0 .. b - 1 do
            let g = gain l * filter[l]

            for m in -l .. l do
                let i = l * l + l + m
                out[i] <- coeffs[i] * g

        out

    /// Multi-channel spectral convolution: out_o = Σ_i in_i ⋆ h_{o,i} with `weights` [Cout, Cin, B]
    /// (h_{o,i,l} at (o·Cin + i)·B + l) and `inputs` Cin coefficient vectors of length B²; returns Cout vectors.
    let spectralMulti (outChannels: int) (weights: float[]) (inputs: Complex[][]) : Complex[][] =
        if isNull weights then
            nullArg (nameof weights)

        if isNull inputs then
            nullArg (nameof inputs)

        if outChannels < 1 then
            invalidArg (nameof outChannels) (sprintf "Expected an output channel count >= 1, got %d" outChannels)

        let cin = inputs.Length

        if cin < 1 then
            invalidArg (nameof inputs) "Expected at least one input channel, got 0"

        if inputs |> Array.exists isNull then
            nullArg (nameof inputs)

        let bb = inputs[0].Length
        let b = int (sqrt (float bb))

        if b * b <> bb || b < 1 then
            invalidArg (nameof inputs) (sprintf "Expected B² coefficients per channel (a perfect square), got %d" bb)

        for i in 1 .. cin - 1 do
            Check.coefficientCount (sprintf "inputs[%d]" i) b inputs[i].Length

        if weights.Length <> outChannels * cin * b then
            invalidArg
                (nameof weights)
                (sprintf
                    "Expected weights of shape [Cout=%d, Cin=%d, B=%d] = %d values, got %d"
                    outChannels
                    cin
                    b
                    (outChannels * cin * b)
                    weights.Length)

        let gains = Array.init b gain

        Array.init outChannels (fun o ->
            let out = Array.zeroCreate bb

            for i in 0 .. cin - 1 do
                let x = inputs[i]

                for l in 0 .. b - 1 do
                    let g = gains[l] * weights[(o * cin + i) * b + l]

                    if g <> 0.0 then
                        for m in -l .. l do
                            let k = l * l + l + m
                            out[k] <- out[k] + x[k] * g

            out)

    /// Grid-level convolution of a real [2B, 2B] signal with a zonal filter h_l^0 (length B):
    /// inverse (spectral filter (forward signal)).
    let convolve (plan: ShtPlan) (filter: float[]) (signal: float[,]) : float[,] =
        if isNull filter then
            nullArg (nameof filter)

        checkFilter (nameof filter) plan.Bandwidth filter.Length
        Sht.forward plan signal |> spectral filter |> Sht.inverse plan

    /// Grid-level multi-channel convolution: Cin real [2B, 2B] signals → Cout signals with `weights`
    /// [Cout, Cin, B]; one forward SHT per input channel and one inverse per output channel.
    let convolveMulti (plan: ShtPlan) (outChannels: int) (weights: float[]) (signals: float[,][]) : float[,][] =
        if isNull signals then
            nullArg (nameof signals)

        if signals |> Array.exists isNull then
            nullArg (nameof signals)

        signals
        |> Array.map (Sht.forward plan)
        |> spectralMulti outChannels weights
        |> Array.map (Sht.inverse plan)

    /// Batched float32 multi-channel convolution on the grid: `signals` [Cin, 2B, 2B] → [Cout, 2B, 2B] with
    /// `weights` [Cout, Cin, B] (float32), through `Sht.forwardBatch32` and `Sht.inverseBatch32`.
    let convolveBatch32 (plan: ShtPlan) (inChannels: int) (outChannels: int) (weights: float32[]) (signals: float32[]) : float32[] =
        if isNull weights then
            nullArg (nameof weights)

        let b = plan.Bandwidth

        if outChannels < 1 then
            invalidArg (nameof outChannels) (sprintf "Expected an output channel count >= 1, got %d" outChannels)

        if weights.Length <> outChannels * inChannels * b then
            invalidArg
                (nameof weights)
                (sprintf
                    "Expected weights of shape [Cout=%d, Cin=%d, B=%d] = %d values, got %d"
                    outChannels
                    inChannels
                    b
                    (outChannels * inChannels * b)
                    weights.Length)

        let spec = Sht.forwardBatch32 plan inChannels signals
        let bb = b * b
        let out: float32[] = Array.zeroCreate (outChannels * bb * 2)
        let gains = Array.init b (fun l -> float32 (gain l))

        for o in 0 .. outChannels - 1 do
            for i in 0 .. inChannels - 1 do
                for l in 0 .. b - 1 do
                    let g = gains[l] * weights[(o * inChannels + i) * b + l]

                    if g <> 0.0f then
                        let src = (i * bb + l * l) * 2
                        let dst = (o * bb + l * l) * 2

                        for k in 0 .. 2 * (2 * l + 1) - 1 do
                            out[dst + k] <- out[dst + k] + g * spec[src + k]

        Sht.inverseBatch32 plan outChannels out
