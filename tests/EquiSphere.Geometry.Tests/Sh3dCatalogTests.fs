module Sh3dCatalogTests

open System
open System.IO
open System.IO.Compression
open System.Numerics
open System.Text
open Xunit
open EquiSphere.Geometry
open TestKit

[<Fact>]
let ``properties parse separators comments continuations and escapes`` () =
    let text =
        "# comment\n! also a comment\n\nid=SweetHome3D#Test\nname#1 = Arm\\u00e9chair\nkey\\=with\\:escapes: value\n"
        + "long#1=first \\\n    second\nspaced   value with blanks\ntabs\\tin=x\\ty\n"

    let p = JavaProperties.parse text
    Assert.Equal("SweetHome3D#Test", p["id"])
    Assert.Equal("Arméchair", p["name#1"])
    Assert.Equal("value", p["key=with:escapes"])
    Assert.Equal("first second", p["long#1"])
    Assert.Equal("value with blanks", p["spaced"])
    Assert.Equal("x\ty", p["tabs\tin"])

[<Fact>]
let ``properties keys and values written escaped parse back`` () =
    property 100 (fun (seed: int) ->
        let rng = Random seed
        let alphabet = "ab=: \\#!x\té"

        let word n =
            String(Array.init n (fun _ -> alphabet[rng.Next alphabet.Length]))

        let key = "k" + word (rng.Next 6)
        let value = word (rng.Next 8) + "v"

        let escape (s: string) =
            s
                .Replace("\\", "\\\\")
                .Replace("=", "\\=")
                .Replace(":", "\\:")
                .Replace(" ", "\\ ")
                .Replace("\t", "\\t")
                .Replace("#", "\\#")
                .Replace("!", "\\!")

        let p = JavaProperties.parse ("# header\n" + escape key + "=" + escape value + "\n")
        Assert.Equal(value, p[key]))

let private catalogZip (rotation: string) =
    use ms = new MemoryStream()

    do
        use zip = new ZipArchive(ms, ZipArchiveMode.Create, true)

        let add (name: string) (content: string) (encoding: Encoding) =
            use w = new StreamWriter(zip.CreateEntry(name).Open(), encoding)
            w.Write content

        add
            "PluginFurnitureCatalog.properties"
            ("license=CC-BY\nid#1=T#chair\nname#1=Chair\ncategory#1=Living room\nmodel#1=/t/chair.obj\ncreator#1=Someone\n"
             + rotation
             + "name#2=No model\n")
            Encoding.Latin1

        add "t/chair.obj" "v 0 0 1\nv 1 0 1\nv 0 1 1\nf 1 2 3\n" (UTF8Encoding false)

    ms.ToArray()

[<Fact>]
let ``catalog pieces are listed with their model and rotation and the model reads with it applied`` () =
    use zip =
        new ZipArchive(new MemoryStream(catalogZip "modelRotation#1=1 0 0 0 0 1 0 -1 0\n"), ZipArchiveMode.Read)

    let props = Sh3dCatalog.readProperties "test.sh3f" zip
    let pieces = Sh3dCatalog.pieces "test.sh3f" props
    Assert.Equal("CC-BY", Sh3dCatalog.license props)
    Assert.Equal(1, pieces.Length)
    let p = pieces[0]
    Assert.Equal("t/chair.obj", p.Model)
    Assert.Equal("Someone", p.Creator)
    Assert.Equal("Chair", p.Name)
    let m = Sh3dCatalog.readModel "test.sh3f" zip p
    // M = [[1, 0, 0], [0, 0, 1], [0, -1, 0]] maps (x, y, z) to (x, z, -y): z-up models become y-up.
    Assert.Equal<Vector3>(
        [|
            Vector3(0.0f, 1.0f, 0.0f)
            Vector3(1.0f, 1.0f, 0.0f)
            Vector3(0.0f, 1.0f, -1.0f)
        |],
        m.Vertices
    )

[<Fact>]
let ``catalog pieces without a rotation get the identity and a bad rotation is a located error`` () =
    use zip = new ZipArchive(new MemoryStream(catalogZip ""), ZipArchiveMode.Read)

    let pieces =
        Sh3dCatalog.pieces "test.sh3f" (Sh3dCatalog.readProperties "test.sh3f" zip)

    Assert.Equal<float32>([| 1.0f; 0.0f; 0.0f; 0.0f; 1.0f; 0.0f; 0.0f; 0.0f; 1.0f |], pieces[0].ModelRotation)

    use bad =
        new ZipArchive(new MemoryStream(catalogZip "modelRotation#1=1 0 0\n"), ZipArchiveMode.Read)

    let e =
        Assert.Throws<MeshFormatException>(fun () ->
            Sh3dCatalog.pieces "bad.sh3f" (Sh3dCatalog.readProperties "bad.sh3f" bad)
            |> ignore)

    Assert.Contains("modelRotation#1", e.Message)
    Assert.Equal("bad.sh3f", e.File)

[<Fact>]
let ``transformLinear by a rotation matrix matches Mesh rotate`` () =
    property 50 (fun (seed: int) ->
        let rng = Random seed
        let m = MeshFileTests.randomMesh rng

        let r =
            EquiSphere.Harmonics.Rotation.ofEulerZyz (rng.NextDouble() * 6.0) (rng.NextDouble() * 3.0) (rng.NextDouble() * 6.0)

        let matrix = EquiSphere.Harmonics.Rotation.toMatrix r
        let rowMajor = Array.init 9 (fun k -> float32 matrix[k / 3, k % 3])
        let a = Mesh.transformLinear rowMajor m
        let b = Mesh.rotate r m

        let flat (mesh: Mesh) =
            mesh.Vertices |> Array.collect (fun v -> [| float v.X; float v.Y; float v.Z |])

        closeTo "vertices" Tol.f32 (flat b) (flat a))
