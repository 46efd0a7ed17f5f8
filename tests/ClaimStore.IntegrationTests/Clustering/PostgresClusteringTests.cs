using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Reflection;
using ClaimStore.Api.Hosting;
using ClaimStore.Grains.Actors;
using ClaimStore.IntegrationTests.Infrastructure;
using ClaimStore.Storage;
using ClaimStore.Testing;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;
using Orleans.Runtime.Placement;
using Xunit.Abstractions;

namespace ClaimStore.IntegrationTests.Clustering;

/// <summary>
/// Orleans membership in PostgreSQL: the schema of <see cref="OrleansClustering"/>, the provider's
/// contract on it, and a real cluster of three silos that loses one.
/// </summary>
[Collection(PostgresClusteringCollection.Name)]
public sealed class PostgresClusteringTests(PostgresClusteringFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task EnsureSchemaAsync_RunTwiceConcurrently_Succeeds()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("orleansschema");

        await Task.WhenAll(
            OrleansClustering.EnsureSchemaAsync(connectionString, CancellationToken.None),
            OrleansClustering.EnsureSchemaAsync(connectionString, CancellationToken.None));
        await OrleansClustering.EnsureSchemaAsync(connectionString, CancellationToken.None);

        var keys = await QueryKeysAsync(connectionString);
        Assert.Equal(keys.Count, keys.Distinct().Count());
        Assert.Empty(ProviderRequiredQueryKeys().Except(keys));
        Assert.Contains("CleanupDefunctSiloEntryKey", keys);
    }

    [Theory]
    [InlineData("consul")]
    [InlineData("postgresql")]
    public void ClusteringSetting_UnknownValue_ThrowsNamingTheAllowedValues(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => OrleansClustering.UsesPostgres(new OrleansSettings { ClusteringMode = value }));

        Assert.Contains($"'{value}'", error.Message);
        Assert.Contains("'localhost'", error.Message);
        Assert.Contains("'postgres'", error.Message);
    }

    [Fact]
    public void OrleansClusteringKey_PlainValue_BecomesTheModeAndIsHiddenFromOrleans()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Orleans:Clustering"] = "postgres" })
            .Build();
        var settings = new OrleansSettings();

        OrleansClustering.TakeClusteringAlias(configuration, settings);

        Assert.True(OrleansClustering.UsesPostgres(settings));
        Assert.False(configuration.GetSection("Orleans:Clustering").Exists());
    }

    [Fact]
    public void OrleansClusteringKey_DisagreeingWithClusteringMode_Throws()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orleans:Clustering"] = "postgres",
                ["Orleans:ClusteringMode"] = "localhost",
            })
            .Build();

        var error = Assert.Throws<InvalidOperationException>(() => OrleansClustering.TakeClusteringAlias(configuration, new OrleansSettings()));

        Assert.Contains("Orleans:ClusteringMode", error.Message);
    }

    [Fact]
    public async Task MembershipTable_ProviderOperations_FollowTheVersionProtocol()
    {
        var clusterId = $"contract-{Guid.NewGuid():N}";
        var table = await MembershipTableAsync(clusterId);

        var empty = await table.ReadAllAsync();
        Assert.Empty(empty.Members);
        var now = Trimmed(DateTime.UtcNow);
        var first = Entry(port: 5001, SiloStatus.Joining, now);

        // Inserting needs the version that was read; a second writer with the same version loses.
        Assert.True(await table.InsertRowAsync(first, empty.Version.Next()));
        Assert.False(await table.InsertRowAsync(Entry(port: 5002, SiloStatus.Joining, now), empty.Version.Next()));
        var afterInsert = await table.ReadAllAsync();
        Assert.Equal(empty.Version.Version + 1, afterInsert.Version.Version);
        var (stored, etag) = Assert.Single(afterInsert.Members);
        Assert.Equal(first.SiloAddress, stored.SiloAddress);
        Assert.Equal(("silo-5001", "host-5001", 6001), (stored.SiloName, stored.HostName, stored.ProxyPort));
        Assert.Equal(now, stored.StartTime);

        // Updating likewise; suspicions round-trip (Orleans writes their times to the millisecond).
        first.Status = SiloStatus.Active;
        var voteTime = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
        first.SuspectTimes = [Tuple.Create(SiloAddress.New(IPAddress.Loopback, 5009, 9), voteTime)];
        Assert.True(await table.UpdateRowAsync(first, etag, afterInsert.Version.Next()));
        Assert.False(await table.UpdateRowAsync(first, etag, afterInsert.Version.Next()));
        var row = await table.ReadRowAsync(first.SiloAddress);
        Assert.Equal(afterInsert.Version.Version + 1, row.Version.Version);
        var updated = Assert.Single(row.Members).Item1;
        Assert.Equal(SiloStatus.Active, updated.Status);
        Assert.Equal(first.SuspectTimes, updated.SuspectTimes);

        // The heartbeat changes the row, not the version.
        var alive = now.AddSeconds(5);
        first.IAmAliveTime = alive;
        await table.UpdateIAmAliveAsync(first);
        row = await table.ReadRowAsync(first.SiloAddress);
        Assert.Equal(alive, Assert.Single(row.Members).Item1.IAmAliveTime);
        Assert.Equal(afterInsert.Version.Version + 1, row.Version.Version);

        // Clients find active silos with a gateway port.
        var gateways = await GatewaysAsync(clusterId);
        Assert.Equal(new[] { SiloAddress.New(IPAddress.Loopback, 6001, first.SiloAddress.Generation).ToGatewayUri() }, gateways);

        // Cleanup removes dead rows older than the cutoff, through the optional per-row query...
        await AddDeadSiloAsync(table, port: 5003, now.AddDays(-2));
        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-1));
        Assert.Equal(new[] { 5001 }, await MemberPortsAsync(table));

        // ...and through the required fallback query when the optional one is absent.
        await AddDeadSiloAsync(table, port: 5004, now.AddDays(-2));
        await ExecuteAsync("DELETE FROM OrleansQuery WHERE QueryKey = 'CleanupDefunctSiloEntryKey'");
        try
        {
            var fallback = await MembershipTableAsync(clusterId);
            await fallback.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-1));
            Assert.Equal(new[] { 5001 }, await MemberPortsAsync(table));
        }
        finally
        {
            await OrleansClustering.EnsureSchemaAsync(fixture.ConnectionString, CancellationToken.None);
        }

        await table.DeleteMembershipTableEntriesAsync(clusterId);
        Assert.Equal(0L, await ScalarAsync(
            $"SELECT count(*) FROM OrleansMembershipVersionTable WHERE DeploymentId = '{clusterId}'"));
    }

    [Fact]
    public async Task ThreeSiloCluster_OneSiloCrashes_ItsGrainAnswersFromAnotherSiloWithin15Seconds()
    {
        var clusterId = $"cluster-{Guid.NewGuid():N}";
        var log = new MemoryLog();
        var ports = FreePorts(6);
        var silos = Enumerable.Range(0, 3)
            .Select(i => new TestSilo($"silo{i}", fixture.ConnectionString, clusterId, ports[2 * i], ports[(2 * i) + 1], log))
            .ToArray();
        var (healthy, caller, victim) = (silos[..2], silos[0], silos[2]);
        try
        {
            // Three hosts start at once, as a rolling deployment or a cold cluster start would.
            await Task.WhenAll(silos.Select(s => s.StartAsync()));

            foreach (var silo in silos)
            {
                await WaitUntilAsync(async () => (await silo.Management.GetHosts(onlyActive: true)).Count == 3,
                    TimeSpan.FromSeconds(20), $"{silo.Name} sees three active silos");
                var snapshot = await silo.Grains.GetGrain<IActorGrain>(TestData.ActorId("each")).GetSnapshotAsync();
                Assert.Null(snapshot.Profile);
            }

            var grain = await GrainLivingOnAsync(victim, caller);

            victim.Network.Cut();
            var recovered = await AnswersAgainAsync(() => caller.Grains.GetGrain<IActorGrain>(grain).GetSnapshotAsync(), TimeSpan.FromSeconds(30));
            output.WriteLine($"Grain {grain} answered again from another silo {recovered.TotalSeconds:F1} s after {victim.Name} crashed.");
            log.WriteMembershipEvents(output);

            Assert.True(recovered < RecoveryLimit, $"Recovery took {recovered.TotalSeconds:F1} s; the limit is {RecoveryLimit.TotalSeconds} s.");
            var newHome = await caller.Management.GetActivationAddress(caller.Grains.GetGrain<IActorGrain>(grain));
            Assert.NotNull(newHome);
            Assert.NotEqual(victim.Address, newHome);
            Assert.Equal(2, (await caller.Management.GetHosts(onlyActive: true)).Count);
            Assert.Equal((long)SiloStatus.Dead, await ScalarAsync(
                $"SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = '{clusterId}' AND Port = {victim.Address.Endpoint.Port}"));
            Assert.All(healthy, s => Assert.Empty(s.FatalErrors));
        }
        catch
        {
            log.WriteAll(output);
            throw;
        }
        finally
        {
            // The crashed silo goes first and without ceremony; the others leave gracefully.
            try
            {
                await victim.DisposeAsync(graceful: false);
            }
            finally
            {
                await Task.WhenAll(healthy.Select(s => s.DisposeAsync(graceful: true).AsTask()));
            }
        }
    }

    /// <summary>Activates a grain on <paramref name="victim"/> (by placement hint) and checks where it lives.</summary>
    private static async Task<string> GrainLivingOnAsync(TestSilo victim, TestSilo observer)
    {
        var actorId = TestData.ActorId("crash");
        var grain = observer.Grains.GetGrain<IActorGrain>(actorId);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, victim.Address);
        try
        {
            await grain.GetSnapshotAsync();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }

        Assert.Equal(victim.Address, await observer.Management.GetActivationAddress(grain));
        return actorId;
    }

    /// <summary>Calls until a call succeeds; returns the time that took.</summary>
    private static async Task<TimeSpan> AnswersAgainAsync(Func<Task> call, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < limit)
        {
            try
            {
                // A call to the dead silo may hang until the response timeout: give up early and retry.
                await call().WaitAsync(TimeSpan.FromSeconds(2));
                return clock.Elapsed;
            }
            catch (Exception e)
            {
                last = e;
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"No answer within {limit.TotalSeconds} s.", last);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds} s waiting until {what}.");
            }

            await Task.Delay(200);
        }
    }

    private static int[] FreePorts(int count)
    {
        return [.. Enumerable.Range(0, count).Select(_ => LoopbackPorts.Next())];
    }

    /// <summary>Exactly what the provider demands at start: the query properties of its DbStoredQueries.</summary>
    private static IEnumerable<string> ProviderRequiredQueryKeys()
    {
        var type = typeof(AdoNetClusteringTable).Assembly.GetType("Orleans.Clustering.AdoNet.Storage.DbStoredQueries", throwOnError: true)!;
        var keys = type.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic).Select(p => p.Name).ToArray();
        Assert.NotEmpty(keys);
        return keys;
    }

    private async Task<AdoNetClusteringTable> MembershipTableAsync(string clusterId)
    {
        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = clusterId }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = OrleansClustering.Invariant, ConnectionString = fixture.ConnectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return table;
    }

    private async Task<IList<Uri>> GatewaysAsync(string clusterId)
    {
        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new AdoNetClusteringClientOptions { Invariant = OrleansClustering.Invariant, ConnectionString = fixture.ConnectionString }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = clusterId }));
        await gateways.InitializeGatewayListProviderAsync();
        return await gateways.GetGatewaysAsync();
    }

    private static async Task AddDeadSiloAsync(AdoNetClusteringTable table, int port, DateTime when)
    {
        var dead = Entry(port, SiloStatus.Active, when);
        Assert.True(await table.InsertRowAsync(dead, (await table.ReadAllAsync()).Version.Next()));
        var read = await table.ReadAllAsync();
        dead.Status = SiloStatus.Dead;
        dead.AddSuspector(SiloAddress.New(IPAddress.Loopback, 5001, 1), when);
        Assert.True(await table.UpdateRowAsync(dead, read.Version.VersionEtag, read.Version.Next()));
    }

    private static async Task<int[]> MemberPortsAsync(AdoNetClusteringTable table) =>
        [.. (await table.ReadAllAsync()).Members.Select(m => m.Item1.SiloAddress.Endpoint.Port).Order()];

    private static MembershipEntry Entry(int port, SiloStatus status, DateTime when) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 1),
        SiloName = $"silo-{port}",
        HostName = $"host-{port}",
        Status = status,
        ProxyPort = port + 1000,
        StartTime = when,
        IAmAliveTime = when,
    };

    /// <summary>PostgreSQL keeps microseconds; .NET ticks are finer.</summary>
    private static DateTime Trimmed(DateTime value) => new(value.Ticks - (value.Ticks % 10), DateTimeKind.Utc);

    private static async Task<List<string>> QueryKeysAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT QueryKey FROM OrleansQuery", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    /// <summary>
    /// One silo in its own generic host, configured as ClaimStore configures it for <c>postgres</c>
    /// clustering, plus a switch that cuts its network the way a crash would.
    /// </summary>
    private sealed class TestSilo
    {
        private readonly IHost _host;
        private readonly RecordingFatalErrorHandler _fatal = new();

        public TestSilo(string name, string connectionString, string clusterId, int siloPort, int gatewayPort, MemoryLog log)
        {
            Name = name;
            var settings = new OrleansSettings
            {
                ClusteringMode = OrleansClustering.Postgres,
                SiloPort = siloPort,
                GatewayPort = gatewayPort,
                ClusterId = clusterId,
                ServiceId = clusterId,
                AdvertisedIP = "127.0.0.1",
            };
            _host = Host.CreateDefaultBuilder()
                .ConfigureLogging(logging => logging.ClearProviders().AddProvider(log.For(name))
                    .AddFilter("Orleans.Runtime.MembershipService", LogLevel.Information))
                .UseOrleans(silo =>
                {
                    silo.UseClaimStoreClustering(settings, connectionString);
                    silo.Services.AddClaimStoreGrains(connectionString);
                    // A silo told it is dead ends the process by default: record it instead.
                    silo.Services.AddSingleton<IFatalErrorHandler>(_fatal);
                    silo.Configure<SiloConnectionOptions>(options =>
                    {
                        options.ConfigureSiloInboundConnection(Network.Attach);
                        options.ConfigureSiloOutboundConnection(Network.Attach);
                        options.ConfigureGatewayInboundConnection(Network.Attach);
                    });
                })
                .Build();
        }

        public string Name { get; }

        public NetworkSwitch Network { get; } = new();

        public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

        public IManagementGrain Management => Grains.GetGrain<IManagementGrain>(0);

        public SiloAddress Address => _host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

        public IReadOnlyCollection<string> FatalErrors => _fatal.Errors;

        public Task StartAsync() => _host.StartAsync();

        public async ValueTask DisposeAsync(bool graceful)
        {
            using var cancellation = new CancellationTokenSource();
            if (!graceful)
            {
                await cancellation.CancelAsync();
            }

            try
            {
                await _host.StopAsync(cancellation.Token);
            }
            finally
            {
                _host.Dispose();
            }
        }
    }

    /// <summary>
    /// Connection middleware on every silo connection (inbound, outbound, gateway). <see cref="Cut"/>
    /// aborts them all and refuses new ones: to the other silos this silo is gone, as after a
    /// crash, but its process (the test's) lives on.
    /// </summary>
    private sealed class NetworkSwitch
    {
        private readonly ConcurrentDictionary<ConnectionContext, byte> _open = new();
        private volatile bool _cut;

        public void Attach(IConnectionBuilder builder) => builder.Use(next => async context =>
        {
            ThrowIfCut(context);
            _open.TryAdd(context, 0);
            try
            {
                ThrowIfCut(context);
                await next(context);
            }
            finally
            {
                _open.TryRemove(context, out _);
            }
        });

        public void Cut()
        {
            _cut = true;
            foreach (var connection in _open.Keys)
            {
                connection.Abort(new ConnectionAbortedException("Simulated crash."));
            }
        }

        private void ThrowIfCut(ConnectionContext context)
        {
            if (_cut)
            {
                context.Abort(new ConnectionAbortedException("Simulated crash."));
                throw new ConnectionAbortedException("Simulated crash.");
            }
        }
    }

    private sealed class RecordingFatalErrorHandler : IFatalErrorHandler
    {
        private readonly ConcurrentQueue<string> _errors = new();

        public IReadOnlyCollection<string> Errors => _errors;

        public bool IsUnexpected(Exception exception) => true;

        public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null) =>
            _errors.Enqueue($"{sender}: {context} {exception?.Message}");
    }

    /// <summary>Keeps the silos' log lines (warnings, and membership news) for the test output.</summary>
    private sealed class MemoryLog
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public ILoggerProvider For(string silo) => new Provider(this, silo);

        public void WriteMembershipEvents(ITestOutputHelper output)
        {
            foreach (var line in _lines.Where(l => l.Contains("MembershipTableManager", StringComparison.Ordinal) || l.Contains("SiloHealthMonitor", StringComparison.Ordinal)).TakeLast(30))
            {
                output.WriteLine(line);
            }
        }

        public void WriteAll(ITestOutputHelper output)
        {
            foreach (var line in _lines.TakeLast(200))
            {
                output.WriteLine(line);
            }
        }

        private void Add(string silo, LogLevel level, string category, string message, Exception? exception)
        {
            // First line only, shortened: enough to follow what the membership protocol did when.
            var text = $"{message.Split('\n')[0].TrimEnd()}{(exception is null ? "" : $" ({exception.GetType().Name})")}";
            _lines.Enqueue($"{_clock.Elapsed.TotalSeconds,6:F2}s {silo} {level} {category[(category.LastIndexOf('.') + 1)..]}: {(text.Length > 300 ? text[..300] + "..." : text)}");
        }

        private sealed class Provider(MemoryLog log, string silo) : ILoggerProvider
        {
            public ILogger CreateLogger(string categoryName) => new Logger(log, silo, categoryName);

            public void Dispose()
            {
            }
        }

        private sealed class Logger(MemoryLog log, string silo, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) =>
                logLevel >= LogLevel.Warning
                || (logLevel == LogLevel.Information && category.StartsWith("Orleans.Runtime.MembershipService", StringComparison.Ordinal));

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    log.Add(silo, logLevel, category, formatter(state, exception), exception);
                }
            }
        }
    }
}

/// <summary>One database for the clustering tests, with Orleans' membership schema.</summary>
public sealed class PostgresClusteringFixture : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync("clustering");
        await OrleansClustering.EnsureSchemaAsync(ConnectionString, CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class PostgresClusteringCollection : ICollectionFixture<PostgresClusteringFixture>
{
    public const string Name = nameof(PostgresClusteringCollection);
}
