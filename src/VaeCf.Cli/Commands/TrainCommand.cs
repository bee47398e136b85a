using System.ComponentModel;
using System.Globalization;
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
    public sealed class Settings : DataSettings
    {
        [CommandOption("-d|--data <PATH>")]
        [Description("Ratings file, a folder holding one, or a prepared split folder.")]
        [DefaultValue("data/ml-latest-small")]
        public string Data { get; init; } = "data/ml-latest-small";

        [CommandOption("-m|--model <KIND>")]
        [Description("vae (Mult-VAE), dae (Mult-DAE), ease (Steck 2019) or popularity.")]
        [DefaultValue("vae")]
        public string Model { get; init; } = "vae";

        [CommandOption("--lambda <L>")]
        [Description("EASE's L2 regularization.")]
        [DefaultValue(500f)]
        public float Lambda { get; init; } = 500f;

        [CommandOption("-o|--output <DIR>")]
        [Description("Model folder to write (default runs/<model>-<time>).")]
        public string? Output { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace an existing model folder.")]
        public bool Overwrite { get; init; }

        [CommandOption("--p-dims <SIZES>")]
        [Description("Decoder hidden sizes from the latent code out, comma-separated (vae: 200,600; dae: 200).")]
        public string? PDims { get; init; }

        [CommandOption("--q-dims <SIZES>")]
        [Description("Encoder hidden sizes from the input in; mirrored from --p-dims when omitted.")]
        public string? QDims { get; init; }

        [CommandOption("--dropout <P>")]
        [Description("Drop probability on the normalized input.")]
        [DefaultValue(0.5f)]
        public float Dropout { get; init; } = 0.5f;

        [CommandOption("--hidden-dropout <P>")]
        [Description("Drop probability on hidden layers (not the code).")]
        [DefaultValue(0f)]
        public float HiddenDropout { get; init; }

        [CommandOption("--optimizer <NAME>")]
        [Description("adam or adamw.")]
        [DefaultValue("adam")]
        public string Optimizer { get; init; } = "adam";

        [CommandOption("--lr <RATE>")]
        [DefaultValue(1e-3f)]
        public float LearningRate { get; init; } = 1e-3f;

        [CommandOption("--weight-decay <W>")]
        [Description("adam: L2 penalty W*||weights||^2, gradient 2W*w, i.e. PyTorch Adam(weight_decay=2W) (dae default 0.01/batch-size, the original's); adamw: decoupled decay rate (default 0).")]
        public float? WeightDecay { get; init; }

        [CommandOption("--batch-size <N>")]
        [DefaultValue(500)]
        public int BatchSize { get; init; } = 500;

        [CommandOption("--epochs <N>")]
        [DefaultValue(200)]
        public int Epochs { get; init; } = 200;

        [CommandOption("--anneal <SCHEDULE>")]
        [Description("paper (min(cap, step/total-anneal-steps)), seed85 (cap reached at 85% of epochs) or constant.")]
        [DefaultValue("paper")]
        public string Anneal { get; init; } = "paper";

        [CommandOption("--anneal-cap <BETA>")]
        [DefaultValue(0.2f)]
        public float AnnealCap { get; init; } = 0.2f;

        [CommandOption("--total-anneal-steps <N>")]
        [DefaultValue(200000)]
        public int TotalAnnealSteps { get; init; } = 200_000;

        [CommandOption("--lr-patience <N>")]
        [Description("ReduceLROnPlateau patience in evaluations; 0 = off.")]
        [DefaultValue(0)]
        public int LrPatience { get; init; }

        [CommandOption("--lr-factor <F>")]
        [DefaultValue(0.4f)]
        public float LrFactor { get; init; } = 0.4f;

        [CommandOption("--lr-monitor <WHAT>")]
        [Description("ndcg (maximized) or loss (minimized).")]
        [DefaultValue("ndcg")]
        public string LrMonitor { get; init; } = "ndcg";

        [CommandOption("--early-stop <N>")]
        [Description("Stop after N evaluations without improvement; 0 = off.")]
        [DefaultValue(0)]
        public int EarlyStopPatience { get; init; }

        [CommandOption("--early-stop-monitor <WHAT>")]
        [Description("ndcg or loss.")]
        [DefaultValue("ndcg")]
        public string EarlyStopMonitor { get; init; } = "ndcg";

        [CommandOption("--eval-every <N>")]
        [DefaultValue(1)]
        public int EvaluateEvery { get; init; } = 1;

        [CommandOption("--train-seed <SEED>")]
        [Description("Seed of initialization, batch order, dropout and noise (default: --seed).")]
        public int? TrainSeed { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Worker threads; 0 = all cores.")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        [CommandOption("--titles <FILE>")]
        [Description("Item metadata (e.g. movies.csv) for the example recommendations; found beside the data when omitted.")]
        public string? Titles { get; init; }

        [CommandOption("--no-example")]
        [Description("Skip the example recommendations for a held-out user.")]
        public bool NoExample { get; init; }

        public override ValidationResult Validate()
        {
            try
            {
                if (IsBaseline) new Baselines.EaseOptions { Lambda = Lambda, Threads = Threads }.Validate();
                else _ = ModelConfigFor(1);
                ToTrainingOptions().Validate();
            }
            catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            return ValidateData();
        }

        public string ModelName => Model.ToLowerInvariant() switch
        {
            "vae" or "mult-vae" or "multvae" => "vae",
            "dae" or "mult-dae" or "multdae" => "dae",
            "ease" => "ease",
            "popularity" or "pop" => "popularity",
            _ => throw new VaeCfException($"--model must be vae, dae, ease or popularity, got '{Model}'."),
        };

        public bool IsBaseline => ModelName is "ease" or "popularity";

        public ModelKind Kind => ModelName == "dae" ? ModelKind.MultDae : ModelKind.MultVae;

        public ModelConfig ModelConfigFor(int items)
        {
            var config = ModelConfig.Default(Kind, items) with { InputDropout = Dropout, HiddenDropout = HiddenDropout };
            if (PDims is not null) config = config with { PDims = ParseDims(PDims, "--p-dims") };
            if (QDims is not null) config = config with { QDims = ParseDims(QDims, "--q-dims") };
            config.Validate();
            return config;
        }

        public TrainingOptions ToTrainingOptions() => new()
        {
            Optimizer = Optimizer.ToLowerInvariant() switch
            {
                "adam" => OptimizerKind.Adam,
                "adamw" => OptimizerKind.AdamW,
                _ => throw new VaeCfException($"--optimizer must be adam or adamw, got '{Optimizer}'."),
            },
            LearningRate = LearningRate,
            WeightDecay = WeightDecay,
            BatchSize = BatchSize,
            Epochs = Epochs,
            Anneal = Anneal.ToLowerInvariant() switch
            {
                "paper" => AnnealSchedule.Paper,
                "seed85" or "85" => AnnealSchedule.Seed85,
                "constant" => AnnealSchedule.Constant,
                _ => throw new VaeCfException($"--anneal must be paper, seed85 or constant, got '{Anneal}'."),
            },
            AnnealCap = AnnealCap,
            TotalAnnealSteps = TotalAnnealSteps,
            LrPatience = LrPatience,
            LrFactor = LrFactor,
            LrMonitor = ParseMonitor(LrMonitor, "--lr-monitor"),
            EarlyStopPatience = EarlyStopPatience,
            EarlyStopMonitor = ParseMonitor(EarlyStopMonitor, "--early-stop-monitor"),
            EvaluateEvery = EvaluateEvery,
            Seed = TrainSeed ?? Seed,
            Threads = Threads,
        };

        private static MonitoredMetric ParseMonitor(string text, string flag) => text.ToLowerInvariant() switch
        {
            "ndcg" or "ndcg@100" => MonitoredMetric.Ndcg,
            "loss" => MonitoredMetric.Loss,
            _ => throw new VaeCfException($"{flag} must be ndcg or loss, got '{text}'."),
        };

        public static int[] ParseDims(string text, string flag)
        {
            var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0) throw new VaeCfException($"{flag} needs at least one size, e.g. 200,600.");
            return parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int d) && d > 0
                ? d : throw new VaeCfException($"{flag}: '{p}' is not a positive integer (got '{text}').")).ToArray();
        }
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

        var observer = new ConsoleTrainingObserver(console, options.Epochs);
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); console.MarkupLine("[yellow]stopping after this batch; the best model so far will be saved[/]"); };
        Console.CancelKeyPress += onCancel;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, cancellationToken);
        TrainingResult result;
        try
        {
            var trainer = new Trainer(options, observer);
            if (console.Profile.Capabilities.Interactive)
            {
                TrainingResult? captured = null;
                console.Progress().AutoClear(true).HideCompleted(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx => { observer.Progress = ctx; captured = trainer.Train(data, config, linked.Token); });
                result = captured!;
            }
            else result = trainer.Train(data, config, linked.Token);
        }
        finally { Console.CancelKeyPress -= onCancel; }

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
