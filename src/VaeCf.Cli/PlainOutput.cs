using Spectre.Console;
using Spectre.Console.Rendering;

namespace VaeCf.Cli;

/// <summary>
/// The console for output sent to a file or a pipe. Spectre falls back to 80 columns when it cannot
/// ask a terminal, which wraps long lines and breaks numbers across lines in logs and CI; here lines
/// are never wrapped (up to <see cref="Width"/> columns), carry no colour codes, and tables are drawn
/// with ASCII (<c>+ - |</c>) instead of box-drawing characters, so logs stay greppable and diffable.
/// </summary>
public static class PlainOutput
{
    /// <summary>Line width for redirected output: wide enough that no table or message wraps.</summary>
    public const int Width = 4096;

    /// <summary>A console writing plain, unwrapped lines to <paramref name="writer"/>.</summary>
    public static IAnsiConsole Create(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = Width;
        console.Pipeline.Attach(new AsciiTables());
        return console;
    }

    /// <summary>Swaps every table's border for ASCII as it is written; commands keep choosing their own for terminals.</summary>
    private sealed class AsciiTables : IRenderHook
    {
        public IEnumerable<IRenderable> Process(RenderOptions options, IEnumerable<IRenderable> renderables)
        {
            foreach (var renderable in renderables)
            {
                if (renderable is Table table) table.Border = TableBorder.Ascii;
                yield return renderable;
            }
        }
    }
}
