namespace EquiSphere.Geometry

open System

/// One control point of a colormap: position `T` in [0, 1] and an RGB color with components in [0, 1].
type ColorStop =
    {
        /// Position in [0, 1].
        T: float
        /// Red in [0, 1].
        R: float32
        /// Green in [0, 1].
        G: float32
        /// Blue in [0, 1].
        B: float32
    }

/// A colormap: control points with strictly increasing positions from 0 to 1, interpolated linearly in RGB.
type Colormap =
    {
        /// The name the map is known by ("viridis", "magma", "coolwarm", "gray").
        Name: string
        /// The control points, first at T = 0, last at T = 1.
        Stops: ColorStop[]
    }

/// How values are mapped to the unit interval before coloring.
[<RequireQualifiedAccess>]
type ColorRange =
    /// The finite minimum maps to 0, the finite maximum to 1.
    | Auto
    /// −m maps to 0 and +m to 1 with m the largest finite |value|, so 0 sits at the middle (for diverging maps).
    | Symmetric
    /// `lo` maps to 0 and `hi` to 1; values outside are clamped.
    | Fixed of lo: float * hi: float

/// Colormaps as tables of control points interpolated linearly in RGB, and their application to arrays of values.
/// viridis and magma (van der Walt and Smith, matplotlib 1.5) and coolwarm (Moreland, "Diverging Color Maps for
/// Scientific Visualization", 2009) are 33 entries of matplotlib's published 256-entry tables, at indices
/// round(255 i / 32), derived by scripts/peers/colormap_stops.py; the interpolation deviates from the full tables by
/// at most 1.7/255 per channel. Laws: `eval map stop.T = stop color` at every control point; each channel between
/// two control points lies between their values; viridis and magma have increasing luminance.
[<RequireQualifiedAccess>]
module Colormap =

    /// The color that NaN values get: mid gray.
    let NanColor = struct (0.5f, 0.5f, 0.5f)

    let private ofTable (name: string) (rows: (int * float * float * float) list) =
        {
            Name = name
            Stops =
                rows
                |> List.map (fun (k, r, g, b) ->
                    {
                        T = float k / 255.0
                        R = float32 r
                        G = float32 g
                        B = float32 b
                    })
                |> Array.ofList
        }

    /// Builds a colormap from control points; throws unless there are at least two, positions increase strictly from
    /// 0 to 1 and every component is in [0, 1].
    let create (name: string) (stops: ColorStop[]) =
        if isNull name then
            nullArg (nameof name)

        if isNull stops then
            nullArg (nameof stops)

        if stops.Length < 2 then
            invalidArg (nameof stops) (sprintf "Expected at least 2 control points, got %d" stops.Length)

        if stops[0].T <> 0.0 || stops[stops.Length - 1].T <> 1.0 then
            invalidArg
                (nameof stops)
                (sprintf "Expected control points from T = 0 to T = 1, got %g to %g" stops[0].T stops[stops.Length - 1].T)

        for i in 1 .. stops.Length - 1 do
            if not (stops[i].T > stops[i - 1].T) then
                invalidArg
                    (nameof stops)
                    (sprintf "Expected strictly increasing positions, got %g after %g at index %d" stops[i].T stops[i - 1].T i)

        for i, s in Array.indexed stops do
            for c in [ s.R; s.G; s.B ] do
                if not (c >= 0.0f && c <= 1.0f) then
                    invalidArg (nameof stops) (sprintf "Expected color components in [0, 1], got %g at index %d" c i)

        {
            Name = name
            Stops = Array.copy stops
        }

    /// viridis: perceptually uniform, dark blue through green to yellow.
    let viridis =
        ofTable
            "viridis"
            [
                0, 0.2670, 0.0049, 0.3294
                8, 0.2770, 0.0503, 0.3757
                16, 0.2823, 0.0950, 0.4173
                24, 0.2829, 0.1359, 0.4534
                32, 0.2788, 0.1755, 0.4834
                40, 0.2706, 0.2141, 0.5071
                48, 0.2590, 0.2515, 0.5247
                56, 0.2450, 0.2877, 0.5373
                64, 0.2297, 0.3224, 0.5457
                72, 0.2143, 0.3556, 0.5512
                80, 0.1994, 0.3876, 0.5546
                88, 0.1856, 0.4186, 0.5568
                96, 0.1727, 0.4488, 0.5579
                104, 0.1607, 0.4785, 0.5581
                112, 0.1490, 0.5081, 0.5572
                120, 0.1378, 0.5375, 0.5549
                128, 0.1276, 0.5669, 0.5506
                135, 0.1211, 0.5927, 0.5446
                143, 0.1201, 0.6222, 0.5349
                151, 0.1301, 0.6514, 0.5216
                159, 0.1539, 0.6802, 0.5042
                167, 0.1911, 0.7084, 0.4823
                175, 0.2394, 0.7356, 0.4557
                183, 0.2965, 0.7616, 0.4242
                191, 0.3607, 0.7860, 0.3878
                199, 0.4310, 0.8085, 0.3465
                207, 0.5063, 0.8288, 0.3004
                215, 0.5857, 0.8467, 0.2499
                223, 0.6681, 0.8620, 0.1963
                231, 0.7519, 0.8750, 0.1432
                239, 0.8353, 0.8860, 0.1026
                247, 0.9162, 0.8961, 0.1007
                255, 0.9932, 0.9062, 0.1439
            ]

    /// magma: perceptually uniform, black through purple and orange to pale yellow.
    let magma =
        ofTable
            "magma"
            [
                0, 0.0015, 0.0005, 0.0139
                8, 0.0137, 0.0118, 0.0687
                16, 0.0396, 0.0311, 0.1335
                24, 0.0743, 0.0520, 0.2027
                32, 0.1131, 0.0655, 0.2768
                40, 0.1590, 0.0684, 0.3527
                48, 0.2117, 0.0620, 0.4186
                56, 0.2654, 0.0602, 0.4618
                64, 0.3167, 0.0717, 0.4854
                72, 0.3660, 0.0903, 0.4980
                80, 0.4147, 0.1104, 0.5047
                88, 0.4635, 0.1299, 0.5077
                96, 0.5128, 0.1482, 0.5076
                104, 0.5629, 0.1654, 0.5047
                112, 0.6136, 0.1818, 0.4985
                120, 0.6649, 0.1981, 0.4888
                128, 0.7164, 0.2150, 0.4753
                135, 0.7611, 0.2312, 0.4602
                143, 0.8109, 0.2529, 0.4393
                151, 0.8578, 0.2799, 0.4155
                159, 0.8996, 0.3146, 0.3910
                167, 0.9336, 0.3588, 0.3705
                175, 0.9585, 0.4113, 0.3600
                183, 0.9751, 0.4689, 0.3631
                191, 0.9857, 0.5281, 0.3794
                199, 0.9922, 0.5875, 0.4063
                207, 0.9958, 0.6463, 0.4414
                215, 0.9973, 0.7046, 0.4826
                223, 0.9970, 0.7624, 0.5288
                231, 0.9954, 0.8199, 0.5791
                239, 0.9928, 0.8772, 0.6331
                247, 0.9898, 0.9343, 0.6902
                255, 0.9871, 0.9914, 0.7495
            ]

    /// coolwarm: Moreland's diverging map, blue through light gray to red; pair it with `ColorRange.Symmetric`.
    let coolwarm =
        ofTable
            "coolwarm"
            [
                0, 0.2298, 0.2987, 0.7537
                8, 0.2664, 0.3533, 0.8016
                16, 0.3042, 0.4069, 0.8453
                24, 0.3433, 0.4594, 0.8841
                32, 0.3837, 0.5102, 0.9178
                40, 0.4252, 0.5591, 0.9461
                48, 0.4677, 0.6056, 0.9685
                56, 0.5108, 0.6494, 0.9851
                64, 0.5543, 0.6901, 0.9955
                72, 0.5978, 0.7273, 0.9998
                80, 0.6408, 0.7608, 0.9978
                88, 0.6831, 0.7900, 0.9898
                96, 0.7240, 0.8149, 0.9757
                104, 0.7634, 0.8351, 0.9557
                112, 0.8006, 0.8504, 0.9300
                120, 0.8353, 0.8605, 0.8990
                128, 0.8674, 0.8644, 0.8626
                135, 0.8959, 0.8499, 0.8235
                143, 0.9227, 0.8286, 0.7771
                151, 0.9434, 0.8023, 0.7292
                159, 0.9582, 0.7712, 0.6803
                167, 0.9670, 0.7357, 0.6309
                175, 0.9699, 0.6958, 0.5813
                183, 0.9669, 0.6520, 0.5320
                191, 0.9583, 0.6043, 0.4833
                199, 0.9441, 0.5532, 0.4355
                207, 0.9244, 0.4986, 0.3891
                215, 0.8995, 0.4407, 0.3441
                223, 0.8697, 0.3793, 0.3009
                231, 0.8350, 0.3136, 0.2598
                239, 0.7959, 0.2418, 0.2208
                247, 0.7527, 0.1576, 0.1843
                255, 0.7057, 0.0156, 0.1502
            ]

    /// gray: black to white.
    let gray = ofTable "gray" [ 0, 0.0, 0.0, 0.0; 255, 1.0, 1.0, 1.0 ]

    /// The built-in maps.
    let all = [ viridis; magma; coolwarm; gray ]

    /// The built-in map of a name (case-insensitive), or None.
    let tryFind (name: string) =
        all
        |> List.tryFind (fun m -> String.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))

    /// The built-in map of a name (case-insensitive); throws naming the known maps otherwise.
    let find (name: string) =
        match tryFind name with
        | Some m -> m
        | None ->
            invalidArg
                (nameof name)
                (sprintf "Expected a colormap name (%s), got '%s'" (all |> List.map (fun m -> m.Name) |> String.concat ", ") name)

    /// The color at position t (clamped to [0, 1]) by linear interpolation between the two enclosing control points;
    /// NaN gives `NanColor`.
    let eval (map: Colormap) (t: float) : struct (float32 * float32 * float32) =
        if Double.IsNaN t then
            NanColor
        else
            let s = map.Stops
            let t = max 0.0 (min 1.0 t)
            // Binary search for the last stop with T <= t.
            let mutable lo = 0
            let mutable hi = s.Length - 1

            while hi - lo > 1 do
                let mid = (lo + hi) / 2
                if s[mid].T <= t then lo <- mid else hi <- mid

            let a, b = s[lo], s[hi]
            let u = float32 ((t - a.T) / (b.T - a.T)) |> max 0.0f |> min 1.0f
            struct (a.R + u * (b.R - a.R), a.G + u * (b.G - a.G), a.B + u * (b.B - a.B))

    /// The interval [lo, hi] that `range` resolves to over `values` (NaN and infinities ignored). With no finite
    /// value the interval is [0, 1]; when all values are equal it is widened around them to positive length.
    let resolve (range: ColorRange) (values: float[]) : float * float =
        if isNull values then
            nullArg (nameof values)

        let finite = values |> Array.filter Double.IsFinite

        let lo, hi =
            match range with
            | ColorRange.Fixed(lo, hi) ->
                if not (Double.IsFinite lo && Double.IsFinite hi && lo < hi) then
                    invalidArg (nameof range) (sprintf "Expected a finite range with lo < hi, got [%g, %g]" lo hi)

                lo, hi
            | ColorRange.Auto when finite.Length > 0 -> Array.min finite, Array.max finite
            | ColorRange.Symmetric when finite.Length > 0 ->
                let m = finite |> Array.map abs |> Array.max
                -m, m
            | _ -> 0.0, 1.0

        if hi > lo then lo, hi
        elif lo = 0.0 then -1.0, 1.0
        else lo - abs lo, hi + abs hi

    /// An RGB image of `values` (row-major [y, x], length width × height): each value v becomes
    /// `eval map ((v − lo)/(hi − lo))` with [lo, hi] = `resolve range values`.
    let apply (map: Colormap) (range: ColorRange) (width: int) (height: int) (values: float[]) : Image =
        if isNull values then
            nullArg (nameof values)

        let img = Image.create width height 3

        if values.Length <> width * height then
            invalidArg
                (nameof values)
                (sprintf "Expected %d × %d = %d values (row-major [y, x]), got %d" width height (width * height) values.Length)

        let lo, hi = resolve range values

        for i in 0 .. values.Length - 1 do
            let struct (r, g, b) = eval map ((values[i] - lo) / (hi - lo))
            img.Pixels[3 * i] <- r
            img.Pixels[3 * i + 1] <- g
            img.Pixels[3 * i + 2] <- b

        img

    /// A horizontal color bar: `width` × `height` RGB pixels, position t = x / (width − 1) from left to right.
    let colorbar (map: Colormap) (width: int) (height: int) : Image =
        if width < 2 then
            invalidArg (nameof width) (sprintf "Expected a color bar at least 2 pixels wide, got %d" width)

        let row = Array.init width (fun x -> float x / float (width - 1))
        apply map (ColorRange.Fixed(0.0, 1.0)) width height (Array.init (width * height) (fun i -> row[i % width]))
