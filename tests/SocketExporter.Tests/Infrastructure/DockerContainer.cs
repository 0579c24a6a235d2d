using System.Text.Json;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>
/// A container the test started with `docker run -d`, removed (`docker rm -f`, by its id) when disposed. Needs the
/// docker CLI and a running engine (test.sh installs Debian's docker.io and starts dockerd when absent).
/// </summary>
public sealed class DockerContainer : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    public string Id { get; }

    private DockerContainer(string id) => Id = id;

    /// <summary>`docker run -d RUNOPTIONS IMAGE ARGS`.</summary>
    public static DockerContainer Run(IEnumerable<string> runOptions, string image, IEnumerable<string> args) =>
        new(Docker(["run", "-d", .. runOptions, image, .. args]).Trim());

    /// <summary>The pid of the container's first process, as the host sees it.</summary>
    public int HostPid => int.Parse(Docker("inspect", "-f", "{{.State.Pid}}", Id).Trim());

    public bool Running => Docker("inspect", "-f", "{{.State.Running}}", Id).Trim() == "true";

    public string Logs() => ToolRunner.Run("bash", ["-c", "docker logs \"$1\" 2>&1", "logs", Id], CommandTimeout);

    /// <summary>The host port that `-p 127.0.0.1::PORT` published the container's PORT on.</summary>
    public int PublishedPort(int containerPort)
    {
        using JsonDocument ports = JsonDocument.Parse(Docker("inspect", "-f", "{{json .NetworkSettings.Ports}}", Id));
        JsonElement binding = ports.RootElement.GetProperty($"{containerPort}/tcp")[0];
        return int.Parse(binding.GetProperty("HostPort").GetString()!);
    }

    /// <summary>
    /// GET http://127.0.0.1:PORT/metrics, retried until the exporter in the container answers: it may be starting
    /// (seconds on a loaded machine), and until then docker-proxy accepts and resets the connection.
    /// </summary>
    public MetricSet Scrape(int hostPort)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        DateTime until = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                HttpResponseMessage response = http.GetAsync($"http://127.0.0.1:{hostPort}/metrics").Result;
                string body = response.Content.ReadAsStringAsync().Result;
                if (response.IsSuccessStatusCode)
                    return MetricSet.Parse(body);
                if (DateTime.UtcNow > until)
                    throw new InvalidOperationException($"/metrics answered {(int)response.StatusCode}: {body}\n{Logs()}");
            }
            catch (AggregateException e) when (e.InnerException is HttpRequestException or TaskCanceledException)
            {
                if (DateTime.UtcNow > until || !Running)
                    throw new InvalidOperationException($"no answer on 127.0.0.1:{hostPort}: {e.InnerException.Message}\n{Logs()}", e);
            }
            Thread.Sleep(200);
        }
    }

    public static string Docker(params string[] args) => ToolRunner.Run("docker", args, CommandTimeout);

    public void Dispose() => ToolRunner.Run("docker", ["rm", "-f", Id], CommandTimeout);
}
