namespace SocketExporter.Web;

/// <summary>
/// tls_server_config.client_auth_type, named as exporter-toolkit names it (after Go's tls.ClientAuthType).
/// </summary>
public enum ClientAuthType
{
    /// <summary>No client certificate is asked for (the default).</summary>
    NoClientCert,
    /// <summary>A certificate is asked for; none, or any, is accepted without verification.</summary>
    RequestClientCert,
    /// <summary>A certificate is required; any is accepted without verification.</summary>
    RequireAnyClientCert,
    /// <summary>A certificate is optional; one that is sent must verify against client_ca_file.</summary>
    VerifyClientCertIfGiven,
    /// <summary>A certificate is required and must verify against client_ca_file.</summary>
    RequireAndVerifyClientCert,
}
