using System.Collections.Concurrent;
using System.Globalization;
using ClaimStore.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace ClaimStore.IntegrationTests.Reliability;

/// <summary>
/// The real host in this process (Development without API keys, no sample, no write rate limit),
/// with a silo of its own on free ports, on <paramref name="connectionString"/> plus
/// <paramref name="settings"/>. Keeps the warnings and errors it logs, by category.
/// </summary>
public sealed class InProcessHost(string connectionString, IReadOnlyDictionary<string, string?> settings)
    : WebApplicationFactory<Program>
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message, string Exception, string Detail)> _logged = new();

    public IReadOnlyCollection<(LogLevel Level, string Category, string Message, string Exception, string Detail)> Logged => _logged;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:ClaimStore", connectionString);
        builder.UseSetting("Orleans:ClusteringMode", "localhost");
        builder.UseSetting("Orleans:SiloPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:GatewayPort", LoopbackPorts.Next().ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Orleans:ClusterId", $"inproc-{Guid.NewGuid():N}");
        builder.UseSetting("Sample:LoadOnStart", "false");
        builder.UseSetting("Auth:RateLimit:PermitsPerSecond", "0");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging
            .ClearProviders()
            .AddProvider(new KeepingProvider(_logged))
            .SetMinimumLevel(LogLevel.Warning));
    }

    /// <summary>The exception and its inner ones, by type: "OrleansException < NpgsqlException < SocketException".</summary>
    private static string Chain(Exception? exception)
    {
        var types = new List<string>();
        for (var e = exception; e is not null && types.Count < 6; e = e.InnerException)
        {
            types.Add(e.GetType().Name);
        }

        return string.Join(" < ", types);
    }

    private sealed class KeepingProvider(ConcurrentQueue<(LogLevel, string, string, string, string)> logged) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(logged, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(ConcurrentQueue<(LogLevel, string, string, string, string)> logged, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel) && logged.Count < 50_000)
            {
                var message = formatter(state, exception);
                var detail = exception?.ToString() ?? "";
                logged.Enqueue((logLevel, category, message.Length > 300 ? message[..300] : message, Chain(exception),
                    detail.Length > 3000 ? detail[..3000] : detail));
            }
        }
    }
}
