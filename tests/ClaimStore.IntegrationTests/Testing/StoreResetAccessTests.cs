using System.Net;
using ClaimStore.IntegrationTests.Infrastructure;

namespace ClaimStore.IntegrationTests.Testing;

/// <summary>
/// <c>POST /testing/reset</c> empties the whole store: it exists only where <c>Testing:AllowReset</c> is set, and
/// then only for admins. What it does is tested through the kit (ClaimStore.Testing.Tests, ResetTests); these
/// hosts share the collection's store, so no call here may succeed.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class StoreResetAccessTests(ApiFixture fixture, ExtraHosts hosts) : IClassFixture<ExtraHosts>
{
    [Fact]
    public async Task Reset_WithoutTheSetting_IsNotMapped()
    {
        var response = await fixture.CreateClient(ApiFixture.AdminKey).PostAsync("/testing/reset", content: null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData(ApiFixture.ReaderKey, HttpStatusCode.Forbidden)]
    [InlineData(ApiFixture.WriterKey, HttpStatusCode.Forbidden)]
    public async Task Reset_WithTheSettingWithoutAdminKey_IsRefused(string? key, HttpStatusCode expected)
    {
        var settings = ApiFixture.ApiKeySettings(
            ("reader", ApiFixture.ReaderKey, "reader"), ("writer", ApiFixture.WriterKey, "writer"), ("admin", ApiFixture.AdminKey, "admin"));
        settings["Testing:AllowReset"] = "true";
        var host = await hosts.GetAsync("reset-allowed", () => fixture.AnotherHost(new HostOptions(settings)));

        var response = await host.CreateClient(key).PostAsync("/testing/reset", content: null);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
