using VaeCf.Data;
using VaeCf.Split;

namespace VaeCf.Tests;

/// <summary>The reference figures of docs/protocol.md on the bundled MovieLens latest-small.</summary>
public class BundledDataTests
{
    private static string RatingsPath => Path.Combine(DataTestFiles.RepoRoot(), "data", "ml-latest-small", "ratings.csv");

    [Fact]
    public void PreprocessingAndSplitMatchTheProtocolFigures()
    {
        var split = DatasetLoader.Load(Path.GetDirectoryName(RatingsPath)!, new PrepareOptions(), out var summary);

        Assert.Equal(100_836, summary.Read!.Events);
        Assert.Equal(48_562, summary.Preprocess!.Events);
        Assert.Equal(603, summary.Preprocess.Users);
        Assert.Equal(60, split.Validation.UserCount);
        Assert.Equal(60, split.Test.UserCount);
        Assert.Equal(483, split.Train.Rows);

        // The 5,660 items of docs/protocol.md: the notebook's split, reproduced draw for draw (NotebookSplitTests checks the files).
        Assert.Equal(5_660, split.ItemCount);
        Assert.Equal(38_246, split.Train.NonZeros);
        // The vocabulary is exactly the training users' items.
        Assert.All(split.Train.ColumnCounts(), count => Assert.True(count > 0));
        Assert.Equal(split.ItemCount, split.Train.Columns);
        Assert.Equal(48_562 - summary.Split!.HeldOutEventsOutsideVocabulary, summary.Events);

        // Every held-out user here has at least 5 events, so every one has int(0.2 n) targets.
        foreach (var set in new[] { split.Validation, split.Test })
            for (int u = 0; u < set.UserCount; u++)
            {
                int n = set.FoldIn.RowLength(u) + set.Targets.RowLength(u);
                Assert.Equal(n >= 5 ? (int)(0.2 * n) : 0, set.Targets.RowLength(u));
            }
    }

    [Fact]
    public void OnlyAWriterKeepsTheNotebookOrderedFileRows()
    {
        string folder = Path.GetDirectoryName(RatingsPath)!;
        var forTraining = DatasetLoader.Load(folder, new PrepareOptions(), out _);
        var forWriting = DatasetLoader.Load(folder, new PrepareOptions(), out _, keepFileRows: true);

        Assert.Null(forTraining.FileRows);
        Assert.NotNull(forWriting.FileRows);
        Assert.Equal(38_246, forWriting.FileRows!.Train.Count);
        // Dropping the rows changes nothing a model sees.
        Assert.Equal(forWriting.ItemIds, forTraining.ItemIds);
        Assert.Equal(forWriting.Train.ColumnIndices, forTraining.Train.ColumnIndices);
        Assert.Equal(forWriting.Test.UserIds, forTraining.Test.UserIds);
    }

    [Fact]
    public void TitlesAreFoundBesideTheRatings()
    {
        var titles = ItemMetadata.FindBeside(RatingsPath);
        Assert.NotNull(titles);
        Assert.Equal("Toy Story (1995)", titles.TitleOf("1"));
        Assert.Equal("unknown-id", titles.TitleOf("unknown-id"));
    }
}
