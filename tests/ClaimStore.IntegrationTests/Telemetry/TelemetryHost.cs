using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using ClaimStore.IntegrationTests.Infrastructure;
using OpenTelemetry.Trace;

namespace ClaimStore.IntegrationTests.Telemetry;

/// <summary>
/// A host with the shared host's three keys, spans recorded into <see cref="Spans"/> (OpenTelemetry's
/// in-memory exporter) and the Orleans dashboard on: shared by the telemetry tests of one class.
/// </summary>
public sealed class TelemetryHost : IAsyncLifetime
{
    private ApiFixture? _host;

    public SpanCollector Spans { get; } = new();

    public ApiFixture Host => _host ?? throw new InvalidOperationException("Not started.");

    public async Task StartAsync(ApiFixture shared)
    {
        if (_host is not null)
        {
            return;
        }

        var settings = ApiFixture.ApiKeySettings(
            ("reader", ApiFixture.ReaderKey, "reader"), ("writer", ApiFixture.WriterKey, "writer"), ("admin", ApiFixture.AdminKey, "admin"));
        settings["Telemetry:Traces"] = "true";
        settings["Dashboard:Enabled"] = "true";
        var host = shared.AnotherHost(new HostOptions(settings)
        {
            DefaultApiKey = ApiFixture.WriterKey,
            ConfigureServices = services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans)),
        });
        await host.InitializeAsync();
        _host = host;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>What the exporter hands over, safe to read while the host adds to it.</summary>
    public sealed class SpanCollector : ICollection<Activity>
    {
        private readonly ConcurrentQueue<Activity> _spans = new();

        public int Count => _spans.Count;

        public bool IsReadOnly => false;

        public void Add(Activity item) => _spans.Enqueue(item);

        public void Clear() => _spans.Clear();

        public bool Contains(Activity item) => _spans.Contains(item);

        public void CopyTo(Activity[] array, int arrayIndex) => _spans.CopyTo(array, arrayIndex);

        public bool Remove(Activity item) => throw new NotSupportedException();

        public IEnumerator<Activity> GetEnumerator() => _spans.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
