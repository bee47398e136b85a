namespace VaeCf.Tests.Reliability;

/// <summary>
/// Every command rejects an option it does not know (exit 2, naming it and the near miss) instead of
/// running with defaults. The other arguments point at nothing, so a command that ignored the option
/// would still fail fast, but with a different message.
/// </summary>
[Collection(ConsoleOutput.Name)]
public class BadOptionTests
{
    public static TheoryData<string[], string, string?> Cases => new()
    {
        { ["train", "--data", "/nonexistent/vaecf", "--epoch", "1"], "epoch", "--epochs" },
        { ["evaluate", "--model", "/nonexistent/vaecf", "--splitt", "validation"], "splitt", "--split" },
        { ["recommend", "--model", "/nonexistent/vaecf", "--items", "1", "--titels", "t.csv"], "titels", "--titles" },
        { ["export", "--model", "/nonexistent/vaecf", "--output", "/nonexistent/m.onnx", "--overwrit"], "overwrit", "--overwrite" },
        { ["serve", "--model", "/nonexistent/vaecf", "--port", "5098"], "port", null },
        { ["bench", "--items", "-1", "--batchs", "3"], "batchs", "--batches" },
        { ["prepare", "--input", "/nonexistent/vaecf", "--output", "/nonexistent/out", "--overwrit"], "overwrit", "--overwrite" },
        { ["tune-beta", "--data", "/nonexistent/vaecf", "--output", "/nonexistent/out", "--epoch", "1"], "epoch", "--epochs" },
        { ["experiment", "--grid", "/nonexistent/grid.yaml", "--output", "/nonexistent/out", "--dryrun"], "dryrun", "--dry-run" },
        { ["plot", "--runs", "/nonexistent/vaecf", "--widht", "5"], "widht", "--width" },
        { ["report", "--runs", "/nonexistent/vaecf", "--output", "/nonexistent/r.md", "--titel", "t"], "titel", "--title" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void UnknownOptionExitsWithTwoNamingItAndTheNearMiss(string[] args, string unknown, string? suggestion)
    {
        var (code, output) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains($"'{unknown}'", output);
        if (suggestion is not null) Assert.Contains(suggestion, output);
        // One line, no stack trace.
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public void EveryCommandIsInTheTable()
    {
        var tested = Cases.Select(row => ((string[])row[0])[0]).ToHashSet();
        // Every command class of the CLI, named as registered (TuneBetaCommand is "tune-beta").
        var commands = typeof(VaeCf.Cli.CliSetup).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.Name.EndsWith("Command", StringComparison.Ordinal) && typeof(Spectre.Console.Cli.ICommand).IsAssignableFrom(t))
            .Select(t => string.Concat(t.Name[..^"Command".Length].Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())))
            .ToList();
        Assert.NotEmpty(commands);
        foreach (string command in commands) Assert.Contains(command, tested);
    }
}
