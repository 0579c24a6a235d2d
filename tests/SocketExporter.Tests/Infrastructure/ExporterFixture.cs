namespace SocketExporter.Tests.Infrastructure;

/// <summary>One exporter process shared by the tests of a class.</summary>
public sealed class ExporterFixture : IDisposable
{
    public ExporterProcess Exporter { get; } = ExporterProcess.Start();

    public void Dispose() => Exporter.Dispose();
}
