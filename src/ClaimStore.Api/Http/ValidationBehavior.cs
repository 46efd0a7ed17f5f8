using FluentValidation;
using Mediator;

namespace ClaimStore.Api.Http;

/// <summary>Runs every validator of a message before its handler; nothing invalid gets past this point.</summary>
public sealed class ValidationBehavior<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(
        TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        foreach (var validator in validators)
        {
            // Synchronous on purpose: no rule here does I/O, and the async path costs a state machine
            // per rule on every request. A rule made async later fails loudly here, in every test.
            var result = validator.Validate(message);
            if (!result.IsValid)
            {
                throw new ValidationException(result.Errors);
            }
        }

        return await next(message, cancellationToken);
    }
}
