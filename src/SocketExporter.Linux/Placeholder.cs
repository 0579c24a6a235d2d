namespace SocketExporter.Linux; internal static class Placeholder {}
