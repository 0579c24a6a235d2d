using Microsoft.Extensions.Logging.Abstractions;
using SocketExporter.Collectors;
using SocketExporter.Linux.Reading;
using SocketExporter.Scraping;

namespace SocketExporter.Tests.Scraping;

/// <summary>Changes the process-wide thread pool limits: runs alone, after the parallel tests.</summary>
[CollectionDefinition(nameof(ThreadPoolLimits), DisableParallelization = true)]
public sealed class ThreadPoolLimits;

/// <summary>
/// A collection never blocks a pool thread to wait for work that itself needs a pool thread (issue 10 item 6). With
/// one pool thread left, the build used to wait for its socket read (Task.Factory.StartNew + AsyncWaitHandle.WaitOne)
/// on the only thread that read could have run on, and hung until the pool grew; a busy Kestrel can leave a
/// collection exactly that. The walk may hold the thread; everything else it waits for is awaited.
/// </summary>
[Collection(nameof(ThreadPoolLimits))]
public sealed class ThreadPoolStarvationTests : IDisposable
{
    private readonly SnapshotBuilder _builder = new(new SnapshotOptions());

    [Fact]
    public async Task Collection_WithOnePoolThreadLeft_Completes()
    {
        var runner = new CollectorRunner(CollectorList.All(DeviceFilter.Default), NullLogger.Instance);
        var coordinator = new ScrapeCoordinator(_builder, runner, new BuildInfo("test", "test"), new MetricOptions(),
            NullLogger<ScrapeCoordinator>.Instance);
        ThreadPool.GetMinThreads(out int minWorkers, out int minIo);
        ThreadPool.GetMaxThreads(out int maxWorkers, out int maxIo);
        using var release = new ManualResetEventSlim();
        using var answered = new ManualResetEventSlim();
        Task<ScrapeResult> answer;
        bool completed;
        try
        {
            // The pool may not grow past a limit (at least the processor count: the least SetMaxThreads accepts), and
            // creates threads up to it without delay; all but one of the free ones are then taken here. Threads busy
            // already (this test's, the test runner's) stay busy.
            ThreadPool.GetAvailableThreads(out int freeNow, out _);
            int limit = Math.Max(Environment.ProcessorCount, maxWorkers - freeNow + 1);
            Assert.True(ThreadPool.SetMinThreads(limit, minIo) && ThreadPool.SetMaxThreads(limit, maxIo), "pool limits refused");
            ThreadPool.GetAvailableThreads(out int available, out _);
            int blockers = available - 1;
            using var started = new CountdownEvent(Math.Max(blockers, 0));
            for (int i = 0; i < blockers; i++)
                ThreadPool.UnsafeQueueUserWorkItem(_ => { started.Signal(); release.Wait(); }, null);
            Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "the pool did not start the blocking work items");
            ThreadPool.GetAvailableThreads(out int left, out _);
            Assert.True(left == 1, $"limit {limit}, available {available}, blockers {blockers}, left {left}, test thread on pool: {Thread.CurrentThread.IsThreadPoolThread}");

            answer = coordinator.CollectAsync();
            // Not awaited: an await would need a pool thread to resume on. Set by whichever thread completes the answer.
            _ = answer.ContinueWith(_ => answered.Set(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            // A collection takes well under a second here; 30 s means it waits for a thread it is holding.
            completed = answered.Wait(TimeSpan.FromSeconds(30));
        }
        finally
        {
            release.Set();
            ThreadPool.SetMaxThreads(maxWorkers, maxIo);
            ThreadPool.SetMinThreads(minWorkers, minIo);
        }
        Assert.True(completed, "the collection did not complete with one pool thread");
        ScrapeResult result = await answer;
        Assert.True(result.Registry is not null, result.Failure);
    }

    public void Dispose() => _builder.Dispose();
}
