using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SocketExporter.Tests.Dashboards;

/// <summary>One query of one dashboard panel. Deconstructs to (Dashboard, PanelTitle, Expr).</summary>
/// <param name="Dashboard">The dashboard's uid.</param>
/// <param name="PanelTitle">The panel's title.</param>
/// <param name="Expr">The PromQL expression, with Grafana template variables still in it.</param>
public sealed record DashboardQuery(string Dashboard, string PanelTitle, string Expr)
{
    /// <summary>The target's refId (A, B, ...).</summary>
    public string RefId { get; init; } = "";

    /// <summary>True when Grafana runs the target as an instant query.</summary>
    public bool Instant { get; init; }

    /// <summary>The expression with every template variable replaced (see <see cref="DashboardQueries.Substitute(string, IReadOnlyDictionary{string, string})"/>).</summary>
    public string Resolve(IReadOnlyDictionary<string, string> variables) => DashboardQueries.Substitute(Expr, variables);
}

/// <summary>A query template variable of a dashboard (e.g. label_values(...)).</summary>
public sealed record DashboardVariableQuery(string Dashboard, string Name, string Query);

/// <summary>
/// Reads the Grafana dashboards under dashboards/ so that tests (structural here, end to end
/// against a real Prometheus elsewhere) can run every panel's query.
/// </summary>
public static class DashboardQueries
{
    /// <summary>The dashboards, relative to the repository root.</summary>
    public static readonly IReadOnlyList<string> DashboardFiles =
    [
        "dashboards/socket-exporter-overview.json",
        "dashboards/socket-exporter-process.json",
    ];

    private static readonly Regex VariablePattern = new(
        @"\$\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}|\[\[(?<bracketed>[A-Za-z_][A-Za-z0-9_]*)(?::[^\]]*)?\]\]|\$(?<plain>[A-Za-z_][A-Za-z0-9_]*)",
        RegexOptions.CultureInvariant);

    /// <summary>Walks up from the test binary's directory to the folder holding SocketExporter.sln.</summary>
    public static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SocketExporter.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"SocketExporter.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Every target of every panel (rows' nested panels included) of both dashboards.</summary>
    public static IReadOnlyList<DashboardQuery> All(string repoRoot)
    {
        var result = new List<DashboardQuery>();
        foreach (var file in DashboardFiles)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(repoRoot, file)));
            var uid = doc.RootElement.GetProperty("uid").GetString() ?? file;
            foreach (var panel in Panels(doc.RootElement))
            {
                if (!panel.TryGetProperty("targets", out var targets) || targets.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                var title = panel.TryGetProperty("title", out var t) ? t.GetString() ?? "" : "";
                foreach (var target in targets.EnumerateArray())
                {
                    if (!target.TryGetProperty("expr", out var expr) || expr.ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }

                    result.Add(new DashboardQuery(uid, title, expr.GetString()!)
                    {
                        RefId = target.TryGetProperty("refId", out var r) ? r.GetString() ?? "" : "",
                        Instant = target.TryGetProperty("instant", out var i) && i.ValueKind == JsonValueKind.True,
                    });
                }
            }
        }

        return result;
    }

    /// <summary>The query of every "query" template variable of both dashboards.</summary>
    public static IReadOnlyList<DashboardVariableQuery> VariableQueries(string repoRoot)
    {
        var result = new List<DashboardVariableQuery>();
        foreach (var file in DashboardFiles)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(repoRoot, file)));
            var uid = doc.RootElement.GetProperty("uid").GetString() ?? file;
            foreach (var variable in doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
            {
                if (variable.GetProperty("type").GetString() != "query")
                {
                    continue;
                }

                var query = variable.GetProperty("query");
                var text = query.ValueKind == JsonValueKind.String
                    ? query.GetString()!
                    : query.GetProperty("query").GetString()!;
                result.Add(new DashboardVariableQuery(uid, variable.GetProperty("name").GetString()!, text));
            }
        }

        return result;
    }

    /// <summary>All panels of a dashboard, depth first, with the panels nested in (collapsed) rows.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        if (!dashboard.TryGetProperty("panels", out var panels) || panels.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel;
            foreach (var nested in Panels(panel))
            {
                yield return nested;
            }
        }
    }

    /// <summary>
    /// Values for the template variables: the given ones (they must already be valid inside a
    /// PromQL regex matcher, e.g. ".+" or an escaped name) plus Grafana's built-ins, which
    /// the caller may override.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Variables(
        string job = ".+",
        string instance = ".+",
        string program = ".+",
        string pid = ".+",
        string rateInterval = "1m",
        string range = "1h",
        string interval = "1m")
    {
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["job"] = job,
            ["instance"] = instance,
            ["program"] = program,
            ["pid"] = pid,
            ["__rate_interval"] = rateInterval,
            ["__range"] = range,
            ["__interval"] = interval,
        };
    }

    /// <summary>Substitutes with <see cref="Variables"/>'s values.</summary>
    public static string Substitute(
        string expr,
        string job = ".+",
        string instance = ".+",
        string program = ".+",
        string pid = ".+",
        string rateInterval = "1m",
        string range = "1h",
        string interval = "1m")
        => Substitute(expr, Variables(job, instance, program, pid, rateInterval, range, interval));

    /// <summary>
    /// Replaces $name, ${name}, ${name:format} and [[name]] with the given values (inserted
    /// verbatim). $1, $2 ... (label_replace references) are left alone. An unknown variable
    /// throws, so that a dashboard using a new variable cannot pass unnoticed.
    /// </summary>
    public static string Substitute(string expr, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(expr);
        ArgumentNullException.ThrowIfNull(variables);
        return VariablePattern.Replace(expr, match =>
        {
            var name = match.Groups["braced"].Success ? match.Groups["braced"].Value
                : match.Groups["bracketed"].Success ? match.Groups["bracketed"].Value
                : match.Groups["plain"].Value;
            if (variables.TryGetValue(name, out var value))
            {
                return value;
            }

            return name switch
            {
                "__range_s" when variables.TryGetValue("__range", out var r) => Seconds(r).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "__range_ms" when variables.TryGetValue("__range", out var r) => (Seconds(r) * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "__interval_ms" when variables.TryGetValue("__interval", out var i) => (Seconds(i) * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => throw new KeyNotFoundException($"No value for template variable '{name}' in: {expr}"),
            };
        });
    }

    private static long Seconds(string duration)
    {
        var m = Regex.Match(duration, @"^(\d+)(ms|s|m|h|d|w)$", RegexOptions.CultureInvariant);
        if (!m.Success)
        {
            throw new FormatException($"Not a simple duration: {duration}");
        }

        var n = long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch
        {
            "ms" => n / 1000,
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86400,
            _ => n * 604800,
        };
    }
}

public sealed class DashboardAndRuleTests
{
    private const string DatasourceRef = "${datasource}";
    private const string JobMatcher = "job=~\"$job\"";
    private const string InstanceMatcher = "instance=~\"$instance\"";
    private const string AlertsFile = "deploy/prometheus/socket-exporter-alerts.yml";
    private const string AlertsTestFile = "deploy/prometheus/socket-exporter-alerts.test.yml";
    private const string PrometheusRuleFile = "deploy/prometheus/prometheus-rule.yaml";

    /// <summary>The exporter's metric contract: every socket_* name a dashboard or rule may use.</summary>
    private static readonly HashSet<string> ContractMetrics = new(StringComparer.Ordinal)
    {
        "socket_listening",
        "socket_listening_unexpected",
        "socket_listen_queue_length",
        "socket_listen_queue_limit",
        "socket_listen_overflows_total",
        "socket_listen_drops_total",
        "socket_connections",
        "socket_queued_bytes",
        "socket_process_info",
        "socket_process_fds",
        "socket_process_fd_limit",
        "socket_device_fds",
        "socket_exporter_collector_duration_seconds",
        "socket_exporter_collector_success",
        "socket_exporter_unreadable_processes",
        "socket_exporter_unattributed_sockets",
        "socket_exporter_series_dropped",
        "socket_exporter_deadline_skipped",
        "socket_exporter_build_info",
        "socket_connections_closed_total",
        "socket_connect_failures_total",
        "socket_connections_closed_received_bytes_total",
        "socket_connections_closed_sent_bytes_total",
        "socket_connections_closed_retransmitted_segments_total",
        "socket_tcp_received_bytes_total",
        "socket_tcp_sent_bytes_total",
        "socket_tcp_retransmitted_segments_total",
        "socket_tcp_sent_segments_total",
        "socket_tcp_established_rtt_seconds",
        "socket_tcp_established_rtt_connections",
        "socket_connections_closed_rtt_seconds_total",
        "socket_connections_closed_rtt_samples_total",
        "socket_exporter_connection_events_subscribed",
        "socket_exporter_connection_events_received_total",
        "socket_exporter_connection_events_overflows_total",
        "socket_exporter_connection_events_malformed_total",
        "socket_exporter_connection_events_receive_buffer_bytes",
        "socket_exporter_connection_events_overflowed_label_sets_total",
        "socket_listen_queue_peak",
        "socket_listeners_opened_total",
        "socket_listeners_closed_total",
        "socket_exporter_listener_sampled",
        "socket_exporter_listener_sampling_seconds_total",
    };

    private static readonly IReadOnlyList<string> ExpectedAlerts =
    [
        "SocketExporterAcceptQueueSaturated",
        "SocketExporterListenQueueOverflowing",
        "SocketExporterDescriptorsNearLimit",
        "SocketExporterCloseWaitPilingUp",
        "SocketExporterListenerDisappeared",
        "SocketExporterUnexpectedListener",
        "SocketExporterCollectorFailing",
        "SocketExporterInsufficientPrivileges",
        "SocketExporterConnectFailures",
        "SocketExporterHighRetransmitRatio",
        "SocketExporterHighRetransmitRatioLive",
    ];

    private static readonly Regex MetricName = new(@"(?<![A-Za-z0-9_:])socket_[a-z0-9_]+", RegexOptions.CultureInvariant);
    private static readonly Regex CounterName = new(@"(?<![A-Za-z0-9_:])[a-z_:][a-z0-9_:]*_(total|count|sum|bucket)(?![A-Za-z0-9_:])", RegexOptions.CultureInvariant);
    private static readonly Regex RateCall = new(@"(?<![A-Za-z0-9_])(rate|irate|increase)\s*\(", RegexOptions.CultureInvariant);

    private static readonly string Root = DashboardQueries.FindRepoRoot();

    private static string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));

    private static List<(string File, JsonDocument Doc)> LoadDashboards()
    {
        var list = new List<(string, JsonDocument)>();
        foreach (var file in DashboardQueries.DashboardFiles)
        {
            list.Add((file, JsonDocument.Parse(Read(file))));
        }

        Assert.Equal(2, list.Count);
        return list;
    }

    private static List<JsonElement> DataPanels(JsonElement dashboard)
        => DashboardQueries.Panels(dashboard).Where(p => p.GetProperty("type").GetString() != "row").ToList();

    private static string? Str(JsonElement e, string property)
        => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [Fact, Trait("Category", "Unit")]
    public void Repo_root_is_found_from_the_test_binary()
    {
        Assert.True(File.Exists(Path.Combine(Root, "SocketExporter.sln")));
        foreach (var file in DashboardQueries.DashboardFiles.Concat([AlertsFile, AlertsTestFile, PrometheusRuleFile]))
        {
            Assert.True(File.Exists(Path.Combine(Root, file)), $"missing {file}");
        }
    }

    [Fact, Trait("Category", "Unit")]
    public void Dashboards_parse_with_stable_uids_and_grafana_10_schema()
    {
        var dashboards = LoadDashboards();
        var uids = dashboards.Select(d => Str(d.Doc.RootElement, "uid")).ToList();
        Assert.Equal(new string?[] { "socket-exporter-overview", "socket-exporter-process" }, uids);
        foreach (var (file, doc) in dashboards)
        {
            using (doc)
            {
                var root = doc.RootElement;
                Assert.False(string.IsNullOrWhiteSpace(Str(root, "title")), $"{file}: title");
                Assert.False(string.IsNullOrWhiteSpace(Str(root, "description")), $"{file}: description");
                // Grafana 10.0 writes schemaVersion 38; an older number would be migrated, a newer one needs a newer Grafana.
                Assert.Equal(38, root.GetProperty("schemaVersion").GetInt32());
                Assert.True(root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Null, $"{file}: id must be null for import");
                Assert.NotEmpty(DataPanels(root));
            }
        }
    }

    [Fact, Trait("Category", "Unit")]
    public void Panel_ids_are_unique_including_nested_panels()
    {
        foreach (var (file, doc) in LoadDashboards())
        {
            using (doc)
            {
                var ids = DashboardQueries.Panels(doc.RootElement).Select(p => p.GetProperty("id").GetInt32()).ToList();
                Assert.True(ids.Count > 5, $"{file}: only {ids.Count} panels");
                var duplicates = ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
                Assert.True(duplicates.Count == 0, $"{file}: duplicate panel ids {string.Join(", ", duplicates)}");
            }
        }
    }

    [Fact, Trait("Category", "Unit")]
    public void A_collapsed_row_with_nested_panels_is_walked()
    {
        using var doc = JsonDocument.Parse(Read(DashboardQueries.DashboardFiles[0]));
        var nested = doc.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.GetProperty("type").GetString() == "row")
            .SelectMany(p => p.GetProperty("panels").EnumerateArray())
            .Select(p => p.GetProperty("id").GetInt32())
            .ToList();
        Assert.NotEmpty(nested);
        var walked = DashboardQueries.Panels(doc.RootElement).Select(p => p.GetProperty("id").GetInt32()).ToHashSet();
        Assert.Superset(nested.ToHashSet(), walked);
        Assert.Contains(DashboardQueries.All(Root), q => q.Dashboard == "socket-exporter-overview" && q.PanelTitle == "Collector success");
    }

    [Fact, Trait("Category", "Unit")]
    public void Every_panel_has_title_description_unit_and_the_templated_datasource()
    {
        foreach (var (file, doc) in LoadDashboards())
        {
            using (doc)
            {
                var all = DashboardQueries.Panels(doc.RootElement).ToList();
                Assert.NotEmpty(all);
                foreach (var panel in all)
                {
                    var title = Str(panel, "title");
                    Assert.False(string.IsNullOrWhiteSpace(title), $"{file}: panel {panel.GetProperty("id")} has no title");
                    if (panel.GetProperty("type").GetString() == "row")
                    {
                        continue;
                    }

                    Assert.False(string.IsNullOrWhiteSpace(Str(panel, "description")), $"{file}: '{title}' has no description");
                    var unit = panel.TryGetProperty("fieldConfig", out var fc) && fc.TryGetProperty("defaults", out var defaults)
                        ? Str(defaults, "unit")
                        : null;
                    Assert.False(string.IsNullOrWhiteSpace(unit), $"{file}: '{title}' has no fieldConfig.defaults.unit");
                    Assert.True(panel.TryGetProperty("datasource", out var ds), $"{file}: '{title}' has no datasource");
                    Assert.True(IsTemplatedDatasource(ds), $"{file}: '{title}' datasource is {ds.GetRawText()}");
                    var targets = panel.GetProperty("targets").EnumerateArray().ToList();
                    Assert.True(targets.Count > 0, $"{file}: '{title}' has no targets");
                    foreach (var target in targets)
                    {
                        if (target.TryGetProperty("datasource", out var tds))
                        {
                            Assert.True(IsTemplatedDatasource(tds), $"{file}: '{title}' target datasource is {tds.GetRawText()}");
                        }
                    }
                }
            }
        }
    }

    private static bool IsTemplatedDatasource(JsonElement ds) => ds.ValueKind switch
    {
        JsonValueKind.String => ds.GetString() is DatasourceRef or "$datasource",
        JsonValueKind.Object => Str(ds, "uid") is DatasourceRef or "$datasource",
        _ => false,
    };

    [Fact, Trait("Category", "Unit")]
    public void No_datasource_uid_is_hard_coded_anywhere()
    {
        Assert.False(IsTemplatedDatasource(JsonDocument.Parse("{\"type\":\"prometheus\",\"uid\":\"P1809F7CD0C75ACF3\"}").RootElement));
        foreach (var (file, doc) in LoadDashboards())
        {
            using (doc)
            {
                var found = new List<string>();
                Walk(doc.RootElement, "$", found);
                Assert.True(found.Count > 5, $"{file}: only {found.Count} datasource references");
                var bad = found.Where(f => !f.EndsWith(" ok", StringComparison.Ordinal)).ToList();
                Assert.True(bad.Count == 0, $"{file}: hard-coded datasource: {string.Join("; ", bad)}");
                Assert.DoesNotContain("__inputs", doc.RootElement.EnumerateObject().Select(p => p.Name));
                Assert.DoesNotContain("${DS_", Read(file), StringComparison.Ordinal);
            }
        }

        static void Walk(JsonElement e, string path, List<string> found)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        if (p.Name == "datasource")
                        {
                            found.Add($"{path}.datasource={p.Value.GetRawText()}" + (IsTemplatedDatasource(p.Value) ? " ok" : ""));
                        }

                        Walk(p.Value, $"{path}.{p.Name}", found);
                    }

                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in e.EnumerateArray())
                    {
                        Walk(item, $"{path}[{i++}]", found);
                    }

                    break;
            }
        }
    }

    [Fact, Trait("Category", "Unit")]
    public void Template_variables_follow_the_conventions()
    {
        foreach (var (file, doc) in LoadDashboards())
        {
            using (doc)
            {
                var vars = doc.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
                    .ToDictionary(v => v.GetProperty("name").GetString()!, v => v);
                Assert.True(vars.Count >= 3, $"{file}: {vars.Count} variables");

                Assert.True(vars.TryGetValue("datasource", out var ds), $"{file}: no datasource variable");
                Assert.Equal("datasource", Str(ds, "type"));
                Assert.Equal("prometheus", Str(ds, "query"));

                foreach (var name in new[] { "job", "instance" })
                {
                    Assert.True(vars.TryGetValue(name, out var v), $"{file}: no {name} variable");
                    Assert.Equal("query", Str(v, "type"));
                    Assert.True(v.GetProperty("multi").GetBoolean(), $"{file}: {name} not multi");
                    Assert.True(v.GetProperty("includeAll").GetBoolean(), $"{file}: {name} has no All");
                    Assert.Equal(".+", Str(v, "allValue"));
                    Assert.True(IsTemplatedDatasource(v.GetProperty("datasource")), $"{file}: {name} datasource");
                }
            }
        }

        using var process = JsonDocument.Parse(Read(DashboardQueries.DashboardFiles[1]));
        var names = process.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Select(v => v.GetProperty("name").GetString()).ToList();
        Assert.Contains("program", names);
        Assert.Contains("pid", names);
        var processVars = DashboardQueries.VariableQueries(Root).Where(v => v.Dashboard == "socket-exporter-process").ToList();
        Assert.Contains(processVars, v => v.Name == "program" && v.Query.StartsWith("label_values(socket_process_info", StringComparison.Ordinal));
        Assert.Contains(processVars, v => v.Name == "pid" && v.Query.StartsWith("label_values(socket_process_info", StringComparison.Ordinal));
    }

    [Fact, Trait("Category", "Unit")]
    public void Every_target_filters_on_job_and_instance()
    {
        var queries = DashboardQueries.All(Root);
        Assert.True(queries.Count > 20, $"only {queries.Count} queries");
        Assert.Contains(queries, q => q.Dashboard == "socket-exporter-overview");
        Assert.Contains(queries, q => q.Dashboard == "socket-exporter-process");
        var failures = queries
            .Where(q => !q.Expr.Contains(JobMatcher, StringComparison.Ordinal) || !q.Expr.Contains(InstanceMatcher, StringComparison.Ordinal))
            .Select(q => $"{q.Dashboard} / {q.PanelTitle} / {q.RefId}: {q.Expr}")
            .ToList();
        Assert.True(failures.Count == 0, $"targets without {JobMatcher} and {InstanceMatcher}:\n{string.Join("\n", failures)}");

        // every selector, not only one of them, carries the filter
        var selectors = queries.Sum(q => Regex.Matches(q.Expr, @"[a-z_:]+\{").Count);
        var filtered = queries.Sum(q => Regex.Matches(q.Expr, Regex.Escape("{" + JobMatcher + "," + InstanceMatcher)).Count);
        Assert.Equal(selectors, filtered);
    }

    [Fact, Trait("Category", "Unit")]
    public void Process_dashboard_targets_filter_on_program()
    {
        var queries = DashboardQueries.All(Root).Where(q => q.Dashboard == "socket-exporter-process").ToList();
        Assert.NotEmpty(queries);
        var failures = queries.Where(q => !q.Expr.Contains("program=~\"$program\"", StringComparison.Ordinal))
            .Select(q => $"{q.PanelTitle} / {q.RefId}: {q.Expr}")
            .ToList();
        Assert.True(failures.Count == 0, $"process targets without a program filter:\n{string.Join("\n", failures)}");
    }

    [Fact, Trait("Category", "Unit")]
    public void Rate_functions_use_rate_interval()
    {
        Assert.False(UsesRateIntervalEverywhere("sum(rate(x{job=~\"$job\"}[5m]))"));
        Assert.True(UsesRateIntervalEverywhere("sum(rate(x{job=~\"$job\"}[$__rate_interval]))"));
        var queries = DashboardQueries.All(Root);
        Assert.NotEmpty(queries);
        foreach (var q in queries)
        {
            Assert.True(UsesRateIntervalEverywhere(q.Expr), $"{q.Dashboard} / {q.PanelTitle}: rate/irate/increase without [$__rate_interval]: {q.Expr}");
        }
    }

    [Fact]
    public void Counters_are_only_read_through_rate_or_increase()
    {
        // dashboard-linter's target-counter-agg-rule: a counter's raw value (time since its start) means nothing on a
        // graph; only its rate or increase does.
        Assert.False(CountersOnlyThroughRate("sum by (netns) (socket_listen_drops_total{job=~\"$job\"})"));
        Assert.False(CountersOnlyThroughRate("rate(x[5m]) + socket_listen_drops_total"));
        Assert.True(CountersOnlyThroughRate("sum by (netns) (rate(socket_listen_drops_total{job=~\"$job\"}[$__rate_interval]))"));
        Assert.True(CountersOnlyThroughRate("increase(socket_listen_overflows_total{job=~\"$job\"}[$__rate_interval]) > 0"));
        var queries = DashboardQueries.All(Root);
        Assert.Contains(queries, q => CounterName.IsMatch(q.Expr));   // the rule is about something
        foreach (var q in queries)
        {
            Assert.True(CountersOnlyThroughRate(q.Expr), $"{q.Dashboard} / {q.PanelTitle}: a counter outside rate/irate/increase: {q.Expr}");
        }
    }

    /// <summary>Every counter (OpenMetrics names: _total, and a histogram's _count, _sum, _bucket) is directly inside rate(, irate( or increase(.</summary>
    private static bool CountersOnlyThroughRate(string expr)
    {
        foreach (Match m in CounterName.Matches(expr))
        {
            // The innermost parenthesis still open at the counter, and the function name before it.
            var depth = 0;
            var open = -1;
            for (var i = m.Index - 1; i >= 0 && open < 0; i--)
            {
                if (expr[i] == ')')
                {
                    depth++;
                }
                else if (expr[i] == '(')
                {
                    if (depth == 0)
                    {
                        open = i;
                    }
                    else
                    {
                        depth--;
                    }
                }
            }

            var function = open < 0 ? "" : Regex.Match(expr[..open], @"([A-Za-z_]+)\s*$").Groups[1].Value;
            if (function is not ("rate" or "irate" or "increase"))
            {
                return false;
            }
        }

        return true;
    }

    private static bool UsesRateIntervalEverywhere(string expr)
    {
        foreach (Match m in RateCall.Matches(expr))
        {
            var depth = 0;
            var start = m.Index + m.Length - 1;
            var end = start;
            for (; end < expr.Length; end++)
            {
                depth += expr[end] switch { '(' => 1, ')' => -1, _ => 0 };
                if (depth == 0)
                {
                    break;
                }
            }

            var argument = expr.Substring(start, Math.Min(end, expr.Length - 1) - start + 1);
            if (!argument.Contains("[$__rate_interval]", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    [Fact, Trait("Category", "Unit")]
    public void Every_socket_metric_used_is_in_the_contract()
    {
        Assert.Equal(new[] { "socket_listening" }, MetricsIn("sum by (port) (socket_listening{kind=\"socket\"}) # socket_ prefix"));
        var sources = DashboardQueries.DashboardFiles.Concat([AlertsFile, AlertsTestFile, PrometheusRuleFile]).ToList();
        foreach (var file in sources)
        {
            var metrics = MetricsIn(Read(file));
            Assert.True(metrics.Count > 0, $"{file} uses no socket_* metric");
            var unknown = metrics.Where(m => !ContractMetrics.Contains(m)).ToList();
            Assert.True(unknown.Count == 0, $"{file} uses metrics outside the contract: {string.Join(", ", unknown)}");
        }

        // and the dashboards show every metric of the contract
        var inDashboards = DashboardQueries.DashboardFiles.SelectMany(f => MetricsIn(Read(f))).ToHashSet();
        var unshown = ContractMetrics.Where(m => !inDashboards.Contains(m)).ToList();
        Assert.True(unshown.Count == 0, $"no panel shows {string.Join(", ", unshown)}");
    }

    private static List<string> MetricsIn(string text)
        => MetricName.Matches(text).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();

    [Fact, Trait("Category", "Unit")]
    public void Substitute_replaces_every_template_variable_and_leaves_label_replace_references()
    {
        Assert.Equal(
            "rate(x{job=~\"a|b\",instance=~\".+\"}[1m]) label_replace(v, \"e\", \"[$1]:$2\", \"e\", \"(.*)\") [1h]",
            DashboardQueries.Substitute(
                "rate(x{job=~\"$job\",instance=~\"${instance}\"}[$__rate_interval]) label_replace(v, \"e\", \"[$1]:$2\", \"e\", \"(.*)\") [$__range]",
                job: "a|b"));
        Assert.Throws<KeyNotFoundException>(() => DashboardQueries.Substitute("x{a=~\"$unknown\"}"));

        var queries = DashboardQueries.All(Root);
        Assert.NotEmpty(queries);
        var leftover = new Regex(@"\$[A-Za-z_{]|\[\[", RegexOptions.CultureInvariant);
        foreach (var q in queries)
        {
            var resolved = q.Resolve(DashboardQueries.Variables(program: "nginx", pid: "1"));
            Assert.False(leftover.IsMatch(resolved), $"{q.Dashboard} / {q.PanelTitle}: unresolved variable in {resolved}");
            Assert.DoesNotContain("$program", resolved, StringComparison.Ordinal);
        }

        var (dashboard, title, expr) = queries[0];
        Assert.Equal("socket-exporter-overview", dashboard);
        Assert.False(string.IsNullOrEmpty(title));
        Assert.False(string.IsNullOrEmpty(expr));
    }

    [Fact]
    public void Every_dashboard_query_is_valid_promql()
    {
        // promtool has no offline "check query"; a recording rule per query makes it parse each one.
        var queries = DashboardQueries.All(Root)
            .Select(q => q.Resolve(DashboardQueries.Variables(program: "nginx")))
            .Concat(DashboardQueries.VariableQueries(Root)
                .Select(v => Regex.Match(v.Query, @"^label_values\((?<selector>.*),\s*\w+\)$"))
                .Where(m => m.Success)
                .Select(m => DashboardQueries.Substitute(m.Groups["selector"].Value, DashboardQueries.Variables(program: "nginx"))))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.True(queries.Count > 20, $"only {queries.Count} queries");

        var yaml = new StringBuilder("groups:\n  - name: dashboard-queries\n    rules:\n");
        var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        for (var i = 0; i < queries.Count; i++)
        {
            // A JSON string is a valid YAML double-quoted scalar.
            yaml.Append("      - record: dashboard_query_").Append(i).Append('\n')
                .Append("        expr: ").Append(JsonSerializer.Serialize(queries[i], options)).Append('\n');
        }

        WithTempFile("dashboard-queries.yml", yaml.ToString(), path =>
        {
            var (code, output) = RunPromtool("check", "rules", path);
            Assert.True(code == 0, $"promtool check rules on the dashboard queries exited {code}:\n{output}");
            Assert.Contains($"SUCCESS: {queries.Count} rules found", output, StringComparison.Ordinal);
        });
    }

    /// <summary>Synthetic series for the README's PromQL examples: a node with an nginx pod (two processes, one
    /// listening) in its own network namespace, an sshd in the host's, and kube-state-metrics' pod series.</summary>
    private const string ReadmeExampleSeries = """
              - series: 'socket_listening{instance="n1",protocol="tcp",family="ipv4",address="0.0.0.0",port="8080",pid="10",program="nginx",netns="4026532301"}'
                values: '1x5'
              - series: 'socket_listening{instance="n1",protocol="tcp",family="ipv4",address="0.0.0.0",port="22",pid="1",program="sshd",netns="host"}'
                values: '1x5'
              - series: 'socket_connections{instance="n1",netns="4026532301",port="8080",state="established",direction="inbound",pid="10",program="nginx"}'
                values: '3x5'
              - series: 'socket_connections{instance="n1",netns="4026532301",port="8080",state="established",direction="inbound",pid="11",program="nginx"}'
                values: '2x5'
              - series: 'socket_connections{instance="n1",netns="4026532301",port="8080",state="time_wait",direction="inbound",pid="",program=""}'
                values: '4x5'
              - series: 'socket_connections{instance="n1",netns="host",port="22",state="established",direction="inbound",pid="1",program="sshd"}'
                values: '1x5'
              - series: 'socket_process_info{instance="n1",netns="4026532301",pid="10",program="nginx",user="root",pod_uid="aaaa-bbbb",container_id="containerd://x",systemd_unit=""}'
                values: '1x5'
              - series: 'socket_process_info{instance="n1",netns="4026532301",pid="11",program="nginx",user="root",pod_uid="aaaa-bbbb",container_id="containerd://x",systemd_unit=""}'
                values: '1x5'
              - series: 'socket_process_info{instance="n1",netns="host",pid="1",program="sshd",user="root",pod_uid="",container_id="",systemd_unit="ssh.service"}'
                values: '1x5'
              - series: 'kube_pod_info{uid="aaaa-bbbb",namespace="web",pod="nginx-0",node="n1"}'
                values: '1x5'
              - series: 'kube_pod_container_info{container_id="containerd://x",namespace="web",pod="nginx-0",container="nginx"}'
                values: '1x5'
        """;

    [Fact]
    public void Readme_promql_examples_give_the_documented_answer()
    {
        // The README's ```promql blocks, in order: listeners by pod and container, inbound connections by pod.
        var blocks = Regex.Matches(File.ReadAllText(Path.Combine(Root, "README.md")), @"```promql\n(?<q>.*?)```", RegexOptions.Singleline)
            .Select(m => m.Groups["q"].Value.Trim()).ToList();
        Assert.Equal(2, blocks.Count);
        var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var rules = new StringBuilder("groups:\n  - name: readme\n    rules:\n");
        for (var i = 0; i < blocks.Count; i++)
            rules.Append("      - record: readme_example_").Append(i).Append("\n        expr: ").Append(JsonSerializer.Serialize(blocks[i], options)).Append('\n');
        var tests = $$"""
            rule_files: [readme-examples.yml]
            evaluation_interval: 1m
            tests:
              - interval: 1m
                input_series:
            {{ReadmeExampleSeries}}
                promql_expr_test:
                  - expr: readme_example_0
                    eval_time: 2m
                    exp_samples:
                      - labels: 'readme_example_0{namespace="web",pod="nginx-0",container="nginx",address="0.0.0.0",port="8080"}'
                        value: 1
                  - expr: readme_example_1
                    eval_time: 2m
                    exp_samples:
                      - labels: 'readme_example_1{namespace="web",pod="nginx-0",port="8080",state="established"}'
                        value: 5
                      - labels: 'readme_example_1{namespace="web",pod="nginx-0",port="8080",state="time_wait"}'
                        value: 4

            """;
        WithTempFile("readme-examples.yml", rules.ToString(), path =>
        {
            string testFile = Path.Combine(Path.GetDirectoryName(path)!, "readme-examples.test.yml");
            File.WriteAllText(testFile, tests);
            var (code, output) = RunPromtool("test", "rules", testFile);
            Assert.True(code == 0, $"promtool test rules on the README's examples exited {code}:\n{output}");
        });
    }

    [Fact, Trait("Category", "Unit")]
    public void Alert_rules_follow_mixin_conventions()
    {
        var text = Read(AlertsFile);
        Assert.Contains("\n  - name: socket-exporter\n", text.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        var blocks = Regex.Split(text, @"(?m)^(?=[ \t]*- alert: )").Where(b => Regex.IsMatch(b, @"^[ \t]*- alert: ")).ToList();
        Assert.Equal(ExpectedAlerts.Count, blocks.Count);
        var names = new List<string>();
        foreach (var block in blocks)
        {
            var name = Regex.Match(block, @"- alert: (\S+)").Groups[1].Value;
            names.Add(name);
            Assert.Matches("^SocketExporter(?:[A-Z][a-z0-9]+)+$", name);
            Assert.Matches(@"(?m)^\s+expr: ", block);
            Assert.Matches(@"(?m)^\s+severity: (critical|warning|info)\s*$", block);
            Assert.Matches(@"(?m)^\s+summary: \S", block);
            Assert.Matches(@"(?m)^\s+description: \S", block);
        }

        Assert.Equal(ExpectedAlerts.OrderBy(n => n, StringComparer.Ordinal), names.OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact, Trait("Category", "Unit")]
    public void Every_alert_has_a_firing_and_a_silent_unit_test()
    {
        var lines = Read(AlertsTestFile).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var firing = new HashSet<string>(StringComparer.Ordinal);
        var silent = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < lines.Count; i++)
        {
            var m = Regex.Match(lines[i], @"^\s*alertname: (\S+)\s*$");
            if (!m.Success)
            {
                continue;
            }

            var next = lines[i + 1].Trim();
            if (next == "exp_alerts: []")
            {
                silent.Add(m.Groups[1].Value);
            }
            else if (next == "exp_alerts:")
            {
                firing.Add(m.Groups[1].Value);
            }
        }

        Assert.NotEmpty(firing);
        Assert.NotEmpty(silent);
        var neverFiring = ExpectedAlerts.Where(a => !firing.Contains(a)).ToList();
        var neverSilent = ExpectedAlerts.Where(a => !silent.Contains(a)).ToList();
        Assert.True(neverFiring.Count == 0, $"no unit test where these fire: {string.Join(", ", neverFiring)}");
        Assert.True(neverSilent.Count == 0, $"no unit test where these stay silent: {string.Join(", ", neverSilent)}");
    }

    [Fact, Trait("Category", "Unit")]
    public void PrometheusRule_holds_the_same_rules_as_the_plain_rule_file()
    {
        var plain = PlainGroups();
        var wrapped = PrometheusRuleGroups(out var header);
        Assert.True(plain.Count > 20, $"only {plain.Count} lines of rules");
        Assert.Equal("groups:", plain[0]);
        Assert.Contains("apiVersion: monitoring.coreos.com/v1", header);
        Assert.Contains("kind: PrometheusRule", header);
        Assert.Equal(plain, wrapped);
        foreach (var alert in ExpectedAlerts)
        {
            Assert.Contains($"- alert: {alert}", wrapped.Select(l => l.Trim()));
        }
    }

    private static List<string> Significant(IEnumerable<string> lines)
        => lines.Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.TrimStart().StartsWith('#')).ToList();

    private static List<string> PlainGroups()
    {
        var lines = Significant(Read(AlertsFile).Split('\n'));
        var start = lines.IndexOf("groups:");
        Assert.True(start >= 0, "no top-level groups: in the rule file");
        return lines.Skip(start).ToList();
    }

    private static List<string> PrometheusRuleGroups(out List<string> header)
    {
        var lines = Significant(Read(PrometheusRuleFile).Split('\n'));
        var spec = lines.IndexOf("spec:");
        Assert.True(spec >= 0, "no top-level spec: in the PrometheusRule");
        header = lines.Take(spec).ToList();
        var body = new List<string>();
        foreach (var line in lines.Skip(spec + 1))
        {
            if (!line.StartsWith("  ", StringComparison.Ordinal))
            {
                break; // next top-level key
            }

            body.Add(line[2..]);
        }

        return body;
    }

    [Fact]
    public void Promtool_check_rules_passes()
    {
        var (code, output) = RunPromtool("check", "rules", Path.Combine(Root, AlertsFile));
        Assert.True(code == 0, $"promtool check rules exited {code}:\n{output}");
        Assert.Contains($"SUCCESS: {ExpectedAlerts.Count} rules found", output, StringComparison.Ordinal);

        // the PrometheusRule's spec is itself a valid rule file
        WithTempFile("prometheus-rule-spec.yml", string.Join('\n', PrometheusRuleGroups(out _)) + "\n", path =>
        {
            var (specCode, specOutput) = RunPromtool("check", "rules", path);
            Assert.True(specCode == 0, $"promtool check rules on the PrometheusRule spec exited {specCode}:\n{specOutput}");
            Assert.Contains($"SUCCESS: {ExpectedAlerts.Count} rules found", specOutput, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Promtool_test_rules_passes()
    {
        var (code, output) = RunPromtool("test", "rules", Path.Combine(Root, AlertsTestFile));
        Assert.True(code == 0, $"promtool test rules exited {code}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Promtool_test_rules_can_fail()
    {
        // The same tests against rules whose thresholds no longer match must fail.
        var dir = Path.Combine(Path.GetTempPath(), "socket-exporter-rules-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var broken = Read(AlertsFile).Replace(") > 0.8", ") > 0.95", StringComparison.Ordinal);
            Assert.NotEqual(Read(AlertsFile), broken);
            File.WriteAllText(Path.Combine(dir, "socket-exporter-alerts.yml"), broken);
            File.WriteAllText(Path.Combine(dir, "socket-exporter-alerts.test.yml"), Read(AlertsTestFile));
            var (code, output) = RunPromtool("test", "rules", Path.Combine(dir, "socket-exporter-alerts.test.yml"));
            Assert.True(code != 0, $"promtool test rules passed against broken rules:\n{output}");
            Assert.Contains("SocketExporterAcceptQueueSaturated", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void WithTempFile(string name, string content, Action<string> action)
    {
        var dir = Path.Combine(Path.GetTempPath(), "socket-exporter-rules-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, name);
            File.WriteAllText(path, content);
            action(path);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs promtool (PATH, or $PROMTOOL); fails the test when it is missing.</summary>
    private static (int ExitCode, string Output) RunPromtool(params string[] args)
    {
        var promtool = Environment.GetEnvironmentVariable("PROMTOOL") is { Length: > 0 } p ? p : "promtool";
        var psi = new ProcessStartInfo(promtool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        Process? process;
        try
        {
            process = Process.Start(psi);
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"promtool could not be started ({e.Message}); install it (Debian: apt-get install -y --no-install-recommends prometheus) or set PROMTOOL.");
            throw; // not reached
        }

        Assert.NotNull(process);
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"promtool {string.Join(' ', args)} did not finish in 2 minutes");
            }

            process.WaitForExit();
            return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
        }
    }
}
