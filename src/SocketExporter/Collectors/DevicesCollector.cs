using SocketExporter.Linux.ProcFs;
using SocketExporter.Linux.Snapshot;

namespace SocketExporter.Collectors;

/// <summary>
/// socket_device_fds: `fuser -v /dev/X` / `lsof /dev/X`, matched by device number (st_rdev) rather than by
/// node, so a container opening the same device through its own /dev node is still found.
/// </summary>
public sealed class DevicesCollector(DeviceFilter filter) : ISnapshotCollector
{
    public string Name => "devices";
    public SnapshotParts Reads => SnapshotParts.Processes | SnapshotParts.DescriptorKinds;

    public void Update(ScrapeSnapshot snapshot, MetricWriter metrics)
    {
        ProcessData.ThrowIfUnavailable(snapshot);
        BudgetedGauge fds = metrics.Gauge("socket_device_fds",
            "Descriptors a process holds open on a character or block device, matched by device number. device is the " +
            "host's /dev path for it, or major:minor when it has none.",
            ["device", "major", "minor", "pid", "program"]);

        var counts = new Dictionary<(DeviceNumber Device, int Process), int>();
        foreach (DeviceHold hold in snapshot.DeviceHolds)
        {
            var key = (hold.Device, hold.ProcessIndex);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var names = new Dictionary<DeviceNumber, (string Name, bool Reported)>();
        foreach (((DeviceNumber device, int process), int count) in counts)
        {
            if (!names.TryGetValue(device, out var name))
            {
                string text = snapshot.DeviceNames.TryGetValue(device, out string? path) ? path : device.ToString();
                names[device] = name = (text, filter.Reports(text));
            }
            if (!name.Reported)
                continue;
            ProcessIdentity id = snapshot.Processes[process].Identity;
            fds.Add(count, name.Name, Labels.Number(device.Major), Labels.Number(device.Minor), id.PidText, id.Program);
        }
    }
}
