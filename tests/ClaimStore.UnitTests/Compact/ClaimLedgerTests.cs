using ClaimStore.Domain.Actors;
using ClaimStore.Domain.Claims;
using ClaimStore.Domain.Compact;
using ClaimStore.Domain.Positions;
using ClaimStore.UnitTests.Actors;
using Xunit.Abstractions;

namespace ClaimStore.UnitTests.Compact;

public sealed class ClaimLedgerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A registered actor with <paramref name="claims"/> claims over 7 propositions, some with quantities, every 11th retracted.</summary>
    internal static ActorState Ledger(int claims, string actorId = "nato")
    {
        var state = ActorDecider.Fold(ActorState.Empty(actorId),
            ActorDecider.Register(ActorState.Empty(actorId), new ActorProfile("NATO", ActorKind.Organisation, []), Start).Events);
        var events = new List<IActorEvent>();
        for (var i = 0; i < claims; i++)
        {
            var content = new ClaimContent(
                new Proposition("north-korea", "sends-troops-to", i % 7 == 0 ? null : $"country-{i % 7}"),
                i % 3 == 0 ? Stance.Denies : Stance.Affirms, SpeechAct.Assertion,
                new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(i % 5 - 2)).AddDays(i % 365), null, null, null, [], null,
                (Certainty)(i % 3), i % 4 == 0 ? new Quantity(i, i + 10, "soldiers") : null, null);
            var id = new Guid(i, 0, 0, new byte[8]);
            events.Add(new ClaimRecorded(id, actorId, content, Start.AddMinutes(i + 1)));
            if (i % 11 == 5)
            {
                events.Add(new ClaimRetracted(new Guid(i / 2, 0, 0, new byte[8]), actorId, null, Start.AddMinutes(i + 1.5)));
            }
        }

        return ActorDecider.Fold(state, events);
    }

    [Fact]
    public void MemoryBytes_MoreClaims_GrowsAtLeastBySixtyFourBytesAClaim()
    {
        var (small, large) = (Ledger(1_000).Claims, Ledger(5_000).Claims);

        Assert.True(small.MemoryBytes >= 1_000 * 64, $"{small.MemoryBytes} bytes for 1,000 claims");
        Assert.True(large.MemoryBytes - small.MemoryBytes >= 4_000 * 64, $"{small.MemoryBytes} and {large.MemoryBytes} bytes");
        Assert.Equal(0, ClaimLedger.Empty("nato").MemoryBytes);
    }

    [Fact]
    public void Decide_TwiceFromOneState_EachDecisionSeesOnlyItsOwnClaims()
    {
        var state = Ledger(1030);
        var first = ActorDeciderTests.Submission();
        var second = ActorDeciderTests.Submission();

        var a = ActorDecider.Record(state, [first], Start.AddDays(1));
        var b = ActorDecider.Record(state, [second], Start.AddDays(1));

        Assert.Equal(1030, state.Claims.Count);
        Assert.Null(state.FindClaim(first.ClaimId));
        Assert.Null(b.After.FindClaim(first.ClaimId));
        Assert.Null(a.After.FindClaim(second.ClaimId));
        Assert.Equal(second.ClaimId, b.After.Claims[^1].ClaimId);
        Assert.Equal(first.ClaimId, a.After.Claims[^1].ClaimId);
    }

    [Fact]
    public void Find_MoreClaimsThanTwoByteIndexSlotsHold_FindsEveryClaimBeforeAndAfterASnapshot()
    {
        // The claim index keeps two-byte slots up to 49,152 claims and four-byte slots beyond.
        var state = Ledger(70_000);
        var claims = state.Claims;
        var decoded = ClaimLedger.Decode(
            state.ActorId, [.. Enumerable.Range(0, claims.ChunkCount).Select(claims.EncodeSegment)], state.Version);

        foreach (var ledger in new[] { claims, decoded })
        {
            foreach (var i in new[] { 0, 1, 49_151, 49_152, 49_153, 65_535, 65_536, 69_999 })
            {
                Assert.Equal(i, ledger.IndexOf(new Guid(i, 0, 0, new byte[8])));
            }

            Assert.Equal(-1, ledger.IndexOf(new Guid(70_000, 0, 0, new byte[8])));
        }
    }

    [Fact]
    public void Retract_OldClaim_EarlierStatesStillSeeItLive()
    {
        var state = Ledger(2100);
        var claim = state.Claims[3];

        var after = ActorDecider.Retract(state, claim.ClaimId, null, Start.AddDays(2)).After;

        Assert.False(state.FindClaim(claim.ClaimId)!.IsRetracted);
        Assert.True(after.FindClaim(claim.ClaimId)!.IsRetracted);
        Assert.Equal(state.Claims.Where(c => c.ClaimId != claim.ClaimId), after.Claims.Where(c => c.ClaimId != claim.ClaimId));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(1024)]
    [InlineData(1100)]
    [InlineData(2500)]
    public void Segments_EncodedAndDecoded_GiveTheSameClaimsAndPositions(int claims)
    {
        var state = Ledger(claims);

        var segments = Enumerable.Range(0, state.Claims.ChunkCount).Select(state.Claims.EncodeSegment).ToArray();
        var decoded = ClaimLedger.Decode(state.ActorId, segments, state.Version);

        Assert.Equal(state.Claims, decoded);
        Assert.Equal(Position.ComputeAll(state.Claims, null, null), Position.ComputeAll(decoded, null, null));
        var next = ActorDeciderTests.Submission();
        var grown = ActorDecider.Record(state with { Claims = decoded }, [next], Start.AddDays(1)).After;
        Assert.Equal(next.ClaimId, grown.Claims[^1].ClaimId);
        Assert.Equal(state.Claims[0], grown.FindClaim(state.Claims[0].ClaimId));
    }

    [Fact]
    public void Ledger_GrownClaimByClaim_EveryStateFindsItsClaimsAndPropositions()
    {
        // Distinct propositions, so the claim slots, the proposition table and both index tables all
        // outgrow their arrays many times; every intermediate state must still see exactly its own claims.
        var actorId = "growth";
        var state = ActorState.Empty(actorId);
        var states = new List<ActorState>();
        var ids = new List<Guid>();
        for (var i = 0; i < 1300; i++)
        {
            var content = new ClaimContent(
                new Proposition($"topic-{i}", "threatens", i % 3 == 0 ? null : $"party-{i % 97}"), Stance.Affirms,
                SpeechAct.Assertion, new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(i), null, null, null, [], null,
                Certainty.Certain, null, null);
            ids.Add(Guid.CreateVersion7());
            state = ActorDecider.Fold(state, [new ClaimRecorded(ids[i], actorId, content, Start.AddSeconds(i))]);
            states.Add(state);
        }

        foreach (var n in new[] { 1, 4, 5, 63, 64, 65, 80, 81, 97, 100, 101, 126, 1023, 1024, 1025, 1300 })
        {
            var at = states[n - 1];
            Assert.Equal(n, at.Claims.Count);
            Assert.Equal(n, at.Claims.PropositionCount);
            for (var i = 0; i < n; i++)
            {
                Assert.Equal(i, at.Claims.IndexOf(ids[i]));
                Assert.Equal($"topic-{i}", at.Claims[i].Proposition.Subject);
                Assert.Equal(i % 3 == 0 ? null : $"party-{i % 97}", at.Claims[i].Proposition.Object);
            }

            if (n < ids.Count)
            {
                Assert.Equal(-1, at.Claims.IndexOf(ids[n])); // a later state's claim
            }
        }
    }

    [Fact]
    public void Decode_CorruptedSegment_IsRefused()
    {
        var state = Ledger(1500);
        var segments = Enumerable.Range(0, state.Claims.ChunkCount).Select(state.Claims.EncodeSegment).ToArray();

        Assert.Throws<InvalidDataException>(() => ClaimLedger.Decode(state.ActorId, [segments[1]], state.Version));
        Assert.Throws<InvalidDataException>(() => ClaimLedger.Decode(state.ActorId, segments, state.Version - 100));
        Assert.Throws<InvalidDataException>(() => ClaimLedger.Decode(state.ActorId, [segments[0][..^8], segments[1]], state.Version));
    }

    [Fact]
    public void ComputeAll_OnTheLedger_AnswersAsOverTheEntries()
    {
        var state = Ledger(3000);

        foreach (var asOf in new DateTimeOffset?[] { null, new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.FromHours(3)), new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero) })
        {
            foreach (var knownAt in new DateTimeOffset?[] { null, Start.AddMinutes(700), Start.AddMinutes(2000.5) })
            {
                Assert.Equal(
                    Position.ComputeAll(state.Claims.AsEnumerable(), asOf, knownAt),
                    Position.ComputeAll(state.Claims, asOf, knownAt));
            }
        }
    }

    [Fact]
    public void Entries_KeepStatedAtWithItsOffset()
    {
        var state = Ledger(10);

        Assert.Equal(TimeSpan.FromHours(-1), state.Claims[1].StatedAt.Offset);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.FromHours(-1)), state.Claims[1].StatedAt);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = nameof(MemoryMeasurement);
}

[Collection(MemoryMeasurement.Name)]
public sealed class ClaimLedgerMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void PropositionTable_CurrentFull_NextLedgersStartANewOneAndOlderLedgersStillRead()
    {
        // In the memory measurement's collection, which runs alone: the memory tests measure the current table.
        var older = ClaimLedgerTests.Ledger(50, "older");
        var full = PropositionTable.Current;
        for (var n = 0; full.KeyBytes < PropositionTable.RotateAfterKeyBytes; n++)
        {
            full.Number(new Proposition($"filler-{n}", "fills", "the-current-table-of-propositions"));
        }

        var newer = ClaimLedgerTests.Ledger(50, "newer");

        Assert.NotSame(full, PropositionTable.Current);
        Assert.Equal(
            older.Claims.Select(c => c.Proposition.Key), newer.Claims.Select(c => c.Proposition.Key));
        Assert.Equal(
            Position.ComputeAll(older.Claims, null, null).Select(p => p.Proposition),
            Position.ComputeAll(newer.Claims, null, null).Select(p => p.Proposition));
    }

    [Fact]
    public void Ledger_OneHundredThousandClaims_StaysUnder120BytesPerClaim()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var states = Enumerable.Range(0, 100).Select(i => ClaimLedgerTests.Ledger(1000, $"actor-{i}")).ToArray();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        var perClaim = (after - before) / 100_000.0;
        output.WriteLine($"{perClaim:F1} bytes per claim (100 actors x 1,000 claims)");
        GC.KeepAlive(states);

        Assert.InRange(perClaim, 1, 120);
    }

    [Fact]
    public void Ledger_AHundredClaimsPerActorEachWithItsOwnProposition_StaysUnder140BytesPerClaim()
    {
        // The rebuild benchmark's shape: 1,000,000 claims over 10,000 actors and 500,000 propositions,
        // so an actor's table holds nearly one proposition per claim. The proposition's text is in the
        // current PropositionTable, shared with other ledgers; it is counted here in full.
        // 133 bytes a claim when written (143 with four-byte index slots; 176 when each ledger held its
        // propositions' strings through SharedStrings, 195 with arrays that grew by doubling).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var propositions = PropositionTable.Current;
        var (countBefore, keysBefore, arraysBefore) = (propositions.Count, propositions.KeyBytes, propositions.ArrayBytes);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var states = Enumerable.Range(0, 1000).Select(Distinct).ToArray();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        // The table is process-wide and its arrays double now and then: charge each proposition it gained
        // its key's bytes and 20 bytes of location and index (what they average between doublings), not
        // whichever doubling or new chunk happened to fall inside this measurement.
        var table = (propositions.KeyBytes - keysBefore) + ((propositions.Count - countBefore) * 20L)
            - (propositions.ArrayBytes - arraysBefore);
        var perClaim = (after - before + table) / 100_000.0;
        output.WriteLine($"{perClaim:F1} bytes per claim (1,000 actors x 100 claims, each its own proposition)");
        GC.KeepAlive(states);

        Assert.InRange(perClaim, 1, 140);
    }

    private static ActorState Distinct(int actor)
    {
        var actorId = $"distinct-{actor}";
        var events = new List<IActorEvent>();
        for (var i = 0; i < 100; i++)
        {
            var n = actor * 100 + i;
            var content = new ClaimContent(
                new Proposition($"topic-{n}", i % 2 == 0 ? "threatens" : "supports", $"party-{n % 97}"),
                Stance.Affirms, SpeechAct.Assertion, new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(n),
                null, null, null, [], null, Certainty.Certain, null, null);
            events.Add(new ClaimRecorded(Guid.CreateVersion7(), actorId, content, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(n)));
        }

        return ActorDecider.Fold(ActorState.Empty(actorId), events);
    }
}
