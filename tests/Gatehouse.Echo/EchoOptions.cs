using System.Globalization;

namespace Gatehouse.Echo;

internal sealed record EchoOptions(string Name, string Address, int Port)
{
    public static EchoOptions? Parse(string[] args)
    {
        string name = "echo";
        string address = "127.0.0.1";
        int? port = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--name" when value is not null: name = value; i++; break;
                case "--address" when value is not null: address = value; i++; break;
                case "--port" when value is not null && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p):
                    port = p; i++; break;
                default: return null;
            }
        }

        return port is null ? null : new EchoOptions(name, address, port.Value);
    }
}
