using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Http1;

/// <summary>
/// The response's header dictionary. Every field set through <see cref="IHeaderDictionary"/> (the way
/// the application and the forwarder reach it) is checked as it is set, as Kestrel checks them: a name
/// that is not a token or a value with a control or non-ASCII character throws there, while the
/// response can still be answered otherwise (the forwarder's 502), not when the head is written.
/// </summary>
internal sealed class Http1ResponseHeaders : HeaderDictionary, IHeaderDictionary
{
    StringValues IHeaderDictionary.this[string key]
    {
        get => this[key];
        set
        {
            Http1ResponseHeadWriter.ValidateField(key, value);
            this[key] = value;
        }
    }

    StringValues IDictionary<string, StringValues>.this[string key]
    {
        get => this[key];
        set
        {
            Http1ResponseHeadWriter.ValidateField(key, value);
            this[key] = value;
        }
    }

    void IDictionary<string, StringValues>.Add(string key, StringValues value)
    {
        Http1ResponseHeadWriter.ValidateField(key, value);
        Add(key, value);
    }

    void ICollection<KeyValuePair<string, StringValues>>.Add(KeyValuePair<string, StringValues> item)
    {
        Http1ResponseHeadWriter.ValidateField(item.Key, item.Value);
        Add(item);
    }
}
