namespace EquiSphere.Geometry

open System
open EquiSphere.Harmonics

/// How a spherical heat map is drawn.
type HeatMapOptions =
    {
        /// The colormap.
        Colormap: Colormap
        /// How values map to the colormap (resolved over the whole signal, or over all channels of a grid).
        Range: ColorRange
        /// Each grid sample becomes a Scale × Scale block of pixels (≥ 1) in equirectangular maps.
        Scale: int
    }

/// Images of functions on the sphere sampled on the Driscoll–Healy grid of bandwidth B: a signal is 2B × 2B values,
/// row-major [θ, φ] (θ_j = π(2j+1)/(4B) colatitude, φ_k = 2πk/(2B) azimuth). Equirectangular maps put θ down and φ
/// to the right; globes are orthographic views of the sphere through a camera on the +z axis of a view rotation.
[<RequireQualifiedAccess>]
module SphereMap =

    /// viridis, automatic range, 4 pixels per sample.
    let defaults =
        {
            Colormap = Colormap.viridis
            Range = ColorRange.Auto
            Scale = 4
        }

    /// The grid size n = 2B of a signal of n² values; throws unless the length is (2B)² for some B ≥ 1.
    let gridSize (signal: float[]) =
        if isNull signal then
            nullArg (nameof signal)

        let n = int (Math.Round(sqrt (float signal.Length)))

        if n < 2 || n % 2 <> 0 || n * n <> signal.Length then
            invalidArg
                (nameof signal)
                (sprintf "Expected a signal of shape [2B; 2B] (colatitude × longitude), that is (2B)² values, got %d" signal.Length)

        n

    /// The equirectangular heat map of a signal: 2B·Scale × 2B·Scale RGB pixels, row j·Scale.. the colatitude θ_j
    /// (north pole at the top), column k·Scale.. the azimuth φ_k.
    let equirectangular (options: HeatMapOptions) (signal: float[]) : Image =
        let n = gridSize signal

        if options.Scale < 1 then
            invalidArg (nameof options) (sprintf "Expected Scale ≥ 1, got %d" options.Scale)

        Colormap.apply options.Colormap options.Range n n signal
        |> Image.resize Interpolation.Nearest (n * options.Scale) (n * options.Scale)

    /// The equirectangular maps of several channels (each a [2B, 2B] signal of the same B) in a montage with `columns`
    /// per row; the range is resolved over all channels together, so equal colors mean equal values.
    let equirectangularGrid (options: HeatMapOptions) (layout: MontageLayout) (channels: float[][]) : Image =
        if isNull channels then
            nullArg (nameof channels)

        if channels.Length = 0 then
            invalidArg (nameof channels) "Expected at least one channel, got none"

        let n = gridSize channels[0]

        channels
        |> Array.iteri (fun c s ->
            if gridSize s <> n then
                invalidArg (nameof channels) (sprintf "Expected every channel of shape [%d; %d], channel %d has %d values" n n c s.Length))

        let lo, hi = Colormap.resolve options.Range (Array.concat channels)

        let shared =
            { options with
                Range = ColorRange.Fixed(lo, hi)
            }

        channels |> Array.map (equirectangular shared) |> Montage.grid layout

    let private wrap (n: int) (j: int) (k: int) =
        // Rows beyond a pole continue on the opposite meridian: row −1 is row 0 at φ + π.
        let j, k =
            if j < 0 then -1 - j, k + n / 2
            elif j >= n then 2 * n - 1 - j, k + n / 2
            else j, k

        j, ((k % n) + n) % n

    /// The signal's value at a unit vector by bilinear interpolation on the grid: periodic in φ, and across the poles
    /// along the opposite meridian. Law: at a grid point it returns the grid value.
    let sample (signal: float[]) (x: float, y: float, z: float) =
        let n = gridSize signal
        let theta, phi = Grid.toSpherical (x, y, z)
        let r = theta * float n / Math.PI - 0.5
        let c = phi * float n / (2.0 * Math.PI)
        let j0 = int (floor r)
        let k0 = int (floor c)
        let tr, tc = r - float j0, c - float k0

        let at (j: int) (k: int) =
            let jj, kk = wrap n j k
            signal[jj * n + kk]

        let top = at j0 k0 + tc * (at j0 (k0 + 1) - at j0 k0)
        let bottom = at (j0 + 1) k0 + tc * (at (j0 + 1) (k0 + 1) - at (j0 + 1) k0)
        top + tr * (bottom - top)

    /// The values of an orthographic view: `size` × `size` pixels, row-major [y, x]. Pixel (x, y) has image
    /// coordinates u = 2(x + ½)/size − 1 (right) and v = 1 − 2(y + ½)/size (up); inside the unit disk it shows
    /// f(R·(u, v, √(1 − u² − v²))), the visible hemisphere of a camera on the +z axis of the view rotation R (image
    /// right R·x̂, up R·ŷ, looking along −R·ẑ); outside it is NaN.
    /// Law: the view of Λ_Q f through Q·R equals the view of f through R (rotations act actively).
    let globeValues (view: Rotation) (size: int) (f: float * float * float -> float) : float[] =
        if size < 1 then
            invalidArg (nameof size) (sprintf "Expected a positive globe size in pixels, got %d" size)

        Array.init (size * size) (fun i ->
            let u = 2.0 * (float (i % size) + 0.5) / float size - 1.0
            let v = 1.0 - 2.0 * (float (i / size) + 0.5) / float size
            let rr = u * u + v * v

            if rr > 1.0 then
                nan
            else
                f (Rotation.apply view (u, v, sqrt (1.0 - rr))))

    let private colorGlobe (options: HeatMapOptions) (lo: float, hi: float) (size: int) (values: float[]) =
        let rgb =
            Colormap.apply options.Colormap (ColorRange.Fixed(lo, hi)) size size values

        let out = Image.withChannels 4 rgb

        values
        |> Array.iteri (fun i v ->
            if Double.IsNaN v then
                for k in 0..3 do
                    out.Pixels[4 * i + k] <- 0.0f)

        out

    /// An RGBA orthographic view of a grid signal (see `globeValues`; values by `sample`), transparent outside the
    /// disk; colors use the range resolved over the whole signal, so they match `equirectangular`.
    let globe (options: HeatMapOptions) (view: Rotation) (size: int) (signal: float[]) : Image =
        gridSize signal |> ignore
        let range = Colormap.resolve options.Range signal
        globeValues view size (sample signal) |> colorGlobe options range size

    /// An RGBA orthographic view of a function on the unit sphere, transparent outside the disk; the range is
    /// resolved over the visible values.
    let globeOf (options: HeatMapOptions) (view: Rotation) (size: int) (f: float * float * float -> float) : Image =
        let values = globeValues view size f
        values |> colorGlobe options (Colormap.resolve options.Range values) size
