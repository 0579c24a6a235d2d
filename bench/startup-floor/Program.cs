using Prometheus;

// The start-up floor of the stack the exporter must serve /metrics with (ASP.NET Core's slim builder, Kestrel,
// prometheus-net.AspNetCore): one gauge in a custom registry, nothing read from the host. bench/startup.sh times it
// beside socket_exporter and node_exporter, so what our own start-up adds is the difference to this, and what no
// change of ours can remove is this.
string listen = "127.0.0.1:9966";
foreach (string arg in args)
    if (arg.StartsWith("--web.listen-address=", StringComparison.Ordinal))
        listen = arg["--web.listen-address=".Length..];

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://{listen}");
WebApplication app = builder.Build();

CollectorRegistry registry = Metrics.NewCustomRegistry();
Metrics.WithCustomRegistry(registry).CreateGauge("startup_floor_up", "Always 1: the floor answered.").Set(1);
app.UseMetricServer("/metrics", registry);
app.Run();
