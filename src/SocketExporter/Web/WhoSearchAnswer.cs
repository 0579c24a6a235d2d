using SocketExporter.Who;

namespace SocketExporter.Web;

public enum WhoSearchOutcome
{
    /// <summary>Asked and answered (the tables may be empty: nothing holds it).</summary>
    Answered,
    /// <summary>The target does not parse, or its path does not exist: <see cref="WhoSearchAnswer.Problem"/> says why.</summary>
    BadTarget,
    /// <summary>Another search was running: one at a time.</summary>
    Busy,
    /// <summary>The reading did not finish within the search's budget.</summary>
    TimedOut,
}

/// <summary>What the landing page's search box answered: `socket_exporter who`'s tables and notes for this host.</summary>
public sealed record WhoSearchAnswer(string Query, WhoSearchOutcome Outcome, IReadOnlyList<WhoTable> Tables, IReadOnlyList<string> Notes, string Problem = "");
