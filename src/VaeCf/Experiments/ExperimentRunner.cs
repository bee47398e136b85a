using System.Diagnostics;
using VaeCf.Baselines;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Experiments;

/// <summary>Progress of a grid; every method is optional. Training hooks report the epochs of the current run.</summary>
public interface IExperimentObserver : ITrainingObserver
{
    void OnRunStart(RunSpec run, int index, int total) { }
    void OnRunSkipped(RunSpec run, int index, int total) { }
    /// <summary>A folder left by a run that was killed midway (no config.json) is deleted before the run starts again.</summary>
    void OnIncompleteRunCleaned(RunSpec run, string folder) { }
    void OnRunFinished(RunSpec run, ResultRow row, int index, int total) { }
    void OnRunFailed(RunSpec run, string reason, int index, int total) { }
}

public sealed class ExperimentOutcome
{
    public required IReadOnlyList<ResultRow> Results { get; init; }
    public int Trained { get; init; }
    public int Skipped { get; init; }
    public int Failed { get; init; }
    public bool Cancelled { get; init; }
}

/// <summary>
/// Runs a grid one run at a time into <c>OUTPUT/runs/RUN_ID/</c>. Resumable: a folder is complete
/// only once config.json exists (written last, atomically), so finished runs are skipped and a
/// folder without it is wiped and the run restarted. results.csv and summary.csv are rebuilt from
/// the complete folders after every run and replaced atomically, so no row is ever lost or doubled.
/// </summary>
public sealed class ExperimentRunner
{
    public const string RunsFolder = "runs";
    public const string ErrorFile = "error.txt";

    private readonly string _output;
    private readonly IExperimentObserver _observer;
    private readonly Func<DatasetSpec, SplitDataset> _loadDataset;
    private readonly Dictionary<string, SplitDataset> _datasets = new(StringComparer.Ordinal);

    /// <param name="loadDataset">How a dataset is opened; default <see cref="DatasetLoader"/>. Each dataset is loaded once per runner.</param>
    public ExperimentRunner(string outputDirectory, IExperimentObserver? observer = null, Func<DatasetSpec, SplitDataset>? loadDataset = null)
    {
        _output = outputDirectory;
        _observer = observer ?? new NullObserver();
        _loadDataset = loadDataset ?? (spec => DatasetLoader.Load(spec.ResolvedPath, spec.Prepare));
    }

    private sealed class NullObserver : IExperimentObserver;

    public string RunFolder(RunSpec run) => Path.Combine(_output, RunsFolder, run.RunId);

    public static bool IsComplete(string runFolder) => File.Exists(Path.Combine(runFolder, ModelStore.ConfigFile));

    public ExperimentOutcome Run(IReadOnlyList<RunSpec> runs, string? gridName = null, CancellationToken cancellation = default)
    {
        Directory.CreateDirectory(Path.Combine(_output, RunsFolder));
        RebuildResults();
        int trained = 0, skipped = 0, failed = 0;
        bool cancelled = false;
        for (int i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            string folder = RunFolder(run);
            if (IsComplete(folder)) { skipped++; _observer.OnRunSkipped(run, i, runs.Count); continue; }
            if (cancellation.IsCancellationRequested) { cancelled = true; break; }
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
                _observer.OnIncompleteRunCleaned(run, folder);
            }
            _observer.OnRunStart(run, i, runs.Count);
            var data = Dataset(run.Dataset);
            if (run.Baseline is { } baseline)
            {
                if (!FitBaseline(run, baseline, data, folder, gridName, out string? error))
                {
                    Directory.CreateDirectory(folder);
                    AtomicFile.WriteText(Path.Combine(folder, ErrorFile), error + "\n");
                    failed++;
                    _observer.OnRunFailed(run, error!, i, runs.Count);
                    continue;
                }
                trained++;
                var baselineRows = RebuildResults();
                _observer.OnRunFinished(run, baselineRows.Last(r => r.RunId == run.RunId), i, runs.Count);
                continue;
            }
            var training = run.Training!;
            var result = new Trainer(training, _observer).Train(data, run.Model! with { ItemCount = data.ItemCount }, cancellation);
            if (result.Diverged)
            {
                // Left incomplete on purpose: the next invocation tries it again (e.g. after lowering lr).
                Directory.CreateDirectory(folder);
                AtomicFile.WriteText(Path.Combine(folder, ErrorFile), result.StopReason + "\n");
                failed++;
                _observer.OnRunFailed(run, result.StopReason!, i, runs.Count);
                continue;
            }
            if (result.Cancelled) { cancelled = true; break; }
            Directory.CreateDirectory(folder);
            ExperimentRunInfo.Of(run, gridName).Write(folder);
            TrainingRunStore.Save(folder, result, training, data, run.Dataset.Path);
            trained++;
            var rows = RebuildResults();
            _observer.OnRunFinished(run, rows.Last(r => r.RunId == run.RunId), i, runs.Count);
        }
        return new ExperimentOutcome { Results = RebuildResults(), Trained = trained, Skipped = skipped, Failed = failed, Cancelled = cancelled };
    }

    /// <summary>
    /// Fits popularity or EASE on the training users and evaluates it with the evaluator the trainer
    /// uses, on the same validation and test users. The folder gets experiment.json, then the model
    /// folder (config.json last), so a fit killed midway leaves it incomplete, as for a network.
    /// </summary>
    /// <returns>False, with the reason, when EASE cannot be fitted (too little memory, lambda too small for float32).</returns>
    private static bool FitBaseline(RunSpec run, BaselineSpec baseline, Split.SplitDataset data, string folder, string? gridName, out string? error)
    {
        var clock = Stopwatch.StartNew();
        IScorer scorer;
        try
        {
            scorer = baseline.Kind == BaselineKind.Ease
                ? EaseScorer.Fit(data.Train, new EaseOptions { Lambda = baseline.Lambda!.Value, Threads = baseline.Threads })
                : PopularityScorer.Fit(data.Train);
        }
        catch (VaeCfException e)
        {
            error = e.Message;
            return false;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var evaluator = new Evaluator(new TrainingOptions().EvaluationBatchSize, baseline.Threads);
        var validation = data.Validation.UserCount > 0 ? evaluator.Evaluate(scorer, data.Validation.FoldIn, data.Validation.Targets) : null;
        var test = data.Test.UserCount > 0 ? evaluator.Evaluate(scorer, data.Test.FoldIn, data.Test.Targets) : null;
        Directory.CreateDirectory(folder);
        ExperimentRunInfo.Of(run, gridName).Write(folder);
        if (scorer is EaseScorer ease) BaselineStore.SaveEase(folder, ease, data, run.Dataset.Path, validation, test, seconds);
        else BaselineStore.SavePopularity(folder, (PopularityScorer)scorer, data, run.Dataset.Path, validation, test, seconds);
        error = null;
        return true;
    }

    /// <summary>Rewrites results.csv and summary.csv from the complete run folders.</summary>
    public List<ResultRow> RebuildResults()
    {
        var rows = ResultsCsv.FromRunFolders(Path.Combine(_output, RunsFolder));
        AtomicFile.WriteText(Path.Combine(_output, ResultsCsv.FileName), ResultsCsv.Format(rows));
        AtomicFile.WriteText(Path.Combine(_output, SeedSummary.FileName), SeedSummary.Format(SeedSummary.Of(rows)));
        return rows;
    }

    private SplitDataset Dataset(DatasetSpec spec)
    {
        if (!_datasets.TryGetValue(spec.Canonical, out var data)) _datasets[spec.Canonical] = data = _loadDataset(spec);
        return data;
    }
}
