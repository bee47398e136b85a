using VaeCf.Data;
using VaeCf.Split;

namespace VaeCf.Tests;

/// <summary>Locates the bundled dataset and loads it once per test run with the paper's preprocessing.</summary>
public static class TestData
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VaeCf.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
        }
    }

    public static string MovieLensSmall => Path.Combine(RepoRoot, "data", "ml-latest-small");

    private static readonly Lazy<SplitDataset> Bundled = new(() => DatasetLoader.Load(MovieLensSmall, new PrepareOptions(), out _));

    /// <summary>rating &gt; 3.5, users &gt;= 5, 10% / 10% held-out users, seed 98765.</summary>
    public static SplitDataset BundledSplit => Bundled.Value;
}
