namespace SocketExporter.Web;

/// <summary>What <see cref="BasicAuthenticator.CheckAsync"/> found.</summary>
public enum AuthOutcome
{
    Authorized,
    /// <summary>No, wrong or unknown credentials: 401.</summary>
    Unauthorized,
    /// <summary>The client has too many requests waiting for bcrypt already: 429, try again later.</summary>
    Busy,
}
