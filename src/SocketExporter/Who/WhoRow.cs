using System.Text.Json.Serialization;

namespace SocketExporter.Who;

/// <summary>
/// One holder of one thing the question matched, as `--output json` prints it: a socket (with its holder, or none:
/// pid null), a device descriptor or a filesystem use. Remote endpoints are only printed here, never used as labels.
/// </summary>
public sealed record WhoRow
{
    /// <summary>Fleet mode only: the Prometheus `instance` label of the exporter that reported the row; absent (not
    /// printed in JSON) when the answer is this host's.</summary>
    [JsonPropertyOrder(-1), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Instance { get; init; }
    /// <summary>"socket", "device" or "path".</summary>
    public required string Kind { get; init; }
    public string Protocol { get; init; } = "";
    public string Address { get; init; } = "";
    public int Port { get; init; }
    public string State { get; init; } = "";
    public string RemoteAddress { get; init; } = "";
    public int RemotePort { get; init; }
    /// <summary>Accept queue and backlog for a TCP listener; queued bytes otherwise.</summary>
    public long ReceiveQueue { get; init; }
    public long SendQueue { get; init; }
    /// <summary>Null when no process this run could read holds it (time_wait, or a process whose descriptors were denied).</summary>
    public int? Pid { get; init; }
    public string Program { get; init; } = "";
    public string User { get; init; } = "";
    public string Netns { get; init; } = "";
    public string Container { get; init; } = "";
    public string Pod { get; init; } = "";
    public string Unit { get; init; } = "";
    /// <summary>The device node or path asked about (device and path rows).</summary>
    public string Path { get; init; } = "";
    /// <summary>Descriptors on the device, or uses of the filesystem this way; in fleet mode also the sockets a socket row
    /// stands for (the series' value: one socket_connections series counts many).</summary>
    public int Count { get; init; }
    /// <summary>How a path's filesystem is used, as fuser -v marks it: f (descriptor), c (cwd), r (root), e (exe), m (mmap).</summary>
    public string Access { get; init; } = "";

    /// <summary>The socket's inode, so that a socket several processes hold is counted once.</summary>
    [JsonIgnore]
    public ulong Inode { get; init; }

    [JsonIgnore]
    public bool IsListening => Kind == "socket" && (State == "listen" || (Protocol == "udp" && State == "close" && RemotePort == 0));
}
