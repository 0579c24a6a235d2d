using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SocketExporter.Web;

/// <summary>
/// The server certificate read from cert_file + key_file: the leaf with its private key, the other certificates
/// of cert_file (intermediates, sent in the handshake as Go sends the whole file), and the SslStream context
/// built from them once, so a handshake does not rebuild the chain.
/// </summary>
public sealed class ServerCertificate
{
    private ServerCertificate(X509Certificate2 certificate, SslStreamCertificateContext context)
    {
        Certificate = certificate;
        Context = context;
    }

    public X509Certificate2 Certificate { get; }
    public SslStreamCertificateContext Context { get; }

    /// <summary>Reads and checks the pair; a file that cannot be read or does not match throws, naming its key and line.</summary>
    public static ServerCertificate Load(string configPath, ConfigFileReference certFile, ConfigFileReference keyFile)
    {
        string certPem = ConfigFiles.ReadText(configPath, certFile);
        string keyPem = ConfigFiles.ReadText(configPath, keyFile);

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(certPem);
        }
        catch (CryptographicException e)
        {
            throw ConfigFiles.Error(configPath, certFile, $"'{certFile.Path}' is not a PEM certificate: {e.Message}", e);
        }
        if (all.Count == 0)
            throw ConfigFiles.Error(configPath, certFile, $"'{certFile.Path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)");

        X509Certificate2 leaf;
        try
        {
            // The same as X509Certificate2.CreateFromPemFile(cert, key), on the text already read: the first
            // certificate of the file is the leaf, as in Go's tls.LoadX509KeyPair.
            leaf = X509Certificate2.CreateFromPem(certPem, keyPem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)   // no key, wrong key, encrypted key
        {
            throw ConfigFiles.Error(configPath, keyFile,
                $"'{keyFile.Path}' does not hold an unencrypted PEM private key matching cert_file '{certFile.Path}': {e.Message}", e);
        }

        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < all.Count; i++)
            intermediates.Add(all[i]);
        all[0].Dispose();
        // offline: never fetch missing issuers (AIA) from the network during startup or a reload.
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        return new ServerCertificate(leaf, context);
    }
}
