namespace EquiSphere.Geometry

open System
open System.Numerics

/// The procedural shape categories. Each is built from parametric parts and has an asymmetric feature, so that no
/// rotation other than the identity maps an instance onto itself (relative pose is unique).
type ShapeCategory =
    /// Fuselage with a pointed nose (+z) and an up-swept tail, swept wings, tail planes and a single vertical fin.
    | Airplane
    /// Body with a sloped hood (+z), a cabin set back toward the rear, four wheels and a rear spoiler.
    | Car
    /// Seat on four legs, a tilted backrest at −z and a single armrest on the +x side.
    | Chair
    /// Base, seat cushions, backrest at −z, two arms and a side cushion against the +x arm.
    | Sofa
    /// Top on four legs with a drawer block under the +x side and a knob on its front (+z).
    | Table
    /// Round base with a switch at the front, a pole set toward −x and an offset arm toward +x holding a shade.
    | Lamp

/// Procedural, seeded generation of shape instances. Canonical frame (DESIGN.md): y up, front toward +z, x to the
/// object's right as seen from the front. Instances are centered on their bounding-box center and scaled so the
/// farthest vertex lies on the unit sphere. Law: `generate c seed spread` is a pure function of (c, seed, spread).
[<RequireQualifiedAccess>]
module Shapes =

    /// All categories, in label order (label i = index in this array).
    let all = [| Airplane; Car; Chair; Sofa; Table; Lamp |]

    /// The lower-case name of a category ("airplane", "car", ...).
    let name (c: ShapeCategory) =
        match c with
        | Airplane -> "airplane"
        | Car -> "car"
        | Chair -> "chair"
        | Sofa -> "sofa"
        | Table -> "table"
        | Lamp -> "lamp"

    /// The class label of a category: its index in `all`.
    let label (c: ShapeCategory) = Array.IndexOf(all, c)

    /// The category of a name (case-insensitive), or None.
    let tryParse (s: string) =
        if isNull s then
            None
        else
            all |> Array.tryFind (fun c -> name c = s.Trim().ToLowerInvariant())

    /// The category of a name (case-insensitive); throws naming the valid names.
    let parse (s: string) =
        match tryParse s with
        | Some c -> c
        | None -> invalidArg (nameof s) (sprintf "Expected a shape category (%s), got '%s'" (all |> Array.map name |> String.concat ", ") s)

    /// Draws parameters: `vary base range` is uniform in base ± spread·range; `chance p` is true with probability
    /// spread·p. Both always consume exactly one draw, so the parameter sequence is stable across spreads.
    type private Knobs(rng: Random, spread: float) =
        member _.Vary(baseValue: float, range: float) =
            float32 (baseValue + spread * range * (2.0 * rng.NextDouble() - 1.0))

        member _.Chance(p: float) = rng.NextDouble() < spread * p

    let private v3 (x: float32) (y: float32) (z: float32) = Vector3(x, y, z)

    let private chair (k: Knobs) =
        let w = k.Vary(0.46, 0.10)
        let d = k.Vary(0.44, 0.08)
        let h = k.Vary(0.45, 0.07)
        let t = k.Vary(0.05, 0.02)
        let backH = k.Vary(0.45, 0.15)
        let tilt = k.Vary(0.12, 0.10)
        let leg = k.Vary(0.04, 0.015)
        let roundLegs = k.Chance 0.5
        let armH = k.Vary(0.22, 0.05)

        let legAt (x: float32) (z: float32) =
            if roundLegs then
                Primitive.cylinder 10 (v3 x 0.0f z) (v3 x (h - t) z) (leg / 2.0f)
            else
                Primitive.boxAt (v3 x ((h - t) / 2.0f) z) (v3 leg (h - t) leg)

        let lx, lz = w / 2.0f - leg, d / 2.0f - leg

        Primitive.merge
            [
                Primitive.box (v3 (-w / 2.0f) (h - t) (-d / 2.0f)) (v3 (w / 2.0f) h (d / 2.0f))
                legAt -lx -lz
                legAt lx -lz
                legAt -lx lz
                legAt lx lz
                Primitive.box (v3 (-w / 2.0f) h (-d / 2.0f)) (v3 (w / 2.0f) (h + backH) (-d / 2.0f + 0.04f))
                |> Primitive.rotateAbout (v3 0.0f h (-d / 2.0f)) Vector3.UnitX -tilt
                Primitive.boxAt (v3 (w / 2.0f - 0.02f) (h + armH / 2.0f) (d / 4.0f)) (v3 0.03f armH 0.03f)
                Primitive.box (v3 (w / 2.0f - 0.05f) (h + armH) (-d / 2.0f)) (v3 (w / 2.0f + 0.01f) (h + armH + 0.03f) (d / 2.0f))
            ]

    let private table (k: Knobs) =
        let w = k.Vary(1.1, 0.3)
        let d = k.Vary(0.7, 0.15)
        let h = k.Vary(0.74, 0.08)
        let t = k.Vary(0.04, 0.015)
        let leg = k.Vary(0.06, 0.025)
        let inset = k.Vary(0.05, 0.03)
        let drawerW = w * k.Vary(0.42, 0.08)
        let drawerH = k.Vary(0.2, 0.05)
        let roundLegs = k.Chance 0.5
        let lx, lz = w / 2.0f - inset - leg / 2.0f, d / 2.0f - inset - leg / 2.0f

        let legAt (x: float32) (z: float32) =
            if roundLegs then
                Primitive.cylinder 10 (v3 x 0.0f z) (v3 x (h - t) z) (leg / 2.0f)
            else
                Primitive.boxAt (v3 x ((h - t) / 2.0f) z) (v3 leg (h - t) leg)

        let x1 = w / 2.0f - inset
        let front = d / 2.0f - inset + 0.01f

        Primitive.merge
            [
                Primitive.box (v3 (-w / 2.0f) (h - t) (-d / 2.0f)) (v3 (w / 2.0f) h (d / 2.0f))
                legAt -lx -lz
                legAt lx -lz
                legAt -lx lz
                legAt lx lz
                Primitive.box (v3 (x1 - drawerW) (h - t - drawerH) (-d / 2.0f + inset)) (v3 x1 (h - t) front)
                Primitive.ellipsoid 10 (v3 (x1 - drawerW / 2.0f) (h - t - drawerH / 2.0f) (front + 0.015f)) (v3 0.03f 0.03f 0.025f)
            ]

    let private lamp (k: Knobs) =
        let baseR = k.Vary(0.15, 0.04)
        let baseH = k.Vary(0.035, 0.01)
        let poleX = -baseR * k.Vary(0.4, 0.2)
        let poleH = k.Vary(0.55, 0.15)
        let poleR = k.Vary(0.014, 0.004)
        let armX = k.Vary(0.32, 0.1)
        let armY = k.Vary(0.1, 0.08)
        let shadeH = k.Vary(0.16, 0.04)
        let shadeR = k.Vary(0.12, 0.03)
        let tilt = k.Vary(0.25, 0.2)
        let top = v3 poleX poleH 0.0f
        let tip = v3 (poleX + armX) (poleH + armY) 0.0f

        let shadeBottom =
            tip
            + v3 (shadeH * float32 (sin (float tilt))) (-shadeH * float32 (cos (float tilt))) 0.0f

        Primitive.merge
            [
                Primitive.lathe 20 Vector3.Zero [ (baseR, 0.0f); (baseR, baseH * 0.6f); (baseR * 0.85f, baseH) ]
                Primitive.boxAt (v3 0.0f (baseH + 0.01f) (baseR * 0.6f)) (v3 0.04f 0.02f 0.03f)
                Primitive.cylinder 10 (v3 poleX 0.0f 0.0f) top poleR
                Primitive.cylinder 8 top tip (poleR * 0.8f)
                Primitive.frustum 16 tip shadeBottom (shadeR * 0.35f) shadeR
            ]

    let private sofa (k: Knobs) =
        let l = k.Vary(2.0, 0.4)
        let d = k.Vary(0.9, 0.1)
        let seatH = k.Vary(0.43, 0.05)
        let backH = k.Vary(0.85, 0.1)
        let armH = k.Vary(0.6, 0.06)
        let armW = k.Vary(0.18, 0.05)
        let backT = k.Vary(0.2, 0.05)
        let cushions = if k.Chance 0.5 then 2 else 3
        let pillowR = k.Vary(0.2, 0.04)
        let foot = 0.08f
        let inner = l - 2.0f * armW
        let cw = inner / float32 cushions

        Primitive.merge
            [
                yield Primitive.box (v3 (-l / 2.0f) foot (-d / 2.0f)) (v3 (l / 2.0f) (seatH - 0.12f) (d / 2.0f))
                for i in 0 .. cushions - 1 do
                    let x0 = -inner / 2.0f + cw * float32 i

                    yield Primitive.box (v3 (x0 + 0.01f) (seatH - 0.12f) (-d / 2.0f + backT)) (v3 (x0 + cw - 0.01f) seatH (d / 2.0f))
                yield Primitive.box (v3 (-inner / 2.0f) foot (-d / 2.0f)) (v3 (inner / 2.0f) backH (-d / 2.0f + backT))
                yield Primitive.box (v3 (-l / 2.0f) foot (-d / 2.0f)) (v3 (-l / 2.0f + armW) armH (d / 2.0f))
                yield Primitive.box (v3 (l / 2.0f - armW) foot (-d / 2.0f)) (v3 (l / 2.0f) armH (d / 2.0f))
                for x in [ -l / 2.0f + 0.05f; l / 2.0f - 0.05f ] do
                    for z in [ -d / 2.0f + 0.05f; d / 2.0f - 0.05f ] do
                        yield Primitive.boxAt (v3 x (foot / 2.0f) z) (v3 0.06f foot 0.06f)
                yield
                    Primitive.ellipsoid
                        14
                        (v3 (inner / 2.0f - pillowR * 0.5f) (seatH + pillowR * 0.9f) (-d / 2.0f + backT + pillowR * 0.8f))
                        (v3 (pillowR * 0.45f) pillowR pillowR)
                    |> Primitive.rotateAbout (v3 (inner / 2.0f) seatH 0.0f) Vector3.UnitZ 0.3f
            ]

    let private car (k: Knobs) =
        let l = k.Vary(4.2, 0.5)
        let w = k.Vary(1.8, 0.15)
        let wheelR = k.Vary(0.33, 0.04)
        let clearance = wheelR * 0.7f
        let h = k.Vary(0.65, 0.1)
        let cabinH = k.Vary(0.55, 0.1)
        let cabinBack = -l / 2.0f + k.Vary(0.35, 0.2)
        let cabinFront = l * k.Vary(0.12, 0.08)
        let hoodDrop = k.Vary(0.35, 0.1)
        let wheelBase = l / 2.0f - k.Vary(0.8, 0.15)
        let spoilerH = k.Vary(0.16, 0.05)
        let c = clearance
        let top = c + h

        let body =
            Primitive.prismX
                [|
                    Vector2(-l / 2.0f, c)
                    Vector2(l / 2.0f, c)
                    Vector2(l / 2.0f, c + h * (1.0f - hoodDrop))
                    Vector2(l / 2.0f - 0.5f, top)
                    Vector2(-l / 2.0f + 0.1f, top)
                    Vector2(-l / 2.0f, top - 0.1f)
                |]
                (-w / 2.0f)
                (w / 2.0f)

        let cabin =
            Primitive.prismX
                [|
                    Vector2(cabinBack, top)
                    Vector2(cabinFront, top)
                    Vector2(cabinFront - cabinH * 1.1f, top + cabinH)
                    Vector2(cabinBack + cabinH * 0.4f, top + cabinH)
                |]
                (-w / 2.0f + 0.08f)
                (w / 2.0f - 0.08f)

        let wheel (x: float32) (z: float32) =
            let s = if x > 0.0f then 1.0f else -1.0f
            Primitive.cylinder 14 (v3 (x - s * 0.25f) wheelR z) (v3 (x + s * 0.02f) wheelR z) wheelR

        let sz = -l / 2.0f + 0.2f

        Primitive.merge
            [
                body
                cabin
                wheel (w / 2.0f) wheelBase
                wheel (-w / 2.0f) wheelBase
                wheel (w / 2.0f) -wheelBase
                wheel (-w / 2.0f) -wheelBase
                Primitive.boxAt (v3 (-0.5f) (top + spoilerH / 2.0f) sz) (v3 0.05f spoilerH 0.08f)
                Primitive.boxAt (v3 0.5f (top + spoilerH / 2.0f) sz) (v3 0.05f spoilerH 0.08f)
                Primitive.box
                    (v3 (-w / 2.0f + 0.1f) (top + spoilerH) (sz - 0.15f))
                    (v3 (w / 2.0f - 0.1f) (top + spoilerH + 0.04f) (sz + 0.12f))
            ]

    let private airplane (k: Knobs) =
        let len = k.Vary(1.0, 0.15)
        let r = k.Vary(0.06, 0.015)
        let span = k.Vary(0.95, 0.25)
        let chord = k.Vary(0.2, 0.05)
        let sweepBack = k.Vary(0.15, 0.1)
        let taper = k.Vary(0.45, 0.15)
        let dihedral = k.Vary(0.04, 0.04)
        let wingZ = k.Vary(0.05, 0.06)
        let finH = k.Vary(0.16, 0.04)
        let tailSpan = k.Vary(0.3, 0.08)
        let engines = not (k.Chance 0.5)
        let half = len / 2.0f

        let ring (z: float32) (radius: float32) (y: float32) =
            Primitive.ellipse 14 (v3 0.0f y z) Vector3.UnitX Vector3.UnitY radius radius

        let fuselage =
            Primitive.sweep
                [
                    ring half 0.0f (-r * 0.2f)
                    ring (half - 0.04f) (r * 0.55f) (-r * 0.1f)
                    ring (half - 0.12f) (r * 0.92f) 0.0f
                    ring (half - 0.25f) r 0.0f
                    ring (-half + 0.3f) r 0.0f
                    ring (-half + 0.08f) (r * 0.45f) (r * 0.35f)
                    ring -half (r * 0.2f) (r * 0.55f)
                ]

        let wing (s: float32) =
            Primitive.slab
                (v3 0.0f (-r * 0.3f) wingZ)
                chord
                0.025f
                (v3 (s * span / 2.0f) (-r * 0.3f + dihedral) (wingZ - sweepBack))
                (chord * taper)
                0.012f
                Vector3.UnitY

        let tail (s: float32) =
            Primitive.slab
                (v3 0.0f (r * 0.3f) (-half + 0.1f))
                0.11f
                0.015f
                (v3 (s * tailSpan / 2.0f) (r * 0.35f) (-half + 0.04f))
                0.05f
                0.008f
                Vector3.UnitY

        let fin =
            Primitive.slab
                (v3 0.0f (r * 0.5f) (-half + 0.12f))
                0.16f
                0.015f
                (v3 0.0f (r * 0.5f + finH) (-half + 0.02f))
                0.06f
                0.008f
                Vector3.UnitX

        let engine (s: float32) =
            let x = s * span * 0.18f
            let z = wingZ - sweepBack * 0.36f
            Primitive.cylinder 12 (v3 x (-r * 0.9f) (z + 0.1f)) (v3 x (-r * 0.9f) (z - 0.08f)) (r * 0.45f)

        Primitive.merge
            [
                yield fuselage
                yield wing 1.0f
                yield wing -1.0f
                yield tail 1.0f
                yield tail -1.0f
                yield fin
                if engines then
                    yield engine 1.0f
                    yield engine -1.0f
            ]

    /// The instance `seed` of category `c` with intra-class variation `spread` in [0, 1] (0: every seed gives the
    /// category's template; 1: full variety). Deterministic: same (c, seed, spread), same mesh. The mesh is
    /// validated (`Mesh.create`), centered on its bounding-box center and scaled into the unit ball (farthest
    /// vertex at distance 1).
    let generate (c: ShapeCategory) (seed: int) (spread: float) : Mesh =
        if not (spread >= 0.0 && spread <= 1.0) then
            invalidArg (nameof spread) (sprintf "Expected a spread in [0, 1], got %g" spread)

        let k = Knobs(Random(Seeds.mix (label c + 1) seed), spread)

        let raw =
            match c with
            | Airplane -> airplane k
            | Car -> car k
            | Chair -> chair k
            | Sofa -> sofa k
            | Table -> table k
            | Lamp -> lamp k

        Mesh.create raw.Vertices raw.Faces |> Mesh.normalize BoundingBoxCenter 1.0f
