using ClaimStore.Api.Hosting;
using ClaimStore.Api.Operations;
using ClaimStore.Api.Telemetry;
using ClaimStore.LocalPostgres;

WebApplicationBuilder? builder = null;
try
{
    if (OperatorCommands.Handles(args))
    {
        return await OperatorCommands.RunAsync(args);
    }

    builder = WebApplication.CreateBuilder(args);
    builder.AddClaimStoreTelemetry();
    builder.AddClaimStoreDatabase();
    builder.AddClaimStoreSilo();
    builder.Services.AddClaimStoreApi();

    var app = builder.Build();
    app.UseClaimStoreApi();
    await app.RunAsync();
    return 0;
}
catch (EmbeddedPostgresException ex)
{
    // No server binaries, or the embedded server would not start: one line that says what to do.
    await Console.Error.WriteLineAsync($"claimstore: {ex.Message}");
    return 1;
}
catch (Exception) when (StopEmbeddedServer(builder))
{
    throw; // never reached: the filter stops the server and declines
}

// A host that fails while starting must not leave the embedded PostgreSQL it started running.
static bool StopEmbeddedServer(WebApplicationBuilder? builder)
{
    var embedded = builder?.Services.FirstOrDefault(d => d.ServiceType == typeof(EmbeddedPostgres))?.ImplementationInstance as EmbeddedPostgres;
    embedded?.Stop();
    return false;
}
