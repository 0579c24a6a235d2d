namespace SocketExporter.Who;

/// <summary>One grouped table of an answer (listeners, other connections, or device/path holders): what the shell
/// prints aligned and the landing page prints as an HTML table.</summary>
public sealed record WhoTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows);
