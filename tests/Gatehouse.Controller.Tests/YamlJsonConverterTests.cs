using System.Text;
using Gatehouse.Controller.Sources;
using YamlDotNet.Core;

namespace Gatehouse.Tests;

/// <summary>
/// The YAML → JSON conversion manifests go through. It works from the parser's events, one document
/// at a time; these pin down what YamlDotNet's node graph used to give for free: aliases expanded in
/// place (with the typing of where they are used), duplicate and non-scalar keys refused, and limits on
/// depth and on alias expansion.
/// </summary>
public sealed class YamlJsonConverterTests
{
    [Fact]
    public void Documents_convert_to_json_with_core_schema_typing()
    {
        var json = Convert("""
            a: 1
            b: -0x1F
            c: 0o17
            d: 2.5e3
            e: ~
            f: True
            g: "true"
            h: !!str 42
            i: .inf
            j: 99999999999999999999
            k: [x, 'y', {z: null}]
            l: |
              line one
              line two
            """);

        Assert.Equal("""{"a":1,"b":"-0x1F","c":15,"d":2500,"e":null,"f":true,"g":"true","h":"42","i":".inf","j":1E+20,"k":["x","y",{"z":null}],"l":"line one\nline two"}""", Assert.Single(json));
    }

    [Fact]
    public void Empty_documents_are_skipped_and_the_others_kept_in_order()
    {
        var json = Convert("""
            # only a comment
            ---
            name: first
            ---
            ---
            name: second
            ---
            """);

        Assert.Equal(["""{"name":"first"}""", """{"name":"second"}"""], json);
    }

    [Fact]
    public void Labels_and_annotations_stay_strings()
    {
        var json = Convert("""
            metadata:
              labels: {tier: 1, canary: true}
              annotations: {weight: 10}
            spec:
              labels: {tier: 1}
            """);

        Assert.Equal("""{"metadata":{"labels":{"tier":"1","canary":"true"},"annotations":{"weight":"10"}},"spec":{"labels":{"tier":1}}}""", Assert.Single(json));
    }

    [Fact]
    public void An_alias_is_the_anchored_node_again_typed_where_it_is_used()
    {
        var json = Convert("""
            defaults: &defaults {port: 80, public: true}
            metadata:
              labels: *defaults
            copy: *defaults
            name: &name web
            names: [*name, *name]
            *name : aliased key
            """);

        Assert.Equal("""{"defaults":{"port":80,"public":true},"metadata":{"labels":{"port":"80","public":"true"}},"copy":{"port":80,"public":true},"name":"web","names":["web","web"],"web":"aliased key"}""", Assert.Single(json));
    }

    [Fact]
    public void Anchors_do_not_reach_into_the_next_document()
    {
        var error = Assert.ThrowsAny<YamlException>(() => Convert("""
            a: &x 1
            ---
            b: *x
            """));

        Assert.Contains("*x", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.Start.Line);
    }

    [Fact]
    public void Duplicate_keys_are_refused_at_the_second_one()
    {
        var error = Assert.ThrowsAny<YamlException>(() => Convert("""
            metadata:
              name: a
              labels: {x: "1"}
              name: b
            """));

        Assert.Contains("Duplicate key 'name'", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, error.Start.Line);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5_000)]
    public void A_duplicate_is_found_in_small_and_large_mappings(int keys)
    {
        var yaml = new StringBuilder("data:\n");
        for (var i = 0; i < keys; i++)
        {
            yaml.Append($"  k{i}: v\n");
        }

        Assert.Single(Convert(yaml.ToString()));
        var error = Assert.ThrowsAny<YamlException>(() => Convert(yaml + "  k1: again\n"));
        Assert.Contains("Duplicate key 'k1'", error.Message, StringComparison.Ordinal);
        Assert.Equal(keys + 2, error.Start.Line);
    }

    [Fact]
    public void The_same_key_in_sibling_and_nested_mappings_is_not_a_duplicate()
    {
        var json = Convert("""
            items:
              - {name: a, spec: {name: inner}}
              - {name: b}
            name: top
            """);

        Assert.Equal("""{"items":[{"name":"a","spec":{"name":"inner"}},{"name":"b"}],"name":"top"}""", Assert.Single(json));
    }

    [Fact]
    public void Non_scalar_keys_are_refused()
    {
        var error = Assert.ThrowsAny<YamlException>(() => Convert("? [a, b]\n: value\n"));

        Assert.Contains("Only scalar mapping keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_past_the_limit_is_refused()
    {
        var deep = new StringBuilder();
        for (var i = 0; i < 200; i++)
        {
            deep.Append('[');
        }

        deep.Append(new string(']', 200));
        var error = Assert.ThrowsAny<YamlException>(() => Convert(deep.ToString()));

        Assert.Contains("Nesting deeper than 128", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_that_expand_past_the_node_limit_are_refused()
    {
        // Nine levels of ten aliases each: a billion nodes from a few hundred bytes.
        var yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var level = 1; level <= 9; level++)
        {
            var previous = $"*a{level - 1}";
            yaml.Append($"a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat(previous, 10))}]\n");
        }

        var error = Assert.ThrowsAny<YamlException>(() => Convert(yaml.ToString()));

        Assert.Contains("more than 1,000,000 nodes", error.Message, StringComparison.Ordinal);
    }

    private static List<string> Convert(string yaml)
        => [.. YamlJsonConverter.ConvertDocumentsToUtf8(yaml).Select(Encoding.UTF8.GetString)];
}
