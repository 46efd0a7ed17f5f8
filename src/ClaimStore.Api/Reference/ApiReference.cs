using ClaimStore.Api.Auth;
using Scalar.AspNetCore;

namespace ClaimStore.Api.Reference;

/// <summary>
/// The API reference page at <c>/reference</c>: Scalar's viewer over <c>/openapi/v1.json</c>, served with
/// its script from this host (nothing from a CDN). It needs a reader key like every page of the workbench
/// (the workbench's key cookie counts); the document itself stays open.
/// </summary>
internal static class ApiReference
{
    public const string Path = "/reference";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapScalarApiReference(Path, options => options
                .WithTitle("ClaimStore API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .AddPreferredSecuritySchemes(ApiKeyAuthenticationHandler.SchemeName)
                // Nothing from elsewhere: no web fonts, no AI agent, no usage telemetry, no links to Scalar's services.
                .DisableDefaultFonts()
                .DisableAgent()
                .DisableMcp()
                .DisableTelemetry()
                .HideDeveloperTools())
            .RequireReader()
            .ExcludeFromDescription();
        return app;
    }
}
