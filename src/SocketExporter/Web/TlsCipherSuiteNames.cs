using System.Net.Security;

namespace SocketExporter.Web;

/// <summary>
/// tls_server_config.cipher_suites: the names exporter-toolkit accepts are Go's crypto/tls names
/// (tls.CipherSuites() and tls.InsecureCipherSuites(), which are the IANA names). Each maps to .NET's
/// <see cref="TlsCipherSuite"/>, which SslStream hands to OpenSSL through a CipherSuitesPolicy.
/// </summary>
public static class TlsCipherSuiteNames
{
    // Go's secure list (crypto/tls cipher_suites.go, CipherSuites()), TLS 1.3 suites first. Go ignores the
    // TLS 1.3 ones in Config.CipherSuites ("TLS 1.3 ciphersuites are not configurable"); so do we (see Tls13 below).
    private static readonly Dictionary<string, TlsCipherSuite> Supported = new(StringComparer.Ordinal)
    {
        ["TLS_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        ["TLS_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        ["TLS_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        // Go's insecure list that OpenSSL 3 still offers (no forward secrecy, or CBC with SHA-256): accepted
        // because exporter-toolkit accepts them.
        ["TLS_RSA_WITH_AES_128_CBC_SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        ["TLS_RSA_WITH_AES_256_CBC_SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
        ["TLS_RSA_WITH_AES_128_CBC_SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
        ["TLS_RSA_WITH_AES_128_GCM_SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        ["TLS_RSA_WITH_AES_256_GCM_SHA384"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    };

    // Go's insecure RC4 and 3DES suites: valid exporter-toolkit names, but OpenSSL 3 does not build RC4 by default
    // and puts 3DES below every security level Debian uses, so a file naming them gets a clear refusal.
    private static readonly HashSet<string> Refused = new(StringComparer.Ordinal)
    {
        "TLS_RSA_WITH_RC4_128_SHA",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    };

    /// <summary>The TLS 1.3 suites, always enabled whatever cipher_suites says (as in Go).</summary>
    public static IReadOnlyList<TlsCipherSuite> Tls13 { get; } =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    /// <summary>Maps a Go/IANA name; <paramref name="problem"/> says why a name is refused.</summary>
    public static bool TryParse(string name, out TlsCipherSuite suite, out string problem)
    {
        if (Supported.TryGetValue(name, out suite))
        {
            problem = "";
            return true;
        }
        problem = Refused.Contains(name)
            ? $"'{name}' is an RC4 or 3DES suite, which OpenSSL 3 does not offer; remove it"
            : $"unknown cipher suite '{name}'; one of: {string.Join(", ", Supported.Keys)}";
        return false;
    }
}
