using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Cli;

namespace VaeCf.Tests;

/// <summary>Every command's --help renders (descriptions are Spectre markup, so a stray bracket used to crash it), and --version answers.</summary>
public class CliHelpTests
{
    [Fact]
    public void HelpRendersForTheRootAndEveryCommand()
    {
        var (code, root) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("USAGE:", root);
        var commands = CommandNames(root);
        Assert.Contains("recommend", commands);
        Assert.Contains("export", commands);
        Assert.True(commands.Count >= 10, $"Only {commands.Count} commands listed: {string.Join(", ", commands)}");
        foreach (string command in commands)
        {
            var (commandCode, help) = Run(command, "--help");
            Assert.True(commandCode == 0, $"'vaecf {command} --help' exited with {commandCode}:\n{help}");
            Assert.Contains("USAGE:", help);
            Assert.Contains($"vaecf {command}", help);
        }
    }

    [Fact]
    public void RecommendHelpShowsTheBracketsOfItsInputExample()
    {
        var (code, help) = Run("recommend", "--help");
        Assert.Equal(0, code);
        Assert.Contains("\"items\":[..]", help);
    }

    [Fact]
    public void BenchNamesItsBatchAsTrainDoesAndHidesTheOldName()
    {
        var (code, help) = Run("bench", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--batch-size", help);
        Assert.DoesNotMatch(@"--batch\s", help);   // --batch still works (BenchmarkTests uses it) but is not advertised
    }

    [Fact]
    public void AKindIsKindAndAFolderIsModelInEveryCommand()
    {
        foreach (string command in new[] { "train", "tune-beta", "bench" })
        {
            var (code, help) = Run(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("--kind <KIND>", help);
            Assert.DoesNotContain("--model", help);   // the former name still works, unlisted
        }
        foreach (string command in new[] { "evaluate", "recommend", "serve", "export" })
            Assert.Contains("--model <DIR>", Run(command, "--help").Output);
    }

    [Fact]
    public void CommandsAreListedInWorkflowOrder()
    {
        var commands = CommandNames(Run("--help").Output);
        Assert.Equal(["prepare", "train", "evaluate", "recommend", "serve"], commands.Take(5));
    }

    [Fact]
    public void EveryOptionOfEveryCommandHasADescription()
    {
        // An option line whose signature is all there is: "--title <TEXT>" with nothing after it.
        var bare = new System.Text.RegularExpressions.Regex(@"^\s+(-\w, )?--[\w-]+( <[^>]+>| \[[^\]]+\])?\s*$");
        foreach (string command in CommandNames(Run("--help").Output))
        {
            var lines = Run(command, "--help").Output.Split('\n');
            Assert.All(lines, line => Assert.False(bare.IsMatch(line), $"vaecf {command}: option without a description: '{line.Trim()}'"));
        }
    }

    [Fact]
    public void VersionAnswers()
    {
        var (code, output) = Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    /// <summary>The command names under the root help's COMMANDS heading (4-space indented lines; wider ones continue a description).</summary>
    private static List<string> CommandNames(string rootHelp)
    {
        var lines = rootHelp.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == "COMMANDS:");
        Assert.True(start >= 0, "The root help has no COMMANDS section:\n" + rootHelp);
        return lines.Skip(start + 1)
            .TakeWhile(l => l.Trim().Length > 0)
            .Where(l => l.StartsWith("    ") && !l.StartsWith("     "))
            .Select(l => l.Trim().Split(' ')[0])
            .ToList();
    }

    private static (int Code, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        var app = new CommandApp();
        app.Configure(config =>
        {
            CliSetup.Configure(config);
            config.ConfigureConsole(console);
        });
        int code = app.Run(args);
        return (code, writer.ToString().Replace("\r\n", "\n"));
    }
}
