using ClaimStore.Api.Auth;
using Microsoft.AspNetCore.DataProtection;

namespace ClaimStore.Api.Ui;

/// <summary>
/// The analyst's workbench: Razor components rendered by this host (static server-side rendering), its
/// stylesheet and script, and the form that keeps an API key for the browser session. Every page reads
/// through the mediator, with the same queries the HTTP API sends.
/// </summary>
internal static class Workbench
{
    public static IServiceCollection AddWorkbench(this IServiceCollection services)
    {
        services.AddRazorComponents();
        // Rendering asks for data protection, but no page protects anything that must outlive the process
        // (no antiforgery forms, no interactive circuits): keys in memory, no key ring on disk (decision 0011).
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        return services;
    }

    public static WebApplication MapWorkbench(this WebApplication app)
    {
        // Pages need a reader key, like every GET; without one they send the browser to the key form.
        app.MapRazorComponents<App>()
            .RequireReader()
            .WithMetadata(new WorkbenchPage())
            // No page takes a form post (the key form posts to WorkbenchKey, the claim form to the API): pages
            // answer GET and HEAD only, and need no antiforgery token.
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]))
            .DisableAntiforgery()
            .ExcludeFromDescription();
        WorkbenchAssets.Map(app);
        WorkbenchKey.Map(app);
        return app;
    }
}

/// <summary>Marks the workbench's pages: a request without a key is sent to the key form, not answered 401.</summary>
internal sealed class WorkbenchPage;

/// <summary>The workbench's paths, all under <c>/ui</c> except the overview, so none can collide with the API's.</summary>
internal static class WorkbenchRoutes
{
    public const string Contradictions = "/ui/contradictions";
    public const string History = "/ui/history";
    public const string Search = "/ui/search";
    public const string Key = "/ui/key";
    public const string KeepKey = "/ui/key/keep";
    public const string ForgetKey = "/ui/key/forget";

    public static string Actor(string actorId) => $"/ui/actors/{Uri.EscapeDataString(actorId)}";

    public static string Proposition(string key) => $"/ui/propositions/{Uri.EscapeDataString(key)}";

    public static string ContradictionsOf(string propositionKey) => $"{Contradictions}?propositionKey={Uri.EscapeDataString(propositionKey)}";
}
