using System.Net;
using System.Text;
using SocketExporter.Collectors;
using SocketExporter.Scraping;

namespace SocketExporter.Web;

/// <summary>
/// GET /: version, collectors, links, and the listeners of the last scrape (or of a collection of the page's own, see
/// <see cref="ResultAsync"/>) — the `netstat -ntlp` answer at a glance. Rendered from that result's listener table and
/// the read problems as they stand (no kernel reads of its own); every value is HTML-encoded.
/// </summary>
public sealed class LandingPage(ScrapeCoordinator coordinator, CollectorRunner runner, BuildInfo build, string telemetryPath)
{
    /// <summary>How long the page waits for a collection of its own.</summary>
    public static readonly TimeSpan CollectionBudget = TimeSpan.FromSeconds(10);

    /// <summary>The last scrape's result, unless that scrape was cut short by its timeout (a client may ask for 1 ms): then
    /// a collection of the page's own, which the next visitors see. Waiting for it holds no turn of --web.max-requests.</summary>
    public Task<ScrapeResult> ResultAsync(CancellationToken aborted) =>
        coordinator.Latest is { Partial: null } latest ? Task.FromResult(latest)
            : coordinator.CollectAsync(budget: CollectionBudget).WaitAsync(CollectionBudget, aborted);

    public string Render(ScrapeResult result)
    {
        var html = new StringBuilder(16 * 1024);
        html.Append("""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>SocketExporter</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:1rem;max-width:70rem}
            table{border-collapse:collapse;width:100%;font-size:.9rem}
            th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
            td.n{text-align:right;font-variant-numeric:tabular-nums}
            .wrap{overflow-x:auto} code{background:#f3f3f3;padding:0 .2rem}
            @media (max-width:600px){body{margin:.5rem}th,td{padding:.25rem .3rem;font-size:.8rem}h1{font-size:1.5rem}}
            </style></head><body>
            <h1>SocketExporter</h1>
            """);
        string revision = build.Revision.Length > 12 ? build.Revision[..12] : build.Revision;
        html.Append("<p>Version ").Append(Enc(build.Version)).Append(" (").Append(Enc(revision)).Append(")</p>");
        html.Append("<p><a href=\"").Append(Enc(telemetryPath)).Append("\">Metrics</a> · <a href=\"/-/healthy\">Health</a> · <a href=\"/-/ready\">Ready</a></p>");
        html.Append("<p>Collectors: ");
        html.AppendJoin(", ", runner.Collectors.Select(c => "<code>" + Enc(c.Name) + "</code>"));
        html.Append("</p>");

        IReadOnlyList<ListenerRow>? listeners = result.Listeners;
        if (listeners is null)
        {
            html.Append("<p><strong>Collection failed:</strong> ").Append(Enc(result.Failure ?? "unknown")).Append("</p>");
        }
        else
        {
            html.Append("<h2>Listeners</h2><p>As of ").Append(result.CompletedUtc.ToString("u", System.Globalization.CultureInfo.InvariantCulture))
                .Append(". Accept queue: waiting connections / backlog.</p>");
            if (result.Partial is { } partial)   // cut short at a scrape deadline: the table lacks what was not read
                html.Append("<p><strong>Incomplete:</strong> ").Append(Enc(partial)).Append(".</p>");
            AppendReadProblems(html, coordinator.ReadProblems);
            html.Append("<div class=\"wrap\"><table id=\"listeners\"><thead><tr><th>Proto</th><th>Address:port</th><th>Program</th><th>PID</th><th>User</th><th>Accept queue</th><th>Netns</th></tr></thead><tbody>");
            foreach (ListenerRow row in listeners)
            {
                html.Append("<tr><td>").Append(row.Protocol).Append("</td><td>").Append(Enc(row.Endpoint))
                    .Append("</td><td>").Append(Enc(row.Program)).Append("</td><td class=\"n\">").Append(Enc(row.Pid))
                    .Append("</td><td>").Append(Enc(row.User)).Append("</td><td class=\"n\">")
                    .Append(row.Protocol == "tcp" ? $"{row.QueueLength} / {row.QueueLimit}" : "").Append("</td><td>")
                    .Append(Enc(row.Netns)).Append("</td></tr>");
            }
            html.Append("</tbody></table></div>");
        }
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>What the exporter could not fully read, and why: the log's read problems, as they stand now.</summary>
    private static void AppendReadProblems(StringBuilder html, IReadOnlyDictionary<string, string> problems)
    {
        const int Shown = 20;
        if (problems.Count == 0)
            return;
        html.Append("<p><strong>Not fully read:</strong></p><ul id=\"read-problems\">");
        foreach ((string what, string why) in problems.OrderBy(p => p.Key, StringComparer.Ordinal).Take(Shown))
            html.Append("<li>").Append(Enc(what)).Append(": ").Append(Enc(why)).Append("</li>");
        if (problems.Count > Shown)
            html.Append("<li>and ").Append(problems.Count - Shown).Append(" more (see the log)</li>");
        html.Append("</ul>");
    }

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
