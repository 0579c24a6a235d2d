using System.Globalization;

namespace SocketExporter.Configuration;

/// <summary>
/// A limit given as a whole number of at least 1 (the series and label-set limits), read the same way from a flag and
/// from the configuration file, with one wording for the error.
/// </summary>
public static class PositiveCount
{
    /// <summary>Digits only (no sign, space or separator), at least 1; null when <paramref name="text"/> is not one.</summary>
    public static int? Parse(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= 1 ? value : null;

    /// <summary>The error for <paramref name="setting"/> (a flag or a configuration key) given <paramref name="text"/>.</summary>
    public static string Error(string setting, string text) => $"{setting} must be a whole number of at least 1, not '{text}'";
}
