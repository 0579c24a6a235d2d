using System.Diagnostics;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>`socket_exporter who ARGS` as its own process (the built dll), optionally behind a command that execs it.</summary>
public static class WhoRun
{
    public static (int ExitCode, string Stdout, string Stderr) Run(IReadOnlyList<string> prefix, params string[] args)
    {
        var info = new ProcessStartInfo(prefix.Count > 0 ? prefix[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string p in prefix.Skip(1)) info.ArgumentList.Add(p);
        if (prefix.Count > 0) info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(RepoPaths.ExporterDll);
        info.ArgumentList.Add("who");
        foreach (string a in args) info.ArgumentList.Add(a);
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("who did not finish");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
