using ClaimStore.Api.Hosting;
using ClaimStore.LocalPostgres;
using ClaimStore.Storage;

namespace ClaimStore.Api.Operations;

/// <summary>Commands for operators, run instead of the server: <c>dotnet run --project src/ClaimStore.Api -- projections rebuild</c>.</summary>
internal static class OperatorCommands
{
    public static bool Handles(string[] args) => args is ["projections", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not ["projections", "rebuild", .. var rest])
        {
            await Console.Error.WriteLineAsync("usage: ClaimStore.Api projections rebuild [--ConnectionStrings:ClaimStore=…]");
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(rest);
        builder.AddClaimStoreDatabase();
        using var host = builder.Build();
        var embedded = host.Services.GetService<EmbeddedPostgres>();
        try
        {
            await ProjectionRebuild.RunAsync(host.Services, Console.Out, CancellationToken.None);
            return 0;
        }
        finally
        {
            // A server this command started goes down again; one a running host uses stays up.
            if (embedded?.ReusedRunningServer == true)
            {
                embedded.Detach();
            }
            else
            {
                embedded?.Stop();
            }
        }
    }
}
