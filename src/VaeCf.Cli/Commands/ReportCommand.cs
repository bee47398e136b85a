using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Cli.Plotting;
using VaeCf.Experiments;
using VaeCf.Persistence;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf report: a Markdown page with the results table, the best runs and the figures.</summary>
public sealed class ReportCommand : Command<ReportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-r|--runs <DIR>")]
        [Description("An experiment output folder, a tune-beta folder or a single run folder.")]
        public string Runs { get; init; } = "";

        [CommandOption("-o|--output <FILE>")]
        [Description("The Markdown file to write (default <runs>/report.md).")]
        public string? Output { get; init; }

        [CommandOption("--figures <DIR>")]
        [Description("Where the figures are drawn (default 'figures' beside the report).")]
        public string? Figures { get; init; }

        [CommandOption("--top <N>")]
        [Description("Per-run figures for the N best runs by validation NDCG@100; 0 = every run.")]
        [DefaultValue(3)]
        public int Top { get; init; } = 3;

        [CommandOption("--title <TEXT>")]
        [Description("The report's heading (default: \"VaeCf results: \" and the runs folder's name).")]
        public string? Title { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Runs)) return ValidationResult.Error("--runs DIR is required.");
            if (Top < 0) return ValidationResult.Error("--top must be 0 or more.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output ?? Path.Combine(settings.Runs, "report.md");
        string reportFolder = Path.GetDirectoryName(Path.GetFullPath(output))!;
        string figuresFolder = settings.Figures ?? Path.Combine(reportFolder, "figures");
        var rows = ResultsCsv.FromRunFolders(settings.Runs);
        if (rows.Count == 0) throw new VaeCfException($"No complete runs under '{settings.Runs}'.");
        var figures = ExperimentPlots.PlotAll(settings.Runs, figuresFolder, FigureSize.Default, settings.Top);
        string title = settings.Title ?? $"VaeCf results: {Path.GetFileName(Path.GetFullPath(settings.Runs).TrimEnd(Path.DirectorySeparatorChar))}";
        var markdown = ReportWriter.Markdown(title, rows, figures.Select(f => (Path.GetRelativePath(reportFolder, Path.GetFullPath(f.Path)), f.Caption)).ToList());
        AtomicFile.WriteText(output, markdown);
        AnsiConsole.MarkupLine($"report with {rows.Count} runs and {figures.Count} figures: [green]{Markup.Escape(Path.GetFullPath(output))}[/]");
        return 0;
    }
}
