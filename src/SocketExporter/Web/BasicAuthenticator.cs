using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SocketExporter.Web;

/// <summary>
/// HTTP basic authentication against basic_auth_users (user → bcrypt hash), as exporter-toolkit does it
/// (web/handler.go): outcomes cached by (user, password, hash), bcrypt run on at most half the cores, and an unknown
/// user checked against a dummy hash so the response time does not tell which users exist. Requests that need bcrypt
/// wait in a queue per client address, served in turn (<see cref="SourceFairGate"/>), so one client's flood of wrong
/// passwords cannot hold up another client's first scrape.
/// </summary>
public sealed class BasicAuthenticator
{
    /// <summary>Cached outcomes; exporter-toolkit keeps 100, a few more cost nothing and survive a password spray better.</summary>
    public const int CacheCapacity = 1024;

    /// <summary>Requests of one client address waiting for bcrypt, beyond which it is answered 429 at once.</summary>
    public const int MaxWaitingPerClient = 8;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly (byte[] NameSha256, string Hash)[] _users;
    private readonly string _dummyHash;
    private readonly VerificationCache _cache = new(CacheCapacity);
    // exporter-toolkit runs one bcrypt at a time (bcryptMtx): a flood costs one core. Half the cores keeps that
    // spirit on big hosts and lets concurrent first scrapes through together; one on a 2-core host.
    private readonly SourceFairGate _bcrypt = new(Math.Max(1, Environment.ProcessorCount / 2), MaxWaitingPerClient);

    /// <param name="users">User name → bcrypt hash, already checked by <see cref="WebConfigParser"/>.</param>
    public BasicAuthenticator(IReadOnlyDictionary<string, string> users)
    {
        if (users.Count == 0)
            throw new ArgumentException("at least one user is needed", nameof(users));
        _users = users.Select(u => (SHA256.HashData(Encoding.UTF8.GetBytes(u.Key)), u.Value)).ToArray();
        // The dummy hash has the cost most users have, so an unknown user takes as long as a known one. It is made
        // here, once, from a random password no request can know (exporter-toolkit uses a fixed cost-10 hash).
        int cost = users.Values
            .Select(h => BcryptHash.TryParseCost(h, out int c, out _) ? c : 10)
            .GroupBy(c => c)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key)
            .First().Key;
        _dummyHash = BCrypt.Net.BCrypt.HashPassword(Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)), cost);
    }

    internal int CachedOutcomes => _cache.Count;

    /// <summary>Whether an Authorization header value carries valid Basic credentials.</summary>
    public async ValueTask<bool> IsAuthorizedAsync(string? authorization) =>
        await CheckAsync(authorization, client: null, CancellationToken.None) == AuthOutcome.Authorized;

    /// <summary>
    /// Checks an Authorization header value sent from <paramref name="client"/>: <see cref="AuthOutcome.Busy"/> when
    /// that client already has <see cref="MaxWaitingPerClient"/> requests waiting for bcrypt (or gave up waiting).
    /// </summary>
    public ValueTask<AuthOutcome> CheckAsync(string? authorization, System.Net.IPAddress? client, CancellationToken cancel) =>
        TryParseBasic(authorization, out string user, out string password)
            ? VerifyAsync(user, password, SourceFairGate.SourceOf(client), cancel)
            : ValueTask.FromResult(AuthOutcome.Unauthorized);

    /// <summary>Parses "Basic base64(user:password)" as Go's Request.BasicAuth does (scheme case-insensitive, split at the first ':').</summary>
    public static bool TryParseBasic(string? authorization, out string user, out string password)
    {
        user = password = "";
        const string Scheme = "Basic ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        ReadOnlySpan<char> encoded = authorization.AsSpan(Scheme.Length).Trim();
        byte[] decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        if (!Convert.TryFromBase64Chars(encoded, decoded, out int length))
            return false;
        string credentials;
        try
        {
            // Strict: a password that is not UTF-8 must not be folded into U+FFFD and match another one.
            credentials = StrictUtf8.GetString(decoded, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        int colon = credentials.IndexOf(':');
        if (colon < 0)
            return false;
        user = credentials[..colon];
        password = credentials[(colon + 1)..];
        return true;
    }

    public async ValueTask<bool> VerifyAsync(string user, string password) =>
        await VerifyAsync(user, password, source: "", CancellationToken.None) == AuthOutcome.Authorized;

    private async ValueTask<AuthOutcome> VerifyAsync(string user, string password, string source, CancellationToken cancel)
    {
        string? hash = FindHash(user);
        bool known = hash is not null;
        var key = new VerificationKey(user, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(password))), hash ?? _dummyHash);
        if (_cache.TryGet(key, out bool valid))
            return Outcome(valid);
        using SourceFairGate.Lease? lease = await _bcrypt.EnterAsync(source, cancel);
        if (lease is null)
            return AuthOutcome.Busy;
        if (_cache.TryGet(key, out valid))   // verified while this request waited
            return Outcome(valid);
        valid = BCrypt.Net.BCrypt.Verify(password, key.Hash) && known;
        _cache.Set(key, valid);
        return Outcome(valid);

        static AuthOutcome Outcome(bool valid) => valid ? AuthOutcome.Authorized : AuthOutcome.Unauthorized;
    }

    // Compares the SHA-256 of the name with every user's, never stopping early, so the time taken does not
    // depend on whether or where the name matches, nor on a common prefix with a real name.
    private string? FindHash(string user)
    {
        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes(user));
        string? found = null;
        foreach ((byte[] nameSha256, string hash) in _users)
        {
            if (CryptographicOperations.FixedTimeEquals(nameSha256, digest))
                found = hash;
        }
        return found;
    }
}
