using System.Text;

namespace SocketExporter.Fuzz;

/// <summary>Copies a target's seeds (fixtures and tools/fuzz/seeds) into the folder afl-fuzz starts from.</summary>
internal static class SeedCorpus
{
    public static int Write(FuzzTarget target, string directory)
    {
        Directory.CreateDirectory(directory);
        int count = 0;
        foreach (string seed in target.Seeds)
        {
            IEnumerable<string> files = Directory.Exists(seed)
                // Sub-folders (netlink/destroy) are other targets' seeds; fd fixtures are links, kept even when they name a folder.
                ? Directory.EnumerateFileSystemEntries(seed).Where(f => !f.EndsWith(".txt", StringComparison.Ordinal) && !f.EndsWith(".md", StringComparison.Ordinal)
                    && (target.SeedsAreLinks || !Directory.Exists(f)))
                : [seed];
            foreach (string file in files.Order(StringComparer.Ordinal))
            {
                // fd fixtures are symlinks (most dangling): the input is the link text, as readlinkat returns it.
                byte[] bytes = target.SeedsAreLinks
                    ? Encoding.UTF8.GetBytes(new FileInfo(file).LinkTarget ?? throw new InvalidOperationException($"{file} is not a symlink"))
                    : File.ReadAllBytes(file);
                string name = file.Replace('/', '_');
                File.WriteAllBytes(Path.Combine(directory, name), bytes);
                count++;
            }
        }
        return count;
    }
}
