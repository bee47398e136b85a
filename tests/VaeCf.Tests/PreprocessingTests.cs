using VaeCf.Data;

namespace VaeCf.Tests;

public class PreprocessingTests
{
    private static InteractionLog Log(params (string User, string Item, float Rating)[] events)
    {
        var log = new InteractionLog();
        foreach (var (user, item, rating) in events) log.Add(user, item, rating);
        return log;
    }

    private static HashSet<(string, string)> Pairs(BinaryInteractions data) =>
        Enumerable.Range(0, data.Count).Select(e => (data.UserIds[data.EventUsers[e]], data.ItemIds[data.EventItems[e]])).ToHashSet();

    [Fact]
    public void ThresholdIsStrictAndNullKeepsEverything()
    {
        var log = Log(("u", "a", 4), ("u", "b", 3.5f), ("u", "c", 3), ("u", "d", 5));
        var noFilter = new PreprocessOptions { MinUserCount = 0 };
        var kept = Preprocessor.Run(log, noFilter, out var report);
        Assert.Equal(new HashSet<(string, string)> { ("u", "a"), ("u", "d") }, Pairs(kept));
        Assert.Equal(2, report.BelowThreshold);

        var all = Preprocessor.Run(log, noFilter with { RatingThreshold = null }, out _);
        Assert.Equal(4, all.Count);
    }

    [Fact]
    public void DuplicatesAreMergedAndCounted()
    {
        var log = Log(("u", "a", 5), ("u", "a", 4), ("u", "b", 2), ("u", "b", 5), ("v", "a", 5));
        var data = Preprocessor.Run(log, new PreprocessOptions { MinUserCount = 0 }, out var report);
        Assert.Equal(3, data.Count);
        Assert.Equal(1, report.DuplicatesMerged);
        Assert.Equal(1, report.BelowThreshold);
    }

    [Fact]
    public void ItemFilterRunsBeforeUserFilterOnce()
    {
        // u has 5 events, one on an item only u rated; dropping that item first leaves u with 4 < 5.
        var log = Log(("u", "a", 5), ("u", "b", 5), ("u", "c", 5), ("u", "d", 5), ("u", "rare", 5),
                      ("v", "a", 5), ("v", "b", 5), ("v", "c", 5), ("v", "d", 5), ("v", "e", 5),
                      ("w", "a", 5), ("w", "b", 5), ("w", "c", 5), ("w", "d", 5), ("w", "e", 5));
        var data = Preprocessor.Run(log, new PreprocessOptions { MinItemCount = 2 }, out var report);
        Assert.Equal(["v", "w"], data.UserIds);
        Assert.Equal(1, report.UsersRemoved);
        Assert.Equal(1, report.ItemsRemoved);
        Assert.DoesNotContain("rare", data.ItemIds);

        var original = Preprocessor.Run(log, new PreprocessOptions(), out _);
        Assert.Equal(["u", "v", "w"], original.UserIds);
    }

    [Fact]
    public void UsersAreOrderedAsPandasSortsTheColumnAndItemsByFirstAppearance()
    {
        // Text ids in the column: pandas sorts every id as text, so "10" comes before "9".
        var log = Log(("10", "x", 5), ("9", "y", 5), ("10", "z", 5), ("b", "x", 5), ("a", "y", 5));
        var data = Preprocessor.Run(log, new PreprocessOptions { MinUserCount = 1 }, out _);
        Assert.Equal(["10", "9", "a", "b"], data.UserIds);
        Assert.Equal(["x", "y", "z"], data.ItemIds);

        // Only integers: by value, even when the text id that made the column textual was filtered out.
        var numeric = Preprocessor.Run(Log(("10", "x", 5), ("9", "y", 5), ("100", "z", 5)), new PreprocessOptions { MinUserCount = 1 }, out _);
        Assert.Equal(["9", "10", "100"], numeric.UserIds);
        var filtered = Preprocessor.Run(Log(("10", "x", 5), ("9", "y", 5), ("guest", "z", 1)), new PreprocessOptions { MinUserCount = 1 }, out _);
        Assert.Equal(["10", "9"], filtered.UserIds);
    }

    [Fact]
    public void NothingSurvivingNamesTheSettings()
    {
        var log = Log(("u", "a", 3), ("u", "b", 2));
        var ex = Assert.Throws<VaeCfException>(() => Preprocessor.Run(log, new PreprocessOptions(), out _));
        Assert.Contains("No events survive", ex.Message);
        Assert.Contains("rating > 3.5", ex.Message);
        Assert.Contains(">= 5 events", ex.Message);

        var few = Log(("u", "a", 5));
        Assert.Throws<VaeCfException>(() => Preprocessor.Run(few, new PreprocessOptions(), out _));
        Assert.Throws<VaeCfException>(() => Preprocessor.Run(few, new PreprocessOptions { MinUserCount = -1 }, out _));
    }
}
