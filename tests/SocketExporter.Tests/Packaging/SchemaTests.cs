using SocketExporter.Tests.Infrastructure;

namespace SocketExporter.Tests.Packaging;

/// <summary>
/// What users apply and import, checked against the schemas of the programs that read them, by
/// tools/schema-check/check.mjs (Node.js; its npm packages are installed by test.sh with `npm ci`): every object under
/// deploy/kubernetes and the PrometheusRule against the Kubernetes OpenAPI schema and prometheus-operator's CRDs
/// (kubernetes-models), the dashboards against Grafana's dashboard model (@grafana/schema). Each check is also run on
/// a copy broken on purpose, which must fail with the problem named: the check can fail.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class SchemaTests
{
    private static readonly string ToolDirectory = Path.Combine(RepoPaths.Root, "tools", "schema-check");

    [Fact]
    public void Manifests_EveryObject_MatchesTheKubernetesSchema()
    {
        string[] files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "deploy", "kubernetes"), "*.yaml")
            .Append(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "prometheus-rule.yaml")).Order(StringComparer.Ordinal).ToArray();
        (int exit, string output) = Check("kubernetes", files);
        Assert.True(exit == 0, output);
        // Every object was checked, by kind; kustomization.yaml is kustomize's own file, not an API object.
        foreach (string ok in new[] { "namespace.yaml#1 Namespace socket-exporter", "daemonset.yaml#1 DaemonSet socket-exporter",
                     "service.yaml#1 Service socket-exporter", "podmonitor.yaml#1 PodMonitor socket-exporter",
                     "sidecar-example.yaml#1 Deployment web", "sidecar-example.yaml#2 PodMonitor socket-exporter-sidecars",
                     "prometheus-rule.yaml#1 PrometheusRule socket-exporter" })
            Assert.Contains($"ok: ", Line(output, ok));
        Assert.Contains("not an API object: ", Line(output, "kustomization.yaml#1 Kustomization"));
        Assert.Contains("0 problem(s)", output);
    }

    [Theory]
    // A field of the wrong type: the validator compiled from the OpenAPI schema names it.
    [InlineData("      hostPID: true", "      hostPID: \"yes\"", "hostPID must be boolean")]
    // A misspelt field, which the API server would drop (or reject, under kubectl's --validate=strict): the type check.
    [InlineData("      hostPID: true", "      hostPid: true", "'\"hostPid\"' does not exist")]
    // A port given as a string where the schema wants an integer.
    [InlineData("              containerPort: 9966", "              containerPort: \"9966\"", "containerPort must be integer")]
    // A resource quantity that is not one.
    [InlineData("              memory: 128Mi", "              memory: 128 MiB", "memory must match")]
    public void Manifests_ABrokenDaemonSet_Fails(string original, string broken, string expected)
    {
        string text = File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "kubernetes", "daemonset.yaml"));
        Assert.Contains(original, text);
        using var copy = new TempFile("daemonset.yaml", text.Replace(original, broken, StringComparison.Ordinal));
        (int exit, string output) = Check("kubernetes", [copy.Path]);
        Assert.True(exit == 1, output);
        Assert.Contains(expected, output);
        Assert.Contains("1 problem(s)", output);
    }

    [Fact]
    public void Manifests_AnUnknownKind_IsAProblemNotSkipped()
    {
        using var copy = new TempFile("x.yaml", "apiVersion: apps/v1\nkind: DaemonSett\nmetadata:\n  name: x\n");
        (int exit, string output) = Check("kubernetes", [copy.Path]);
        Assert.True(exit == 1, output);
        Assert.Contains("no schema for apps/v1 DaemonSett", output);
    }

    [Fact]
    public void Dashboards_MatchGrafanasDashboardModel_AndEachPanelItsPluginsOptions()
    {
        string[] files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "dashboards"), "*.json").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, files.Length);
        (int exit, string output) = Check("grafana", files);
        Assert.True(exit == 0, output);
        Assert.Contains("ok: ", Line(output, "socket-exporter-overview.json dashboard socket-exporter-overview"));
        Assert.Contains("ok: ", Line(output, "socket-exporter-process.json dashboard socket-exporter-process"));
        // Every non-row panel was checked against its plugin's options too.
        int panels = DashboardPanels(files).Count(p => p != "row");
        Assert.True(panels > 20, $"only {panels} panels");
        Assert.Equal(panels, output.Split('\n').Count(l => l.StartsWith("ok: ", StringComparison.Ordinal) && l.Contains(" panel \"", StringComparison.Ordinal)));
    }

    [Theory]
    // A field the dashboard model does not have (Grafana ignores it: a typo such as this one loses the setting).
    [InlineData("\"graphTooltip\": 1", "\"graphTooltp\": 1", "'\"graphTooltp\"' does not exist")]
    // A panel option of the wrong type, found through the time series plugin's Options.
    [InlineData("\"showLegend\": true", "\"showLegend\": \"yes\"", "Type 'string' is not assignable to type 'boolean'")]
    // A value outside an enum of the model.
    [InlineData("\"drawStyle\": \"line\"", "\"drawStyle\": \"lines\"", "Type '\"lines\"' is not assignable")]
    public void Dashboards_ABrokenDashboard_Fails(string original, string broken, string expected)
    {
        string text = File.ReadAllText(Path.Combine(RepoPaths.Root, "dashboards", "socket-exporter-overview.json"));
        Assert.Contains(original, text);
        int at = text.IndexOf(original, StringComparison.Ordinal);
        using var copy = new TempFile("overview.json", string.Concat(text.AsSpan(0, at), broken, text.AsSpan(at + original.Length)));
        (int exit, string output) = Check("grafana", [copy.Path]);
        Assert.True(exit == 1, output);
        Assert.Contains(expected, output);
    }

    // ---------------------------------------------------------------------------------------------------------

    private static (int Exit, string Output) Check(string what, string[] files)
    {
        Assert.True(Directory.Exists(Path.Combine(ToolDirectory, "node_modules")),
            $"{ToolDirectory}/node_modules is missing: run `npm ci` there (test.sh does)");
        string output = ToolRunner.Run("node", [Path.Combine(ToolDirectory, "check.mjs"), what, .. files], TimeSpan.FromMinutes(3), acceptedExitCodes: [0, 1]);
        int exit = output.Contains("\n0 problem(s)", StringComparison.Ordinal) ? 0 : 1;
        return (exit, output);
    }

    private static string Line(string output, string containing) =>
        output.Split('\n').FirstOrDefault(l => l.Contains(containing, StringComparison.Ordinal)) ?? $"(no line with '{containing}' in:\n{output})";

    private static IEnumerable<string> DashboardPanels(string[] files)
    {
        foreach (string file in files)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in Dashboards.DashboardQueries.Panels(doc.RootElement).ToList())
                yield return panel.GetProperty("type").GetString()!;
        }
    }

    private sealed class TempFile : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("schema-check-").FullName;

        public TempFile(string name, string text)
        {
            Path = System.IO.Path.Combine(_directory, name);
            File.WriteAllText(Path, text);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
