using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace ClaimStore.Api.Http;

/// <summary>
/// A 200 answer whose JSON body was serialized earlier (a cached answer), written as it is. It
/// describes itself to OpenAPI as <typeparamref name="T"/>, exactly like <c>Ok&lt;T&gt;</c>.
/// </summary>
public sealed class SerializedJson<T>(byte[] utf8) : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public int? StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = utf8.Length;
        return response.Body.WriteAsync(utf8, httpContext.RequestAborted).AsTask();
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
}
