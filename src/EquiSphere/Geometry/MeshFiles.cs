using System.Diagnostics.CodeAnalysis;
using G = EquiSphere.Geometry;

namespace EquiSphere;

/// <summary>Where and why a mesh file could not be read.</summary>
/// <param name="File">The file path.</param>
/// <param name="Line">The 1-based line of a text file (or a binary file's text header), when known.</param>
/// <param name="ByteOffset">The 0-based byte offset into a binary file, when known.</param>
/// <param name="Message">What was expected and what was found.</param>
public sealed record MeshFileError(string File, int? Line, long? ByteOffset, string Message)
{
    /// <summary>"file, line 12: message", "file, byte offset 84: message" or "file: message".</summary>
    public override string ToString() =>
        Line is { } l ? $"{File}, line {l}: {Message}"
        : ByteOffset is { } o ? $"{File}, byte offset {o}: {Message}"
        : $"{File}: {Message}";

    internal static MeshFileError Of(G.MeshFormatError e) =>
        e.Location switch
        {
            G.MeshFileLocation.Line l => new MeshFileError(e.File, l.line, null, e.Message),
            G.MeshFileLocation.ByteOffset o => new MeshFileError(e.File, null, o.offset, e.Message),
            _ => new MeshFileError(e.File, null, null, e.Message),
        };
}

/// <summary>Thrown by <see cref="MeshFile.Load"/> when a file's content is malformed.</summary>
public sealed class MeshFileException : Exception
{
    /// <summary>Wraps a structured error.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="error"/> is null.</exception>
    public MeshFileException(MeshFileError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).ToString()) => Error = error;

    /// <summary>The structured error: file, line or byte offset, message.</summary>
    public MeshFileError Error { get; }
}

/// <summary>
/// Reads and writes meshes by path. Formats by extension (case-insensitive): .off, .obj, .ply (ASCII and binary),
/// .stl (ASCII and binary) and .ac (AC3D, read only); other extensions are recognized by content.
/// </summary>
public static class MeshFile
{
    /// <summary>Reads the mesh at <paramref name="path"/> (n-gons triangulated, STL vertices merged).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="MeshFileException">The content is malformed; the error names the line or byte offset.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Mesh Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            return new Mesh(G.MeshFile.read(path));
        }
        catch (G.MeshFormatException e)
        {
            throw new MeshFileException(MeshFileError.Of(e.Error));
        }
    }

    /// <summary>
    /// Tries to read the mesh at <paramref name="path"/>; on failure (malformed content, or a file that cannot be
    /// read) returns false with the error.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    public static bool TryLoad(string path, [NotNullWhen(true)] out Mesh? mesh, [NotNullWhen(false)] out MeshFileError? error)
    {
        ArgumentNullException.ThrowIfNull(path);
        var result = G.MeshFile.tryRead(path);
        if (result.IsOk)
        {
            mesh = new Mesh(result.ResultValue);
            error = null;
            return true;
        }

        mesh = null;
        error = MeshFileError.Of(result.ErrorValue);
        return false;
    }

    /// <summary>
    /// Writes <paramref name="mesh"/> to <paramref name="path"/> in the format of its extension (.off, .obj, .ply
    /// binary little-endian, .stl binary), atomically (temporary file, then move). Reading it back gives the same
    /// mesh (for STL: the same triangles, vertices merged by position).
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The extension is not .off, .obj, .ply or .stl.</exception>
    public static void Save(string path, Mesh mesh)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(mesh);
        G.MeshFile.write(path, mesh.Core);
    }
}
