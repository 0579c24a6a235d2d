using Microsoft.Extensions.Logging.Abstractions;
using SocketExporter.Web;

namespace SocketExporter.Tests.Web;

[Trait("Category", "Unit")]
public sealed class RequestLimitTests
{
    [Fact]
    public async Task WaitTurn_BeyondTheLimit_WaitsUntilATurnIsGivenBack()
    {
        var limit = new RequestLimit(2, NullLogger.Instance);
        IDisposable? first = await limit.WaitTurnAsync(TimeSpan.Zero, CancellationToken.None);
        IDisposable? second = await limit.WaitTurnAsync(TimeSpan.Zero, CancellationToken.None);
        Assert.NotNull(first);
        Assert.NotNull(second);

        Assert.Null(await limit.WaitTurnAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None));   // both turns taken
        Task<IDisposable?> third = limit.WaitTurnAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.False(third.IsCompleted);
        first!.Dispose();
        first.Dispose();   // giving a turn back twice gives back one turn
        Assert.NotNull(await third);
        Assert.Null(await limit.WaitTurnAsync(TimeSpan.Zero, CancellationToken.None));   // second and third hold both
        second!.Dispose();
        Assert.NotNull(await limit.WaitTurnAsync(TimeSpan.Zero, CancellationToken.None));
    }

    [Fact]
    public async Task WaitTurn_NoLimit_AlwaysATurn()
    {
        var limit = new RequestLimit(0, NullLogger.Instance);
        for (int i = 0; i < 100; i++)
            Assert.NotNull(await limit.WaitTurnAsync(TimeSpan.Zero, CancellationToken.None));
    }
}
