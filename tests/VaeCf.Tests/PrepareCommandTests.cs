using Spectre.Console.Cli;
using VaeCf.Cli;
using VaeCf.Split;

namespace VaeCf.Tests;

public class PrepareCommandTests
{
    private static int Run(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        return app.Run(args);
    }

    private static string Ratings(DataTestFiles files, int users, string rating = "5")
    {
        var lines = new List<string> { "userId,movieId,rating,timestamp" };
        for (int u = 1; u <= users; u++)
            for (int i = 1; i <= 6; i++) lines.Add($"{u},{(u + i) % 15},{rating},{1000 + i}");
        return files.Write("in/ratings.csv", string.Join('\n', lines) + "\n");
    }

    [Fact]
    public void PreparesAFolderInTheOriginalLayout()
    {
        using var files = new DataTestFiles();
        Ratings(files, users: 30);
        string output = files.PathOf("out");
        Assert.Equal(0, Run("prepare", "--input", files.PathOf("in"), "--output", output, "--validation-users", "3", "--test-users", "0.2"));
        var split = OriginalLayout.Read(output);
        Assert.Equal(3, split.Validation.UserCount);
        Assert.Equal(6, split.Test.UserCount);
        Assert.Equal(21, split.Train.Rows);

        // A second run refuses the non-empty folder, then replaces it when told to.
        Assert.Equal(2, Run("prepare", "--input", files.PathOf("in"), "--output", output));
        Assert.Equal(0, Run("prepare", "--input", files.PathOf("in/ratings.csv"), "--output", output, "--overwrite", "--heldout-users", "5"));
        Assert.Equal(5, OriginalLayout.Read(output).Test.UserCount);
    }

    [Theory]
    [InlineData("threshold-leaves-nothing")]
    [InlineData("too-many-heldout")]
    [InlineData("bad-rating")]
    [InlineData("bad-option")]
    [InlineData("empty-file")]
    public void BadInputExitsWithTwoAndWritesNothing(string problem)
    {
        using var files = new DataTestFiles();
        string input = problem switch
        {
            "bad-rating" => files.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,2,x,3\n"),
            "empty-file" => files.Write("ratings.csv", ""),
            _ => Ratings(files, users: 10, rating: "3"),
        };
        string output = files.PathOf("out");
        string[] extra = problem switch
        {
            "threshold-leaves-nothing" => [],
            "too-many-heldout" => ["--threshold", "none", "--heldout-users", "5"],
            "bad-option" => ["--threshold", "high"],
            _ => [],
        };
        Assert.Equal(2, Run(["prepare", "--input", input, "--output", output, .. extra]));
        Assert.False(Directory.Exists(output));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(files.Folder), e => Path.GetFileName(e).StartsWith('.'));
    }
}
