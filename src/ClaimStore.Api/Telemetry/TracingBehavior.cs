using System.Diagnostics;
using ClaimStore.Storage.Telemetry;
using Mediator;

namespace ClaimStore.Api.Telemetry;

/// <summary>
/// A span per mediator message (<c>mediator RecordClaim</c>), between the endpoint's span and the grain
/// call's, so a trace shows which use case a request ran and how long validation and the handler took.
/// </summary>
public sealed class TracingBehavior<TMessage, TResponse> : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    // Computed once per message type, not per request.
    private static readonly string SpanName = "mediator " + typeof(TMessage).Name;

    public async ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        using var activity = ClaimStoreActivities.Source.StartActivity(SpanName, ActivityKind.Internal);
        try
        {
            return await next(message, cancellationToken);
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }
}
