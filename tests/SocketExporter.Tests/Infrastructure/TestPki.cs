using System.Security.Cryptography.X509Certificates;

namespace SocketExporter.Tests.Infrastructure;

/// <summary>A CA, server and client certificates made with the openssl command line into the test's directory.</summary>
internal sealed class TestPki
{
    private readonly string _dir;
    private int _serial = Random.Shared.Next(1000, 1_000_000);

    public string CaPath => Path.Combine(_dir, "ca.crt");
    public X509Certificate2 CaCertificate { get; }
    public X509Certificate2 ServerCertificate { get; }
    public X509Certificate2 ClientCertificate { get; }
    public X509Certificate2 RogueClientCertificate { get; }

    public TestPki(string dir)
    {
        _dir = dir;
        CreateCa("ca", "Test CA");
        CreateCa("rogue-ca", "Rogue CA");
        IssueServer("server");
        Issue("ca", "client", "client", "extendedKeyUsage=clientAuth\n");
        Issue("rogue-ca", "rogue-client", "client", "extendedKeyUsage=clientAuth\n");
        CaCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(CaPath));
        ServerCertificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir, "server.crt")));
        ClientCertificate = X509Certificate2.CreateFromPemFile(Path.Combine(dir, "client.crt"), Path.Combine(dir, "client.key"));
        RogueClientCertificate = X509Certificate2.CreateFromPemFile(Path.Combine(dir, "rogue-client.crt"), Path.Combine(dir, "rogue-client.key"));
    }

    /// <summary>A server certificate for 127.0.0.1 signed by the test CA; returns its certificate and key paths.</summary>
    public (string Cert, string Key) IssueServer(string name) =>
        Issue("ca", name, "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");

    public void IssueServerViaIntermediate(string certFile, string keyFile)
    {
        Issue("ca", "intermediate", "Test Intermediate", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
        (string leaf, string key) = Issue("intermediate", "leaf-via-intermediate", "server via intermediate",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        File.WriteAllText(Path.Combine(_dir, certFile), File.ReadAllText(leaf) + File.ReadAllText(Path.Combine(_dir, "intermediate.crt")));
        File.Copy(key, Path.Combine(_dir, keyFile), overwrite: true);
    }

    private void CreateCa(string name, string commonName)
    {
        ToolRunner.Run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", Path.Combine(_dir, name + ".key"), "-out", Path.Combine(_dir, name + ".crt"), "-days", "2",
            "-subj", "/CN=" + commonName,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private (string Cert, string Key) Issue(string ca, string name, string commonName, string extensions)
    {
        string key = Path.Combine(_dir, name + ".key"), csr = Path.Combine(_dir, name + ".csr"), cert = Path.Combine(_dir, name + ".crt");
        string ext = Path.Combine(_dir, name + ".ext");
        File.WriteAllText(ext, extensions);
        ToolRunner.Run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=" + commonName);
        ToolRunner.Run("openssl", "x509", "-req", "-in", csr, "-CA", Path.Combine(_dir, ca + ".crt"), "-CAkey", Path.Combine(_dir, ca + ".key"),
            "-set_serial", (++_serial).ToString(System.Globalization.CultureInfo.InvariantCulture), "-days", "2", "-out", cert, "-extfile", ext);
        return (cert, key);
    }

    /// <summary>
    /// Whether a server certificate chains to <paramref name="ca"/> alone (no system roots) through the
    /// intermediates the server sent (in <paramref name="presented"/>'s ExtraStore), for 127.0.0.1.
    /// </summary>
    public static bool ChainsTo(X509Certificate? certificate, X509Chain? presented, X509Certificate2 ca)
    {
        if (certificate is null)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
            chain.ChainPolicy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf) && leaf.MatchesHostname("127.0.0.1");
    }
}
