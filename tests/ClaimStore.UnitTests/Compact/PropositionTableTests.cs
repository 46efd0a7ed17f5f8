using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Compact;

namespace ClaimStore.UnitTests.Compact;

public sealed class PropositionTableTests
{
    [Fact]
    public void Number_SamePropositionTwice_ReturnsOneNumberThatGivesItBack()
    {
        var table = new PropositionTable();
        var drones = new Proposition("china", "sends-drones-to", "russia");
        var troops = new Proposition("north-korea-troops-in-russia", "exist", null);

        var first = table.Number(drones);
        var other = table.Number(troops);
        var again = table.Number(new Proposition("china", "sends-drones-to", "russia"));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(drones, table.Get(first));
        Assert.Equal(troops, table.Get(other));
        Assert.Equal("china:sends-drones-to:russia", table.Key(first));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Number_PartsContainingColons_KeepsEachPropositionApartAndWhole()
    {
        var table = new PropositionTable();
        var plain = new Proposition("a", "b", "c");
        var colonInSubject = new Proposition("a:b", "c", null);
        var colonInPredicate = new Proposition("a", "b:c", null);

        var numbers = new[] { table.Number(plain), table.Number(colonInSubject), table.Number(colonInPredicate) };

        Assert.Equal(3, numbers.Distinct().Count());
        Assert.Equal(plain, table.Get(numbers[0]));
        Assert.Equal(colonInSubject, table.Get(numbers[1]));
        Assert.Equal(colonInPredicate, table.Get(numbers[2]));
        Assert.Equal(numbers[1], table.Number(new Proposition("a:b", "c", null)));
    }

    [Fact]
    public void Number_ManyThreadsAddingOverlappingPropositions_NumbersEachOnceAndEveryNumberReadsBack()
    {
        // Enough keys to grow the index, the locations and the byte chunks several times while others read.
        var table = new PropositionTable();
        const int Distinct = 60_000;
        var seen = new int[8][];

        Parallel.For(0, seen.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            var numbers = new int[Distinct];
            // Pairs of workers walk the keys in the same order, so that they race to add the same key.
            var order = Enumerable.Range(0, Distinct).ToArray();
            new Random(worker / 2).Shuffle(order);
            foreach (var k in order)
            {
                var number = table.Number(Sample(k));
                Assert.Equal(Sample(k), table.Get(number));
                numbers[k] = number;
            }

            seen[worker] = numbers;
        });

        Assert.Equal(Distinct, table.Count);
        foreach (var numbers in seen)
        {
            Assert.Equal(seen[0], numbers);
        }

        Assert.Equal(Distinct, seen[0].Distinct().Count());
    }

    [Fact]
    public void Number_ThreadsReleasedTogetherOnANewKey_AllGetTheSameNumber()
    {
        var table = new PropositionTable();
        const int Threads = 4;
        const int Keys = 2_000;
        var numbers = new int[Threads, Keys];
        using var start = new Barrier(Threads);

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, thread =>
        {
            for (var k = 0; k < Keys; k++)
            {
                start.SignalAndWait();
                numbers[thread, k] = table.Number(Sample(k));
            }
        });

        Assert.Equal(Keys, table.Count);
        for (var k = 0; k < Keys; k++)
        {
            Assert.All(Enumerable.Range(0, Threads), thread => Assert.Equal(numbers[0, k], numbers[thread, k]));
        }
    }

    private static Proposition Sample(int k) =>
        k % 3 == 0 ? new Proposition($"topic-{k}", "threatens", null) : new Proposition($"topic-{k}", "supplies-arms-to", $"party-{k % 97}");
}
