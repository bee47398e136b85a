using VaeCf.Data;
using VaeCf.Split;

namespace VaeCf.Tests;

public class SplitTests
{
    /// <summary>
    /// 300 users with 1..40 events over 120 items; items 100..119 are rated by one user each, so some
    /// of them fall outside the training vocabulary.
    /// </summary>
    internal static BinaryInteractions Synthetic(int users = 300, int seed = 7)
    {
        var rng = new Random(seed);
        var eventUsers = new List<int>();
        var eventItems = new List<int>();
        var order = Enumerable.Range(0, 100).ToArray();
        for (int u = 0; u < users; u++)
        {
            int n = 1 + rng.Next(40);
            rng.Shuffle(order);
            for (int k = 0; k < n; k++) { eventUsers.Add(u); eventItems.Add(order[k]); }
            if (u < 20) { eventUsers.Add(u); eventItems.Add(100 + u); }
        }
        return new BinaryInteractions
        {
            UserIds = Enumerable.Range(0, users).Select(u => $"user{u}").ToArray(),
            ItemIds = Enumerable.Range(0, 120).Select(i => $"item{i}").ToArray(),
            EventUsers = eventUsers.ToArray(),
            EventItems = eventItems.ToArray(),
        };
    }

    private static Dictionary<string, HashSet<string>> ItemsByUser(BinaryInteractions data)
    {
        var result = new Dictionary<string, HashSet<string>>();
        for (int e = 0; e < data.Count; e++)
        {
            string user = data.UserIds[data.EventUsers[e]];
            if (!result.TryGetValue(user, out var set)) result[user] = set = new HashSet<string>();
            set.Add(data.ItemIds[data.EventItems[e]]);
        }
        return result;
    }

    private static IEnumerable<string> RowItems(CsrMatrix m, int row, string[] itemIds)
    {
        var ids = new List<string>();
        foreach (int c in m.RowIndices(row)) ids.Add(itemIds[c]);
        return ids;
    }

    [Fact]
    public void SplitKeepsThePaperInvariants()
    {
        var data = Synthetic();
        var split = StrongGeneralizationSplitter.Split(data, new SplitOptions(), out var report);
        var byUser = ItemsByUser(data);

        // 10% each of 300 users; no user in two groups.
        Assert.Equal(60, split.Validation.UserCount + split.Test.UserCount + report.HeldOutUsersWithoutEvents);
        Assert.Equal(240, split.TrainUserIds.Length);
        var all = split.TrainUserIds.Concat(split.Validation.UserIds).Concat(split.Test.UserIds).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());

        // Vocabulary: exactly the items of training users, each seen in train.
        var trainItems = split.TrainUserIds.SelectMany(u => byUser[u]).ToHashSet();
        Assert.Equal(trainItems, split.ItemIds.ToHashSet());
        Assert.All(split.Train.ColumnCounts(), count => Assert.True(count > 0));
        for (int r = 0; r < split.Train.Rows; r++)
            Assert.Equal(byUser[split.TrainUserIds[r]], RowItems(split.Train, r, split.ItemIds).ToHashSet());

        long outside = 0;
        foreach (var set in new[] { split.Validation, split.Test })
        {
            for (int r = 0; r < set.UserCount; r++)
            {
                var inVocabulary = byUser[set.UserIds[r]].Where(trainItems.Contains).ToHashSet();
                outside += byUser[set.UserIds[r]].Count - inVocabulary.Count;
                var foldIn = RowItems(set.FoldIn, r, split.ItemIds).ToHashSet();
                var targets = RowItems(set.Targets, r, split.ItemIds).ToHashSet();
                Assert.Empty(foldIn.Intersect(targets));
                Assert.Equal(inVocabulary, foldIn.Union(targets).ToHashSet());
                int n = inVocabulary.Count;
                Assert.Equal(n >= 5 ? (int)(0.2 * n) : 0, targets.Count);
            }
        }
        Assert.Equal(outside, report.HeldOutEventsOutsideVocabulary);
        Assert.True(split.Validation.Targets.NonZeros > 0);
    }

    [Fact]
    public void HeldOutGroupSizesFollowCountOrFraction()
    {
        var data = Synthetic();
        var split = StrongGeneralizationSplitter.Split(data, new SplitOptions(), out var report);
        Assert.Equal(0, report.HeldOutUsersWithoutEvents);
        Assert.Equal(30, split.Validation.UserCount);
        Assert.Equal(30, split.Test.UserCount);

        var counted = StrongGeneralizationSplitter.Split(data, new SplitOptions { ValidationUsers = HeldOutSize.Users(50), TestUsers = HeldOutSize.Parse("7") });
        Assert.Equal(50, counted.Validation.UserCount);
        Assert.Equal(7, counted.Test.UserCount);
        Assert.Equal(243, counted.Train.Rows);
    }

    [Fact]
    public void UsersWithFewerThanFiveEventsHaveNoTargets()
    {
        var data = Synthetic();
        var split = StrongGeneralizationSplitter.Split(data, new SplitOptions { ValidationUsers = HeldOutSize.Users(100), TestUsers = HeldOutSize.Users(100) });
        int small = 0;
        foreach (var set in new[] { split.Validation, split.Test })
            for (int r = 0; r < set.UserCount; r++)
            {
                int n = set.FoldIn.RowLength(r) + set.Targets.RowLength(r);
                if (n < 5) { small++; Assert.Equal(0, set.Targets.RowLength(r)); Assert.True(set.FoldIn.RowLength(r) > 0); }
            }
        Assert.True(small > 0, "the fixture should contain held-out users with fewer than 5 events");
    }

    [Fact]
    public void SameSeedSameSplitOtherSeedOtherSplit()
    {
        var data = Synthetic();
        var a = StrongGeneralizationSplitter.Split(data, new SplitOptions { Seed = 1 });
        var b = StrongGeneralizationSplitter.Split(data, new SplitOptions { Seed = 1 });
        var c = StrongGeneralizationSplitter.Split(data, new SplitOptions { Seed = 2 });
        SplitAssert.Identical(a, b);
        Assert.NotEqual(a.TrainUserIds, c.TrainUserIds);
    }

    [Fact]
    public void ImpossibleHeldOutSizesAreUserErrors()
    {
        var data = Synthetic(users: 10);
        var ex = Assert.Throws<VaeCfException>(() => StrongGeneralizationSplitter.Split(data, new SplitOptions { ValidationUsers = HeldOutSize.Users(5), TestUsers = HeldOutSize.Users(5) }));
        Assert.Contains("leaves no training users", ex.Message);
        Assert.Throws<VaeCfException>(() => StrongGeneralizationSplitter.Split(data, new SplitOptions { ValidationUsers = HeldOutSize.Users(20) }));
        Assert.Contains("no validation user", Assert.Throws<VaeCfException>(() => StrongGeneralizationSplitter.Split(data, new SplitOptions { ValidationUsers = HeldOutSize.Share(0.05) })).Message);
        Assert.Throws<VaeCfException>(() => HeldOutSize.Parse("1.5"));
        Assert.Throws<VaeCfException>(() => HeldOutSize.Parse("0"));
        Assert.Throws<VaeCfException>(() => HeldOutSize.Parse("many"));
        Assert.Equal(0.1, HeldOutSize.Parse("0.1").Fraction);
        Assert.Equal(10000, HeldOutSize.Parse("10000").Count);
    }
}

internal static class SplitAssert
{
    public static void Identical(CsrMatrix expected, CsrMatrix actual)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Columns, actual.Columns);
        Assert.Equal(expected.RowPointers, actual.RowPointers);
        Assert.Equal(expected.ColumnIndices, actual.ColumnIndices);
    }

    public static void Identical(SplitDataset expected, SplitDataset actual)
    {
        Assert.Equal(expected.ItemIds, actual.ItemIds);
        Assert.Equal(expected.TrainUserIds, actual.TrainUserIds);
        Identical(expected.Train, actual.Train);
        foreach (var (e, a) in new[] { (expected.Validation, actual.Validation), (expected.Test, actual.Test) })
        {
            Assert.Equal(e.UserIds, a.UserIds);
            Identical(e.FoldIn, a.FoldIn);
            Identical(e.Targets, a.Targets);
        }
    }
}
