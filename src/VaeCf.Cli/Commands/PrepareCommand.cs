using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Data;
using VaeCf.Split;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf prepare: raw interactions -> preprocessed strong-generalization split in the original notebook's layout.</summary>
public sealed class PrepareCommand : Command<PrepareCommand.Settings>
{
    public sealed class Settings : DataSettings
    {
        [CommandOption("-i|--input <PATH>")]
        [Description("Ratings file, or a folder holding ratings.csv / ratings.dat / u.data.")]
        public string? Input { get; init; }

        [CommandOption("-o|--output <DIR>")]
        [Description("Folder to write train.csv, validation_tr/te.csv, test_tr/te.csv, unique_sid.txt, unique_uid.txt.")]
        public string? Output { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace a non-empty output folder.")]
        public bool Overwrite { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Input)) return ValidationResult.Error("--input is required: a ratings file or a folder holding one.");
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output is required: the folder to write the split to.");
            return ValidateData();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.ToOptions();
        string input = settings.Input!;
        if (Directory.Exists(input) && OriginalLayout.IsLayoutFolder(input))
            throw new VaeCfException($"'{input}' is already a split; give the raw ratings file to prepare.");
        OutputPaths.EnsureNotAnInput(settings.Output!, input);
        var split = DatasetLoader.Load(input, options, out var summary, keepFileRows: true);
        OriginalLayout.Write(split, settings.Output!, settings.Overwrite);

        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("");
        table.ShowHeaders = false;
        foreach (var (label, value) in summary.ToRows()) table.AddRow(Markup.Escape(label), Markup.Escape(value));
        AnsiConsole.Write(table);
        if (summary.Read is { SkippedLines: > 0 } read)
        {
            AnsiConsole.MarkupLine($"[yellow]skipped {read.SkippedLines:N0} malformed lines[/]; first ones:");
            foreach (string example in read.SkippedExamples) AnsiConsole.WriteLine("  " + example);
        }
        AnsiConsole.MarkupLine($"Split written to [green]{Markup.Escape(Path.GetFullPath(settings.Output!))}[/]");
        return 0;
    }
}
