using System.Diagnostics;
using System.Text.Json;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>
/// A real process (Helpers/socket_holder.py) that opens a known set of sockets and descriptors and holds them
/// until disposed. Disposing closes its stdin and waits for it, so only processes the test started are stopped.
/// </summary>
public sealed class HolderProcess : IDisposable
{
    private readonly Process _process;

    public JsonElement Info { get; }
    public int Pid => _process.Id;

    private HolderProcess(Process process, JsonElement info)
    {
        _process = process;
        Info = info;
    }

    public static HolderProcess Start(string scenario, params string[] extraArgs) => StartWith([], scenario, extraArgs);

    /// <summary>Starts the holder behind a command that execs it, e.g. ["ip", "netns", "exec", NAME] (same pid).</summary>
    public static HolderProcess StartWith(IReadOnlyList<string> prefix, string scenario, params string[] extraArgs) =>
        StartScript("socket_holder.py", prefix, scenario, extraArgs);

    /// <summary>Starts another helper of Helpers/ that follows the same protocol (one JSON line, then hold until stdin closes).</summary>
    public static HolderProcess StartScript(string script, IReadOnlyList<string> prefix, string scenario, params string[] extraArgs)
    {
        var info = new ProcessStartInfo(prefix.Count > 0 ? prefix[0] : ToolRunner.Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,   // a pipe, whatever the test run's own stderr is (a tty, a file, /dev/null)
            UseShellExecute = false,
        };
        foreach (string p in prefix.Skip(1)) info.ArgumentList.Add(p);
        if (prefix.Count > 0) info.ArgumentList.Add(ToolRunner.Python);
        info.ArgumentList.Add(RepoPaths.Helper(script));
        info.ArgumentList.Add(scenario);
        foreach (string a in extraArgs) info.ArgumentList.Add(a);
        Process process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) if (e.Data is not null && stderr.Length < 16_384) stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result is null)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(5));   // lets the stderr reader reach the end
            lock (stderr)
                throw new InvalidOperationException($"{script} {scenario} did not report ready; its stderr:\n{stderr}");
        }
        return new HolderProcess(process, JsonDocument.Parse(line.Result).RootElement.Clone());
    }

    public int Int(string name) => Info.GetProperty(name).GetInt32();

    public IReadOnlyList<int> Ints(string name) => Info.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToList();

    /// <summary>Sends one command line (helpers that take commands, such as walk_holder.py) and returns its one-line JSON answer.</summary>
    public JsonElement Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(30)) || line.Result is null)
            throw new InvalidOperationException($"no answer to \"{command}\"");
        return JsonDocument.Parse(line.Result).RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
                _process.Kill(entireProcessTree: true);
        }
        finally
        {
            _process.Dispose();
        }
    }
}
