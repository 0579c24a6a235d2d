using Microsoft.Extensions.Logging;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Web;

/// <summary>
/// The parts of --web.config.file that apply per request — basic_auth_users and http_server_config.headers — re-read
/// when the file changes (<see cref="FileVersion"/>: symlinks followed, as in a Kubernetes Secret), so a password is
/// rotated without a restart. Fails closed: a file that does not parse, is gone, changes while it is read, or would
/// drop every user keeps the last good settings (and the log says why) — an empty, half-written file never opens the
/// endpoint; turning authentication off takes a restart. tls_server_config and http2 shape the listeners and apply at
/// the next start; the certificate and key files themselves are reloaded by <see cref="CertificateReloader"/>.
/// </summary>
public sealed class WebConfigReloader
{
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
    private volatile State _state;

    /// <param name="loaded">The config as read at start.</param>
    public WebConfigReloader(WebConfig loaded, ILogger log)
    {
        _path = loaded.FilePath;
        _log = log;
        _state = new State(RequestPolicy.From(loaded), loaded.Version ?? FileVersion.Of(_path));
    }

    /// <summary>The policy for this request: re-read first if the file changed since the last look (one statx).</summary>
    public RequestPolicy Current
    {
        get
        {
            FileVersion version = FileVersion.Of(_path);
            State state = _state;
            if (version == state.Version)
                return state.Policy;
            lock (_reload)
            {
                state = _state;
                if (version == state.Version)
                    return state.Policy;   // another request reloaded meanwhile
                try
                {
                    WebConfig config = WebConfigParser.Parse(File.ReadAllText(_path), _path);
                    if (FileVersion.Of(_path) != version)
                        return state.Policy;   // written to while read: the next request reads it again, whole
                    if (config.BasicAuthUsers.Count == 0 && state.Policy.Authenticator is not null)
                        throw new WebConfigException(_path, 0, "basic_auth_users",
                            "the new file has no users; turning authentication off takes a restart");
                    _state = new State(RequestPolicy.From(config), version);
                    _log.LogInformation("reloaded web config {File}: {Users} basic auth users, {Headers} headers " +
                        "(tls_server_config and http2 apply at the next start)", _path, config.BasicAuthUsers.Count, config.Http.Headers.Count);
                }
                catch (Exception e)   // whatever went wrong, the endpoint stays as locked as it was
                {
                    // Remember the version so a broken file is not re-parsed at every request; the next write retries.
                    _state = state with { Version = version };
                    _log.LogWarning("cannot reload the web config, keeping the last good one: {Error}", e.Message);
                }
                return _state.Policy;
            }
        }
    }
}
