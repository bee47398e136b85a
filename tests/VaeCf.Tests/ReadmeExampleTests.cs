namespace VaeCf.Tests;

/// <summary>
/// The library example of the project README and of the NuGet package's README is the compiled code
/// of ReadmeLibraryExample.cs, character for character.
/// </summary>
public class ReadmeExampleTests
{
    [Theory]
    [InlineData("README.md", "## Library")]
    [InlineData("src/VaeCf/README.md", "# VaeCf")]
    public void TheReadmeLibraryExampleIsTheCompiledOne(string readmePath, string section)
    {
        var readme = File.ReadAllLines(Path.Combine(TestData.RepoRoot, readmePath));
        var source = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "tests", "VaeCf.Tests", "ReadmeLibraryExample.cs"));

        int heading = Array.IndexOf(readme, section);
        Assert.True(heading >= 0, $"{readmePath} has no '{section}' heading.");
        int open = Array.FindIndex(readme, heading, l => l.StartsWith("```csharp", StringComparison.Ordinal));
        int close = Array.FindIndex(readme, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        var block = readme[(open + 1)..close];

        var usings = Between(source, "// <readme-library-usings>", "// </readme-library-usings>");
        var body = Between(source, "// <readme-library-body>", "// </readme-library-body>");
        int indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        var expected = usings.Append("").Concat(body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart())).ToArray();

        Assert.Equal(expected, block);
    }

    private static string[] Between(string[] lines, string start, string end)
    {
        int from = Array.FindIndex(lines, l => l.Trim() == start);
        int to = Array.FindIndex(lines, l => l.Trim() == end);
        Assert.True(from >= 0 && to > from, $"Markers {start} / {end} not found in order.");
        return lines[(from + 1)..to];
    }
}
