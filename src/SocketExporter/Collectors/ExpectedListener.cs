using System.Text.RegularExpressions;

namespace SocketExporter.Collectors;

/// <summary>
/// One entry of the config file's expected_listeners: the ports a listener may use and, optionally, anchored
/// regexes its labels must match. A rule left out matches anything; every rule given must match.
/// </summary>
/// <param name="Address">Matched against the address label as socket_listening writes it (0.0.0.0, ::1, 0.0.0.0%lo).</param>
/// <param name="Program">Matched against the program label; "" when no visible process holds the socket.</param>
public sealed record ExpectedListener(PortRanges Ports, Regex? Program = null, Regex? Address = null, Regex? Netns = null,
    Regex? Protocol = null)
{
    public bool Matches(in ListenerLabels listener) =>
        Ports.Contains(listener.Port)
        && (Protocol?.IsMatch(listener.Protocol) ?? true)
        && (Address?.IsMatch(listener.Address) ?? true)
        && (Program?.IsMatch(listener.Program) ?? true)
        && (Netns?.IsMatch(listener.Netns) ?? true);
}
