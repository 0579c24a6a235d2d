using System.Text.RegularExpressions;
using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests;

/// <summary>Dependencies run one way: Web → Scraping → Collectors → the Linux library. The last step is enforced by the
/// project references; within the executable, by this scan of the source text (a qualified name or a using of a layer
/// above is enough to fail).</summary>
[Trait("Category", "Unit")]
public sealed class DependencyDirectionTests
{
    [Theory]
    [InlineData("Collectors", "Scraping")]
    [InlineData("Collectors", "Web")]
    [InlineData("Scraping", "Web")]
    public void Folder_DoesNotReferToALayerAboveIt(string folder, string above)
    {
        string directory = Path.Combine(RepoPaths.Root, "src", "SocketExporter", folder);
        string[] files = Directory.GetFiles(directory, "*.cs");
        Assert.True(files.Length >= 5, $"{directory} has {files.Length} source files");
        var reference = new Regex($@"(using\s+SocketExporter\.{above}\s*;|\b(SocketExporter\.)?{above}\.[A-Z])");
        var offending = files
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Number: i + 1, Line: line)))
            .Where(l => !l.Line.TrimStart().StartsWith("//") && reference.IsMatch(l.Line))
            .Select(l => $"{l.File}:{l.Number}: {l.Line.Trim()}")
            .ToList();
        Assert.Empty(offending);
    }
}
