namespace SocketExporter.Who.Fleet;

/// <summary>One instant query (`/api/v1/query`) of fleet mode and what its samples are.</summary>
public sealed record FleetQuery(FleetQueryKind Kind, string Expression);
