using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SocketExporter.Web;

namespace SocketExporter.Tests.Web;

/// <summary>
/// The exporter-toolkit web config parser: every malformed file must name the file, the line and the key, and a
/// valid file must come back with every setting. Certificates for the Load tests are made in-process.
/// </summary>
public sealed class WebConfigTests : IDisposable
{
    private const string ConfigPath = "/etc/socket-exporter/web-config.yml";
    private const string Hash = "$2y$10$OMeHWSgt3ttAdLAFqUpn/uhe2HVQvfEeAK2.fhDpeGS/vkZQAb/pa";   // htpasswd -nbB -C 10 user pass

    private readonly string _dir = Directory.CreateTempSubdirectory("socket-exporter-webconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Each row: the file, the line the message must name, the key it must name, a word of the problem.
    public static TheoryData<string, int, string, string> MalformedFiles => new()
    {
        { "tls_server_confg:\n  cert_file: a\n", 1, "tls_server_confg", "unknown key" },
        { "# comment\ntls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cert_fil: b\n", 5, "tls_server_config.cert_fil", "unknown key" },
        { "tls_server_config:\n  - cert_file\n", 2, "tls_server_config", "must be a mapping" },
        { "tls_server_config: yes\n", 1, "tls_server_config", "must be a mapping" },
        { "tls_server_config:\n  cert_file: a.crt\n", 1, "tls_server_config.key_file", "required" },
        { "tls_server_config:\n  key_file: a.key\n", 1, "tls_server_config.cert_file", "required" },
        { "tls_server_config:\n  cert_file:\n    path: a.crt\n  key_file: a.key\n", 3, "tls_server_config.cert_file", "must be a string" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS14\n", 4, "tls_server_config.min_version", "TLS14" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_version: TLS13\n  max_version: TLS12\n", 5, "tls_server_config.max_version", "below min_version" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_auth_type: RequireCert\n", 4, "tls_server_config.client_auth_type", "RequireCert" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  client_ca_file: ca.crt\n", 4, "tls_server_config.client_ca_file", "NoClientCert" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n    - TLS_FAKE_WITH_NOTHING\n", 6, "tls_server_config.cipher_suites", "TLS_FAKE_WITH_NOTHING" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites:\n    - TLS_RSA_WITH_RC4_128_SHA\n", 5, "tls_server_config.cipher_suites", "RC4" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites: TLS_AES_128_GCM_SHA256\n", 4, "tls_server_config.cipher_suites", "must be a list" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  prefer_server_cipher_suites: sometimes\n", 4, "tls_server_config.prefer_server_cipher_suites", "true or false" },
        { "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  curve_preferences: [X25519]\n", 4, "tls_server_config.curve_preferences", "does not support" },
        { "http_server_config:\n  http2: maybe\n", 2, "http_server_config.http2", "true or false" },
        { "http_server_config:\n  http2: \"true\"\n", 2, "http_server_config.http2", "quoted" },
        { "http_server_config:\n  headers:\n    Authorization: Basic Zm9v\n", 3, "http_server_config.headers.Authorization", "can not be configured" },
        { "http_server_config:\n  headers:\n    X-Frame-Options: deny\n    Content-Type: text/html\n", 4, "http_server_config.headers.Content-Type", "can not be configured" },
        { "http_server_config:\n  headers:\n    X-Frame-Options: allowall\n", 3, "http_server_config.headers.X-Frame-Options", "allowall" },
        { "http_server_config:\n  headers:\n    - X-Frame-Options\n", 3, "http_server_config.headers", "must be a mapping" },
        { "http_server_config:\n  http1: true\n", 2, "http_server_config.http1", "unknown key" },
        { "basic_auth_users:\n  alice: secret\n", 2, "basic_auth_users.alice", "not a bcrypt hash" },
        { $"basic_auth_users:\n  alice: {Hash}\n  bob: $2y$99$OMeHWSgt3ttAdLAFqUpn/uhe2HVQvfEeAK2.fhDpeGS/vkZQAb/pa\n", 3, "basic_auth_users.bob", "cost" },
        { "basic_auth_users:\n  alice: $2y$10$OMeHWSgt3ttAdLAFqUpn/uhe2HVQvfEeAK2.fhDpeGS/vkZQAb/p!\n", 2, "basic_auth_users.alice", "alphabet" },
        { "basic_auth_users:\n  alice:\n", 2, "basic_auth_users.alice", "needs a bcrypt hash" },
        { $"basic_auth_users:\n  \"a:b\": {Hash}\n", 2, "basic_auth_users.a:b", "cannot contain ':'" },
        { "basic_auth_users: alice\n", 1, "basic_auth_users", "must be a mapping" },
        { "rate_limit:\n  interval: 1s\n", 1, "rate_limit", "does not support" },
    };

    [Theory, Trait("Category", "Unit")]
    [MemberData(nameof(MalformedFiles))]
    public void Parse_Malformed_NamesFileLineAndKey(string yaml, int line, string key, string problem)
    {
        var e = Assert.Throws<WebConfigException>(() => WebConfigParser.Parse(yaml, ConfigPath));
        Assert.Equal((line, key), ((int)e.Line, e.Key));
        Assert.Contains($"{ConfigPath}:{line}: {key}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Theory, Trait("Category", "Unit")]
    [InlineData("tls_server_config:\n  cert_file: [a\n", 3)]                   // unclosed flow sequence: reported where YAML gives up
    [InlineData("http_server_config:\n  http2: true\n  http2: false\n", 3)]   // duplicate key
    [InlineData("basic_auth_users:\n\talice: x\n", 1)]                         // tab indentation: YamlDotNet marks the mapping
    [InlineData("tls_server_config:\n  cert_file: a\n   key_file: b\n", 3)]    // indented deeper than its sibling
    public void Parse_InvalidYaml_NamesFileAndLine(string yaml, int line)
    {
        var e = Assert.Throws<WebConfigException>(() => WebConfigParser.Parse(yaml, ConfigPath));
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"web config {ConfigPath}:{line}: not valid YAML: ", e.Message);
    }

    [Fact, Trait("Category", "Unit")]
    public void Parse_TwoDocuments_NamesTheSecond()
    {
        var e = Assert.Throws<WebConfigException>(() => WebConfigParser.Parse("http_server_config:\n  http2: true\n---\nbasic_auth_users:\n", ConfigPath));
        Assert.Equal(4, e.Line);
        Assert.Contains("more than one YAML document", e.Message);
    }

    [Theory, Trait("Category", "Unit")]
    [InlineData("")]
    [InlineData("# everything commented out\n# tls_server_config:\n")]
    [InlineData("tls_server_config:\n  # cert_file: a.crt\nhttp_server_config:\nbasic_auth_users:\n")]
    [InlineData("tls_server_config: {}\nbasic_auth_users: {}\n")]
    [InlineData("---\n")]
    public void Parse_EmptySections_MeanPlainHttpWithoutAuthentication(string yaml)
    {
        WebConfig config = WebConfigParser.Parse(yaml, ConfigPath);
        Assert.Null(config.Tls);
        Assert.Empty(config.BasicAuthUsers);
        Assert.Equal((true, 0), (config.Http.Http2, config.Http.Headers.Count));
    }

    [Fact, Trait("Category", "Unit")]
    public void Parse_Defaults_AreExporterToolkits()
    {
        WebConfig config = WebConfigParser.Parse("tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", ConfigPath);
        TlsServerConfig tls = Assert.IsType<TlsServerConfig>(config.Tls);
        Assert.Equal((TlsVersion.Tls12, TlsVersion.Tls13, ClientAuthType.NoClientCert, true),
            (tls.MinVersion, tls.MaxVersion, tls.ClientAuth, tls.PreferServerCipherSuites));
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13, tls.Protocols);
        Assert.Empty(tls.CipherSuites);
        Assert.True(config.Http.Http2);
    }

    [Theory, Trait("Category", "Unit")]
    [InlineData("a.crt", "/etc/socket-exporter/a.crt")]
    [InlineData("tls/a.crt", "/etc/socket-exporter/tls/a.crt")]
    [InlineData("../pki/a.crt", "/etc/socket-exporter/../pki/a.crt")]
    [InlineData("/srv/a.crt", "/srv/a.crt")]
    public void Parse_RelativeCertPath_ResolvesAgainstConfigDirectory(string written, string resolved)
    {
        WebConfig config = WebConfigParser.Parse($"tls_server_config:\n  cert_file: {written}\n  key_file: a.key\n", ConfigPath);
        Assert.Equal(resolved, config.Tls!.CertFile.Path);
        Assert.Equal(("tls_server_config.cert_file", 2L), (config.Tls.CertFile.Key, config.Tls.CertFile.Line));
    }

    [Fact, Trait("Category", "Unit")]
    public void Load_FullFile_ReturnsEverySetting()
    {
        (string certPem, string keyPem, _) = SelfSigned("server");
        File.WriteAllText(Path.Combine(_dir, "server.crt"), certPem);
        Directory.CreateDirectory(Path.Combine(_dir, "keys"));
        File.WriteAllText(Path.Combine(_dir, "keys", "server.key"), keyPem);
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), SelfSigned("ca").CertPem);
        string path = Path.Combine(_dir, "web.yml");
        File.WriteAllText(path, $"""
            # A file node_exporter would take as well.
            tls_server_config:
              cert_file: server.crt
              key_file: keys/server.key
              client_ca_file: {Path.Combine(_dir, "ca.crt")}
              client_auth_type: "RequireAndVerifyClientCert"
              min_version: TLS13
              max_version: TLS13
              cipher_suites:
                - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
                - TLS_AES_128_GCM_SHA256
                - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
              prefer_server_cipher_suites: false
            http_server_config:
              http2: false
              headers:
                Strict-Transport-Security: max-age=31536000
                x-frame-options: SAMEORIGIN
                X-Content-Type-Options: nosniff
                X-XSS-Protection: "1; mode=block"
                Content-Security-Policy: default-src 'self'
            basic_auth_users:
              prometheus: '{Hash}'
              alice: {Hash.Replace("$2y$", "$2b$")}
            """);

        WebConfig config = WebSecurity.Load(path);

        Assert.Equal(path, config.FilePath);
        TlsServerConfig tls = Assert.IsType<TlsServerConfig>(config.Tls);
        Assert.Equal(Path.Combine(_dir, "server.crt"), tls.CertFile.Path);
        Assert.Equal(Path.Combine(_dir, "keys", "server.key"), tls.KeyFile.Path);
        Assert.Equal(Path.Combine(_dir, "ca.crt"), tls.ClientCaFile?.Path);
        Assert.Equal((3L, 4L, 5L), (tls.CertFile.Line, tls.KeyFile.Line, tls.ClientCaFile!.Line));
        Assert.Equal(ClientAuthType.RequireAndVerifyClientCert, tls.ClientAuth);
        Assert.True(tls.VerifiesClientCertificates);
        Assert.Equal((TlsVersion.Tls13, TlsVersion.Tls13, false), (tls.MinVersion, tls.MaxVersion, tls.PreferServerCipherSuites));
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls13, tls.Protocols);
        // The TLS 1.3 name is accepted and dropped: TLS 1.3 suites are always on, as in Go.
        Assert.Equal([TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256], tls.CipherSuites);
        Assert.False(config.Http.Http2);
        Assert.Equal(5, config.Http.Headers.Count);
        Assert.Equal(
            [
                new("Strict-Transport-Security", "max-age=31536000"),
                new("X-Frame-Options", "SAMEORIGIN"),
                new("X-Content-Type-Options", "nosniff"),
                new("X-XSS-Protection", "1; mode=block"),
                new("Content-Security-Policy", "default-src 'self'"),
            ],
            config.Http.Headers);
        Assert.Equal(2, config.BasicAuthUsers.Count);
        Assert.Equal(Hash, config.BasicAuthUsers["prometheus"]);
        Assert.StartsWith("$2b$10$", config.BasicAuthUsers["alice"]);
    }

    [Fact, Trait("Category", "Unit")]
    public void Load_MissingConfigFile_NamesIt()
    {
        string path = Path.Combine(_dir, "absent.yml");
        var e = Assert.Throws<WebConfigException>(() => WebSecurity.Load(path));
        Assert.StartsWith($"web config {path}: cannot read: ", e.Message);
    }

    [Fact, Trait("Category", "Unit")]
    public void Load_MissingCertFile_NamesKeyLineAndPath()
    {
        File.WriteAllText(Path.Combine(_dir, "server.key"), SelfSigned("server").KeyPem);
        string path = WriteConfig("tls_server_config:\n  key_file: server.key\n  cert_file: missing.crt\n");
        var e = Assert.Throws<WebConfigException>(() => WebSecurity.Load(path));
        Assert.Contains($"{path}:3: tls_server_config.cert_file: cannot read '{Path.Combine(_dir, "missing.crt")}'", e.Message);
    }

    [Fact, Trait("Category", "Unit")]
    public void Load_CertFileWithoutCertificate_NamesCertKey()
    {
        (_, string keyPem, _) = SelfSigned("server");
        File.WriteAllText(Path.Combine(_dir, "server.key"), keyPem);
        File.WriteAllText(Path.Combine(_dir, "server.crt"), keyPem);   // the key twice, a common slip
        string path = WriteConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
        var e = Assert.Throws<WebConfigException>(() => WebSecurity.Load(path));
        Assert.Contains($"{path}:2: tls_server_config.cert_file: ", e.Message);
        Assert.Contains("holds no PEM certificate", e.Message);
    }

    [Fact, Trait("Category", "Unit")]
    public void Load_KeyOfAnotherCertificate_NamesKeyFile()
    {
        File.WriteAllText(Path.Combine(_dir, "server.crt"), SelfSigned("server").CertPem);
        File.WriteAllText(Path.Combine(_dir, "other.key"), SelfSigned("other").KeyPem);
        string path = WriteConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n");
        var e = Assert.Throws<WebConfigException>(() => WebSecurity.Load(path));
        Assert.Contains($"{path}:3: tls_server_config.key_file: ", e.Message);
        Assert.Contains("matching cert_file", e.Message);
    }

    [Fact, Trait("Category", "Unit")]
    public void Load_UnreadableCaFile_NamesCaKey()
    {
        (string certPem, string keyPem, _) = SelfSigned("server");
        File.WriteAllText(Path.Combine(_dir, "server.crt"), certPem);
        File.WriteAllText(Path.Combine(_dir, "server.key"), keyPem);
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), "not a certificate\n");
        string path = WriteConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n");
        var e = Assert.Throws<WebConfigException>(() => WebSecurity.Load(path));
        Assert.Contains($"{path}:5: tls_server_config.client_ca_file: ", e.Message);
    }

    [Fact, Trait("Category", "Unit")]
    public void CertificateReloader_BrokenReplacement_KeepsLastGoodThenTakesNextGood()
    {
        (string certPem, string keyPem, string serial) = SelfSigned("first");
        string cert = Path.Combine(_dir, "server.crt"), key = Path.Combine(_dir, "server.key");
        File.WriteAllText(cert, certPem);
        File.WriteAllText(key, keyPem);
        WebConfig config = WebSecurity.Load(WriteConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"));
        using var reloader = new CertificateReloader(config.FilePath, config.Tls!, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, poll: false);
        Assert.Equal(serial, reloader.Current.Certificate.SerialNumber);

        (string nextCert, string nextKey, string nextSerial) = SelfSigned("second");
        File.WriteAllText(cert, nextCert);   // the key not yet replaced: the pair does not match
        reloader.Poll();
        Assert.Equal(serial, reloader.Current.Certificate.SerialNumber);
        File.WriteAllText(key, nextKey);
        reloader.Poll();
        Assert.Equal(nextSerial, reloader.Current.Certificate.SerialNumber);
        Assert.NotEqual(serial, nextSerial);
    }

    // Issue 17: cert_file replaced by a FIFO or linked to /dev/zero hung or exhausted every handshake, and the
    // failure was not remembered. A look keeps the last good pair, returns, and the broken version is remembered.
    [Theory]
    [InlineData("fifo")]
    [InlineData("devzero")]
    public void CertificateReloader_CertFileNotARegularFile_KeepsLastGoodWithoutHanging(string kind)
    {
        (string certPem, string keyPem, string serial) = SelfSigned("first");
        string cert = Path.Combine(_dir, "server.crt"), key = Path.Combine(_dir, "server.key");
        File.WriteAllText(cert, certPem);
        File.WriteAllText(key, keyPem);
        WebConfig config = WebSecurity.Load(WriteConfig("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"));
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var reloader = new CertificateReloader(config.FilePath, config.Tls!, new QueueLogger(log), poll: false);

        File.Delete(cert);
        if (kind == "fifo")
            Infrastructure.ToolRunner.Run("mkfifo", cert);
        else
            File.CreateSymbolicLink(cert, "/dev/zero");
        for (int look = 0; look < 3; look++)
        {
            var thread = new Thread(() => reloader.Poll()) { IsBackground = true };
            thread.Start();
            Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "a look at the certificate did not return within 30 s");
        }
        Assert.Equal(serial, reloader.Current.Certificate.SerialNumber);
        string warning = Assert.Single(log);   // remembered: three looks, one attempt
        Assert.Contains("not a regular file", warning);
    }

    private sealed class QueueLogger(System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;
        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter) => lines.Enqueue(formatter(state, exception));
    }

    private string WriteConfig(string yaml)
    {
        string path = Path.Combine(_dir, "web.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static (string CertPem, string KeyPem, string Serial) SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return (cert.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n", cert.SerialNumber);
    }
}

/// <summary>Basic credentials as Go parses them, and bcrypt outcomes: right, wrong, unknown user, cache bound.</summary>
public sealed class BasicAuthenticatorTests
{
    // Cost 4, the minimum, keeps these tests fast; the integration tests use htpasswd's cost 10.
    private static readonly string AliceHash = BCrypt.Net.BCrypt.HashPassword("wonderland", 4);

    [Theory, Trait("Category", "Unit")]
    [InlineData("Basic YWxpY2U6d29uZGVybGFuZA==", "alice", "wonderland")]
    [InlineData("basic YWxpY2U6d29uZGVybGFuZA==", "alice", "wonderland")]    // scheme is case-insensitive
    [InlineData("Basic YWxpY2U6d29uOmRlcg==", "alice", "won:der")]           // split at the first ':'
    [InlineData("Basic OnB3", "", "pw")]
    public void TryParseBasic_Valid_SplitsUserAndPassword(string header, string user, string password)
    {
        Assert.True(BasicAuthenticator.TryParseBasic(header, out string u, out string p));
        Assert.Equal((user, password), (u, p));
    }

    [Theory, Trait("Category", "Unit")]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer YWxpY2U6d29uZGVybGFuZA==")]
    [InlineData("Basic not-base64!")]
    [InlineData("Basic YWxpY2U=")]      // "alice": no colon
    [InlineData("Basic /w==")]          // 0xFF: not UTF-8
    public void TryParseBasic_Invalid_IsRefused(string? header)
    {
        Assert.False(BasicAuthenticator.TryParseBasic(header, out _, out _));
    }

    [Fact, Trait("Category", "Unit")]
    public async Task VerifyAsync_RightWrongAndUnknown_OnlyRightPasses()
    {
        var auth = new BasicAuthenticator(new Dictionary<string, string> { ["alice"] = AliceHash });
        Assert.True(await auth.VerifyAsync("alice", "wonderland"));
        Assert.False(await auth.VerifyAsync("alice", "wonderlan"));
        Assert.False(await auth.VerifyAsync("bob", "wonderland"));
        Assert.False(await auth.VerifyAsync("Alice", "wonderland"));   // names are exact, as in Go
        Assert.True(await auth.VerifyAsync("alice", "wonderland"));    // from the cache now
        Assert.Equal(4, auth.CachedOutcomes);
        Assert.True(await auth.IsAuthorizedAsync("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:wonderland"))));
    }

    [Fact, Trait("Category", "Unit")]
    public async Task VerifyAsync_ManyWrongPasswords_CacheStaysBounded()
    {
        var auth = new BasicAuthenticator(new Dictionary<string, string> { ["alice"] = AliceHash });
        for (int i = 0; i < BasicAuthenticator.CacheCapacity + 50; i++)
            Assert.False(await auth.VerifyAsync(i % 2 == 0 ? "alice" : "mallory", $"guess-{i}"));
        Assert.Equal(BasicAuthenticator.CacheCapacity, auth.CachedOutcomes);
        Assert.True(await auth.VerifyAsync("alice", "wonderland"));
    }

    [Fact, Trait("Category", "Unit")]
    public void VerificationCache_Full_EvictsLeastRecentlyUsed()
    {
        var cache = new VerificationCache(2);
        VerificationKey a = new("a", "1", "h"), b = new("b", "1", "h"), c = new("c", "1", "h");
        cache.Set(a, true);
        cache.Set(b, false);
        Assert.True(cache.TryGet(a, out bool valid) && valid);   // a is now the most recent
        cache.Set(c, true);
        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet(b, out _));
        Assert.True(cache.TryGet(a, out _) && cache.TryGet(c, out _));
    }
}
