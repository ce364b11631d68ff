namespace EquiSphere.Geometry

open System
open System.Collections.Generic
open System.Text

/// Java `.properties` files (as Sweet Home 3D furniture catalogs use them): `key=value`, `key: value` or
/// `key value` lines, `#`/`!` comments, backslash line continuations and escapes (`\t`, `\n`, `\uXXXX`, `\=` …).
[<RequireQualifiedAccess>]
module JavaProperties =

    let private unescape (s: string) =
        let sb = StringBuilder(s.Length)
        let mutable i = 0

        while i < s.Length do
            let c = s[i]

            if c = '\\' && i + 1 < s.Length then
                let n = s[i + 1]
                i <- i + 2

                match n with
                | 't' -> sb.Append '\t' |> ignore
                | 'n' -> sb.Append '\n' |> ignore
                | 'r' -> sb.Append '\r' |> ignore
                | 'f' -> sb.Append '\f' |> ignore
                | 'u' when i + 4 <= s.Length ->
                    let mutable code = 0

                    if
                        Int32.TryParse(
                            s.AsSpan(i, 4),
                            Globalization.NumberStyles.HexNumber,
                            Globalization.CultureInfo.InvariantCulture,
                            &code
                        )
                    then
                        sb.Append(char code) |> ignore
                        i <- i + 4
                    else
                        sb.Append 'u' |> ignore
                | other -> sb.Append other |> ignore
            else
                sb.Append c |> ignore
                i <- i + 1

        sb.ToString()

    /// Logical lines: physical lines joined where a line ends with an odd number of backslashes (the next line's
    /// leading blanks dropped); comment and blank lines removed.
    let private logicalLines (text: string) =
        let physical = text.Replace("\r\n", "\n").Split([| '\n'; '\r' |])
        let result = ResizeArray<string>()
        let current = StringBuilder()
        let mutable continuing = false

        for raw in physical do
            let line = raw.TrimStart([| ' '; '\t'; '\f' |])

            if not continuing && (line.Length = 0 || line[0] = '#' || line[0] = '!') then
                ()
            else
                let mutable slashes = 0

                while slashes < line.Length && line[line.Length - 1 - slashes] = '\\' do
                    slashes <- slashes + 1

                if slashes % 2 = 1 then
                    current.Append(line, 0, line.Length - 1) |> ignore
                    continuing <- true
                else
                    current.Append line |> ignore
                    result.Add(current.ToString())
                    current.Clear() |> ignore
                    continuing <- false

        if current.Length > 0 then
            result.Add(current.ToString())

        result

    /// The key/value pairs of a properties text (later keys win). Law: a key written as `k=v` with `=`, `:`, blanks
    /// and backslashes escaped in k parses back to (k, v).
    let parse (text: string) : IReadOnlyDictionary<string, string> =
        if isNull text then
            nullArg (nameof text)

        let map = Dictionary<string, string>()

        for line in logicalLines text do
            // The key ends at the first unescaped '=', ':' or blank.
            let mutable i = 0
            let mutable fin = false

            while not fin && i < line.Length do
                match line[i] with
                | '\\' -> i <- i + 2
                | '='
                | ':'
                | ' '
                | '\t'
                | '\f' -> fin <- true
                | _ -> i <- i + 1

            let keyEnd = min i line.Length
            let mutable j = keyEnd

            while j < line.Length && (line[j] = ' ' || line[j] = '\t' || line[j] = '\f') do
                j <- j + 1

            if j < line.Length && (line[j] = '=' || line[j] = ':') then
                j <- j + 1

            while j < line.Length && (line[j] = ' ' || line[j] = '\t' || line[j] = '\f') do
                j <- j + 1

            map[unescape (line.Substring(0, keyEnd))] <- unescape (line.Substring j)

        map :> IReadOnlyDictionary<string, string>
