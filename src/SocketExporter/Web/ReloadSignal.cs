namespace SocketExporter.Web;

/// <summary>
/// Asks the reloaders built from one web config to re-read their files now, whether or not they look changed: what
/// SIGHUP does (Program.Main), as Prometheus re-reads its configuration on SIGHUP. Between signals the reloaders poll.
/// </summary>
public sealed class ReloadSignal
{
    public event Action? Requested;

    public void Request() => Requested?.Invoke();
}
