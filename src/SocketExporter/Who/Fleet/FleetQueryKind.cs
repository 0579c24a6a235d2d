namespace SocketExporter.Who.Fleet;

/// <summary>What one instant query of fleet mode fetches, so that its samples are turned into the right rows.</summary>
public enum FleetQueryKind
{
    /// <summary>socket_listening: listeners and their holders.</summary>
    Listening,
    /// <summary>socket_listen_queue_length, summed over programs per address:port.</summary>
    QueueLength,
    /// <summary>socket_listen_queue_limit, likewise.</summary>
    QueueLimit,
    /// <summary>socket_connections: sockets counted by state, per holder.</summary>
    Connections,
    /// <summary>socket_device_fds: descriptors on a device, per holder.</summary>
    Devices,
    /// <summary>socket_path_holders: uses of a watched path's filesystem, per holder and access.</summary>
    Paths,
    /// <summary>socket_process_info of the holders the other queries found: user, container, pod, unit.</summary>
    ProcessInfo,
}
