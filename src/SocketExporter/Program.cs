using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SocketExporter.Collectors;
using SocketExporter.Configuration;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Scraping;
using SocketExporter.Web;
using SocketExporter.Linux.Reading;

namespace SocketExporter;

public static class Program
{
    public static int Main(string[] args)
    {
        // A one-shot question from the shell (issue 13): no server, no exporter flags.
        if (args.Length > 0 && args[0] == "who")
            return Who.WhoCommand.Run(args[1..], Console.Out, Console.Error);
        string[] names = CollectorList.All(DeviceFilter.Default).Select(c => c.Name).ToArray();
        ExporterOptions options;
        try
        {
            options = CommandLine.Parse(args, names);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"socket_exporter: error: {e.Message}");
            Console.Error.WriteLine("Try socket_exporter --help.");
            return 2;
        }
        WebConfig? webConfig = null;
        if (options.WebConfigFile is not null && !options.ShowHelp && !options.ShowVersion)
        {
            try
            {
                webConfig = WebSecurity.Load(options.WebConfigFile);
            }
            catch (WebConfigException e)
            {
                Console.Error.WriteLine($"socket_exporter: error: {e.Message}");
                return 2;
            }
        }
        BuildInfo build = ReadBuildInfo();
        if (options.ShowHelp)
        {
            Console.WriteLine(CommandLine.Usage(names));
            return 0;
        }
        if (options.ShowVersion)
        {
            Console.WriteLine($"socket_exporter version {build.Version} (revision {build.Revision}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription})");
            return 0;
        }

        if (Linux.ProcFs.ProcRoot.StartupError(options.ProcfsPath) is { } procfsError)
        {
            Console.Error.WriteLine($"socket_exporter: error: {procfsError}");
            return 2;
        }

        IReadOnlyList<ISnapshotCollector> all = CollectorList.All(options.Devices, new Events.ConnectionEventOptions(options.ProcfsPath,
            OtherNamespaces: options.AllNamespaces && options.UseSetns,
            Disabled: options.ProcNetOnly ? "sock_diag disabled by --socket.source=procfs" : null,
            MaxLabelSets: options.Metrics.MaxEventLabelSets), options.ExpectedListeners,
            new Sampling.ListenerSamplingOptions(options.ListenSampleInterval,
                Disabled: options.ProcNetOnly ? "sock_diag disabled by --socket.source=procfs" : null,
                OtherNamespaces: options.AllNamespaces && options.UseSetns));
        WebApplication app = BuildApp(options, all.Where(c => !options.DisabledCollectors.Contains(c.Name)).ToList(), build, webConfig);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SocketExporter.Program");
        // SIGHUP's default action ends the process (exit 129). As Prometheus does, it re-reads the configuration
        // instead: the web config and its certificate files, which apply without a restart. --config.file holds
        // flags (filters, limits, watch paths, collectors) that shape the whole pipeline, so it is read at start only.
        using PosixSignalRegistration hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            if (webConfig is null)
            {
                log.LogInformation("SIGHUP: no --web.config.file to reload (--config.file is read at start only)");
                return;
            }
            log.LogInformation("SIGHUP: reloading the web config {File} (--config.file is read at start only)", webConfig.FilePath);
            webConfig.Reload.Request();
        });
        try
        {
            app.Start();
        }
        // Kestrel reports a taken address as an IOException, an address this host does not have (8.8.8.8, a
        // link-local address on another interface) as the bare SocketException; a certificate can break between
        // loading the config and listening. Each is one line, not a stack trace (issue 17).
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or WebConfigException)
        {
            log.LogError("cannot listen on {Addresses}: {Error}", string.Join(", ", options.ListenAddresses), e.Message);
            return 1;
        }
        log.LogInformation("listening on {Addresses}, procfs {Procfs}", string.Join(", ", options.ListenAddresses), options.ProcfsPath);
        app.WaitForShutdown();
        return 0;
    }

    public static WebApplication BuildApp(ExporterOptions options, IReadOnlyList<ISnapshotCollector> collectors, BuildInfo build,
        WebConfig? webConfig = null)
    {
        // The host's default appsettings.json source would watch its content root — the working directory, "/" under
        // systemd — with an inotify watch on every directory below it, before listening: tens of milliseconds of
        // start-up on a small tree, the whole filesystem under "/". The exporter takes no appsettings, so nothing is watched.
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddProvider(new LineLoggerProvider(options.LogFormat, options.LogLevel));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A scrape needs no large headers or bodies; tight limits cut off hostile clients early.
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestBodySize = 0;
            ConnectionLimits.Apply(kestrel.Limits);
            WebSecurity.ConfigureKestrel(kestrel, options.ListenAddresses, webConfig);
        });

        // Descriptor kinds, limits and watched paths are read only when an enabled collector says it reads them.
        SnapshotOptions snapshotOptions = SnapshotNeeds.Narrow(new SnapshotOptions
        {
            ProcfsPath = options.ProcfsPath,
            ProcNetOnly = options.ProcNetOnly,
            AllNamespaces = options.AllNamespaces,
            UseSetns = options.UseSetns,
            // Namespaces the netns filter drops are not even read: each costs several kernel hash-table walks.
            NamespaceFilter = options.Metrics.Filter.For("netns"),
            WatchPaths = options.WatchPaths,
            WalkWorkers = options.WalkWorkers,
        }, SnapshotNeeds.Of(collectors));
        builder.Services.AddSingleton(build);
        builder.Services.AddSingleton(options.Metrics);
        builder.Services.AddSingleton(new SnapshotBuilder(snapshotOptions));
        builder.Services.AddSingleton(sp => new CollectorRunner(collectors, sp.GetRequiredService<ILoggerFactory>().CreateLogger("SocketExporter.Collectors")));
        builder.Services.AddSingleton<ScrapeCoordinator>();
        builder.Services.AddSingleton(new ScrapeMemoryReclaimer());
        builder.Services.AddSingleton(sp => new RequestLimit(options.MaxRequests,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("SocketExporter.Web.RequestLimit")));
        builder.Services.AddSingleton<MetricsEndpoint>();
        builder.Services.AddSingleton(new WhoSearch(options.ProcfsPath, options.SearchTimeout));
        builder.Services.AddSingleton(sp => new LandingPage(sp.GetRequiredService<ScrapeCoordinator>(), sp.GetRequiredService<CollectorRunner>(), build, options.TelemetryPath));

        WebApplication app = builder.Build();
        // Before the web config's headers, which may set it too: no response is ever content-sniffed (a 400 echoes
        // what the client sent).
        app.Use((context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return next(context);
        });
        WebSecurity.UseWebSecurity(app, webConfig);   // TLS is set on the listeners above; auth and headers cover every path
        MetricsEndpoint metrics = app.Services.GetRequiredService<MetricsEndpoint>();
        LandingPage landing = app.Services.GetRequiredService<LandingPage>();
        WhoSearch search = app.Services.GetRequiredService<WhoSearch>();
        // After authentication, so that requests without credentials never take a turn; probes are never limited.
        RequestLimit turns = app.Services.GetRequiredService<RequestLimit>();
        // RequestDelegate overloads: no reflection over handler parameters, so trimming and NativeAOT stay safe.
        // HEAD wherever GET: load balancers probe with it; Kestrel sends the headers and drops the body.
        string[] getOrHead = [HttpMethods.Get, HttpMethods.Head];
        app.MapMethods(options.TelemetryPath, getOrHead, (RequestDelegate)metrics.HandleAsync);   // takes its turn once its answer is ready
        app.MapMethods("/", getOrHead, (RequestDelegate)(async context =>
        {
            ScrapeResult result;
            try
            {
                result = await landing.ResultAsync(context.RequestAborted);   // waiting takes no turn
            }
            catch (TimeoutException)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync("collection did not finish in time\n");
                return;
            }
            using IDisposable? turn = await turns.WaitTurnAsync(RequestLimit.PageWait, context.RequestAborted);
            if (turn is null)
            {
                await turns.RejectAsync(context);
                return;
            }
            // The search box (`/?who=:81`): behind the same authentication and turn as the page; HEAD sends no body, so
            // it asks nothing.
            WhoSearchAnswer? answer = null;
            if (HttpMethods.IsGet(context.Request.Method) && context.Request.Query["who"].ToString() is { Length: > 0 } asked)
            {
                answer = await search.AskAsync(asked.Trim(), context.RequestAborted);
                context.Response.StatusCode = answer.Outcome switch
                {
                    WhoSearchOutcome.BadTarget => StatusCodes.Status400BadRequest,
                    WhoSearchOutcome.Busy => StatusCodes.Status429TooManyRequests,
                    WhoSearchOutcome.TimedOut => StatusCodes.Status503ServiceUnavailable,
                    _ => StatusCodes.Status200OK,
                };
                if (answer.Outcome == WhoSearchOutcome.Busy)
                    context.Response.Headers.RetryAfter = "1";
            }
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(landing.Render(result, answer));
        }));
        app.MapMethods("/-/healthy", getOrHead, (RequestDelegate)(context => context.Response.WriteAsync("Healthy\n")));
        app.MapMethods("/-/ready", getOrHead, (RequestDelegate)(context => context.Response.WriteAsync("Ready\n")));
        return app;
    }

    private static BuildInfo ReadBuildInfo()
    {
        // The SDK appends "+<git commit>" to the informational version when built from a git checkout.
        string informational = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = informational.IndexOf('+');
        return plus < 0 ? new BuildInfo(informational, "unknown") : new BuildInfo(informational[..plus], informational[(plus + 1)..]);
    }
}
