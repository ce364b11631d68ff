using System.Numerics;
using Xunit;

namespace EquiSphere.Tests;

public sealed class GeometryMeshFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("equisphere-cs-meshfile");

    public void Dispose() => _dir.Delete(true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static Mesh Tetrahedron() =>
        new(
            new[] { new Vector3(0, 0, 0), new Vector3(1, 0, 0), new Vector3(0, 1, 0), new Vector3(0, 0, 1) },
            new[] { 0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3 });

    private static Mesh RandomMesh(int seed)
    {
        var rng = new Random(seed);
        var n = rng.Next(4, 20);
        var coords = Enumerable.Range(0, 3 * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var tris = new List<int>();
        for (var t = 0; t < rng.Next(1, 30); t++)
        {
            var a = rng.Next(n);
            var b = (a + 1 + rng.Next(n - 1)) % n;
            var c = rng.Next(n);
            while (c == a || c == b) c = rng.Next(n);
            tris.AddRange(new[] { a, b, c });
        }

        return new Mesh(coords, tris.ToArray());
    }

    [Fact]
    public void Load_after_Save_is_identity_for_off_obj_and_ply()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var mesh = RandomMesh(seed);
            foreach (var ext in new[] { ".off", ".obj", ".PLY" })
            {
                var path = PathOf("m" + ext);
                MeshFile.Save(path, mesh);
                var back = MeshFile.Load(path);
                Assert.Equal(mesh.ToVertexArray(), back.ToVertexArray());
                Assert.Equal(mesh.ToTriangleArray(), back.ToTriangleArray());
            }
        }
    }

    [Fact]
    public void Load_after_Save_keeps_the_triangles_of_an_stl()
    {
        var mesh = Tetrahedron();
        var path = PathOf("t.stl");
        MeshFile.Save(path, mesh);
        var back = MeshFile.Load(path);
        Assert.Equal(4, back.VertexCount);
        Assert.Equal(4, back.TriangleCount);
        var corners = (Mesh m) => m.ToTriangleArray().Select(i => m.Vertices[i]).ToArray();
        Assert.Equal(corners(mesh), corners(back));
    }

    [Fact]
    public void Load_of_malformed_content_throws_with_file_and_line()
    {
        var path = PathOf("bad.off");
        File.WriteAllText(path, "OFF\n3 1 0\n0 0 0\n1 0 0\n0 one 0\n3 0 1 2\n");
        var e = Assert.Throws<MeshFileException>(() => MeshFile.Load(path));
        Assert.Equal(5, e.Error.Line);
        Assert.Null(e.Error.ByteOffset);
        Assert.Equal(path, e.Error.File);
        Assert.Contains("line 5", e.Message);
    }

    [Fact]
    public void TryLoad_reports_success_and_failure_without_throwing()
    {
        var good = PathOf("good.obj");
        MeshFile.Save(good, Tetrahedron());
        Assert.True(MeshFile.TryLoad(good, out var mesh, out var error));
        Assert.NotNull(mesh);
        Assert.Null(error);
        Assert.Equal(4, mesh.TriangleCount);

        var truncated = PathOf("cut.stl");
        var bytes = new byte[90];
        bytes[80] = 5; // claims 5 triangles (84 + 250 bytes) in a 90-byte file
        File.WriteAllBytes(truncated, bytes);
        Assert.False(MeshFile.TryLoad(truncated, out mesh, out error));
        Assert.Null(mesh);
        Assert.NotNull(error);
        Assert.Equal(80L, error.ByteOffset);

        Assert.False(MeshFile.TryLoad(PathOf("missing.ply"), out _, out error));
        Assert.Contains("Could not read", error!.Message);
    }

    [Fact]
    public void Save_refuses_unknown_extensions_and_nulls()
    {
        Assert.Throws<ArgumentException>(() => MeshFile.Save(PathOf("m.ac"), Tetrahedron()));
        Assert.Throws<ArgumentNullException>(() => MeshFile.Save(null!, Tetrahedron()));
        Assert.Throws<ArgumentNullException>(() => MeshFile.Save(PathOf("m.off"), null!));
        Assert.Throws<ArgumentNullException>(() => MeshFile.Load(null!));
        Assert.Throws<ArgumentNullException>(() => MeshFile.TryLoad(null!, out _, out _));
    }

    [Fact]
    public void Mesh_views_and_copies_agree_with_the_input()
    {
        var coords = new float[] { 0, 0, 0, 1, 0, 0, 0, 1, 0 };
        var mesh = new Mesh(coords, new[] { 0, 1, 2 });
        Assert.Equal(3, mesh.VertexCount);
        Assert.Equal(1, mesh.TriangleCount);
        Assert.Equal(coords, mesh.ToCoordinateArray());
        Assert.Equal(new[] { 0, 1, 2 }, mesh.Triangles.ToArray());
        Assert.Equal(new Vector3(1, 0, 0), mesh.Vertices[1]);
        Assert.Equal(mesh.Vertices.ToArray(), mesh.ToVertexArray());
    }

    [Fact]
    public void Mesh_constructors_validate_their_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => new Mesh((float[])null!, new int[0]));
        Assert.Throws<ArgumentNullException>(() => new Mesh(new Vector3[0], null!));
        Assert.Throws<ArgumentException>(() => new Mesh(new float[] { 0, 0 }, new int[0]));
        Assert.Throws<ArgumentException>(() => new Mesh(new Vector3[3], new[] { 0, 1 }));
        Assert.Throws<ArgumentException>(() => new Mesh(new Vector3[3], new[] { 0, 1, 5 }));
        Assert.Throws<ArgumentException>(() => new Mesh(new[] { new Vector3(float.NaN, 0, 0) }, new int[0]));
    }

    [Fact]
    public void Normalize_puts_the_farthest_vertex_at_the_radius()
    {
        var mesh = RandomMesh(5).Normalize(2.0f);
        var far = mesh.ToVertexArray().Max(v => v.Length());
        Assert.InRange(far, 2.0f - 1e-5f, 2.0f + 1e-5f);
        Assert.Throws<ArgumentException>(() => mesh.Normalize(0.0f));
    }

    [Fact]
    public void MeshFileException_carries_its_error()
    {
        var error = new MeshFileError("f.ply", null, 12L, "Expected more");
        var e = new MeshFileException(error);
        Assert.Same(error, e.Error);
        Assert.Equal("f.ply, byte offset 12: Expected more", e.Message);
        Assert.Equal("f.ply: Expected more", (error with { ByteOffset = null }).ToString());
        Assert.Throws<ArgumentNullException>(() => new MeshFileException(null!));
    }
}
