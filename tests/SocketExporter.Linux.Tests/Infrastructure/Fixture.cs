using System.Globalization;
using System.Runtime.CompilerServices;

namespace SocketExporter.Linux.Tests.Infrastructure;

/// <summary>
/// Locates Fixtures/ in the source tree (never in bin/: proc/*/fd/* are symlinks, most of them dangling, and
/// MSBuild would dereference them). The folder is found from this file's compile-time path.
/// </summary>
public static class Fixture
{
    public static string Root { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public static byte[] ReadBytes(string relative) => File.ReadAllBytes(Path(relative));

    public static string ReadText(string relative) => File.ReadAllText(Path(relative));

    /// <summary>The recv() chunk sizes recorded in netlink/NAME.txt ("chunk byte lengths: 1116, 20").</summary>
    public static int[] NetlinkChunkSizes(string name)
    {
        const string prefix = "chunk byte lengths:";
        foreach (string line in File.ReadLines(Path($"netlink/{name}.txt")))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            return line[prefix.Length..]
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
                .ToArray();
        }
        throw new InvalidOperationException($"netlink/{name}.txt has no '{prefix}' line");
    }

    /// <summary>The 72 request bytes recorded in netlink/NAME.txt ("request bytes (72): 4800...").</summary>
    public static byte[] NetlinkRequestBytes(string name)
    {
        const string prefix = "request bytes (72): ";
        foreach (string line in File.ReadLines(Path($"netlink/{name}.txt")))
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return Convert.FromHexString(line[prefix.Length..].Trim());
        throw new InvalidOperationException($"netlink/{name}.txt has no '{prefix}' line");
    }

    private static string FindRoot([CallerFilePath] string thisFile = "")
    {
        // Infrastructure/Fixture.cs -> the test project's folder -> Fixtures/
        string? project = System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(thisFile));
        string candidate = System.IO.Path.Combine(project ?? "", "Fixtures");
        if (Directory.Exists(candidate))
            return candidate;
        throw new DirectoryNotFoundException($"Fixtures/ not found next to {thisFile}; the tests read fixtures from the source tree");
    }
}
