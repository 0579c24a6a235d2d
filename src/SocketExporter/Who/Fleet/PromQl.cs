using System.Text;

namespace SocketExporter.Who.Fleet;

/// <summary>PromQL text pieces: label matchers whose values come from the user (a program may be named anything).</summary>
public static class PromQl
{
    /// <summary>A double-quoted PromQL string: as in Go, backslash and the quote are escaped, and so are the control
    /// characters a comm can hold (a newline would end the string).</summary>
    public static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': text.Append(@"\\"); break;
                case '"': text.Append("\\\""); break;
                case '\n': text.Append(@"\n"); break;
                case '\r': text.Append(@"\r"); break;
                case '\t': text.Append(@"\t"); break;
                default:
                    if (char.IsControl(c))
                        text.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else
                        text.Append(c);
                    break;
            }
        }
        return text.Append('"').ToString();
    }

    /// <summary>`name{a="x",b=~"y"}` from (label, operator, value) triples, in the order given.</summary>
    public static string Selector(string metric, params (string Label, string Op, string Value)[] matchers) =>
        matchers.Length == 0 ? metric
            : metric + "{" + string.Join(',', matchers.Select(m => m.Label + m.Op + Quote(m.Value))) + "}";
}
