namespace SocketExporter.Web;

/// <summary>
/// An exporter-toolkit web config file (--web.config.file), the same file node_exporter accepts:
/// tls_server_config, http_server_config and basic_auth_users. Made by <see cref="WebConfigParser"/>.
/// </summary>
public sealed record WebConfig
{
    /// <summary>The file as given on the command line (used in messages).</summary>
    public required string FilePath { get; init; }

    /// <summary>Null when the file has no (or an empty) tls_server_config: plain HTTP, as in exporter-toolkit.</summary>
    public TlsServerConfig? Tls { get; init; }

    public HttpServerConfig Http { get; init; } = HttpServerConfig.Default;

    /// <summary>The file's version taken before it was read (null when not read from disk): a change made after that
    /// is seen by <see cref="WebConfigReloader"/>, even one made between the start-up read and the first request.</summary>
    public Linux.Interop.FileVersion? Version { get; init; }

    /// <summary>Makes the reloaders of this config re-read their files now (SIGHUP); shared by copies made with `with`.</summary>
    public ReloadSignal Reload { get; init; } = new();

    /// <summary>User name → bcrypt hash. Empty: no authentication.</summary>
    public IReadOnlyDictionary<string, string> BasicAuthUsers { get; init; } = new Dictionary<string, string>();
}
