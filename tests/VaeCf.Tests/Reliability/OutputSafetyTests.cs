using System.Text.Json;
using VaeCf.Split;

namespace VaeCf.Tests.Reliability;

/// <summary>No command writes into, or deletes, what it reads; an existing output is replaced only with --overwrite.</summary>
[Collection(ConsoleOutput.Name)]
public class OutputSafetyTests
{
    private static string[] Snapshot(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order().Select(f => f + ":" + new FileInfo(f).Length).ToArray();

    [Fact]
    public void PrepareNeverWritesOverItsOwnInput()
    {
        using var files = new DataTestFiles();
        string input = Path.GetDirectoryName(CliRunner.TinyRatings(files))!;
        files.Write("in/movies.csv", "movieId,title\n1,A\n");
        var before = Snapshot(input);

        var (code, output) = CliRunner.Run("prepare", "--input", input, "--output", input, "--overwrite");
        Assert.Equal(2, code);
        Assert.Contains("input", output);
        Assert.Equal(before, Snapshot(input));

        // The file's own folder, or a folder above it, is its input too.
        Assert.Equal(2, CliRunner.Run("prepare", "--input", Path.Combine(input, "ratings.csv"), "--output", input, "--overwrite").Code);
        Assert.Equal(2, CliRunner.Run("prepare", "--input", Path.Combine(input, "ratings.csv"), "--output", files.Folder, "--overwrite").Code);
        Assert.Equal(before, Snapshot(input));
    }

    [Fact]
    public void TrainNeverWritesIntoItsDataOrANonEmptyFolder()
    {
        using var files = new DataTestFiles();
        CliRunner.TinyRatings(files);
        string split = files.PathOf("split");
        Assert.Equal(0, CliRunner.Run("prepare", "--input", files.PathOf("in"), "--output", split).Code);
        var before = Snapshot(split);

        Assert.Equal(2, CliRunner.Run("train", "--data", split, "--output", split, "--model", "popularity", "--no-example").Code);
        Assert.Equal(2, CliRunner.Run("train", "--data", split, "--output", split, "--model", "popularity", "--no-example", "--overwrite").Code);
        Assert.Equal(before, Snapshot(split));

        // A folder holding anything but a model is never replaced.
        string notes = files.Write("notes/keep.txt", "mine");
        Assert.Equal(2, CliRunner.Run("train", "--data", split, "--output", files.PathOf("notes"), "--model", "popularity", "--no-example").Code);
        Assert.Equal(2, CliRunner.Run("train", "--data", split, "--output", files.PathOf("notes"), "--model", "popularity", "--no-example", "--overwrite").Code);
        Assert.Equal("mine", File.ReadAllText(notes));
    }

    [Fact]
    public void RecommendReplacesAnExistingOutputOnlyWhenAskedAndReadsQuotedCsv()
    {
        using var files = new DataTestFiles();
        CliRunner.TinyRatings(files);
        string model = files.PathOf("model");
        Assert.Equal(0, CliRunner.Run("train", "--data", files.PathOf("in"), "--output", model, "--model", "popularity", "--no-example").Code);

        // Quoted fields hold commas: the user is "a,b" and the item "1".
        string input = files.Write("histories.csv", "user,item\n\"a,b\",\"1\"\n\"a,b\",2\nc,3\n");
        string output = files.Write("recs.jsonl", "precious");
        Assert.Equal(2, CliRunner.Run("recommend", "--model", model, "--input", input, "--output", output).Code);
        Assert.Equal("precious", File.ReadAllText(output));
        Assert.Equal(2, CliRunner.Run("recommend", "--model", model, "--input", input, "--output", input, "--overwrite").Code);

        Assert.Equal(0, CliRunner.Run("recommend", "--model", model, "--input", input, "--output", output, "--overwrite", "-k", "3").Code);
        var lines = File.ReadAllLines(output);
        Assert.Equal(2, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal("a,b", first.RootElement.GetProperty("user").GetString());
            Assert.Empty(first.RootElement.GetProperty("unknown_items").EnumerateArray());
        }

        // Its own CSV output (user,rank,item,score,title, quoted where needed) reads back as histories.
        string csv = files.PathOf("recs.csv");
        Assert.Equal(0, CliRunner.Run("recommend", "--model", model, "--input", input, "--output", csv, "--output-format", "csv", "-k", "3").Code);
        string again = files.PathOf("again.jsonl");
        Assert.Equal(0, CliRunner.Run("recommend", "--model", model, "--input", csv, "--output", again, "-k", "2").Code);
        var users = File.ReadAllLines(again).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("user").GetString()!).ToArray();
        Assert.Equal(["a,b", "c"], users);
        foreach (string line in File.ReadAllLines(again))
            Assert.Empty(JsonDocument.Parse(line).RootElement.GetProperty("unknown_items").EnumerateArray());
    }
}
