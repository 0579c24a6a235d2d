namespace SocketExporter.Tests.Packaging;

/// <summary>
/// The test classes that run the NativeAOT binary (PackagingTests) or the image built from it (ContainerTests): one
/// publish for all of them, which keeps both cores busy for minutes.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NativeBuildCollection : ICollectionFixture<PackagingTests.NativeBuild>
{
    public const string Name = "NativeAOT build";
}
