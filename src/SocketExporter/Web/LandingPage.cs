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

    /// <param name="search">The search box's answer when the page was asked one (`/?who=:81`), shown beside the
    /// listener table.</param>
    public string Render(ScrapeResult result, WhoSearchAnswer? search = null)
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
            form#who{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.5rem 0}
            #who input{flex:1 1 12rem;min-width:0;font:inherit;padding:.35rem}
            #who button{font:inherit;padding:.35rem .8rem}
            .problem{color:#a00000}
            @media (min-width:1100px){body{max-width:110rem}.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:2rem}}
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

        html.Append("<div class=\"cols\">");
        AppendSearch(html, search);
        html.Append("<section>");
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
        html.Append("</section></div></body></html>");
        return html.ToString();
    }

    /// <summary>The search box, and its answer: `socket_exporter who`'s tables for this host, every cell encoded (a
    /// process names itself, so a program may be called "&lt;script&gt;").</summary>
    internal static void AppendSearch(StringBuilder html, WhoSearchAnswer? search)
    {
        html.Append("<section><h2>Who holds…</h2>")
            .Append("<form id=\"who\" method=\"get\" action=\"/\" role=\"search\">")
            .Append("<input id=\"who-target\" name=\"who\" aria-label=\"Target\" autocapitalize=\"off\" autocomplete=\"off\" spellcheck=\"false\"")
            .Append(" placeholder=\":81, nginx, pid:1234, /dev/ttyUSB0, /var/lib/docker\" value=\"").Append(Enc(search?.Query ?? "")).Append("\">")
            .Append("<button type=\"submit\">Ask</button></form>")
            .Append("<p>A port (<code>:81</code>, <code>tcp:8080</code>, <code>udp:53</code>), a program or <code>pid:PID</code>, a device node or a path: ")
            .Append("as <code>socket_exporter who</code> answers it on this host.</p>");
        if (search is not null)
        {
            html.Append("<div id=\"who-answer\">");
            if (search.Outcome != WhoSearchOutcome.Answered)
                html.Append("<p class=\"problem\"><strong>").Append(Enc(search.Query)).Append(":</strong> ").Append(Enc(search.Problem)).Append("</p>");
            foreach (Who.WhoTable table in search.Tables)
            {
                html.Append("<div class=\"wrap\"><table class=\"who\"><thead><tr>");
                foreach (string header in table.Header)
                    html.Append("<th>").Append(Enc(header)).Append("</th>");
                html.Append("</tr></thead><tbody>");
                foreach (IReadOnlyList<string> row in table.Rows)
                {
                    html.Append("<tr>");
                    foreach (string cell in row)
                        html.Append("<td>").Append(Enc(cell)).Append("</td>");
                    html.Append("</tr>");
                }
                html.Append("</tbody></table></div>");
            }
            if (search.Notes.Count > 0)
            {
                html.Append("<ul class=\"notes\">");
                foreach (string note in search.Notes)
                    html.Append("<li>").Append(Enc(note)).Append("</li>");
                html.Append("</ul>");
            }
            html.Append("</div>");
        }
        html.Append("</section>");
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
