using System.Globalization;

namespace SocketExporter.Web;

/// <summary>
/// The modular-crypt form of a bcrypt hash: $2a$, $2b$, $2x$ or $2y$ (htpasswd -B writes $2y$), a two-digit
/// cost, then 22 characters of salt and 31 of hash in bcrypt's base64 alphabet (./A-Za-z0-9).
/// </summary>
public static class BcryptHash
{
    // Go's x/crypto/bcrypt MinCost and MaxCost; BCrypt.Net-Next accepts the same range.
    public const int MinCost = 4;
    public const int MaxCost = 31;
    private const int SaltAndHashLength = 22 + 31;

    /// <summary>Checks the form only (no bcrypt computation); <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryParseCost(string hash, out int cost, out string problem)
    {
        cost = 0;
        // "$2y$10$" + 53 characters
        if (hash.Length != 7 + SaltAndHashLength || hash[0] != '$' || hash[1] != '2' || hash[3] != '$' || hash[6] != '$'
            || hash[2] is not ('a' or 'b' or 'x' or 'y'))
        {
            problem = "is not a bcrypt hash ($2a$, $2b$ or $2y$, a cost, then 53 characters; make one with htpasswd -nbB -C 10 USER PASSWORD)";
            return false;
        }
        if (!int.TryParse(hash.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out cost) || cost < MinCost || cost > MaxCost)
        {
            problem = $"bcrypt cost '{hash.Substring(4, 2)}' is not a number from {MinCost} to {MaxCost}";
            return false;
        }
        foreach (char c in hash.AsSpan(7))
        {
            if (!(c is '.' or '/' || char.IsAsciiLetterOrDigit(c)))
            {
                problem = $"bcrypt hash holds '{c}', which is not in bcrypt's alphabet (./A-Za-z0-9)";
                return false;
            }
        }
        problem = "";
        return true;
    }
}
