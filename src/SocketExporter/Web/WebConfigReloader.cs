using Microsoft.Extensions.Logging;

namespace SocketExporter.Web;

/// <summary>
/// The parts of --web.config.file that apply per request — basic_auth_users and http_server_config.headers — re-read
/// when the file changes (exporter-toolkit reads the file at every request), so a password is rotated without a
/// restart. A file that no longer parses, or is gone, keeps the last good settings (and says so in the log) until it
/// is fixed: a half-written file never opens the endpoint. tls_server_config and http2 shape the listeners and apply
/// at the next start; the certificate and key files themselves are reloaded by <see cref="CertificateReloader"/>.
/// </summary>
public sealed class WebConfigReloader
{
    /// <summary>What every request gets: the configured headers, and the authenticator when users are configured.</summary>
    public sealed record RequestPolicy(IReadOnlyList<KeyValuePair<string, string>> Headers, BasicAuthenticator? Authenticator)
    {
        public static RequestPolicy From(WebConfig config) =>
            new([.. config.Http.Headers], config.BasicAuthUsers.Count == 0 ? null : new BasicAuthenticator(config.BasicAuthUsers));
    }

    private sealed record State(RequestPolicy Policy, FileStamp Stamp);

    private readonly string _path;
    private readonly ILogger _log;
    private readonly object _reload = new();
    private volatile State _state;

    /// <param name="loaded">The config as read at start.</param>
    public WebConfigReloader(WebConfig loaded, ILogger log)
    {
        _path = loaded.FilePath;
        _log = log;
        _state = new State(RequestPolicy.From(loaded), FileStamp.Of(_path));
    }

    /// <summary>The policy for this request: re-read first if the file changed since the last look (one stat).</summary>
    public RequestPolicy Current
    {
        get
        {
            FileStamp stamp = FileStamp.Of(_path);   // taken before reading, so what is read is at least this new
            State state = _state;
            if (stamp == state.Stamp)
                return state.Policy;
            lock (_reload)
            {
                state = _state;
                if (stamp == state.Stamp)
                    return state.Policy;   // another request reloaded meanwhile
                try
                {
                    WebConfig config = WebConfigParser.Parse(File.ReadAllText(_path), _path);
                    _state = new State(RequestPolicy.From(config), stamp);
                    _log.LogInformation("reloaded web config {File}: {Users} basic auth users, {Headers} headers " +
                        "(tls_server_config and http2 apply at the next start)", _path, config.BasicAuthUsers.Count, config.Http.Headers.Count);
                }
                catch (Exception e) when (e is WebConfigException or IOException or UnauthorizedAccessException)
                {
                    // Remember the stamp so a broken file is not re-parsed at every request; the next write retries.
                    _state = state with { Stamp = stamp };
                    _log.LogWarning("cannot reload the web config, keeping the last good one: {Error}", e.Message);
                }
                return _state.Policy;
            }
        }
    }
}
