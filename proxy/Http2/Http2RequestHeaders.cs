using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Gatehouse.Proxy.Http2;

/// <summary>
/// A request's header fields, kept in arrival order in two arrays that the stream reuses: an HTTP/2
/// request has a dozen fields, so a linear, case-insensitive scan beats hashing them into a dictionary.
/// </summary>
internal sealed class Http2RequestHeaders : IHeaderDictionary
{
    private string[] _names = new string[16];
    private StringValues[] _values = new StringValues[16];
    private int _count;
    private bool _readOnly;
    private List<string>? _cookies;

    public int Count => _count;

    public bool IsReadOnly => _readOnly;

    public long? ContentLength
    {
        get
        {
            var value = this[Microsoft.Net.Http.Headers.HeaderNames.ContentLength];
            return value.Count == 1 && long.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;
        }

        set
        {
            if (value is null)
            {
                Remove(Microsoft.Net.Http.Headers.HeaderNames.ContentLength);
            }
            else
            {
                this[Microsoft.Net.Http.Headers.HeaderNames.ContentLength] = value.Value.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    public ICollection<string> Keys => _names[.._count];

    public ICollection<StringValues> Values => _values[.._count];

    public StringValues this[string key]
    {
        get
        {
            var index = IndexOf(key);
            return index < 0 ? StringValues.Empty : _values[index];
        }

        set
        {
            ThrowIfReadOnly();
            var index = IndexOf(key);
            if (StringValues.IsNullOrEmpty(value))
            {
                if (index >= 0)
                {
                    RemoveAt(index);
                }
            }
            else if (index >= 0)
            {
                _values[index] = value;
            }
            else
            {
                Append(key, value);
            }
        }
    }

    StringValues IDictionary<string, StringValues>.this[string key]
    {
        get => this[key];
        set => this[key] = value;
    }

    /// <summary>Adds a decoded field; a repeated <c>cookie</c> is joined to the first with "; " (RFC 9113 8.2.3).</summary>
    public void AddField(string name, string value)
    {
        var index = IndexOf(name);
        if (index < 0)
        {
            Append(name, value);
        }
        else if (ReferenceEquals(name, KnownHeaderNames.Cookie))
        {
            // Joined once the head is complete (JoinCookies): repeated concatenation is quadratic.
            _cookies ??= [];
            if (_cookies.Count == 0)
            {
                _cookies.Add(_values[index].ToString());
            }

            _cookies.Add(value);
        }
        else
        {
            _values[index] = StringValues.Concat(_values[index], value);
        }
    }

    /// <summary>After the last field: repeated cookie fields become one value, "; "-separated (RFC 9113 8.2.3).</summary>
    public void JoinCookies()
    {
        if (_cookies is not { Count: > 1 } cookies)
        {
            return;
        }

        _values[IndexOf(KnownHeaderNames.Cookie)] = string.Join("; ", cookies);
        cookies.Clear();
    }

    public void Reset()
    {
        _cookies?.Clear();
        Array.Clear(_names, 0, _count);
        Array.Clear(_values, 0, _count);
        _count = 0;
        _readOnly = false;
    }

    public void Add(string key, StringValues value)
    {
        ThrowIfReadOnly();
        if (IndexOf(key) >= 0)
        {
            throw new ArgumentException($"The header '{key}' is already present.", nameof(key));
        }

        Append(key, value);
    }

    public void Add(KeyValuePair<string, StringValues> item) => Add(item.Key, item.Value);

    public void Clear()
    {
        ThrowIfReadOnly();
        Reset();
    }

    public bool Contains(KeyValuePair<string, StringValues> item)
        => IndexOf(item.Key) is var index and >= 0 && _values[index].Equals(item.Value);

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public void CopyTo(KeyValuePair<string, StringValues>[] array, int arrayIndex)
    {
        for (var i = 0; i < _count; i++)
        {
            array[arrayIndex + i] = new KeyValuePair<string, StringValues>(_names[i], _values[i]);
        }
    }

    public bool Remove(string key)
    {
        ThrowIfReadOnly();
        var index = IndexOf(key);
        if (index < 0)
        {
            return false;
        }

        RemoveAt(index);
        return true;
    }

    public bool Remove(KeyValuePair<string, StringValues> item) => Contains(item) && Remove(item.Key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out StringValues value)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            value = default;
            return false;
        }

        value = _values[index];
        return true;
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<string, StringValues>> IEnumerable<KeyValuePair<string, StringValues>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        for (var i = 0; i < _count; i++)
        {
            var name = _names[i];
            if (ReferenceEquals(name, key) || string.Equals(name, key, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private void Append(string name, StringValues value)
    {
        if (_count == _names.Length)
        {
            Array.Resize(ref _names, _count * 2);
            Array.Resize(ref _values, _count * 2);
        }

        _names[_count] = name;
        _values[_count] = value;
        _count++;
    }

    private void RemoveAt(int index)
    {
        _count--;
        Array.Copy(_names, index + 1, _names, index, _count - index);
        Array.Copy(_values, index + 1, _values, index, _count - index);
        _names[_count] = null!;
        _values[_count] = default;
    }

    private void ThrowIfReadOnly()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("The headers are read-only.");
        }
    }

    public struct Enumerator : IEnumerator<KeyValuePair<string, StringValues>>
    {
        private readonly Http2RequestHeaders _headers;
        private int _index;

        public Enumerator(Http2RequestHeaders headers)
        {
            _headers = headers;
            _index = -1;
        }

        public readonly KeyValuePair<string, StringValues> Current => new(_headers._names[_index], _headers._values[_index]);

        readonly object IEnumerator.Current => Current;

        public bool MoveNext() => ++_index < _headers._count;

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}
