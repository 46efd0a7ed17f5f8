using System.Text.Json;
using ClaimStore.Api.Actors;
using ClaimStore.Api.Claims;
using ClaimStore.Api.Http;
using Mediator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ClaimStore.Api.Sample;

/// <summary>The annotated sample article: actors and claims with fixed ids.</summary>
public sealed record SampleFile(
    IReadOnlyList<string>? Notes,
    SourceInput? Source,
    IReadOnlyList<SampleActor> Actors,
    IReadOnlyList<ClaimInput> Claims)
{
    public const string FileName = "nato-2024-12-04.json";

    public static SampleFile Read(string path) =>
        JsonSerializer.Deserialize<SampleFile>(File.ReadAllText(path), ApiJson.Options)
        ?? throw new InvalidDataException($"{path} is empty.");
}

public sealed record SampleActor(string ActorId, string? Name, string? Kind, IReadOnlyList<string?>? Aliases);

/// <summary>
/// In Development, once the host has started, loads the sample into an empty store through the same
/// commands clients use. Fixed claim ids make a repeated load a no-op. Production never loads anything.
/// </summary>
internal sealed partial class SampleLoader(
    IHostEnvironment environment,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    IServer server,
    IMediator mediator,
    ILogger<SampleLoader> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Wait until the silo and Kestrel are up: grains are callable only then.
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(started.SetResult);
        await started.Task.WaitAsync(stoppingToken);

        var load = environment.IsDevelopment() && configuration.GetValue("Sample:LoadOnStart", true);
        if (load)
        {
            await LoadAsync(stoppingToken);
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "(no address)";
        LogReady(logger, address, $"{address}{Reference.ApiReference.Path}");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        if ((await mediator.Send(new GetActors(), cancellationToken)).Count > 0)
        {
            LogSkipped(logger);
            return;
        }

        var sample = SampleFile.Read(Path.Combine(AppContext.BaseDirectory, "Sample", SampleFile.FileName));
        foreach (var actor in sample.Actors)
        {
            await mediator.Send(
                new RegisterActor(actor.ActorId, new ActorInput(actor.Name, actor.Kind, actor.Aliases)), cancellationToken);
        }

        var items = sample.Claims.Select(c => JsonSerializer.SerializeToElement(c, ApiJson.Options)).ToList();
        var result = await mediator.Send(new RecordClaimBatch(items), cancellationToken);
        foreach (var rejected in result.Results.Where(r => r.Status == BatchItemStatus.Rejected))
        {
            LogRejected(logger, rejected.Index, JsonSerializer.Serialize(rejected.Errors));
        }

        LogLoaded(logger, sample.Actors.Count, result.Results.Count(r => r.Status == BatchItemStatus.Created));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sample loaded: {Actors} actors, {Claims} claims recorded")]
    private static partial void LogLoaded(ILogger logger, int actors, int claims);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sample not loaded: the store already holds actors")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sample claim {Index} rejected: {Errors}")]
    private static partial void LogRejected(ILogger logger, int index, string errors);

    [LoggerMessage(Level = LogLevel.Information, Message = "ClaimStore is ready: API at {Address}, API reference at {Reference}")]
    private static partial void LogReady(ILogger logger, string address, string reference);
}
