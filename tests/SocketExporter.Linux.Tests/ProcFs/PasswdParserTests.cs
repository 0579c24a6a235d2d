using System.Text;
using SocketExporter.Linux.ProcFs;

namespace SocketExporter.Linux.Tests.ProcFs;

[Trait("Category", "Unit")]
public sealed class PasswdParserTests
{
    [Fact]
    public void Parse_TypicalFile_MapsUidsToNames()
    {
        byte[] text = Encoding.UTF8.GetBytes(
            "root:x:0:0:root:/root:/bin/bash\n" +
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" +
            "jörg:x:1000:1000::/home/j:/bin/sh");   // last line without newline, non-ASCII name

        Dictionary<uint, string> users = PasswdParser.Parse(text, out int bad);

        Assert.Equal(0, bad);
        Assert.Equal(4, users.Count);
        Assert.Equal(("root", "daemon", "nobody", "jörg"), (users[0], users[1], users[65534], users[1000]));
    }

    [Fact]
    public void Parse_SameUidTwice_FirstNameWins()
    {
        byte[] text = "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/csh\nalice:x:1000:1000::/:/bin/sh\nalias:x:1000:1000::/:/bin/sh\n"u8.ToArray();

        Dictionary<uint, string> users = PasswdParser.Parse(text, out int bad);

        Assert.Equal((2, 0), (users.Count, bad));
        Assert.Equal(("root", "alice"), (users[0], users[1000]));
    }

    [Fact]
    public void Parse_BadLines_AreCountedAndSkipped()
    {
        byte[] text = Encoding.UTF8.GetBytes(
            "root:x:0:0::/root:/bin/sh\n" +
            "garbage\n" +                 // no ':'
            ":x:5:5::/:/bin/sh\n" +       // empty name
            "bob:x\n" +                   // no uid field
            "carol:x::100::/:/bin/sh\n" + // empty uid
            "dave:x:12ab:1::/:/bin/sh\n" +// uid not a number
            "erin:x:-3:1::/:/bin/sh\n" +  // negative uid
            "frank:x:99999999999:1::/:/bin/sh\n" + // uid > u32
            "gina:x:7:7::/:/bin/sh\n");

        Dictionary<uint, string> users = PasswdParser.Parse(text, out int bad);

        Assert.Equal(7, bad);
        Assert.Equal(2, users.Count);
        Assert.Equal(("root", "gina"), (users[0], users[7]));
    }

    [Fact]
    public void Parse_CommentsAndBlankLines_AreNeitherUsersNorBad()
    {
        byte[] text = "# comment: with colons\n\n\nroot:x:0:0::/root:/bin/sh\n\n"u8.ToArray();

        Dictionary<uint, string> users = PasswdParser.Parse(text, out int bad);

        Assert.Equal((1, 0), (users.Count, bad));
        Assert.Equal("root", users[0]);
    }

    [Fact]
    public void Parse_UidAsLastField_IsAccepted()
    {
        Dictionary<uint, string> users = PasswdParser.Parse("short:x:42"u8, out int bad);

        Assert.Equal((1, 0), (users.Count, bad));
        Assert.Equal("short", users[42]);
    }

    [Fact]
    public void Parse_Empty_NoUsers()
    {
        Dictionary<uint, string> users = PasswdParser.Parse([], out int bad);

        Assert.Equal((0, 0), (users.Count, bad));
    }
}
