using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SocketExporter.Web;

/// <summary>
/// Verifies a client certificate for VerifyClientCertIfGiven / RequireAndVerifyClientCert: it must chain to a
/// certificate of client_ca_file (the only trust anchors: the system's roots are not consulted) and be valid for
/// client authentication, as Go's crypto/tls checks it (x509.VerifyOptions with ClientCAs and ExtKeyUsageClientAuth).
/// Without client_ca_file, Go verifies against the system roots; so does this.
/// </summary>
public sealed class ClientCertificateVerifier(X509Certificate2Collection? trustAnchors)
{
    // id-kp-clientAuth, RFC 5280 section 4.2.1.12. A certificate without an EKU extension passes (any use), as in Go.
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    public static X509Certificate2Collection LoadTrustAnchors(string configPath, ConfigFileReference caFile)
    {
        string pem = ConfigFiles.ReadText(configPath, caFile);
        var anchors = new X509Certificate2Collection();
        try
        {
            anchors.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw ConfigFiles.Error(configPath, caFile, $"'{caFile.Path}' is not a PEM certificate bundle: {e.Message}", e);
        }
        if (anchors.Count == 0)
            throw ConfigFiles.Error(configPath, caFile, $"'{caFile.Path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return anchors;
    }

    /// <param name="presented">The chain SslStream built; its ExtraStore holds the intermediates the client sent.</param>
    public bool Verify(X509Certificate2 certificate, X509Chain? presented)
    {
        using var chain = new X509Chain();
        X509ChainPolicy policy = chain.ChainPolicy;
        if (trustAnchors is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(trustAnchors);
        }
        // Go's crypto/tls does not check revocation for client certificates; fetching CRLs/OCSP or missing
        // issuers from the network during a handshake would also let a client make the exporter call out.
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.ApplicationPolicy.Add(new Oid(ClientAuthenticationOid));
        if (presented is not null)
            policy.ExtraStore.AddRange(presented.ChainPolicy.ExtraStore);
        // The element certificates are left to the finalizer: one may be the instance SslStream keeps for the connection.
        return chain.Build(certificate);
    }
}
