namespace SocketExporter.Web;

/// <summary>http_server_config of an exporter-toolkit web config.</summary>
public sealed record HttpServerConfig
{
    public static HttpServerConfig Default { get; } = new();

    /// <summary>Offer HTTP/2 (over TLS only, by ALPN, as Go does; there is no h2c). exporter-toolkit's default is true.</summary>
    public bool Http2 { get; init; } = true;

    /// <summary>Headers added to every response, in file order. Only <see cref="AllowedHeaders"/> may be set.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>
    /// The headers exporter-toolkit lets a config set (web/handler.go, extraHTTPHeaders), each with the values it
    /// allows (null: any value). Anything else, e.g. Authorization or Content-Type, is refused.
    /// </summary>
    public static IReadOnlyDictionary<string, string[]?> AllowedHeaders { get; } =
        new Dictionary<string, string[]?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Strict-Transport-Security"] = null,
            ["X-Content-Type-Options"] = ["nosniff"],
            ["X-Frame-Options"] = ["deny", "sameorigin"],
            ["X-XSS-Protection"] = null,
            ["Content-Security-Policy"] = null,
        };
}
