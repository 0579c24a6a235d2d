namespace SocketExporter.Linux.ProcFs;

/// <summary>The fields of /proc/[pid]/stat the exporter uses. <see cref="StartTicks"/> is in clock ticks since boot.</summary>
public readonly record struct ProcStat(int Pid, string Comm, char State, int ParentPid, ulong StartTicks);
