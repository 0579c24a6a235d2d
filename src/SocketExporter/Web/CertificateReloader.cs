using Microsoft.Extensions.Logging;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Web;

/// <summary>
/// Serves the TLS server certificate and reloads cert_file + key_file when either file changes
/// (<see cref="FileVersion"/>: symlinks followed, as in a Kubernetes Secret), so a renewed certificate is used from the
/// next handshake without a restart (exporter-toolkit re-reads the pair at every handshake). A reload that fails — a
/// half-written file, a key that does not match yet — keeps the last good certificate and is retried when the files
/// change again.
/// </summary>
public sealed class CertificateReloader
{
    private readonly string _configPath;
    private readonly ConfigFileReference _certFile;
    private readonly ConfigFileReference _keyFile;
    private readonly ILogger _log;
    private readonly object _reload = new();
    private volatile State _state;

    private sealed record State(ServerCertificate Certificate, FileVersion Cert, FileVersion Key);

    /// <summary>Reads the pair now; throws <see cref="WebConfigException"/> when it cannot be used.</summary>
    public CertificateReloader(string configPath, TlsServerConfig tls, ILogger log)
    {
        _configPath = configPath;
        _certFile = tls.CertFile;
        _keyFile = tls.KeyFile;
        _log = log;
        // Stamps first: a change that lands while we read is then seen as a change at the next handshake.
        FileVersion cert = FileVersion.Of(_certFile.Path), key = FileVersion.Of(_keyFile.Path);
        _state = new State(ServerCertificate.Load(configPath, _certFile, _keyFile), cert, key);
    }

    /// <summary>The certificate for the next handshake: reloaded first if a file changed since the last look.</summary>
    public ServerCertificate Current
    {
        get
        {
            FileVersion cert = FileVersion.Of(_certFile.Path), key = FileVersion.Of(_keyFile.Path);
            State state = _state;
            if (cert == state.Cert && key == state.Key)
                return state.Certificate;
            lock (_reload)
            {
                state = _state;
                if (cert == state.Cert && key == state.Key)
                    return state.Certificate;   // another handshake reloaded meanwhile
                try
                {
                    ServerCertificate loaded = ServerCertificate.Load(_configPath, _certFile, _keyFile);
                    _state = new State(loaded, cert, key);
                    _log.LogInformation("reloaded TLS certificate {Subject} (serial {Serial}, expires {NotAfter:u}) from {CertFile}",
                        loaded.Certificate.Subject, loaded.Certificate.SerialNumber, loaded.Certificate.NotAfter.ToUniversalTime(), _certFile.Path);
                }
                catch (WebConfigException e)
                {
                    // Remember these stamps so a broken pair is not re-read at every handshake; the next write retries.
                    _state = state with { Cert = cert, Key = key };
                    _log.LogWarning("cannot reload the TLS certificate, keeping serial {Serial}: {Error}",
                        state.Certificate.Certificate.SerialNumber, e.Message);
                }
                return _state.Certificate;
            }
        }
    }
}
