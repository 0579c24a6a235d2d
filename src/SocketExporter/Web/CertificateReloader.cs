using Microsoft.Extensions.Logging;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Web;

/// <summary>
/// Serves the TLS server certificate and reloads cert_file + key_file when either file changes
/// (<see cref="FileVersion"/>: symlinks followed, as in a Kubernetes Secret) or on SIGHUP (<see cref="ReloadSignal"/>),
/// so a renewed certificate is used without a restart. A reload that fails — a half-written file, a key that does not
/// match yet, a FIFO or a device in their place — keeps the last good certificate and is retried when the files change
/// again.
/// </summary>
/// <remarks>
/// A timer looks at the files, never a handshake: exporter-toolkit re-reads the pair at every handshake, but here a
/// cert_file linked to /dev/zero made every handshake read until memory ran out (issue 17). A change is used within
/// about <see cref="WebConfigReloader.PollInterval"/>.
/// </remarks>
public sealed class CertificateReloader : IDisposable
{
    private readonly string _configPath;
    private readonly ConfigFileReference _certFile;
    private readonly ConfigFileReference _keyFile;
    private readonly ILogger _log;
    private readonly object _reload = new();
    private readonly ReloadSignal? _signal;
    private readonly Timer? _timer;
    private volatile State _state;

    private sealed record State(ServerCertificate Certificate, FileVersion Cert, FileVersion Key);

    /// <summary>Reads the pair now; throws <see cref="WebConfigException"/> when it cannot be used.</summary>
    /// <param name="signal">Reloads on request (SIGHUP); null for none.</param>
    /// <param name="poll">False in tests that call <see cref="Poll"/> themselves.</param>
    public CertificateReloader(string configPath, TlsServerConfig tls, ILogger log, ReloadSignal? signal = null, bool poll = true)
    {
        _configPath = configPath;
        _certFile = tls.CertFile;
        _keyFile = tls.KeyFile;
        _log = log;
        // Stamps first: a change that lands while we read is then seen as a change at the next look.
        FileVersion cert = FileVersion.Of(_certFile.Path), key = FileVersion.Of(_keyFile.Path);
        _state = new State(ServerCertificate.Load(configPath, _certFile, _keyFile), cert, key);
        _signal = signal;
        if (_signal is not null)
            _signal.Requested += OnSignal;
        if (poll)
            _timer = new Timer(_ => Poll(), null, WebConfigReloader.PollInterval, WebConfigReloader.PollInterval);
    }

    /// <summary>The certificate for the next handshake, as of the last look at the files. No I/O.</summary>
    public ServerCertificate Current => _state.Certificate;

    private void OnSignal() => Poll(force: true);

    /// <summary>Re-reads the pair if either file's version changed since the last look, or always when
    /// <paramref name="force"/>d. Returns at once when another look is under way.</summary>
    public void Poll(bool force = false)
    {
        if (!Monitor.TryEnter(_reload))
            return;
        try
        {
            FileVersion cert = FileVersion.Of(_certFile.Path), key = FileVersion.Of(_keyFile.Path);
            State state = _state;
            if (cert == state.Cert && key == state.Key && !force)
                return;
            try
            {
                ServerCertificate loaded = ServerCertificate.Load(_configPath, _certFile, _keyFile);
                _state = new State(loaded, cert, key);
                _log.LogInformation("reloaded TLS certificate {Subject} (serial {Serial}, expires {NotAfter:u}) from {CertFile}",
                    loaded.Certificate.Subject, loaded.Certificate.SerialNumber, loaded.Certificate.NotAfter.ToUniversalTime(), _certFile.Path);
            }
            catch (Exception e)   // on a timer or signal thread: anything escaping would end the process
            {
                // Remember these stamps so a broken pair is not re-read at every look; the next write retries.
                _state = state with { Cert = cert, Key = key };
                _log.LogWarning("cannot reload the TLS certificate, keeping serial {Serial}: {Error}",
                    state.Certificate.Certificate.SerialNumber, e.Message);
            }
        }
        finally
        {
            Monitor.Exit(_reload);
        }
    }

    public void Dispose()
    {
        if (_signal is not null)
            _signal.Requested -= OnSignal;
        _timer?.Dispose();
    }
}
