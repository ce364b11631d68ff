namespace EquiSphere.Tensor

open System
open System.IO
open System.Text

/// Atomic file writes, shared by every writer of checkpoints, datasets, meshes and images: the content goes to a
/// temporary file in the target's folder (created if missing), is flushed to disk, then moved over the target, so a
/// reader never sees a half-written file and a failed write leaves the old file untouched.
[<RequireQualifiedAccess>]
module AtomicFile =

    /// Writes `path` atomically with `write` filling the stream; on any error the temporary file is deleted and the
    /// exception propagates.
    let writeWith (path: string) (write: Stream -> unit) =
        if isNull path then
            nullArg (nameof path)

        let full = Path.GetFullPath path
        let dir = Path.GetDirectoryName full

        if not (String.IsNullOrEmpty dir) then
            Directory.CreateDirectory dir |> ignore

        let tmp =
            Path.Combine(dir, sprintf ".%s.%s.tmp" (Path.GetFileName full) (Guid.NewGuid().ToString "N"))

        try
            do
                use fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None)
                write fs
                fs.Flush true

            File.Move(tmp, full, true)
        finally
            if File.Exists tmp then
                File.Delete tmp

    /// Writes `bytes` to `path` atomically.
    let writeAllBytes (path: string) (bytes: byte[]) =
        if isNull bytes then
            nullArg (nameof bytes)

        writeWith path (fun s -> s.Write(bytes, 0, bytes.Length))

    /// Writes `text` to `path` atomically as UTF-8 without a byte-order mark.
    let writeAllText (path: string) (text: string) =
        if isNull text then
            nullArg (nameof text)

        writeAllBytes path (UTF8Encoding(false).GetBytes text)
