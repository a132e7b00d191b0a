using Gatehouse.Controller;
using Gatehouse.Controller.Publishing;
using Gatehouse.Controller.Translation;
using Gatehouse.Model;

namespace Gatehouse.Tests;

public sealed class ConfigPublisherTests
{
    private static readonly ControllerOptions Options = new() { ManifestsDirectory = "/m", ChannelPath = "/c" };

    private static GatehouseConfig Config(string host, params string[] endpoints) => IngressTranslator.Translate(Snapshots.FromYaml(
        """
        apiVersion: networking.k8s.io/v1
        kind: IngressClass
        metadata: {name: gatehouse}
        spec: {controller: gatehouse.io/ingress-controller}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {ports: [{port: 80}]}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{port: 8080}]
        endpoints:
        """ + string.Concat(endpoints.Select(e => $"\n  - addresses: [{e}]")) + $$"""

        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web}
        spec:
          ingressClassName: gatehouse
          rules:
            - host: {{host}}
              http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend:
                      service:
                        name: web
                        port: {number: 80}
        """), Options).Config;

    [Fact]
    public void AnEmptyConfigIsRefusedAfterANonEmptyOneOnlyWhileSourcesAreIncomplete()
    {
        var sink = new RecordingSink();
        var publisher = new ConfigPublisher(sink);
        Assert.Equal(PublishOutcome.Published, publisher.Publish(Config("a.test", "10.0.0.1"), sourcesSynced: true));

        Assert.Equal(PublishOutcome.RefusedEmpty, publisher.Publish(GatehouseConfig.Empty, sourcesSynced: true, sourcesComplete: false));
        Assert.Single(sink.Published);
        Assert.Equal("a.test", publisher.LastPublished!.Hosts[0].Host);

        // A non-empty config from an incomplete read is a partial change, not a wipe-out: it goes out.
        Assert.Equal(PublishOutcome.Published, publisher.Publish(Config("b.test", "10.0.0.1"), sourcesSynced: true, sourcesComplete: false));

        // A default backend alone still serves traffic, so it is not empty either.
        var defaultOnly = GatehouseConfig.Empty with { DefaultBackend = "web", Backends = Config("b.test", "10.0.0.1").Backends };
        Assert.Equal(PublishOutcome.Published, publisher.Publish(defaultOnly, sourcesSynced: true, sourcesComplete: false));

        // A complete read that really has nothing left is published.
        Assert.Equal(PublishOutcome.Published, publisher.Publish(GatehouseConfig.Empty, sourcesSynced: true, sourcesComplete: true));
        Assert.Equal(4, sink.Published.Count);

        // Empty after empty is simply unchanged; there is nothing left to protect.
        Assert.Equal(PublishOutcome.Unchanged, publisher.Publish(GatehouseConfig.Empty, sourcesSynced: true, sourcesComplete: false));
    }

    [Fact]
    public void AfterARestartAnEmptyConfigFromAnIncompleteReadDoesNotWipeThePreviousControllersConfig()
    {
        // The channel already holds generation 7 from before the restart; its content is unknown here.
        var sink = new RecordingSink { Generation = 7 };
        var publisher = new ConfigPublisher(sink);
        Assert.Equal(PublishOutcome.RefusedEmpty, publisher.Publish(GatehouseConfig.Empty, sourcesSynced: true, sourcesComplete: false));
        Assert.Empty(sink.Published);

        Assert.Equal(PublishOutcome.Published, publisher.Publish(GatehouseConfig.Empty, sourcesSynced: true, sourcesComplete: true));
    }

    [Fact]
    public void AnEmptyFirstConfigOnANewChannelIsPublishedEvenFromAnIncompleteRead()
    {
        var sink = new RecordingSink();
        var publisher = new ConfigPublisher(sink);
        Assert.Equal(PublishOutcome.Published, publisher.Publish(GatehouseConfig.Empty, sourcesSynced: true, sourcesComplete: false));
    }

    [Fact]
    public void NothingIsPublishedBeforeSourcesSync()
    {
        var sink = new RecordingSink();
        var publisher = new ConfigPublisher(sink);

        Assert.Equal(PublishOutcome.NotSynced, publisher.Publish(Config("a.test", "10.0.0.1"), sourcesSynced: false));
        Assert.Empty(sink.Published);
        Assert.Null(publisher.LastPublished);
    }

    [Fact]
    public void PublishesOnlyWhenTheContentChanges()
    {
        var sink = new RecordingSink();
        var publisher = new ConfigPublisher(sink);

        Assert.Equal(PublishOutcome.Published, publisher.Publish(Config("a.test", "10.0.0.1"), sourcesSynced: true));
        Assert.Equal(1, publisher.LastPublished!.Generation);

        // A fresh translation of the same objects: new instances, same content.
        Assert.Equal(PublishOutcome.Unchanged, publisher.Publish(Config("a.test", "10.0.0.1"), sourcesSynced: true));
        Assert.Single(sink.Published);

        Assert.Equal(PublishOutcome.Published, publisher.Publish(Config("a.test", "10.0.0.1", "10.0.0.2"), sourcesSynced: true));
        Assert.Equal(PublishOutcome.Published, publisher.Publish(Config("b.test", "10.0.0.1", "10.0.0.2"), sourcesSynced: true));
        Assert.Equal(3, sink.Published.Count);
        Assert.Equal(3, publisher.LastPublished.Generation);
    }

    [Fact]
    public void FailedPublishIsRetriedByTheNextCall()
    {
        var sink = new RecordingSink { FailWith = new IOException("disk full") };
        var publisher = new ConfigPublisher(sink);
        var config = Config("a.test", "10.0.0.1");

        Assert.Throws<IOException>(() => publisher.Publish(config, sourcesSynced: true));
        sink.FailWith = null;

        Assert.Equal(PublishOutcome.Published, publisher.Publish(config, sourcesSynced: true));
        Assert.Single(sink.Published);
    }

    [Fact]
    public void ContentEqualityLooksIntoEveryCollection()
    {
        var config = Config("a.test", "10.0.0.1");

        Assert.True(ConfigEquality.ContentEquals(config, config with { Generation = 7 }));
        Assert.False(ConfigEquality.ContentEquals(config, config with { DefaultBackend = "x" }));
        Assert.False(ConfigEquality.ContentEquals(config, config with
        {
            Backends = [config.Backends[0] with { Protocol = BackendProtocol.Grpc }],
        }));
        Assert.False(ConfigEquality.ContentEquals(config, config with
        {
            Hosts = [config.Hosts[0] with { Routes = [config.Hosts[0].Routes[0] with { Match = PathMatch.Exact }] }],
        }));
        Assert.False(ConfigEquality.ContentEquals(config, config with
        {
            Certificates = [new CertificateConfig { Name = "n/c", CertificatePem = "c", PrivateKeyPem = "k" }],
        }));
    }

    [Fact]
    public void ARestartedControllerDoesNotRepublishWhatTheChannelAlreadyHolds()
    {
        var directory = Directory.CreateTempSubdirectory("gatehouse-publisher-").FullName;
        try
        {
            var path = Path.Combine(directory, "config.bin");
            using (var first = new ChannelConfigSink(path, SchemaVersion.Current, "test"))
            {
                Assert.Null(((IConfigSink)first).Existing);
                Assert.Equal(PublishOutcome.Published, new ConfigPublisher(first).Publish(Config("a.test", "10.0.0.1"), sourcesSynced: true));
            }

            // The controller restarts: same sources, same content → nothing written.
            using var second = new ChannelConfigSink(path, SchemaVersion.Current, "test");
            var publisher = new ConfigPublisher(second);
            Assert.Equal(PublishOutcome.Unchanged, publisher.Publish(Config("a.test", "10.0.0.1"), sourcesSynced: true));
            Assert.Equal(1, second.Generation);
            Assert.Equal(1, publisher.LastPublished!.Generation);

            // A real change still publishes, continuing the file's generations.
            Assert.Equal(PublishOutcome.Published, publisher.Publish(Config("a.test", "10.0.0.2"), sourcesSynced: true));
            Assert.Equal(2, second.Generation);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_published_config_carries_the_hash_of_its_content_and_equal_content_is_not_published_again()
    {
        var sink = new RecordingSink();
        var publisher = new ConfigPublisher(sink);
        var config = Config("shop.example.com", "10.0.0.1");

        Assert.Equal(PublishOutcome.Published, publisher.Publish(config, sourcesSynced: true));
        var published = Assert.Single(sink.Published);
        Assert.Equal(Gatehouse.Serialization.ConfigHash.Compute(config), published.ConfigHash);

        // Same content built afresh (a new object): unchanged; a moved endpoint: a new hash.
        Assert.Equal(PublishOutcome.Unchanged, publisher.Publish(Config("shop.example.com", "10.0.0.1"), sourcesSynced: true));
        var moved = Config("shop.example.com", "10.0.0.2");
        Assert.Equal(PublishOutcome.Published, publisher.Publish(moved, sourcesSynced: true));
        Assert.Equal(Gatehouse.Serialization.ConfigHash.Compute(moved), sink.Published[^1].ConfigHash);
        Assert.NotEqual(published.ConfigHash, sink.Published[^1].ConfigHash);
    }
}
