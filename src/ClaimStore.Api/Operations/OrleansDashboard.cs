using ClaimStore.Api.Auth;
using Orleans.Dashboard;

namespace ClaimStore.Api.Operations;

/// <summary>
/// The Orleans dashboard (which silo holds which actors, calls and latencies per grain method) at
/// <c>/dashboard</c>, for admins. It profiles every grain call, so it is on in Development and off
/// elsewhere unless <c>Dashboard:Enabled</c> says otherwise.
/// </summary>
internal static class OrleansDashboard
{
    public const string Path = "/dashboard";

    public static bool Enabled(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue<bool?>("Dashboard:Enabled") ?? environment.IsDevelopment();

    public static ISiloBuilder AddClaimStoreDashboard(this ISiloBuilder silo, IConfiguration configuration, IHostEnvironment environment)
    {
        if (Enabled(configuration, environment))
        {
            // The live log stream would show any admin every log line of the silo; the logs have their own home.
            silo.AddDashboard(options => options.HideTrace = true);
        }

        return silo;
    }

    public static WebApplication MapClaimStoreDashboard(this WebApplication app)
    {
        if (Enabled(app.Configuration, app.Environment))
        {
            app.MapOrleansDashboard(routePrefix: Path).RequireAdminToRead().ExcludeFromDescription();
        }

        return app;
    }
}
