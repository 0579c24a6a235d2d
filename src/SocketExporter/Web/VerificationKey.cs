namespace SocketExporter.Web;

/// <summary>What a bcrypt outcome depends on. The password is kept only as its SHA-256.</summary>
internal readonly record struct VerificationKey(string User, string PasswordSha256, string Hash);
