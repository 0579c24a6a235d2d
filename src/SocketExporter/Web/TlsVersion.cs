namespace SocketExporter.Web;

/// <summary>tls_server_config.min_version / max_version: TLS10, TLS11, TLS12, TLS13, as exporter-toolkit spells them.</summary>
public enum TlsVersion
{
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}
