using ClaimStore.Storage;

namespace ClaimStore.UnitTests.Storage;

public sealed class SearchWordFrequenciesTests
{
    private const int Limit = 51;
    private const int ScanRows = 5000;

    [Fact]
    public void RowsToScan_NoStatistics_TheDefaultRows()
    {
        Assert.Equal(ScanRows, SearchWordFrequencies.RowsToScan(null, Limit, ScanRows));
    }

    [Fact]
    public void RowsToScan_CommonWords_AtLeastTheDefaultRows()
    {
        Assert.Equal(ScanRows, SearchWordFrequencies.RowsToScan(0.4, Limit, ScanRows));
    }

    [Theory]
    [InlineData(0.02, 5_100)] // a page in 2,550 rows: twice that
    [InlineData(0.008, 10_000)] // a page in 6,375 rows: twice that, capped at twice the default
    public void RowsToScan_LessCommonWords_TwiceTheRowsOfAPageUpToTheCap(double share, int expected)
    {
        Assert.Equal(expected, SearchWordFrequencies.RowsToScan(share, Limit, ScanRows));
    }

    [Theory]
    [InlineData(0.004)]
    [InlineData(0.000_001)]
    [InlineData(0.0)]
    public void RowsToScan_WordsTooRareForTheCappedScan_StraightToTheIndex(double share)
    {
        Assert.Equal(0, SearchWordFrequencies.RowsToScan(share, Limit, ScanRows));
    }
}
