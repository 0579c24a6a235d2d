namespace SocketExporter.Linux.Snapshot;

/// <summary>Why one descriptor's link could not be read. Each such descriptor is still counted, by the kind statx found.</summary>
public enum FdReadProblem
{
    /// <summary>readlinkat gave ENAMETOOLONG: the open file's path is longer than PATH_MAX (d_path's one-page buffer).</summary>
    NameTooLong,
    /// <summary>readlinkat filled the whole buffer: the target may have been cut, so its text is not trusted.</summary>
    Truncated,
    /// <summary>Any other errno from readlinkat on that one descriptor.</summary>
    Failed,
}

/// <summary>Descriptors whose link text could not be read, per reason, summed over a walk (several processes).</summary>
public struct FdReadProblems
{
    public int NameTooLong;
    public int Truncated;
    public int Failed;
    /// <summary>Of those, descriptors that statx could not classify either: counted as kind "other".</summary>
    public int Unclassified;

    public readonly int this[FdReadProblem problem] => problem switch
    {
        FdReadProblem.NameTooLong => NameTooLong,
        FdReadProblem.Truncated => Truncated,
        _ => Failed,
    };

    public static string LabelValue(FdReadProblem problem) => problem switch
    {
        FdReadProblem.NameTooLong => "name_too_long",
        FdReadProblem.Truncated => "truncated",
        _ => "error",
    };

    /// <summary>Adds another walker's sums (a parallel walk joins its workers' problems).</summary>
    internal void Add(in FdReadProblems other)
    {
        NameTooLong += other.NameTooLong;
        Truncated += other.Truncated;
        Failed += other.Failed;
        Unclassified += other.Unclassified;
    }

    internal void Add(FdReadProblem problem)
    {
        switch (problem)
        {
            case FdReadProblem.NameTooLong: NameTooLong++; break;
            case FdReadProblem.Truncated: Truncated++; break;
            default: Failed++; break;
        }
    }
}
