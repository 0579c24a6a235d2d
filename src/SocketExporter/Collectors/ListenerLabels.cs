namespace SocketExporter.Collectors;

/// <summary>The labels of one socket_listening series that an <see cref="ExpectedListener"/> looks at.</summary>
public readonly record struct ListenerLabels(string Protocol, string Address, int Port, string Program, string Netns);
