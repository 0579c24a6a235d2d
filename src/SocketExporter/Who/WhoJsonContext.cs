using System.Text.Json.Serialization;

namespace SocketExporter.Who;

/// <summary>Source-generated: the binary is NativeAOT-published, where reflection-based serialization is trimmed away.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(List<WhoRow>))]
internal sealed partial class WhoJsonContext : JsonSerializerContext;
