using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ClaimStore.Api.Auth;
using Microsoft.AspNetCore.Http;

namespace ClaimStore.UnitTests.Auth;

public sealed class ApiKeyRingTests
{
    private const string Key = "s3cret-key";

    private static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static ApiKeySettings Entry(string? name, string? sha256, params string[] roles) =>
        new() { Name = name, Sha256 = sha256, Roles = [.. roles] };

    private static List<string> Errors(params ApiKeySettings[] entries)
    {
        ApiKeyRing.Parse(entries, out var errors);
        return errors;
    }

    [Theory]
    [InlineData("reader", new[] { "reader" })]
    [InlineData("writer", new[] { "reader", "writer" })]
    [InlineData("admin", new[] { "reader", "writer", "admin" })]
    [InlineData("Writer", new[] { "reader", "writer" })]
    public void Parse_Role_GrantsEveryWeakerRoleToo(string role, string[] granted)
    {
        var keys = ApiKeyRing.Parse([Entry("ci", Sha256(Key), role)], out var errors);

        Assert.Empty(errors);
        Assert.Equal(granted, Assert.Single(keys).Roles);
    }

    [Fact]
    public void Parse_SeveralRoles_GrantsTheStrongestWithItsIncludedRoles()
    {
        var keys = ApiKeyRing.Parse([Entry("ops", Sha256(Key), "reader", "admin")], out _);

        Assert.Equal(new[] { "reader", "writer", "admin" }, Assert.Single(keys).Roles);
    }

    [Fact]
    public void Find_ThePlaintextOfAConfiguredHash_IsThatKey()
    {
        var ring = new ApiKeyRing(ApiKeyRing.Parse(
            [Entry("reader-app", Sha256("other"), "reader"), Entry("ingest", Sha256(Key).ToUpperInvariant(), "writer")], out _));

        Assert.Equal("ingest", ring.Find(Key)?.Name);
        Assert.Null(ring.Find("s3cret-key "));
        Assert.Null(ring.Find(Sha256(Key)));
        Assert.Null(ring.Find(""));
    }

    [Theory]
    [InlineData("not-hex-at-all")]
    [InlineData("abc")]
    [InlineData("zz89f0e38a2bd3e2d10f6e1e0e8f1ea4d9e1c3d3e0f2f1b2c3d4e5f6a7b8c9d0e")]
    [InlineData(null)]
    public void Parse_Sha256NotSixtyFourHexDigits_FailsNamingTheEntry(string? sha256)
    {
        var error = Assert.Single(Errors(Entry("ci", Sha256("a"), "reader"), Entry("bad", sha256, "reader")));

        Assert.StartsWith("Auth:ApiKeys:1:Sha256 must be 64 hexadecimal digits", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownRole_FailsNamingTheRoleAndTheChoices()
    {
        var error = Assert.Single(Errors(Entry("ci", Sha256(Key), "reader", "superuser")));

        Assert.Equal("Auth:ApiKeys:0:Roles has 'superuser', which is not one of: reader, writer, admin.", error);
    }

    [Fact]
    public void Parse_NoRoles_Fails()
    {
        Assert.Contains("Auth:ApiKeys:0:Roles must name at least one", Assert.Single(Errors(Entry("ci", Sha256(Key)))), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingOrRepeatedNameOrRepeatedKey_FailsForEachEntry()
    {
        var errors = Errors(
            Entry("ci", Sha256(Key), "reader"),
            Entry(" ", Sha256("b"), "reader"),
            Entry("ci", Sha256("c"), "reader"),
            Entry("other", Sha256(Key), "writer"));

        Assert.Equal(
            [
                "Auth:ApiKeys:1:Name is required.",
                "Auth:ApiKeys:2:Name 'ci' is used by another key.",
                "Auth:ApiKeys:3:Sha256 is the hash of another entry's key; give each holder a key of its own.",
            ],
            errors);
    }

    [Fact]
    public void From_InvalidEntries_ThrowsWithEveryMistake()
    {
        var settings = new AuthSettings { ApiKeys = [Entry(null, "xyz", "root")] };

        var exception = Assert.Throws<InvalidOperationException>(() => ApiKeyRing.From(settings));

        Assert.StartsWith("The API key configuration is invalid:", exception.Message, StringComparison.Ordinal);
        Assert.Contains(":Name is required.", exception.Message, StringComparison.Ordinal);
        Assert.Contains(":Sha256 must be", exception.Message, StringComparison.Ordinal);
        Assert.Contains("'root'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_NoKeys_IsEmpty()
    {
        Assert.True(ApiKeyRing.From(new AuthSettings()).IsEmpty);
    }

    [Theory]
    [InlineData(-1, 10, "PermitsPerSecond")]
    [InlineData(5, 0, "Burst")]
    public void Validator_ImpossibleRateLimit_Fails(int permits, int burst, string field)
    {
        var settings = new AuthSettings { RateLimit = new RateLimitSettings { PermitsPerSecond = permits, Burst = burst } };

        var result = new ApiKeyRing.Validator().Validate(null, settings);

        Assert.True(result.Failed);
        Assert.Contains($"Auth:RateLimit:{field}", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_NoLimitAndNoKeys_Succeeds()
    {
        var settings = new AuthSettings { RateLimit = new RateLimitSettings { PermitsPerSecond = 0, Burst = 0 } };

        Assert.True(new ApiKeyRing.Validator().Validate(null, settings).Succeeded);
    }

    [Theory]
    [InlineData("reader", false, true)]
    [InlineData("writer", false, false)]
    [InlineData("admin", false, false)]
    [InlineData("reader", true, true)]
    [InlineData("writer", true, true)]
    [InlineData("admin", true, true)]
    public void OpenWithoutKeys_DevelopmentEverythingElsewhereReadsOnly(string role, bool development, bool open)
    {
        Assert.Equal(open, ApiRoles.OpenWithoutKeys(role, development));
    }

    [Fact]
    public void RateLimitPartition_ByKeyName_NoneWhenAnonymous()
    {
        var withKey = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "ingest")], "ApiKey")),
        };
        var anonymous = new DefaultHttpContext();
        anonymous.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");

        Assert.Equal("ingest", WriteRateLimit.KeyName(withKey));
        Assert.Null(WriteRateLimit.KeyName(anonymous));
    }
}
