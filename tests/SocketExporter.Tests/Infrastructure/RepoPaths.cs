using System.Runtime.CompilerServices;

namespace SocketExporter.Tests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The repository root, found from this source file's path (fixtures are read in place, never copied).</summary>
    public static string Root { get; } = FindRoot();

    public static string Helper(string name) => Path.Combine(Root, "tests", "SocketExporter.Tests", "Helpers", name);

    /// <summary>The exporter as built next to the test assembly (a referenced executable project is copied there).</summary>
    public static string ExporterDll => Path.Combine(AppContext.BaseDirectory, "socket_exporter.dll");

    private static string FindRoot([CallerFilePath] string thisFile = "")
    {
        string? dir = Path.GetDirectoryName(thisFile);
        while (dir is not null && !File.Exists(Path.Combine(dir, "SocketExporter.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("SocketExporter.sln not found above " + thisFile);
    }
}
