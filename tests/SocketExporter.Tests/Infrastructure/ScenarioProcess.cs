using System.Diagnostics;
using System.Text.Json;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>
/// A real process running Helpers/port_scenarios.py: it reports its sockets as a JSON line, then takes commands
/// (one line each, answered with a JSON line) until disposed. Disposing closes its stdin and waits for it.
/// </summary>
public sealed class ScenarioProcess : IDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);
    private readonly Process _process;

    public JsonElement Info { get; }
    public int Pid => _process.Id;

    private ScenarioProcess(Process process, JsonElement info) => (_process, Info) = (process, info);

    /// <param name="prefix">A command that execs the script, e.g. ["ip", "netns", "exec", NAME] (same pid), or none.</param>
    public static ScenarioProcess Start(IReadOnlyList<string> prefix, params string[] args)
    {
        var info = new ProcessStartInfo(prefix.Count > 0 ? prefix[0] : ToolRunner.Python)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string p in prefix.Skip(1)) info.ArgumentList.Add(p);
        if (prefix.Count > 0) info.ArgumentList.Add(ToolRunner.Python);
        info.ArgumentList.Add(RepoPaths.Helper("port_scenarios.py"));
        foreach (string a in args) info.ArgumentList.Add(a);
        Process process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        var started = new ScenarioProcess(process, default);
        JsonElement ready = started.ReadReply($"port_scenarios.py {string.Join(' ', args)}");
        return new ScenarioProcess(process, ready);
    }

    /// <summary>Sends one command and waits until the script says it is done.</summary>
    public void Command(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        ReadReply(command);
    }

    private JsonElement ReadReply(string what)
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(ReplyTimeout) || line.Result is null)
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{what}: no reply from port_scenarios.py (exit {(_process.HasExited ? _process.ExitCode : -1)})");
        }
        return JsonDocument.Parse(line.Result).RootElement.Clone();
    }

    public int Int(string name) => Info.GetProperty(name).GetInt32();

    public IReadOnlyList<int> Ints(string name) => Info.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToList();

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
