using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Catalogue;
using VaeCf.Experiments;
using VaeCf.Training;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf experiment: runs every configuration of a grid file, resumably, into one output folder with results.csv.</summary>
public sealed class ExperimentCommand : Command<ExperimentCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-g|--grid <FILE>")]
        [Description("Grid file (.yaml, .yml or .json); the keys are described in the project README.")]
        public string Grid { get; init; } = "";

        [CommandOption("-o|--output <DIR>")]
        [Description("Output folder: runs/<run-id>/, results.csv, summary.csv. Rerunning skips finished runs.")]
        public string Output { get; init; } = "";

        [CommandOption("--seeds <LIST>")]
        [Description("Repeat every configuration with these training seeds, e.g. 1,2,3 (replaces the grid's seed).")]
        public string? Seeds { get; init; }

        [CommandOption("--epochs <N>")]
        [Description("Override every run's epochs (a quick smoke run; changes the run ids).")]
        public int? Epochs { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Worker threads per run; 0 = all cores (does not change run ids).")]
        public int? Threads { get; init; }

        [CommandOption("--max-runs <N>")]
        [Description("Refuse a grid that expands to more runs than this (default 10000).")]
        [DefaultValue(10_000L)]
        public long MaxRuns { get; init; } = Experiments.ExperimentGrid.DefaultMaxRuns;

        [CommandOption("--dry-run")]
        [Description("List the runs and whether each is done, without training.")]
        public bool DryRun { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Grid)) return ValidationResult.Error("--grid FILE is required.");
            if (string.IsNullOrWhiteSpace(Output)) return ValidationResult.Error("--output DIR is required.");
            if (Epochs is <= 0) return ValidationResult.Error("--epochs must be positive.");
            if (Threads is < 0) return ValidationResult.Error("--threads must be 0 or more.");
            if (MaxRuns < 1) return ValidationResult.Error("--max-runs must be at least 1.");
            try { _ = ParsedSeeds; }
            catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }

        public int[]? ParsedSeeds => Seeds is null ? null : OptionNames.ParseIntList(Seeds, "--seeds");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        var grid = ExperimentGrid.Load(settings.Grid, settings.MaxRuns);
        var runs = grid.Expand(new GridOverrides { Seeds = settings.ParsedSeeds, Epochs = settings.Epochs, Threads = settings.Threads });
        var observer = new ProgressObserver(console);
        var runner = new ExperimentRunner(settings.Output, observer);
        int done = runs.Count(r => ExperimentRunner.IsComplete(runner.RunFolder(r)));
        console.MarkupLine($"[bold]{Markup.Escape(grid.Name)}[/]: {runs.Count} runs in {grid.Stages.Count} stages, {done} already done; output [green]{Markup.Escape(Path.GetFullPath(settings.Output))}[/]");
        if (settings.DryRun)
        {
            var plan = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("run").AddColumn("epochs").AddColumn("status");
            for (int i = 0; i < runs.Count; i++)
                plan.AddRow($"{i + 1}", Markup.Escape(runs[i].RunId), runs[i].Training is { } t ? $"{t.Epochs}" : "-", ExperimentRunner.IsComplete(runner.RunFolder(runs[i])) ? "[green]done[/]" : "to run");
            console.Write(plan);
            return 0;
        }

        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); console.MarkupLine("[yellow]stopping: the current run is dropped and restarts next time[/]"); };
        Console.CancelKeyPress += onCancel;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, cancellationToken);
        ExperimentOutcome outcome;
        try
        {
            if (console.Profile.Capabilities.Interactive)
            {
                ExperimentOutcome? captured = null;
                console.Progress().AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        observer.Attach(ctx, runs.Count);
                        captured = runner.Run(runs, grid.Name, linked.Token);
                    });
                outcome = captured!;
            }
            else outcome = runner.Run(runs, grid.Name, linked.Token);
        }
        finally { Console.CancelKeyPress -= onCancel; }

        var ids = runs.Select(r => r.RunId).ToHashSet();
        WriteTable(console, outcome.Results.Where(r => ids.Contains(r.RunId)).ToList());
        console.MarkupLine($"{outcome.Trained} trained, {outcome.Skipped} skipped (done before), {outcome.Failed} failed; results in [green]{Markup.Escape(Path.Combine(settings.Output, ResultsCsv.FileName))}[/]");
        if (outcome.Cancelled) return ExitCodes.Interrupted;
        return outcome.Failed > 0 ? 1 : 0;
    }

    internal static void WriteTable(IAnsiConsole console, IReadOnlyList<ResultRow> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "model", "p_dims / lambda", "cap", "best ep.", "val NDCG@100", "test NDCG@100", "R@20", "R@50", "s");
        string F(double v, string format = "F4") => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
        foreach (var r in rows)
            table.AddRow(Markup.Escape(r.RunId), r.Model, r.PDims.Length > 0 ? r.PDims : F(r.Lambda, "0.###"), r.Model == ModelCatalogue.MultVae.ShortName ? F(r.AnnealCap, "0.###") : "-", r.BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "-", F(r.ValN100),
                $"{F(r.N100)} ±{F(r.N100Se, "F3")}", F(r.R20), F(r.R50), F(r.TrainSeconds, r.TrainSeconds < 10 ? "F1" : "F0"));
        console.Write(table);
        var summaries = SeedSummary.Of(rows).Where(s => s.Seeds > 1).ToList();
        if (summaries.Count == 0) return;
        var seeds = new Table().Border(TableBorder.Rounded).Title("mean ± sd across seeds").AddColumns("stage", "model", "dataset", "p_dims", "cap", "seeds", "val NDCG@100", "test NDCG@100", "R@20", "R@50");
        string S((double Mean, double Sd) v) => $"{F(v.Mean)} ±{F(v.Sd)}";
        foreach (var s in summaries)
            seeds.AddRow(s.Stage, s.Model, s.Dataset, s.PDims, s.Model == ModelCatalogue.MultVae.ShortName ? F(s.AnnealCap, "0.###") : "-", $"{s.Seeds}", S(s.ValN100), S(s.N100), S(s.R20), S(s.R50));
        console.Write(seeds);
    }

    /// <summary>An overall bar over runs and one over the current run's epochs; one line per finished run everywhere.</summary>
    private sealed class ProgressObserver(IAnsiConsole console) : IExperimentObserver
    {
        private ProgressTask? _overall;
        private ProgressTask? _epochs;
        private ProgressContext? _context;

        public void Attach(ProgressContext context, int runs)
        {
            _context = context;
            _overall = context.AddTask("runs", maxValue: runs);
        }

        public void OnRunStart(RunSpec run, int index, int total)
        {
            if (_context is null) { console.MarkupLine($"[grey][[{index + 1}/{total}]][/] {Markup.Escape(run.RunId)} ..."); return; }
            _epochs?.StopTask();
            // A baseline is one closed-form fit: its bar fills when the run finishes.
            _epochs = _context.AddTask(Markup.Escape(run.RunId), maxValue: run.Training?.Epochs ?? 1);
            _overall!.Description = $"run {index + 1}/{total}";
        }

        public void OnEpochEnd(EpochRecord record)
        {
            if (_epochs is not null) _epochs.Value = record.Epoch;
        }

        public void OnRunSkipped(RunSpec run, int index, int total) => _overall?.Increment(1);

        public void OnIncompleteRunCleaned(RunSpec run, string folder) =>
            console.MarkupLine($"[yellow]restarting {Markup.Escape(run.RunId)}: its folder had no config.json (killed midway)[/]");

        public void OnRunFinished(RunSpec run, ResultRow row, int index, int total)
        {
            _overall?.Increment(1);
            if (_epochs is not null) { _epochs.Value = _epochs.MaxValue; _epochs.StopTask(); }
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[grey][[{index + 1}/{total}]][/] {Markup.Escape(run.RunId)}: val NDCG@100 {row.ValN100:F4}, test NDCG@100 {row.N100:F4} ({(row.BestEpoch is { } e ? $"best epoch {e}, " : "fitted, ")}{row.TrainSeconds:F1} s)"));
        }

        public void OnRunFailed(RunSpec run, string reason, int index, int total)
        {
            _overall?.Increment(1);
            _epochs?.StopTask();
            console.MarkupLine($"[red]{Markup.Escape(run.RunId)} failed:[/] {Markup.Escape(reason)}");
        }
    }
}
