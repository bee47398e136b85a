namespace VaeCf.Tests;

/// <summary>
/// Output sent to a pipe (as in CI logs or `vaecf ... > log`): the real tool, run as a process with its
/// standard output redirected, writes full-width lines with ASCII tables, never wraps at 80 columns.
/// </summary>
public class RedirectedOutputTests
{
    [Fact]
    public void PipedOutputIsFullWidthAndPlain()
    {
        using var files = new DataTestFiles();
        // A long output path makes the "model saved to ..." line far wider than 80 columns.
        string output = files.PathOf(string.Join(Path.DirectorySeparatorChar, Enumerable.Repeat("a-rather-long-folder-name", 5)));
        var (code, text) = ToolProcess.Run(null, "train", "--kind", "popularity", "--data", TestData.MovieLensSmall, "--output", output, "--no-example");
        Assert.True(code == 0, text);

        var lines = text.Replace("\r\n", "\n").Split('\n');
        Assert.Contains(lines, l => l.Contains(Path.GetFullPath(output), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Length > 80);
        // No box drawing (U+2500-U+257F), no escape codes.
        Assert.DoesNotContain(text, c => c is >= '\u2500' and <= '\u257F' or '\u001b');
        // The results table: ASCII borders, each row whole (a metric never split from its ± and error).
        var rows = lines.Where(l => l.StartsWith("| test ", StringComparison.Ordinal) || l.StartsWith("| validation ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Matches(@"^\| \w+ +\| \d+ +(\| \d\.\d{4} ±\d\.\d{3} +){3}\|$", r));
        Assert.Contains(lines, l => l.StartsWith("+--", StringComparison.Ordinal) || l.StartsWith("|--", StringComparison.Ordinal));
    }
}
