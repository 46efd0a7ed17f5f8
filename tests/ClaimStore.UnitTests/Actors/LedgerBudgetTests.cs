using ClaimStore.Grains.Actors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ClaimStore.UnitTests.Actors;

/// <summary>The budget's accounting; shedding itself asks real grains (integration tests, LedgerBudgetTests).</summary>
public sealed class LedgerBudgetTests
{
    // Never exceeded here, so no pass starts and no grain is called.
    private readonly LedgerBudget _budget = new(
        null!, Options.Create(new LedgerBudgetOptions { Bytes = long.MaxValue }), new FakeTimeProvider(), NullLogger<LedgerBudget>.Instance);

    [Fact]
    public void Hold_SameOwnerAgain_CountsItsLatestBytesOnly()
    {
        var grain = new object();

        _budget.Hold("nato", grain, 100);
        _budget.Hold("nato", grain, 150);
        _budget.Hold("russia", new object(), 40);

        Assert.Equal((190, 2), (_budget.Bytes, _budget.Count));
    }

    [Fact]
    public void Release_OwnerReplacedByALaterActivation_KeepsTheLaterEntry()
    {
        var (earlier, later) = (new object(), new object());
        _budget.Hold("nato", earlier, 100);
        _budget.Hold("nato", later, 70);

        _budget.Release("nato", earlier);

        Assert.Equal(70, _budget.Bytes);
        Assert.True(_budget.Holds("nato"));
        _budget.Release("nato", later);
        Assert.Equal((0, 0), (_budget.Bytes, _budget.Count));
    }
}
