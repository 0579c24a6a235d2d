using System.Text.Json;

namespace SocketExporter.Who.Fleet;

/// <summary>
/// `socket_exporter who TARGET --prometheus.url=URL`: the same question asked of every host at once, through the
/// series Prometheus already holds. Exit 0 when some instance has something holding the target, 1 when none has,
/// 2 on a bad target or flag, or when Prometheus cannot answer (unreachable, an error, a missing metric): as grep,
/// 2 is "no answer", never to be read as "nothing holds it".
/// </summary>
public static class FleetCommand
{
    public static async Task<int> RunAsync(WhoTarget target, PrometheusClientOptions options, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (!FleetPlan.TryBuild(target, out IReadOnlyList<FleetQuery> queries, out string error))
            return Fail(stderr, error);
        if (!PrometheusClient.TryCreate(options, out PrometheusClient? created, out FleetFailure? failure))
            return Fail(stderr, Describe(failure!, options));
        using PrometheusClient client = created!;
        using var deadline = new CancellationTokenSource(options.Timeout);

        // Independent queries: asked together, so the answer takes one round trip's time.
        var asked = queries.Select(q => (q.Kind, Task: client.QueryAsync(q.Expression, deadline.Token))).ToList();
        await Task.WhenAll(asked.Select(a => a.Task));
        var results = new Dictionary<FleetQueryKind, IReadOnlyList<PrometheusSample>>();
        var warnings = new SortedSet<string>(StringComparer.Ordinal);
        foreach ((FleetQueryKind kind, var task) in asked)
        {
            (IReadOnlyList<PrometheusSample> samples, IReadOnlyList<string> said, FleetFailure? failed) = task.Result;
            if (failed is not null)
                return Fail(stderr, Describe(failed, options));
            results[kind] = samples;
            warnings.UnionWith(said);
        }
        IReadOnlyList<WhoRow> rows = FleetRows.Join(results);

        if (rows.Count == 0)
        {
            // Empty: nothing holds it, or nothing is scraped. Which one is the next query's answer.
            IReadOnlyList<string> required = FleetPlan.RequiredMetrics(target);
            var (present, _, presenceFailed) = await client.QueryAsync(FleetPlan.PresenceQuery(required), deadline.Token);
            if (presenceFailed is not null)
                return Fail(stderr, Describe(presenceFailed, options));
            if (present.Count == 0)
                return Fail(stderr, Describe(new FleetFailure(FleetFailureKind.MissingSeries, string.Join(" or ", required)), options));
        }

        if (json)
            stdout.WriteLine(JsonSerializer.Serialize(rows.ToList(), WhoJsonContext.Default.ListWhoRow));
        else
            foreach (var instance in rows.GroupBy(r => r.Instance))
            {
                stdout.WriteLine($"instance {instance.Key}");
                stdout.WriteLine(WhoPrinter.Render(target, instance.ToList()));
            }
        foreach (string warning in warnings)
            stderr.WriteLine($"socket_exporter who: Prometheus warns: {warning}");
        if (rows.Count > 0)
            return 0;
        stderr.WriteLine($"socket_exporter who: no instance reports anything holding {target.Text} in {options.Url}"
            + (target.Kind == WhoTargetKind.Path ? " (paths are known only for an exporter's --watch.path, devices by their /dev path)" : ""));
        return 1;
    }

    /// <summary>One line per failure, naming the server and what to check.</summary>
    public static string Describe(FleetFailure failure, PrometheusClientOptions options) => failure.Kind switch
    {
        FleetFailureKind.Configuration => failure.Detail,
        FleetFailureKind.Unreachable => $"cannot reach Prometheus at {options.Url}: {failure.Detail}",
        FleetFailureKind.Timeout => $"Prometheus at {options.Url} did not answer within {options.Timeout.TotalSeconds:0.###}s (--prometheus.timeout)",
        FleetFailureKind.HttpStatus => $"Prometheus at {options.Url} answered HTTP {failure.Detail}"
            + (failure.Detail.StartsWith("401", StringComparison.Ordinal) || failure.Detail.StartsWith("403", StringComparison.Ordinal)
                ? ": check --prometheus.username/--prometheus.password-file or --prometheus.bearer-token-file"
                : failure.Detail.StartsWith("404", StringComparison.Ordinal) ? $": is {options.Url} the API's base (…/api/v1/query is appended)?" : ""),
        FleetFailureKind.Api => $"Prometheus at {options.Url} answered an error: {failure.Detail}",
        FleetFailureKind.BadAnswer => $"{options.Url} gave {failure.Detail}",
        FleetFailureKind.MissingSeries => $"no {failure.Detail} series in {options.Url}: is SocketExporter scraped?",
        _ => failure.Detail,
    };

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"socket_exporter who: {message}");
        return 2;
    }
}
