using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Split;
using VaeCf.Cli.Plotting;
using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Experiments;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Cli.Commands;

/// <summary>
/// vaecf tune-beta: the paper's two stages. (1) Anneal beta towards 1.0 and read beta at the epoch
/// of best validation NDCG@100; (2) train again with that beta as the cap. Both runs are kept.
/// </summary>
public sealed class TuneBetaCommand : Command<TuneBetaCommand.Settings>
{
    public const string SummaryFile = "tune-beta.json";

    public sealed class Settings : TrainingSettings
    {
        [CommandOption("-o|--output <DIR>")]
        [Description("Folder for both runs (anneal/, retrain/), figures/ and tune-beta.json (default runs/tune-beta-<time>).")]
        public string? Output { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace runs already in the output folder.")]
        public bool Overwrite { get; init; }

        /// <summary>
        /// On small data one batch per epoch means step/200000 stays near 0 whatever the cap, so the
        /// paper's schedule would tune nothing; seed85 reaches the cap at 85% of the epochs.
        /// </summary>
        protected override string DefaultAnneal => "seed85";

        public override ValidationResult Validate()
        {
            if (AnnealCap is not null) return ValidationResult.Error("tune-beta chooses the cap itself (stage 1 anneals to 1.0); drop --anneal-cap.");
            if (ModelCatalogue.Default.Find(KindName ?? Model ?? "vae") is { } kind && kind != ModelCatalogue.MultVae)
                return ValidationResult.Error($"tune-beta needs --kind vae: {kind.DisplayName} has no KL term.");
            return base.Validate();
        }
    }

    /// <summary>tune-beta.json: the choice and the metrics before and after.</summary>
    public sealed record Summary(string Anneal, int TotalAnnealSteps, int Epochs, int PickedEpoch, float Beta, StageMetrics AnnealedToOne, StageMetrics Retrained);

    public sealed record StageMetrics(string Folder, int BestEpoch, float BetaAtBest, double ValidationNdcg100, double TestNdcg100, double TestNdcg100Se, double TestRecall20, double TestRecall50);

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        string output = settings.Output ?? Path.Combine("runs", $"tune-beta-{DateTime.Now:yyyyMMdd-HHmmss}");
        string annealFolder = Path.Combine(output, "anneal"), retrainFolder = Path.Combine(output, "retrain");
        OutputPaths.EnsureNotAnInput(output, settings.Data);
        if (!settings.Overwrite && (File.Exists(Path.Combine(annealFolder, ModelStore.ConfigFile)) || File.Exists(Path.Combine(retrainFolder, ModelStore.ConfigFile))))
            throw new VaeCfException($"'{output}' already holds a tune-beta run; pass --overwrite or choose another --output.");
        ModelStore.CheckWritable(annealFolder, settings.Overwrite);
        ModelStore.CheckWritable(retrainFolder, settings.Overwrite);

        var data = DatasetLoader.Load(settings.Data, settings.ToOptions(), out var summary);
        console.MarkupLine($"[bold]{Markup.Escape(summary.Source)}[/]: {data.Train.Rows:N0} training users, {data.Validation.UserCount:N0} validation, {data.Test.UserCount:N0} test, {data.ItemCount:N0} items");
        var config = settings.ModelConfigFor(data.ItemCount);
        var options = settings.ToTrainingOptions();
        WarnIfCapUnreachable(console, options, data.Train.Rows);

        var tuning = InteractiveTraining.Run(console, options.Epochs,
            (observer, token) => BetaTuning.Tune(data, config, options, new Stages(console, observer, (stage, result) =>
                ModelFolder.Save(stage == 1 ? annealFolder : retrainFolder, result, data, Path.GetFullPath(summary.Source))), token),
            cancellationToken);
        if (tuning.Retrain is null) { console.MarkupLine("[yellow]cancelled during stage 1; its best model is saved[/]"); return ExitCodes.Interrupted; }
        var (anneal, retrain, pick) = (tuning.Anneal, tuning.Retrain, tuning.Pick!);

        var result = new Summary(OptionNames.Name(options.Anneal), options.TotalAnnealSteps, options.Epochs, pick.Epoch, pick.Beta,
            Metrics("anneal", anneal), Metrics("retrain", retrain));
        AtomicFile.WriteText(Path.Combine(output, SummaryFile), JsonSerializer.Serialize(result, ModelManifest.Json));
        var figures = Path.Combine(output, "figures");
        ExperimentPlots.Annealing("stage 1: anneal to 1.0", anneal.History, Path.Combine(figures, "anneal-stage1.png"), FigureSize.Default);
        ExperimentPlots.Annealing(string.Create(CultureInfo.InvariantCulture, $"stage 2: cap {pick.Beta:F3}"), retrain.History, Path.Combine(figures, "anneal-stage2.png"), FigureSize.Default);

        var table = new Table().Border(TableBorder.Rounded).AddColumns("stage", "cap", "best epoch", "beta at best", "val NDCG@100", "test NDCG@100", "test R@20", "test R@50");
        foreach (var (name, cap, m) in new[] { ("anneal to 1.0", 1f, result.AnnealedToOne), ("retrain", pick.Beta, result.Retrained) })
            table.AddRow(name, cap.ToString("0.####", CultureInfo.InvariantCulture), $"{m.BestEpoch}", m.BetaAtBest.ToString("F4", CultureInfo.InvariantCulture),
                m.ValidationNdcg100.ToString("F4", CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{m.TestNdcg100:F4} ±{m.TestNdcg100Se:F3}"),
                m.TestRecall20.ToString("F4", CultureInfo.InvariantCulture), m.TestRecall50.ToString("F4", CultureInfo.InvariantCulture));
        console.Write(table);
        console.MarkupLine($"runs, figures and {SummaryFile} in [green]{Markup.Escape(Path.GetFullPath(output))}[/]");
        return retrain.Cancelled ? ExitCodes.Interrupted : ExitCodes.Success;
    }

    /// <summary>Tells the console what each stage does and saves each stage's model as soon as it ends.</summary>
    private sealed class Stages(IAnsiConsole console, ITrainingObserver epochs, Action<int, FitResult> save) : IBetaTuningObserver
    {
        public void OnEpochStart(int epoch, int batches) => epochs.OnEpochStart(epoch, batches);
        public void OnBatch(int epoch, int batch, int batches, double loss) => epochs.OnBatch(epoch, batch, batches, loss);
        public void OnEvaluationStart(int epoch) => epochs.OnEvaluationStart(epoch);
        public void OnEpochEnd(EpochRecord record) => epochs.OnEpochEnd(record);

        public void OnStageStart(int stage, TrainingOptions options) => console.MarkupLine(stage == 1
            ? $"[bold]stage 1[/]: anneal beta to 1.0 ({OptionNames.Name(options.Anneal)} schedule, {options.Epochs} epochs)"
            : string.Create(CultureInfo.InvariantCulture, $"[bold]stage 2[/]: retrain with cap {options.AnnealCap:F4}"));

        public void OnStageFinished(int stage, FitResult result) => save(stage, result);

        public void OnBetaPicked(BetaPick pick, TrainingOptions annealOptions)
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"best validation NDCG@100 {pick.ValidationNdcg100:F4} at epoch {pick.Epoch}, where beta = [bold]{pick.Beta:F4}[/]"));
            if (pick.Beta == 0) console.MarkupLine("[yellow]beta was 0 at the best epoch: stage 2 trains without the KL term[/]");
            if (pick.Beta >= annealOptions.AnnealCap)
                // Beta and training time rise together, so a best epoch after the cap is reached says
                // "still improving" as much as "more KL helps"; stage 2 then repeats stage 1.
                console.MarkupLine("[yellow]the best epoch came after beta reached 1.0: stage 2 repeats stage 1. NDCG may still be rising; " +
                    "try more updates (a smaller --batch-size or more --epochs) before reading beta off this run[/]");
        }
    }

    private static StageMetrics Metrics(string folder, FitResult r)
    {
        var best = r.History.FirstOrDefault(h => h.Epoch == r.BestEpoch);
        MetricValue Test(MetricKind kind, int k) => r.Test?.Get(kind, k) ?? new MetricValue(double.NaN, double.NaN);
        return new StageMetrics(folder, r.BestEpoch ?? 0, best?.Beta ?? float.NaN, r.Validation?.Get(MetricKind.Ndcg, 100).Mean ?? double.NaN,
            Test(MetricKind.Ndcg, 100).Mean, Test(MetricKind.Ndcg, 100).StandardError, Test(MetricKind.Recall, 20).Mean, Test(MetricKind.Recall, 50).Mean);
    }

    private static void WarnIfCapUnreachable(IAnsiConsole console, TrainingOptions options, int trainUsers)
    {
        if (options.Anneal != AnnealSchedule.Paper || options.TotalAnnealSteps <= 0) return;
        long updates = (long)options.Epochs * ((trainUsers + options.BatchSize - 1) / options.BatchSize);
        double reached = Math.Min(1.0, updates / (double)options.TotalAnnealSteps);
        if (reached < 1.0)
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[yellow]with {updates} updates and total-anneal-steps {options.TotalAnnealSteps}, beta only reaches {reached:G3} by the last epoch; consider --anneal seed85 or a smaller --total-anneal-steps[/]"));
    }
}
