using System.Diagnostics;
using ClaimStore.Api.Hosting;

namespace ClaimStore.UnitTests.Hosting;

public sealed class IdleCompactionScheduleTests
{
    private static readonly TimeSpan ReleaseAfter = TimeSpan.FromMinutes(3);

    [Fact]
    public void Observe_UnderLoad_NeverCollects()
    {
        var schedule = new IdleCompactionSchedule(ReleaseAfter);
        long allocated = 0;
        for (var check = 0; check < 200; check++)
        {
            allocated += IdleCompactionSchedule.QuietBytes + 1;
            Assert.False(schedule.Observe(At(check), allocated));
        }
    }

    [Fact]
    public void Observe_AfterLoad_CollectsOnceAfterTheActorsLeft()
    {
        var schedule = new IdleCompactionSchedule(ReleaseAfter);
        long allocated = 0;
        var check = 0;
        for (; check < 10; check++)
        {
            allocated += 100L << 20;
            schedule.Observe(At(check), allocated);
        }

        var collectedAt = new List<TimeSpan>();
        for (var end = check + 200; check < end; check++)
        {
            allocated += 1 << 20;
            if (schedule.Observe(At(check), allocated))
            {
                collectedAt.Add((check - 9) * IdleCompactionSchedule.CheckEvery);
            }
        }

        Assert.Equal([ReleaseAfter + IdleCompactionSchedule.CheckEvery], collectedAt);
    }

    [Fact]
    public void Observe_LoadAgain_CollectsAgainAfterIt()
    {
        var schedule = new IdleCompactionSchedule(ReleaseAfter);
        long allocated = 0;
        var collections = 0;
        for (var check = 0; check < 300; check++)
        {
            // Busy for the first 10 checks and again around check 150.
            allocated += check is < 10 or (>= 150 and < 155) ? 100L << 20 : 0;
            collections += schedule.Observe(At(check), allocated) ? 1 : 0;
        }

        Assert.Equal(2, collections);
    }

    private static long At(int check) =>
        (long)(check * IdleCompactionSchedule.CheckEvery.TotalSeconds * Stopwatch.Frequency);
}
