using System.Text.RegularExpressions;
using SocketExporter.Collectors;
using SocketExporter.Linux.Snapshot;
using SocketExporter.Tests.Infrastructure;
using static SocketExporter.Tests.Collectors.SnapshotBuilding;

namespace SocketExporter.Tests.Collectors;

[Trait("Category", "Unit")]
public sealed class DevicesCollectorTests
{
    private static ScrapeSnapshot Scenario()
    {
        var b = new SnapshotBuilding();
        int qemu = b.Process(10, "qemu", null);
        b.Device(qemu, new DeviceNumber(false, 10, 232), "/dev/kvm", count: 3)
         .Device(qemu, new DeviceNumber(false, 1, 3), "/dev/null", count: 2)     // left out by the default filter
         .Device(qemu, new DeviceNumber(true, 8, 16), null);                    // no /dev node: named by number
        int x = b.Process(20, "Xorg", null);
        b.Device(x, new DeviceNumber(false, 226, 0), "/dev/dri/card0");
        b.Process(21, "Xorg", null);
        b.Device(b.Process(22, "Xorg", null), new DeviceNumber(false, 226, 0), "/dev/dri/card0", count: 2);
        return b.Build();
    }

    [Fact]
    public void Update_DescriptorsPerDeviceAndProcess_NamedByPathElseNumber()
    {
        Assert.Equal(Expected(
            """{device="/dev/kvm",major="10",minor="232",pid="10",program="qemu"} 3""",
            """{device="8:16",major="8",minor="16",pid="10",program="qemu"} 1""",
            """{device="/dev/dri/card0",major="226",minor="0",pid="20",program="Xorg"} 1""",
            """{device="/dev/dri/card0",major="226",minor="0",pid="22",program="Xorg"} 2"""),
            Series(Run(new DevicesCollector(DeviceFilter.Default), Scenario()), "socket_device_fds"));
    }

    [Fact]
    public void Update_DeviceFilterDropPidAndProgramFilter()
    {
        var devices = new DeviceFilter(DeviceFilter.Compile("^/dev/(dri|null)"), DeviceFilter.Compile("^$"));
        var options = new MetricOptions
        {
            DroppedLabels = new HashSet<string> { "pid" },
            Filter = new SeriesFilter { ProgramExclude = new Regex("^qemu$") },
        };
        Assert.Equal(Expected("""{device="/dev/dri/card0",major="226",minor="0",program="Xorg"} 3"""),
            Series(Run(new DevicesCollector(devices), Scenario(), options), "socket_device_fds"));
    }

    [Fact]
    public void Update_PastTheSeriesLimit_Folds()
    {
        var budget = new SeriesBudget(limit: 3);
        List<Sample> series = Run(new DevicesCollector(DeviceFilter.Default), Scenario(), new MetricOptions(), budget)
            .Named("socket_device_fds").ToList();
        Assert.Equal(4, series.Count);
        Assert.Equal(7, series.Sum(s => s.Value));
        Assert.Equal(1, budget.Overflow[("socket_device_fds", SeriesPool.General)]);
    }
}
