using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SocketExporter.Web;

/// <summary>
/// HTTP basic authentication against basic_auth_users (user → bcrypt hash), as exporter-toolkit does it
/// (web/handler.go): outcomes cached by (user, password, hash), bcrypt run one at a time, and an unknown user
/// checked against a dummy hash so the response time does not tell which users exist.
/// </summary>
public sealed class BasicAuthenticator
{
    /// <summary>Cached outcomes; exporter-toolkit keeps 100, a few more cost nothing and survive a password spray better.</summary>
    public const int CacheCapacity = 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly (byte[] NameSha256, string Hash)[] _users;
    private readonly string _dummyHash;
    private readonly VerificationCache _cache = new(CacheCapacity);
    // One bcrypt at a time (exporter-toolkit's bcryptMtx): a flood of wrong passwords costs one core, not all.
    private readonly SemaphoreSlim _bcrypt = new(1, 1);

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
    public ValueTask<bool> IsAuthorizedAsync(string? authorization) =>
        TryParseBasic(authorization, out string user, out string password) ? VerifyAsync(user, password) : ValueTask.FromResult(false);

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

    public async ValueTask<bool> VerifyAsync(string user, string password)
    {
        string? hash = FindHash(user);
        bool known = hash is not null;
        var key = new VerificationKey(user, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(password))), hash ?? _dummyHash);
        if (_cache.TryGet(key, out bool valid))
            return valid;
        await _bcrypt.WaitAsync();
        try
        {
            if (_cache.TryGet(key, out valid))   // verified while this request waited
                return valid;
            valid = BCrypt.Net.BCrypt.Verify(password, key.Hash) && known;
            _cache.Set(key, valid);
            return valid;
        }
        finally
        {
            _bcrypt.Release();
        }
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
