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

        [CommandOption("--lambda <L>")]
        [Description("EASE's L2 regularization (with --model ease).")]
        [DefaultValue(500f)]
        public float Lambda { get; init; } = 500f;

        protected override bool AcceptsBaselines => true;

        public override ValidationResult Validate()
        {
            if (IsBaseline)
            {
                try { new Baselines.EaseOptions { Lambda = Lambda, Threads = Threads }.Validate(); }
                catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            }
            return base.Validate();
        }

        [CommandOption("--no-example")]
        [Description("Skip the example recommendations for a held-out user.")]
        public bool NoExample { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        string output = settings.Output ?? Path.Combine("runs", $"{settings.ModelName}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (File.Exists(Path.Combine(output, ModelStore.ConfigFile)) && !settings.Overwrite)
            throw new VaeCfException($"'{output}' already holds a model; pass --overwrite or choose another --output.");

        var data = DatasetLoader.Load(settings.Data, settings.ToOptions(), out var summary);
        console.MarkupLine($"[bold]{Markup.Escape(summary.Source)}[/]: {data.Train.Rows:N0} training users, {data.Validation.UserCount:N0} validation, {data.Test.UserCount:N0} test, {data.ItemCount:N0} items");
        var titles = settings.Titles is not null ? ItemMetadata.Load(settings.Titles) : ItemMetadata.FindBeside(settings.Data);
        if (settings.IsBaseline) return FitBaseline(console, settings, data, summary.Source, output, titles);
        var config = settings.ModelConfigFor(data.ItemCount);
        var options = settings.ToTrainingOptions();
        console.MarkupLine($"[bold]{ModelManifest.ModelName(config.Kind)}[/] [[{data.ItemCount}-{string.Join("-", config.EffectiveQDims)}-{string.Join("-", config.PDims.Skip(1))}{(config.PDims.Length > 1 ? "-" : "")}{data.ItemCount}]], " +
            $"{options.Epochs} epochs, batch {options.BatchSize}, lr {options.LearningRate}, anneal {options.Anneal.ToString().ToLowerInvariant()} cap {options.AnnealCap}");

        var result = InteractiveTraining.Run(console, options, data, config, cancellationToken);

        TrainingRunStore.Save(output, result, options, data, summary.Source);
        if (result.StopReason is not null && !result.Diverged) console.MarkupLine($"[yellow]stopped: {Markup.Escape(result.StopReason)}[/]");
        int epochs = result.History.Count;
        console.MarkupLine($"trained {epochs} epochs in {result.TrainingSeconds:F1} s ({result.TrainingSeconds / Math.Max(1, epochs):F2} s/epoch); best epoch {result.BestEpoch}");
        Report(console, result.BestValidation, result.Test, output);
        if (!settings.NoExample && result.Test is not null) ShowExample(console, result.Network, data, titles);
        if (result.Diverged)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(result.StopReason!)}");
            return 3;
        }
        return result.Cancelled ? 130 : 0;
    }

    /// <summary>Popularity or EASE: a closed-form fit, then the same evaluation and model folder as the autoencoders.</summary>
    private static int FitBaseline(IAnsiConsole console, Settings settings, SplitDataset data, string source, string output, ItemMetadata? titles)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Model.IScorer scorer;
        if (settings.ModelName == "ease")
        {
            var options = new Baselines.EaseOptions { Lambda = settings.Lambda, Threads = settings.Threads };
            scorer = Baselines.EaseScorer.Fit(data.Train, options, onEvent: e => console.MarkupLine($"[grey]{e.Elapsed.TotalSeconds,7:F1} s  {Markup.Escape(e.Message)}[/]"));
        }
        else scorer = Baselines.PopularityScorer.Fit(data.Train);
        double seconds = clock.Elapsed.TotalSeconds;
        var evaluator = new Evaluator(1000, settings.Threads);
        var validation = data.Validation.UserCount > 0 ? evaluator.Evaluate(scorer, data.Validation.FoldIn, data.Validation.Targets) : null;
        var test = data.Test.UserCount > 0 ? evaluator.Evaluate(scorer, data.Test.FoldIn, data.Test.Targets) : null;
        if (scorer is Baselines.EaseScorer ease) BaselineStore.SaveEase(output, ease, data, source, validation, test, seconds);
        else BaselineStore.SavePopularity(output, (Baselines.PopularityScorer)scorer, data, source, validation, test, seconds);
        console.MarkupLine($"fitted {settings.ModelName} in {seconds:F1} s");
        Report(console, validation, test, output);
        if (!settings.NoExample && test is not null) ShowExample(console, scorer, data, titles);
        return 0;
    }

    private static void Report(IAnsiConsole console, EvaluationResult? validation, EvaluationResult? test, string output)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("split").AddColumn("users").AddColumn("NDCG@100").AddColumn("Recall@20").AddColumn("Recall@50");
        void Row(string name, EvaluationResult? r)
        {
            if (r is null) return;
            string Cell(MetricKind kind, int k) { var v = r.Get(kind, k); return $"{v.Mean:F4} ±{v.StandardError:F3}"; }
            table.AddRow(name, $"{r.UsersEvaluated}", Cell(MetricKind.Ndcg, 100), Cell(MetricKind.Recall, 20), Cell(MetricKind.Recall, 50));
        }
        Row("validation", validation);
        Row("test", test);
        console.Write(table);
        console.MarkupLine($"model saved to [green]{Markup.Escape(Path.GetFullPath(output))}[/]");
    }

    /// <summary>The first test user with at least five held-out items: top-10 next to what they actually liked.</summary>
    private static void ShowExample(IAnsiConsole console, IScorer network, SplitDataset data, ItemMetadata? titles)
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
