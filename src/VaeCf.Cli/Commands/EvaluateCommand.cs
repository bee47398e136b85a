using System.ComponentModel;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf evaluate: a saved model on the validation or test users of a dataset, any metrics.</summary>
public sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : DataSettings
    {
        [CommandOption("--model <DIR>")]
        [Description("A model folder written by vaecf train.")]
        public string? Model { get; init; }

        [CommandOption("-d|--data <PATH>")]
        [Description("Ratings file, a folder holding one, or a prepared split folder. Default: the dataset the model was trained on (recorded in its config.json).")]
        public string? Data { get; init; }

        [CommandOption("--split <NAME>")]
        [Description("test or validation.")]
        [DefaultValue("test")]
        public string Split { get; init; } = "test";

        [CommandOption("--metrics <LIST>")]
        [Description("Comma-separated: ndcg@K, recall@K (paper: / min(K, n)), stdrecall@K (/ n), precision@K, map@K, mrr@K or mrr (all items), hitrate@K, coverage@K (share of items in any top K).")]
        [DefaultValue("ndcg@100,recall@20,recall@50")]
        public string Metrics { get; init; } = "ndcg@100,recall@20,recall@50";

        [CommandOption("--batch-size <N>")]
        [DefaultValue(Evaluator.DefaultBatchSize)]
        public int BatchSize { get; init; } = Evaluator.DefaultBatchSize;

        [CommandOption("--threads <N>")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        [CommandOption("--json")]
        [Description("Print one JSON object instead of a table.")]
        public bool Json { get; init; }

        public IReadOnlyList<MetricSpec> MetricList() =>
            Metrics.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(MetricSpec.Parse).ToList();

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required: a folder written by vaecf train.");
            if (Split is not ("test" or "validation")) return ValidationResult.Error($"--split must be test or validation, got '{Split}'.");
            if (BatchSize <= 0) return ValidationResult.Error("--batch-size must be positive.");
            try { if (MetricList().Count == 0) return ValidationResult.Error("--metrics needs at least one metric."); }
            catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            return ValidateData();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (scorer, manifest) = Catalogue.ModelFolder.Load(settings.Model!, new Numerics.GemmEngine(settings.Threads));
        var data = DatasetLoader.Load(DataPath(settings.Data, manifest, settings.Model!), settings.ToOptions(), out _);
        var held = settings.Split == "test" ? data.Test : data.Validation;
        var aligned = VocabularyAlignment.Align(held, data.ItemIds, manifest.Items, out long dropped);
        var result = new Evaluator(settings.BatchSize, settings.Threads).Evaluate(scorer, aligned.FoldIn, aligned.Targets, settings.MetricList());
        bool sameData = manifest.Dataset?.Fingerprint == DatasetInfo.ComputeFingerprint(data);

        if (settings.Json)
        {
            var json = new Dictionary<string, object?>
            {
                ["model"] = manifest.Model,
                ["split"] = settings.Split,
                ["users_evaluated"] = result.UsersEvaluated,
                ["users_without_targets"] = result.UsersWithoutTargets,
                ["dropped_unknown_item_events"] = dropped,
                ["same_training_data"] = sameData,
                ["seconds"] = result.Seconds,
                ["metrics"] = result.Metrics.ToDictionary(kv => kv.Key.Name, kv => new { mean = Finite(kv.Value.Mean), standard_error = Finite(kv.Value.StandardError) }),
            };
            Console.WriteLine(JsonSerializer.Serialize(json));
            return 0;
        }
        if (!sameData)
            AnsiConsole.MarkupLine("[yellow]warning:[/] this data's training split differs from the model's; held-out users may have been seen in training.");
        if (dropped > 0) AnsiConsole.MarkupLine($"[yellow]{dropped:N0} events on items unknown to the model were dropped.[/]");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("metric").AddColumn("mean").AddColumn("std. error");
        foreach (var (spec, value) in result.Metrics) table.AddRow(spec.Name, $"{value.Mean:F4}", double.IsNaN(value.StandardError) ? "-" : $"{value.StandardError:F4}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{manifest.Model} on {result.UsersEvaluated:N0} {settings.Split} users ({result.UsersWithoutTargets:N0} without held-out items excluded), {result.Seconds:F2} s");
        return 0;
    }

    /// <summary>
    /// --data, else the dataset recorded in the model's config.json, so an installed tool works from
    /// any folder. A recorded relative path (older models) is read from the current folder.
    /// </summary>
    internal static string DataPath(string? data, ModelManifest manifest, string modelFolder)
    {
        if (data is not null) return data;
        string? recorded = manifest.Dataset?.Source;
        if (recorded is null)
            throw new VaeCfException($"{Path.Combine(modelFolder, "config.json")}: no dataset recorded; pass --data PATH.");
        if (!File.Exists(recorded) && !Directory.Exists(recorded))
            throw new VaeCfException($"{Path.Combine(modelFolder, "config.json")}: the model's dataset '{recorded}' is not there (from {Directory.GetCurrentDirectory()}); pass --data PATH.");
        return recorded;
    }

    /// <summary>JSON has no NaN: an undefined value (coverage's standard error, a split without targets) is null.</summary>
    private static double? Finite(double value) => double.IsNaN(value) ? null : value;
}
