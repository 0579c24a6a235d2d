using System.Net.Security;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SocketExporter.Web;

/// <summary>
/// Parses an exporter-toolkit web config from its text. Pure: no file is read (the certificate files are checked
/// by <see cref="WebSecurity.Load"/>). Strict like exporter-toolkit (which uses yaml.UnmarshalStrict): an unknown
/// key, a wrong type or a bad value throws <see cref="WebConfigException"/> naming the file, line and key.
/// </summary>
/// <remarks>
/// YamlDotNet's representation model (YamlStream, YamlMappingNode) is walked by hand instead of using its
/// reflection-based Deserializer, which NativeAOT cannot trim safely; it also gives every node's line.
/// </remarks>
public static class WebConfigParser
{
    // Keys exporter-toolkit knows that this exporter does not implement: named as such instead of "unknown",
    // so a node_exporter file that uses them gets a precise refusal rather than a suspected typo.
    private static readonly HashSet<string> UnsupportedToolkitKeys = new(StringComparer.Ordinal)
    {
        "rate_limit", "tls_server_config.cert", "tls_server_config.key", "tls_server_config.client_ca",
        "tls_server_config.curve_preferences", "tls_server_config.client_allowed_sans",
    };

    // yaml.v2 (which exporter-toolkit uses) resolves these plain scalars as booleans (YAML 1.1).
    private static readonly HashSet<string> TrueWords = new(StringComparer.Ordinal) { "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON" };
    private static readonly HashSet<string> FalseWords = new(StringComparer.Ordinal) { "false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF" };

    // The plain scalars YAML reads as null; an empty value ("key:") is one of them.
    private static readonly HashSet<string> NullWords = new(StringComparer.Ordinal) { "", "~", "null", "Null", "NULL" };

    /// <param name="text">The file's contents.</param>
    /// <param name="filePath">The file as given: named in messages, and the base of relative certificate paths.</param>
    public static WebConfig Parse(string text, string filePath)
    {
        var file = new SourceFile(filePath);
        YamlStream stream;
        try
        {
            stream = Configuration.DepthLimitedParser.Load(text);   // a deep file would overflow the stack
        }
        catch (YamlException e)   // syntax errors and duplicate keys
        {
            throw new WebConfigException(filePath, e.Start.Line, "", "not valid YAML: " + StripMark(e.Message), e);
        }

        var config = new WebConfig { FilePath = filePath };
        if (stream.Documents.Count == 0)
            return config;   // empty or only comments: no TLS, no authentication, as in exporter-toolkit
        if (stream.Documents.Count > 1)
            throw file.Error(stream.Documents[1].RootNode, "", "holds more than one YAML document; write one");
        YamlNode root = stream.Documents[0].RootNode;
        if (IsNull(root))
            return config;

        foreach ((string key, YamlNode keyNode, YamlNode value) in file.Entries(root, ""))
        {
            config = key switch
            {
                "tls_server_config" => config with { Tls = ParseTls(file, keyNode.Start.Line, value) },
                "http_server_config" => config with { Http = ParseHttp(file, value) },
                "basic_auth_users" => config with { BasicAuthUsers = ParseUsers(file, value) },
                _ => throw file.UnknownKey(keyNode, key, "", "tls_server_config, http_server_config, basic_auth_users"),
            };
        }
        return config;
    }

    private static TlsServerConfig? ParseTls(SourceFile file, long sectionLine, YamlNode node)
    {
        const string Section = "tls_server_config";
        if (IsNull(node))
            return null;
        string? cert = null, key = null, ca = null;
        long certLine = 0, keyLine = 0, caLine = 0;
        ClientAuthType clientAuth = ClientAuthType.NoClientCert;
        YamlNode? maxNode = null;
        TlsVersion min = TlsVersion.Tls12, max = TlsVersion.Tls13;
        var suites = new List<TlsCipherSuite>();
        bool preferServer = true;
        int entries = 0;

        foreach ((string name, YamlNode keyNode, YamlNode value) in file.Entries(node, Section))
        {
            entries++;
            string path = $"{Section}.{name}";
            switch (name)
            {
                case "cert_file": cert = file.String(value, path); certLine = value.Start.Line; break;
                case "key_file": key = file.String(value, path); keyLine = value.Start.Line; break;
                case "client_ca_file": ca = file.String(value, path); caLine = value.Start.Line; break;
                case "client_auth_type":
                    clientAuth = file.String(value, path) switch
                    {
                        null or "" or "NoClientCert" => ClientAuthType.NoClientCert,
                        "RequestClientCert" => ClientAuthType.RequestClientCert,
                        // "RequireClientCert" is exporter-toolkit's old spelling, still accepted there.
                        "RequireAnyClientCert" or "RequireClientCert" => ClientAuthType.RequireAnyClientCert,
                        "VerifyClientCertIfGiven" => ClientAuthType.VerifyClientCertIfGiven,
                        "RequireAndVerifyClientCert" => ClientAuthType.RequireAndVerifyClientCert,
                        string other => throw file.Error(value, path, $"'{other}' is not a client auth type; one of: "
                            + string.Join(", ", Enum.GetNames<ClientAuthType>())),
                    };
                    break;
                case "min_version": min = Version(file, value, path) ?? min; break;
                case "max_version": max = Version(file, value, path) ?? max; maxNode = value; break;
                case "cipher_suites":
                    foreach (YamlNode item in file.Sequence(value, path))
                    {
                        string suiteName = file.String(item, path) ?? "";
                        if (!TlsCipherSuiteNames.TryParse(suiteName, out TlsCipherSuite suite, out string problem))
                            throw file.Error(item, path, problem);
                        // Go ignores TLS 1.3 names here (TLS 1.3 suites are not configurable); they are always on.
                        if (!TlsCipherSuiteNames.Tls13.Contains(suite) && !suites.Contains(suite))
                            suites.Add(suite);
                    }
                    break;
                case "prefer_server_cipher_suites": preferServer = file.Bool(value, path) ?? preferServer; break;
                default:
                    throw file.UnknownKey(keyNode, name, Section,
                        "cert_file, key_file, client_ca_file, client_auth_type, min_version, max_version, cipher_suites, prefer_server_cipher_suites");
            }
        }
        // An empty section (often all of it commented out) means plain HTTP in exporter-toolkit too.
        if (entries == 0)
            return null;
        if (string.IsNullOrEmpty(cert))
            throw file.Error(certLine > 0 ? certLine : sectionLine, $"{Section}.cert_file", "is required for TLS (with key_file)");
        if (string.IsNullOrEmpty(key))
            throw file.Error(keyLine > 0 ? keyLine : sectionLine, $"{Section}.key_file", "is required for TLS (with cert_file)");
        if (!string.IsNullOrEmpty(ca) && clientAuth == ClientAuthType.NoClientCert)
            throw file.Error(caLine, $"{Section}.client_ca_file",
                "is set but client_auth_type is NoClientCert, so it would never be used; set client_auth_type (e.g. RequireAndVerifyClientCert)");
        if (min > max)
            throw file.Error(maxNode!, $"{Section}.max_version",
                $"{TlsVersions.Name(max)} is below min_version {TlsVersions.Name(min)}");

        return new TlsServerConfig
        {
            CertFile = new ConfigFileReference(file.Resolve(cert), $"{Section}.cert_file", certLine),
            KeyFile = new ConfigFileReference(file.Resolve(key), $"{Section}.key_file", keyLine),
            ClientCaFile = string.IsNullOrEmpty(ca) ? null : new ConfigFileReference(file.Resolve(ca), $"{Section}.client_ca_file", caLine),
            ClientAuth = clientAuth,
            MinVersion = min,
            MaxVersion = max,
            CipherSuites = suites,
            PreferServerCipherSuites = preferServer,
        };
    }

    private static TlsVersion? Version(SourceFile file, YamlNode value, string path)
    {
        string? text = file.String(value, path);
        if (text is null)
            return null;
        if (!TlsVersions.TryParse(text, out TlsVersion version))
            throw file.Error(value, path, $"'{text}' is not a TLS version; one of: {string.Join(", ", TlsVersions.Names)}");
        return version;
    }

    private static HttpServerConfig ParseHttp(SourceFile file, YamlNode node)
    {
        const string Section = "http_server_config";
        var config = HttpServerConfig.Default;
        if (IsNull(node))
            return config;
        foreach ((string name, YamlNode keyNode, YamlNode value) in file.Entries(node, Section))
        {
            string path = $"{Section}.{name}";
            switch (name)
            {
                case "http2":
                    config = config with { Http2 = file.Bool(value, path) ?? config.Http2 };
                    break;
                case "headers":
                    var headers = new List<KeyValuePair<string, string>>();
                    foreach ((string header, YamlNode headerNode, YamlNode headerValue) in file.Entries(value, path))
                    {
                        string headerPath = $"{path}.{header}";
                        // exporter-toolkit (web/handler.go) refuses every header outside its list, so that a config
                        // cannot break the protocol (Content-Type, Content-Length) or authentication (Authorization).
                        if (!HttpServerConfig.AllowedHeaders.TryGetValue(header, out string[]? allowed))
                            throw file.Error(headerNode, headerPath,
                                $"header '{header}' can not be configured; allowed: {string.Join(", ", HttpServerConfig.AllowedHeaders.Keys)}");
                        string text = file.String(headerValue, headerPath)
                            ?? throw file.Error(headerValue, headerPath, "needs a value");
                        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0)
                            throw file.Error(headerValue, headerPath, "must be one line");
                        if (allowed is not null && !allowed.Contains(text, StringComparer.OrdinalIgnoreCase))
                            throw file.Error(headerValue, headerPath, $"'{text}' is not allowed; one of: {string.Join(", ", allowed)}");
                        // The canonical spelling, as the allowed list writes it.
                        string canonical = HttpServerConfig.AllowedHeaders.Keys.First(k => string.Equals(k, header, StringComparison.OrdinalIgnoreCase));
                        headers.Add(new(canonical, text));
                    }
                    config = config with { Headers = headers };
                    break;
                default:
                    throw file.UnknownKey(keyNode, name, Section, "http2, headers");
            }
        }
        return config;
    }

    private static Dictionary<string, string> ParseUsers(SourceFile file, YamlNode node)
    {
        const string Section = "basic_auth_users";
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        if (IsNull(node))
            return users;
        foreach ((string user, YamlNode keyNode, YamlNode value) in file.Entries(node, Section))
        {
            string path = $"{Section}.{user}";
            // Basic credentials are "user:password" split at the first ':', so such a user could never log in.
            if (user.Contains(':'))
                throw file.Error(keyNode, path, "a user name cannot contain ':' (HTTP basic auth splits at the first ':')");
            string hash = file.String(value, path) ?? throw file.Error(value, path, "needs a bcrypt hash");
            if (!BcryptHash.TryParseCost(hash, out _, out string problem))
                throw file.Error(value, path, problem);
            users[user] = hash;
        }
        return users;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar && NullWords.Contains(scalar.Value ?? "");

    // YamlDotNet prefixes its messages with "(Line: 3, Col: 1, Idx: 20) - (Line: …): "; we print the line ourselves.
    private static string StripMark(string message)
    {
        int marker = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && marker > 0 ? message[(marker + 3)..] : message;
    }

    /// <summary>The file being parsed: where errors point and what relative paths are relative to.</summary>
    private sealed class SourceFile(string path)
    {
        private readonly string _directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? "/";

        // exporter-toolkit's JoinDir: absolute paths stay, relative ones are joined to the config file's directory.
        public string Resolve(string value) => System.IO.Path.IsPathRooted(value) ? value : System.IO.Path.Combine(_directory, value);

        public WebConfigException Error(YamlNode node, string key, string problem) => Error(node.Start.Line, key, problem);

        public WebConfigException Error(long line, string key, string problem) => new(path, line, key, problem);

        public WebConfigException UnknownKey(YamlNode keyNode, string name, string section, string known)
        {
            string full = section.Length == 0 ? name : $"{section}.{name}";
            return UnsupportedToolkitKeys.Contains(full)
                ? Error(keyNode, full, "is an exporter-toolkit setting that socket_exporter does not support")
                : Error(keyNode, full, $"unknown key; {(section.Length == 0 ? "top-level keys" : section + " takes")}: {known}");
        }

        /// <summary>The entries of a mapping, keys as strings, in file order; null (empty) yields none.</summary>
        public IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlNode node, string key)
        {
            if (IsNull(node))
                yield break;
            if (node is not YamlMappingNode mapping)
                throw Error(node, key.Length == 0 ? "" : key, $"must be a mapping (key: value lines), not {Describe(node)}");
            foreach (KeyValuePair<YamlNode, YamlNode> entry in mapping.Children)
            {
                if (entry.Key is not YamlScalarNode { Value: { } name })
                    throw Error(entry.Key, key, $"keys must be plain strings, not {Describe(entry.Key)}");
                yield return (name, entry.Key, entry.Value);
            }
        }

        public IEnumerable<YamlNode> Sequence(YamlNode node, string key)
        {
            if (IsNull(node))
                return [];
            return node as YamlSequenceNode ?? throw Error(node, key, $"must be a list, not {Describe(node)}");
        }

        /// <summary>A scalar's text; null for a YAML null (an empty value).</summary>
        public string? String(YamlNode node, string key)
        {
            if (node is not YamlScalarNode scalar)
                throw Error(node, key, $"must be a string, not {Describe(node)}");
            return IsNull(scalar) ? null : scalar.Value ?? "";
        }

        /// <summary>A plain YAML boolean (true/false, and yaml.v2's yes/no/on/off); null for an empty value.</summary>
        public bool? Bool(YamlNode node, string key)
        {
            if (node is not YamlScalarNode scalar)
                throw Error(node, key, $"must be true or false, not {Describe(node)}");
            if (IsNull(scalar))
                return null;
            bool plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
            if (plain && TrueWords.Contains(scalar.Value!))
                return true;
            if (plain && FalseWords.Contains(scalar.Value!))
                return false;
            throw Error(node, key, $"must be true or false, not '{scalar.Value}'{(plain ? "" : " (quoted, so a string)")}");
        }

        private static string Describe(YamlNode node) => node switch
        {
            YamlMappingNode => "a mapping",
            YamlSequenceNode => "a list",
            YamlScalarNode s => $"'{s.Value}'",
            _ => node.NodeType.ToString(),
        };
    }
}
