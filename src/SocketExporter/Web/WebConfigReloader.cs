using Microsoft.Extensions.Logging;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Web;

/// <summary>
/// The parts of --web.config.file that apply per request — basic_auth_users and http_server_config.headers — re-read
/// when the file changes (<see cref="FileVersion"/>: symlinks followed, as in a Kubernetes Secret) or on SIGHUP
/// (<see cref="ReloadSignal"/>), so a password is rotated without a restart. Fails closed: a file that does not parse,
/// is gone, is not a regular file, is too large or too deep, changes while it is read, or would drop every user keeps
/// the last good settings (and the log says why) — an empty, half-written file never opens the endpoint; turning
/// authentication off takes a restart. tls_server_config and http2 shape the listeners and apply at the next start;
/// the certificate and key files themselves are reloaded by <see cref="CertificateReloader"/>.
/// </summary>
/// <remarks>
/// The file is looked at by a timer, never by a request: a request only reads the current policy. When requests
/// checked and re-read the file themselves, one FIFO in its place left every request stuck in open(2) (issue 17).
/// </remarks>
public sealed class WebConfigReloader : IDisposable
{
    /// <summary>How often the file's version is compared (one statx): a change applies within about this long.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>What every request gets: the configured headers, and the authenticator when users are configured.</summary>
    public sealed record RequestPolicy(IReadOnlyList<KeyValuePair<string, string>> Headers, BasicAuthenticator? Authenticator)
    {
        public static RequestPolicy From(WebConfig config) =>
            new([.. config.Http.Headers], config.BasicAuthUsers.Count == 0 ? null : new BasicAuthenticator(config.BasicAuthUsers));
    }

    private sealed record State(RequestPolicy Policy, FileVersion Version);

    private readonly string _path;
    private readonly ILogger _log;
    private readonly object _reload = new();
    private readonly ReloadSignal _signal;
    private readonly Timer? _timer;
    private volatile State _state;

    /// <param name="loaded">The config as read at start.</param>
    /// <param name="poll">False in tests that call <see cref="Poll"/> themselves.</param>
    public WebConfigReloader(WebConfig loaded, ILogger log, bool poll = true)
    {
        _path = loaded.FilePath;
        _log = log;
        _state = new State(RequestPolicy.From(loaded), loaded.Version ?? FileVersion.Of(_path));
        _signal = loaded.Reload;
        _signal.Requested += OnSignal;
        if (poll)
            _timer = new Timer(_ => Poll(), null, PollInterval, PollInterval);
    }

    /// <summary>The policy for this request, as of the last look at the file. No I/O.</summary>
    public RequestPolicy Current => _state.Policy;

    private void OnSignal() => Poll(force: true);

    /// <summary>Re-reads the file if its version changed since the last look, or always when <paramref name="force"/>d.
    /// Returns at once when another look is under way (timer ticks do not pile up behind a slow one).</summary>
    public void Poll(bool force = false)
    {
        if (!Monitor.TryEnter(_reload))
            return;
        try
        {
            FileVersion version = FileVersion.Of(_path);
            State state = _state;
            if (version == state.Version && !force)
                return;
            try
            {
                WebConfig config = WebConfigParser.Parse(ConfigFiles.ReadConfig(_path, out FileVersion read), _path);
                if (FileVersion.Of(_path) != read)
                    return;   // written to while read: the next look reads it again, whole
                if (config.BasicAuthUsers.Count == 0 && state.Policy.Authenticator is not null)
                    throw new WebConfigException(_path, 0, "basic_auth_users",
                        "the new file has no users; turning authentication off takes a restart");
                _state = new State(RequestPolicy.From(config), read);
                _log.LogInformation("reloaded web config {File}{Why}: {Users} basic auth users, {Headers} headers " +
                    "(tls_server_config and http2 apply at the next start)", _path, force ? " on SIGHUP" : "",
                    config.BasicAuthUsers.Count, config.Http.Headers.Count);
            }
            catch (Exception e)   // whatever went wrong, the endpoint stays as locked as it was
            {
                // Remember the version so a broken file is not re-read at every look; the next write retries.
                _state = state with { Version = version };
                _log.LogWarning("cannot reload the web config, keeping the last good one: {Error}", e.Message);
            }
        }
        finally
        {
            Monitor.Exit(_reload);
        }
    }

    public void Dispose()
    {
        _signal.Requested -= OnSignal;
        _timer?.Dispose();
    }
}
