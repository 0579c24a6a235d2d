namespace SocketExporter.Fuzz;

/// <summary>
/// One parser under fuzzing. <paramref name="Run"/> feeds it the input and returns normally for every outcome the
/// parser's contract allows: a value, a false/ParseError, a counted bad line, or the documented exception of a
/// configuration mistake (caught inside Run). Anything that escapes Run is a crash: afl-fuzz saves the input.
/// </summary>
/// <param name="Seeds">Paths relative to the repository root, files or folders (every file inside), that start the corpus.</param>
/// <param name="SeedsAreLinks">The seed files are symlinks whose targets are the inputs (the fixtures' proc/PID/fd/N).</param>
public sealed record FuzzTarget(string Name, string[] Seeds, Action<byte[]> Run, bool SeedsAreLinks = false);
