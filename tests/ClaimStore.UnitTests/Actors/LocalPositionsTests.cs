using ClaimStore.Grains.Actors;
using Microsoft.Extensions.Time.Testing;

namespace ClaimStore.UnitTests.Actors;

public sealed class LocalPositionsTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
    private readonly object _grain = new();

    private static ActorPositions Positions(long version) => new(true, [], version);

    [Fact]
    public void TryGetCurrent_PositionsPublished_ReturnsThem()
    {
        var local = new LocalPositions(_clock);
        var published = Positions(7);

        local.Publish("nato", _grain, published);

        Assert.True(local.TryGetCurrent("nato", out var positions));
        Assert.Same(published, positions);
        Assert.False(local.TryGetCurrent("russia", out _));
    }

    [Fact]
    public void TryGetCurrent_NewerStatePublishedWithoutPositions_ReturnsFalse()
    {
        var local = new LocalPositions(_clock);
        local.Publish("nato", _grain, Positions(7));

        local.Publish("nato", _grain, null);

        Assert.False(local.TryGetCurrent("nato", out _));
    }

    [Fact]
    public void TryGetCurrent_PublishedLongerAgoThanFreshFor_ReturnsFalseUntilPublishedAgain()
    {
        var local = new LocalPositions(_clock);
        local.Publish("nato", _grain, Positions(7));

        _clock.Advance(LocalPositions.FreshFor - TimeSpan.FromSeconds(1));
        Assert.True(local.TryGetCurrent("nato", out _));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(local.TryGetCurrent("nato", out _));

        local.Publish("nato", _grain, Positions(7));
        Assert.True(local.TryGetCurrent("nato", out _));
    }

    [Fact]
    public void Withdraw_ByTheActivationThatPublished_RemovesTheEntry()
    {
        var local = new LocalPositions(_clock);
        local.Publish("nato", _grain, Positions(7));

        local.Withdraw("nato", _grain);

        Assert.False(local.TryGetCurrent("nato", out _));
        Assert.Equal(0, local.Count);
    }

    [Fact]
    public void Withdraw_ByAnEarlierActivation_KeepsTheLaterOnesEntry()
    {
        var local = new LocalPositions(_clock);
        var earlier = new object();
        local.Publish("nato", earlier, Positions(7));
        local.Publish("nato", _grain, Positions(8));

        local.Withdraw("nato", earlier);

        Assert.True(local.TryGetCurrent("nato", out var positions));
        Assert.Equal(8, positions.Version);
    }
}
