using System.Diagnostics;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>Runs a command-line tool without a shell and returns its stdout; a missing tool or a failure fails the test.</summary>
public static class ToolRunner
{
    public static string Run(string file, params string[] args) => Run(file, args, TimeSpan.FromSeconds(60));

    public static string Run(string file, IEnumerable<string> args, TimeSpan timeout, int[]? acceptedExitCodes = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) info.ArgumentList.Add(a);
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {timeout}");
        }
        process.WaitForExit();
        int[] ok = acceptedExitCodes ?? [0];
        if (!ok.Contains(process.ExitCode))
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Debian's python3 when present (CI installs it), else whatever python3 is on PATH.</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}
