using System.Net.Security;
using System.Security.Authentication;

namespace SocketExporter.Web;

/// <summary>tls_server_config of an exporter-toolkit web config, with exporter-toolkit's defaults.</summary>
public sealed record TlsServerConfig
{
    public required ConfigFileReference CertFile { get; init; }
    public required ConfigFileReference KeyFile { get; init; }
    public ConfigFileReference? ClientCaFile { get; init; }
    public ClientAuthType ClientAuth { get; init; } = ClientAuthType.NoClientCert;
    public TlsVersion MinVersion { get; init; } = TlsVersion.Tls12;
    public TlsVersion MaxVersion { get; init; } = TlsVersion.Tls13;

    /// <summary>TLS 1.0–1.2 suites from cipher_suites, in file order; empty means OpenSSL's defaults.</summary>
    public IReadOnlyList<TlsCipherSuite> CipherSuites { get; init; } = [];

    /// <summary>
    /// Parsed for compatibility and otherwise unused: Go ignores it since 1.17 (it orders suites itself), and
    /// SslStream has no such option.
    /// </summary>
    public bool PreferServerCipherSuites { get; init; } = true;

    public SslProtocols Protocols => TlsVersions.Range(MinVersion, MaxVersion);

    /// <summary>Whether a presented client certificate must chain to client_ca_file.</summary>
    public bool VerifiesClientCertificates =>
        ClientAuth is ClientAuthType.VerifyClientCertIfGiven or ClientAuthType.RequireAndVerifyClientCert;
}
