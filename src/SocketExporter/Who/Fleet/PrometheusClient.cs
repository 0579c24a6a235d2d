using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SocketExporter.Who.Fleet;

/// <summary>
/// Instant queries against `/api/v1/query` and nothing else, so that Thanos Query and Grafana Mimir answer as
/// Prometheus does. POST with a form body (the API accepts both; a long selector does not hit URL length limits).
/// The I/O edge: every failure comes back as a <see cref="FleetFailure"/>.
/// </summary>
public sealed class PrometheusClient : IDisposable
{
    /// <summary>An answer larger than this is refused rather than buffered (a fleet-wide listener list of ~100 bytes
    /// per series stays far below).</summary>
    private const long MaxAnswerBytes = 256L * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly Uri _query;

    private PrometheusClient(HttpClient http, Uri query)
    {
        _http = http;
        _query = query;
    }

    public static bool TryCreate(PrometheusClientOptions options, out PrometheusClient? client, out FleetFailure? failure)
    {
        client = null;
        failure = null;
        AuthenticationHeaderValue? auth = null;
        try
        {
            if (options.BearerTokenFile is not null && options.Username is not null)
            {
                failure = new(FleetFailureKind.Configuration, "--prometheus.bearer-token-file and --prometheus.username exclude each other");
                return false;
            }
            // Prometheus trims the files' surrounding whitespace too (a trailing newline is usual).
            if (options.BearerTokenFile is not null)
                auth = new AuthenticationHeaderValue("Bearer", File.ReadAllText(options.BearerTokenFile).Trim());
            else if (options.Username is not null)
            {
                string password = options.PasswordFile is null ? "" : File.ReadAllText(options.PasswordFile).Trim();
                auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{password}")));
            }
            else if (options.PasswordFile is not null)
            {
                failure = new(FleetFailureKind.Configuration, "--prometheus.password-file needs --prometheus.username");
                return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failure = new(FleetFailureKind.Configuration, $"cannot read a credentials file: {e.Message}");
            return false;
        }

        var handler = new SocketsHttpHandler { ConnectTimeout = options.Timeout, AutomaticDecompression = DecompressionMethods.All };
        if (options.InsecureSkipVerify)
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        else if (options.CaFile is not null)
        {
            var authorities = new X509Certificate2Collection();
            try
            {
                authorities.ImportFromPemFile(options.CaFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                handler.Dispose();
                failure = new(FleetFailureKind.Configuration, $"cannot read --prometheus.ca-file {options.CaFile}: {e.Message}");
                return false;
            }
            if (authorities.Count == 0)
            {
                handler.Dispose();
                failure = new(FleetFailureKind.Configuration, $"--prometheus.ca-file {options.CaFile} holds no PEM certificate");
                return false;
            }
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(authorities);
            handler.SslOptions.CertificateChainPolicy = policy;
        }
        var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxAnswerBytes };
        http.DefaultRequestHeaders.Authorization = auth;
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        string baseUrl = options.Url.AbsoluteUri.TrimEnd('/');
        client = new PrometheusClient(http, new Uri(baseUrl + "/api/v1/query"));
        return true;
    }

    public async Task<(IReadOnlyList<PrometheusSample> Samples, IReadOnlyList<string> Warnings, FleetFailure? Failure)> QueryAsync(
        string expression, CancellationToken cancel)
    {
        byte[] body;
        HttpStatusCode status;
        try
        {
            using var form = new FormUrlEncodedContent([new KeyValuePair<string, string>("query", expression)]);
            using HttpResponseMessage response = await _http.PostAsync(_query, form, cancel);
            status = response.StatusCode;
            body = await response.Content.ReadAsByteArrayAsync(cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return ([], [], new(FleetFailureKind.Timeout, ""));
        }
        catch (HttpRequestException e)
        {
            return ([], [], new(FleetFailureKind.Unreachable, Innermost(e)));
        }
        // The API puts its error in the body of a 400, 422 or 503: report that rather than the status alone.
        if (PrometheusResponse.TryParse(body, out IReadOnlyList<PrometheusSample> samples, out IReadOnlyList<string> warnings, out FleetFailure? failure))
            return status == HttpStatusCode.OK ? (samples, warnings, null) : ([], [], new(FleetFailureKind.HttpStatus, $"{(int)status} {status}"));
        return ([], [], failure.Kind == FleetFailureKind.Api ? failure with { Detail = $"{(int)status} {status}, {failure.Detail}" }
            : status != HttpStatusCode.OK ? new(FleetFailureKind.HttpStatus, $"{(int)status} {status}")
            : failure);
    }

    /// <summary>"Connection refused (127.0.0.1:1)", not the wrapper's "An error occurred while sending the request".</summary>
    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e.Message;
    }

    public void Dispose() => _http.Dispose();
}
