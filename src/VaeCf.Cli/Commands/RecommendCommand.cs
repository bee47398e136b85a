using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Data;
using VaeCf.Serving;
using VaeCf.Split;

namespace VaeCf.Cli.Commands;

/// <summary>
/// vaecf recommend: top-k items from a saved model for a history given on the command line, for a
/// user of a dataset (training user or held-out user's fold-in items), or for every history in a file.
/// </summary>
public sealed class RecommendCommand : Command<RecommendCommand.Settings>
{
    /// <summary>Histories scored per call when reading a file: bounds memory for any file size.</summary>
    private const int FileChunk = 1000;

    public sealed class Settings : DataSettings
    {
        [CommandOption("--model <DIR>")]
        [Description("A model folder written by vaecf train.")]
        public string? Model { get; init; }

        [CommandOption("--items <IDS>")]
        [Description("The history: comma-separated original item IDs (\"\" for a user without history).")]
        public string? Items { get; init; }

        [CommandOption("--user <ID>")]
        [Description("Use this user's history from --data (training users, then validation and test fold-in items).")]
        public string? User { get; init; }

        [CommandOption("-d|--data <PATH>")]
        [Description("With --user: ratings file, a folder holding one, or a prepared split folder.")]
        public string? Data { get; init; }

        [CommandOption("--input <FILE>")]
        // Descriptions are Spectre markup: a literal bracket is doubled.
        [Description("Many histories: JSON lines {\"user\":..,\"items\":[[..]]} or CSV user,item rows.")]
        public string? Input { get; init; }

        [CommandOption("-k|--top <N>")]
        [DefaultValue(10)]
        public int K { get; init; } = 10;

        [CommandOption("--titles <FILE>")]
        [Description("Item metadata (movies.csv, movies.dat, u.item) to show titles.")]
        public string? Titles { get; init; }

        [CommandOption("--no-exclude-history")]
        [Description("Allow the history's own items in the answer.")]
        public bool NoExcludeHistory { get; init; }

        [CommandOption("--exclude <IDS>")]
        [Description("Comma-separated item IDs never to recommend.")]
        public string? Exclude { get; init; }

        [CommandOption("-o|--output <FILE>")]
        [Description("Write results here instead of stdout.")]
        public string? Output { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace an existing --output file.")]
        public bool Overwrite { get; init; }

        [CommandOption("--output-format <FORMAT>")]
        [Description("Output of --input and --output: jsonl or csv (--format is the input data format, as in every command).")]
        [DefaultValue("jsonl")]
        public string OutputFormat { get; init; } = "jsonl";

        [CommandOption("--json")]
        [Description("Machine output for a single history: one JSON object instead of a table.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required: a folder written by vaecf train.");
            int sources = (Items is not null ? 1 : 0) + (User is not null ? 1 : 0) + (Input is not null ? 1 : 0);
            if (sources != 1) return ValidationResult.Error("Give exactly one of --items, --user (with --data) or --input.");
            if (User is not null && Data is null) return ValidationResult.Error("--user needs --data: the dataset the user's history comes from.");
            if (K < 1) return ValidationResult.Error($"-k must be at least 1, got {K}.");
            if (OutputFormat is not ("jsonl" or "csv")) return ValidationResult.Error($"--output-format must be jsonl or csv, got '{OutputFormat}'.");
            return User is null ? ValidationResult.Success() : ValidateData();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Output is not null)
        {
            OutputPaths.EnsureNotAnInput(settings.Output, settings.Model, settings.Input, settings.Titles, settings.Data);
            OutputPaths.EnsureFileWritable(settings.Output, settings.Overwrite);
        }
        var recommender = Recommender.Load(settings.Model!, settings.Titles);
        var exclude = settings.Exclude is null ? null : SplitIds(settings.Exclude);
        RecommendationRequest Request(IReadOnlyList<string> history) =>
            new(history, settings.K) { ExcludeHistory = !settings.NoExcludeHistory, Exclude = exclude };

        if (settings.Input is not null)
        {
            using var output = OpenOutput(settings.Output);
            var writer = new RecommendationWriter(output, RecommendationWriter.ParseFormat(settings.OutputFormat, "--output-format"));
            foreach (var chunk in HistoryFile.Read(settings.Input).Chunk(FileChunk))
            {
                var results = recommender.RecommendBatch(chunk.Select(h => Request(h.Items)).ToArray());
                for (int i = 0; i < chunk.Length; i++) writer.Write(chunk[i].User, results[i]);
            }
            return 0;
        }

        string? user = settings.User;
        var history = user is null ? SplitIds(settings.Items!) : DatasetHistory(settings, user);
        var result = recommender.Recommend(Request(history));
        if (settings.Json || settings.Output is not null)
        {
            using var output = OpenOutput(settings.Output);
            new RecommendationWriter(output, RecommendationWriter.ParseFormat(settings.Json && settings.Output is null ? "jsonl" : settings.OutputFormat, "--output-format")).Write(user, result);
            return 0;
        }
        if (result.UnknownCount > 0)
            AnsiConsole.MarkupLine($"[yellow]{result.UnknownCount} item ID(s) unknown to the model were ignored:[/] {Markup.Escape(string.Join(", ", result.UnknownItems.Take(20)))}{(result.UnknownCount > 20 ? ", ..." : "")}");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("rank").AddColumn("item").AddColumn("score");
        if (recommender.Metadata is not null) table.AddColumn("title");
        for (int i = 0; i < result.Items.Count; i++)
        {
            var item = result.Items[i];
            var row = new List<string> { (i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(item.Id), item.Score.ToString("F4", CultureInfo.InvariantCulture) };
            if (recommender.Metadata is not null) row.Add(Markup.Escape(item.Title ?? ""));
            table.AddRow(row.ToArray());
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{Markup.Escape(recommender.Manifest.Model)}, {history.Count} history item(s){(user is null ? "" : $" of user {Markup.Escape(user)}")}");
        return 0;
    }

    private static string[] SplitIds(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static IReadOnlyList<string> DatasetHistory(Settings settings, string user) =>
        DatasetLoader.Load(settings.Data!, settings.ToOptions(), out _).HistoryOf(user)
        ?? throw new VaeCfException($"User '{user}' is not in {settings.Data} after preprocessing (too few events, or a different ID).");

    private static TextWriter OpenOutput(string? path)
    {
        if (path is null) return new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        try { return new StreamWriter(path, append: false, new UTF8Encoding(false)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new VaeCfException($"Cannot write '{path}': {e.Message}"); }
    }
}
