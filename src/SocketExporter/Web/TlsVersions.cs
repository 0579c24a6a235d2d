using System.Security.Authentication;

namespace SocketExporter.Web;

/// <summary>Names of <see cref="TlsVersion"/> as exporter-toolkit writes them, and the SslProtocols a min..max range enables.</summary>
public static class TlsVersions
{
    // Indexed by TlsVersion.
    private static readonly string[] NameTable = ["TLS10", "TLS11", "TLS12", "TLS13"];

    public static IReadOnlyList<string> Names => NameTable;

    public static bool TryParse(string name, out TlsVersion version)
    {
        int index = Array.IndexOf(NameTable, name);
        version = (TlsVersion)Math.Max(index, 0);
        return index >= 0;
    }

    public static string Name(TlsVersion version) => NameTable[(int)version];

    /// <summary>Every version from min to max, as the SslProtocols flags SslStream enables.</summary>
    public static SslProtocols Range(TlsVersion min, TlsVersion max)
    {
        SslProtocols protocols = SslProtocols.None;
        for (TlsVersion v = min; v <= max; v++)
            protocols |= ToSslProtocols(v);
        return protocols;
    }

    private static SslProtocols ToSslProtocols(TlsVersion version) => version switch
    {
        // TLS 1.0 and 1.1 are obsolete in .NET (SYSLIB0039) but exporter-toolkit accepts them, so we do too:
        // they are enabled only when the file asks for them, and OpenSSL's security level may still refuse them.
#pragma warning disable SYSLIB0039
        TlsVersion.Tls10 => SslProtocols.Tls,
        TlsVersion.Tls11 => SslProtocols.Tls11,
#pragma warning restore SYSLIB0039
        TlsVersion.Tls12 => SslProtocols.Tls12,
        TlsVersion.Tls13 => SslProtocols.Tls13,
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };
}
