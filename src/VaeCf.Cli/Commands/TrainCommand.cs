using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf train: data -> trained Mult-VAE / Mult-DAE folder (weights, config, history) with test metrics.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : TrainingSettings
    {
        [CommandOption("-o|--output <DIR>")]
        [Description("Model folder to write (default runs/<model>-<time>).")]
        public string? Output { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace an existing model folder.")]
        public bool Overwrite { get; init; }

        [CommandOption("--titles <FILE>")]
        [Description("Item metadata (e.g. movies.csv) for the example recommendations; found beside the data when omitted.")]
        public string? Titles { get; init; }

        [CommandOption("--no-example")]
        [Description("Skip the example recommendations for a held-out user.")]
        public bool NoExample { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        string output = settings.Output ?? Path.Combine("runs", $"{OptionNames.ShortName(settings.Kind)}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (File.Exists(Path.Combine(output, ModelStore.ConfigFile)) && !settings.Overwrite)
            throw new VaeCfException($"'{output}' already holds a model; pass --overwrite or choose another --output.");

        var data = DatasetLoader.Load(settings.Data, settings.ToOptions(), out var summary);
        console.MarkupLine($"[bold]{Markup.Escape(summary.Source)}[/]: {data.Train.Rows:N0} training users, {data.Validation.UserCount:N0} validation, {data.Test.UserCount:N0} test, {data.ItemCount:N0} items");
        var config = settings.ModelConfigFor(data.ItemCount);
        var options = settings.ToTrainingOptions();
        console.MarkupLine($"[bold]{ModelManifest.ModelName(config.Kind)}[/] [[{data.ItemCount}-{string.Join("-", config.EffectiveQDims)}-{string.Join("-", config.PDims.Skip(1))}{(config.PDims.Length > 1 ? "-" : "")}{data.ItemCount}]], " +
            $"{options.Epochs} epochs, batch {options.BatchSize}, lr {options.LearningRate}, anneal {options.Anneal.ToString().ToLowerInvariant()} cap {options.AnnealCap}");

        var result = InteractiveTraining.Run(console, options, data, config, cancellationToken);

        TrainingRunStore.Save(output, result, options, data, summary.Source);
        Report(console, result, output);
        if (!settings.NoExample && result.Test is not null)
            ShowExample(console, result.Network, data, settings.Titles is not null ? ItemMetadata.Load(settings.Titles) : ItemMetadata.FindBeside(settings.Data));
        return result.Cancelled ? 130 : 0;
    }

    internal static void Report(IAnsiConsole console, TrainingResult result, string output)
    {
        if (result.StopReason is not null) console.MarkupLine($"[yellow]stopped: {Markup.Escape(result.StopReason)}[/]");
        int epochs = result.History.Count;
        console.MarkupLine($"trained {epochs} epochs in {result.TrainingSeconds:F1} s ({result.TrainingSeconds / Math.Max(1, epochs):F2} s/epoch); best epoch {result.BestEpoch}");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("split").AddColumn("users").AddColumn("NDCG@100").AddColumn("Recall@20").AddColumn("Recall@50");
        void Row(string name, EvaluationResult? r)
        {
            if (r is null) return;
            string Cell(MetricKind kind, int k) { var v = r.Get(kind, k); return $"{v.Mean:F4} ±{v.StandardError:F3}"; }
            table.AddRow(name, $"{r.UsersEvaluated}", Cell(MetricKind.Ndcg, 100), Cell(MetricKind.Recall, 20), Cell(MetricKind.Recall, 50));
        }
        Row("validation", result.BestValidation);
        Row("test", result.Test);
        console.Write(table);
        console.MarkupLine($"model saved to [green]{Markup.Escape(Path.GetFullPath(output))}[/]");
    }

    /// <summary>The first test user with at least five held-out items: top-10 next to what they actually liked.</summary>
    private static void ShowExample(IAnsiConsole console, AutoencoderNetwork network, SplitDataset data, ItemMetadata? titles)
    {
        var test = data.Test;
        int user = Enumerable.Range(0, test.UserCount).FirstOrDefault(u => test.Targets.RowLength(u) >= 5, -1);
        if (user < 0) return;
        var scores = new float[data.ItemCount];
        network.Score(test.FoldIn, user, 1, scores);
        foreach (int seen in test.FoldIn.RowIndices(user)) scores[seen] = float.NegativeInfinity;
        var top = new int[10];
        int n = TopK.Select(scores, 10, top);
        var liked = test.Targets.RowIndices(user);
        string Title(int item) => Markup.Escape(titles?.TitleOf(data.ItemIds[item]) ?? data.ItemIds[item]);
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"test user {Markup.Escape(test.UserIds[user])}: {test.FoldIn.RowLength(user)} items folded in, {liked.Length} held out")
            .AddColumn("#").AddColumn("recommended").AddColumn("held out (what the user liked)");
        for (int r = 0; r < Math.Max(n, Math.Min(10, liked.Length)); r++)
        {
            string rec = r < n ? (liked.BinarySearch(top[r]) >= 0 ? $"[green]{Title(top[r])} ✓[/]" : Title(top[r])) : "";
            string held = r < liked.Length ? Title(liked[r]) : "";
            table.AddRow($"{r + 1}", rec, held);
        }
        console.Write(table);
    }
}
