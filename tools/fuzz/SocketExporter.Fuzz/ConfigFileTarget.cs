using SocketExporter.Configuration;

namespace SocketExporter.Fuzz;

/// <summary>
/// --config.file takes a path, and reading it (a regular file, capped) is part of what is fuzzed: each input is
/// written to a file on tmpfs (/dev/shm) and applied from there; scripts/fuzz.sh removes the files afterwards.
/// </summary>
internal static class ConfigFileTarget
{
    private static readonly string Path = $"/dev/shm/socket-exporter-fuzz-config-{Environment.ProcessId}.yml";

    public static void Run(byte[] input)
    {
        File.WriteAllBytes(Path, input);
        try { ConfigFile.Apply(Path, new ExporterOptions()); }
        catch (UsageException) { }
    }
}
