namespace Gatehouse.Model;

public enum BackendProtocol : byte
{
    Http = 0,
    Https = 1,
    Grpc = 2,
    Grpcs = 3,
}
