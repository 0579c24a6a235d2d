using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SocketExporter.Linux.Interop;

namespace SocketExporter.Web;

/// <summary>
/// --web.config.file: TLS, client certificates, HTTP/2, response headers and basic authentication from an
/// exporter-toolkit web config, applied to Kestrel and the request pipeline.
/// </summary>
public static class WebSecurity
{
    /// <summary>Reads and checks the file, including the certificate, key and CA files it names.</summary>
    /// <exception cref="WebConfigException">Naming the file, line and key of the first problem.</exception>
    public static WebConfig Load(string path)
    {
        string text = ConfigFiles.ReadConfig(path, out FileVersion version);
        WebConfig config = WebConfigParser.Parse(text, path) with { Version = version };
        if (config.Tls is { } tls)
        {
            // Read now so that a bad file stops the exporter at startup, not at the first handshake.
            ServerCertificate.Load(path, tls.CertFile, tls.KeyFile);
            if (tls.ClientCaFile is { } ca)
                ClientCertificateVerifier.LoadTrustAnchors(path, ca);
        }
        return config;
    }

    /// <summary>
    /// Listens on every endpoint: as before without a config, plain HTTP/1.1 without tls_server_config; otherwise TLS
    /// with the config's versions, cipher suites, client certificate policy and reloaded server certificate,
    /// and HTTP/2 by ALPN unless http_server_config.http2 is false.
    /// </summary>
    /// <exception cref="WebConfigException">The certificate files became unusable since <see cref="Load"/>.</exception>
    public static void ConfigureKestrel(KestrelServerOptions kestrel, IEnumerable<IPEndPoint> endpoints, WebConfig? config)
    {
        if (config is null)
        {
            foreach (IPEndPoint endpoint in endpoints)
                kestrel.Listen(endpoint);   // no --web.config.file: exactly as without this feature
            return;
        }
        if (config.Tls is not { } tls)
        {
            // Go's net/http serves no HTTP/2 without TLS (no h2c), so neither does a config without TLS.
            foreach (IPEndPoint endpoint in endpoints)
                kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
            return;
        }

        ILoggerFactory logs = kestrel.ApplicationServices?.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var reloader = new CertificateReloader(config.FilePath, tls, logs.CreateLogger("SocketExporter.Web.CertificateReloader"), config.Reload);
        ClientCertificateVerifier? verifier = !tls.VerifiesClientCertificates ? null
            : new ClientCertificateVerifier(tls.ClientCaFile is null ? null : ClientCertificateVerifier.LoadTrustAnchors(config.FilePath, tls.ClientCaFile));
        CipherSuitesPolicy? ciphers = CipherPolicy(tls);

        foreach (IPEndPoint endpoint in endpoints)
        {
            kestrel.Listen(endpoint, listen =>
            {
                // Before UseHttps: it reads Protocols to decide what to offer by ALPN. Go serves no h2c, so
                // HTTP/2 is only ever offered over TLS.
                listen.Protocols = config.Http.Http2 ? HttpProtocols.Http1AndHttp2 : HttpProtocols.Http1;
                listen.UseHttps(https => ConfigureHttps(https, tls, reloader, verifier, ciphers));
            });
        }
    }

    private static CipherSuitesPolicy? CipherPolicy(TlsServerConfig tls)
    {
        if (tls.CipherSuites.Count == 0)
            return null;   // OpenSSL's defaults
        // SslStream passes a suite list to OpenSSL; on Windows, SChannel takes the system's list only.
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("tls_server_config.cipher_suites needs OpenSSL (Linux)");
        // TLS 1.3 suites are always on, as in Go, where cipher_suites applies to TLS 1.0-1.2 only.
        return new CipherSuitesPolicy(tls.CipherSuites.Concat(TlsCipherSuiteNames.Tls13));
    }

    private static void ConfigureHttps(HttpsConnectionAdapterOptions https, TlsServerConfig tls, CertificateReloader reloader,
        ClientCertificateVerifier? verifier, CipherSuitesPolicy? ciphers)
    {
        https.SslProtocols = tls.Protocols;
        // A client that connects and never finishes the handshake holds a descriptor for this long at most.
        https.HandshakeTimeout = ConnectionLimits.TlsHandshakeTimeout;
        // Client certificates are checked by ClientCertificateVerifier, which never goes online (neither does Go).
        https.CheckCertificateRevocation = false;
        https.ClientCertificateMode = tls.ClientAuth switch
        {
            ClientAuthType.NoClientCert => ClientCertificateMode.NoCertificate,
            ClientAuthType.RequestClientCert or ClientAuthType.VerifyClientCertIfGiven => ClientCertificateMode.AllowCertificate,
            _ => ClientCertificateMode.RequireCertificate,
        };
        // Kestrel calls this only when a certificate was sent (a missing one is judged by the mode above).
        // RequestClientCert and RequireAnyClientCert accept any certificate, as in Go.
        if (https.ClientCertificateMode != ClientCertificateMode.NoCertificate)
            https.ClientCertificateValidation = verifier is null ? (_, _, _) => true : (certificate, chain, _) => verifier.Verify(certificate, chain);

        // Kestrel requires a certificate or a selector. The selector is what a handshake would use, but
        // OnAuthenticate below replaces it with the reloaded certificate's prebuilt context: a selected
        // certificate alone makes SslStream build a chain per handshake from the leaf, and so drops the
        // intermediates of cert_file, which Go sends.
        https.ServerCertificateSelector = (_, _) => reloader.Current.Certificate;
        https.OnAuthenticate = (_, ssl) =>
        {
            ssl.ServerCertificateSelectionCallback = null;
            ssl.ServerCertificateContext = reloader.Current.Context;
            if (ciphers is not null)
                ssl.CipherSuitesPolicy = ciphers;
        };
    }

    /// <summary>
    /// Adds the configured response headers and basic authentication in front of every path — /metrics, the
    /// landing page, /-/healthy and /-/ready alike, as node_exporter protects everything it serves (a probe then
    /// needs the credentials too). Headers are set on every response, 401s included, as exporter-toolkit does.
    /// Both follow changes of the file (<see cref="WebConfigReloader"/>).
    /// </summary>
    public static void UseWebSecurity(WebApplication app, WebConfig? config)
    {
        if (config is null)
            return;
        ILoggerFactory logs = app.Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        var reloader = new WebConfigReloader(config, logs.CreateLogger("SocketExporter.Web.WebConfigReloader"));

        app.Use(async (HttpContext context, RequestDelegate next) =>
        {
            WebConfigReloader.RequestPolicy policy = reloader.Current;
            foreach ((string name, string value) in policy.Headers)
                context.Response.Headers[name] = value;
            if (policy.Authenticator is { } authenticator)
            {
                var authorization = context.Request.Headers.Authorization;
                AuthOutcome outcome = await authenticator.CheckAsync(authorization.Count > 0 ? authorization[0] : null,
                    context.Connection.RemoteIpAddress, context.RequestAborted);
                if (outcome == AuthOutcome.Busy)
                {
                    context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    context.Response.Headers.RetryAfter = "1";
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync("Too many requests waiting for authentication from this address\n");
                    return;
                }
                if (outcome != AuthOutcome.Authorized)
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Basic";
                    context.Response.ContentType = "text/plain; charset=utf-8";
                    await context.Response.WriteAsync("Unauthorized\n");
                    return;
                }
            }
            await next(context);
        });
    }
}
