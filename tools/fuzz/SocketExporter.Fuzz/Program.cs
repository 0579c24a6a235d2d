using SharpFuzz;
using SocketExporter.Fuzz;

// dotnet SocketExporter.Fuzz.dll list                      the target names, one a line
// dotnet SocketExporter.Fuzz.dll seeds TARGET DIR          writes the target's starting corpus into DIR
// dotnet SocketExporter.Fuzz.dll fuzz TARGET               the afl-fuzz fork server (input on stdin)
// dotnet SocketExporter.Fuzz.dll run TARGET FILE...        replays inputs once each; a crash throws here
// Run from the repository root (seed paths are relative to it).
if (args.Length == 1 && args[0] == "list")
{
    foreach (FuzzTarget t in Targets.All)
        Console.WriteLine(t.Name);
    return 0;
}
if (args.Length < 2 || Targets.All.FirstOrDefault(t => t.Name == args[1]) is not { } target)
{
    Console.Error.WriteLine("usage: SocketExporter.Fuzz list | seeds TARGET DIR | fuzz TARGET | run TARGET FILE...");
    return 2;
}
switch (args[0])
{
    case "seeds" when args.Length == 3:
        int written = SeedCorpus.Write(target, args[2]);
        Console.WriteLine($"{target.Name}: {written} seeds");
        return written > 0 ? 0 : 1;
    case "fuzz" when args.Length == 2:
        Fuzzer.Run(stream =>
        {
            var input = new MemoryStream();
            stream.CopyTo(input);
            target.Run(input.ToArray());
        });
        return 0;
    case "run" when args.Length >= 3:
        foreach (string file in args[2..])
            target.Run(File.ReadAllBytes(file));
        Console.WriteLine($"{target.Name}: {args.Length - 2} inputs, no crash");
        return 0;
    default:
        Console.Error.WriteLine($"bad arguments: {string.Join(' ', args)}");
        return 2;
}
