using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Cli.Plotting;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf plot: PNG figures for a folder of runs (an experiment output, a tune-beta output or one run).</summary>
public sealed class PlotCommand : Command<PlotCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-r|--runs <DIR>")]
        [Description("An experiment output folder, a tune-beta folder or a single run folder.")]
        public string Runs { get; init; } = "";

        [CommandOption("-o|--output <DIR>")]
        [Description("Where the PNGs go (default <runs>/figures).")]
        public string? Output { get; init; }

        [CommandOption("--width <PX>")]
        [DefaultValue(900)]
        public int Width { get; init; } = 900;

        [CommandOption("--height <PX>")]
        [DefaultValue(560)]
        public int Height { get; init; } = 560;

        [CommandOption("--top <N>")]
        [Description("Per-run figures only for the N best runs by validation NDCG@100; 0 = every run.")]
        [DefaultValue(0)]
        public int Top { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Runs)) return ValidationResult.Error("--runs DIR is required.");
            if (Width is < 100 or > 8000 || Height is < 100 or > 8000) return ValidationResult.Error("--width and --height must be between 100 and 8000 pixels.");
            if (Top < 0) return ValidationResult.Error("--top must be 0 or more.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output ?? Path.Combine(settings.Runs, "figures");
        var figures = ExperimentPlots.PlotAll(settings.Runs, output, new FigureSize(settings.Width, settings.Height), settings.Top);
        foreach (var figure in figures) AnsiConsole.MarkupLine($"[green]{Markup.Escape(figure.Path)}[/]");
        AnsiConsole.MarkupLine($"{figures.Count} figures written to [green]{Markup.Escape(Path.GetFullPath(output))}[/]");
        return 0;
    }
}
