namespace SocketExporter.Web;

/// <summary>
/// A file named in the web config (cert_file, key_file, client_ca_file): the path resolved against the config
/// file's directory, and where it was written, so a file that cannot be read is reported at its line.
/// </summary>
/// <param name="Path">Absolute path (relative paths are resolved against the config file's directory, as in exporter-toolkit).</param>
/// <param name="Key">Dotted key, e.g. tls_server_config.cert_file.</param>
/// <param name="Line">1-based line of the value in the config file.</param>
public sealed record ConfigFileReference(string Path, string Key, long Line);
