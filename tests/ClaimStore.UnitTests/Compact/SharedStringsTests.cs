using ClaimStore.Domain.Compact;

namespace ClaimStore.UnitTests.Compact;

public sealed class SharedStringsTests
{
    [Fact]
    public void Share_EqualTexts_GivesOneInstance()
    {
        var first = new string("shared-strings-test-a".AsSpan());
        var second = new string("shared-strings-test-a".AsSpan());
        Assert.NotSame(first, second);

        Assert.Same(SharedStrings.Share(first), SharedStrings.Share(second));
        Assert.Same(first, SharedStrings.Share(second));
    }

    [Fact]
    public void Share_DifferentTexts_KeepsThemApart()
    {
        var a = SharedStrings.Share("shared-strings-test-b");
        var b = SharedStrings.Share("shared-strings-test-B");

        Assert.Equal("shared-strings-test-b", a);
        Assert.Equal("shared-strings-test-B", b);
        Assert.NotSame(a, b);
    }

    [Fact]
    public async Task Share_ManyTextsFromManyThreads_EachTextHasOneInstance()
    {
        // Enough texts to grow the table several times while other threads read and add.
        const int texts = 50_000;
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var shared = new string[texts];
            for (var i = 0; i < texts; i++)
            {
                var n = t % 2 == 0 ? i : texts - 1 - i;
                shared[n] = SharedStrings.Share($"shared-strings-test-{n}");
            }

            return shared;
        })));

        for (var i = 0; i < texts; i++)
        {
            Assert.Equal($"shared-strings-test-{i}", results[0][i]);
            Assert.All(results, r => Assert.Same(results[0][i], r[i]));
        }

        Assert.Same(results[0][texts / 2], SharedStrings.Share($"shared-strings-test-{texts / 2}"));
    }
}
