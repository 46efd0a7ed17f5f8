using ClaimStore.Api.Hosting;
using ClaimStore.Api.Operations;

try
{
    if (OperatorCommands.Handles(args))
    {
        return await OperatorCommands.RunAsync(args);
    }

    var builder = WebApplication.CreateBuilder(args);
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
