using System.Text.RegularExpressions;

namespace SocketExporter.Collectors;

/// <summary>Which device paths socket_device_fds reports. By default, devices nearly every process holds are left out.</summary>
public sealed record DeviceFilter(Regex Include, Regex Exclude)
{
    public const string DefaultExcludePattern = "^/dev/(null|zero|full|random|urandom|tty|ptmx|console|pts/[0-9]+)$";

    public static DeviceFilter Default { get; } = new(Compile(".*"), Compile(DefaultExcludePattern));

    /// <summary>Anchored like Prometheus label matchers' regexes are not: these search the whole path, as written.</summary>
    public static Regex Compile(string pattern) => new(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));

    public bool Reports(string device) => Include.IsMatch(device) && !Exclude.IsMatch(device);
}
