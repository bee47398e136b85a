using Spectre.Console;
using VaeCf.Cli;

namespace VaeCf.Tests.Reliability;

/// <summary>Runs the CLI in-process and captures what it prints (tests using it share the console collection).</summary>
public static class CliRunner
{
    private static readonly Lock Gate = new();

    public static (int Code, string Output) Run(params string[] args)
    {
        lock (Gate)
        {
            var writer = new StringWriter();
            var original = AnsiConsole.Console;
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(writer),
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
            });
            try
            {
                int code = CliSetup.Run(args);
                return (code, writer.ToString());
            }
            finally { AnsiConsole.Console = original; }
        }
    }

    /// <summary>The built CLI beside the test assembly, for tests that need a real child process.</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "VaeCf.Cli.dll");

    /// <summary>A tiny MovieLens-style ratings file: every user rates six of fifteen items with a 5.</summary>
    public static string TinyRatings(DataTestFiles files, string name = "in/ratings.csv", int users = 30)
    {
        var lines = new List<string> { "userId,movieId,rating,timestamp" };
        for (int u = 1; u <= users; u++)
            for (int i = 1; i <= 6; i++) lines.Add($"{u},{(u + i) % 15},5,{1000 + i}");
        return files.Write(name, string.Join('\n', lines) + "\n");
    }
}
