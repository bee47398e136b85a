using VaeCf.Catalogue;
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
    /// <summary>Run <paramref name="index"/> (0-based) of <paramref name="total"/> starts training.</summary>
    void OnRunStart(RunSpec run, int index, int total) { }
    /// <summary>Run <paramref name="index"/> is already complete on disk and is not run again.</summary>
    void OnRunSkipped(RunSpec run, int index, int total) { }
    /// <summary>A folder left by a run that was killed midway (no config.json) is deleted before the run starts again.</summary>
    void OnIncompleteRunCleaned(RunSpec run, string folder) { }
    /// <summary>Run <paramref name="index"/> finished and its row is in results.csv.</summary>
    void OnRunFinished(RunSpec run, ResultRow row, int index, int total) { }
    /// <summary>Run <paramref name="index"/> failed with <paramref name="reason"/> (also in its folder's error.txt); the grid goes on.</summary>
    void OnRunFailed(RunSpec run, string reason, int index, int total) { }
}

/// <summary>What <see cref="ExperimentRunner.Run"/> did.</summary>
public sealed class ExperimentOutcome
{
    /// <summary>Every complete run's row, including runs finished before this call.</summary>
    public required IReadOnlyList<ResultRow> Results { get; init; }
    /// <summary>Runs trained by this call.</summary>
    public int Trained { get; init; }
    /// <summary>Runs already complete, skipped.</summary>
    public int Skipped { get; init; }
    /// <summary>Runs that failed (each with an error.txt).</summary>
    public int Failed { get; init; }
    /// <summary>The call was cancelled; the runs finished so far are kept.</summary>
    public bool Cancelled { get; init; }
}

/// <summary>
/// Runs a grid one run at a time into <c>OUTPUT/runs/RUN_ID/</c>, each through the one
/// <see cref="FitPipeline"/>. Resumable: a run folder appears whole (built beside, then swapped in,
/// see <see cref="ModelStore.Save"/>), so finished runs are skipped and a folder without
/// config.json (a failed run's error.txt) is wiped and the run restarted. results.csv and summary.csv are rebuilt from
/// the complete folders after every run and replaced atomically, so no row is ever lost or doubled.
/// </summary>
public sealed class ExperimentRunner
{
    /// <summary>The folder under the output holding one folder per run.</summary>
    public const string RunsFolder = "runs";
    /// <summary>Written into a failed run's folder: why it failed.</summary>
    public const string ErrorFile = "error.txt";

    private readonly string _output;
    private readonly IExperimentObserver _observer;
    private readonly Func<DatasetSpec, SplitDataset> _loadDataset;
    private readonly Dictionary<string, SplitDataset> _datasets = new(StringComparer.Ordinal);
    private readonly ModelCatalogue? _catalogue;

    /// <param name="loadDataset">How a dataset is opened; default <see cref="DatasetLoader"/>. Each dataset is loaded once per runner.</param>
    /// <param name="catalogue">The model kinds the run folders may hold (for results.csv); default <see cref="ModelCatalogue.Default"/>.</param>
    public ExperimentRunner(string outputDirectory, IExperimentObserver? observer = null, Func<DatasetSpec, SplitDataset>? loadDataset = null,
        ModelCatalogue? catalogue = null)
    {
        _catalogue = catalogue;
        _output = outputDirectory;
        _observer = observer ?? new NullObserver();
        _loadDataset = loadDataset ?? (spec => DatasetLoader.Load(spec.ResolvedPath, spec.Prepare));
    }

    private sealed class NullObserver : IExperimentObserver;

    /// <summary>The folder <paramref name="run"/> is saved in.</summary>
    public string RunFolder(RunSpec run) => Path.Combine(_output, RunsFolder, run.RunId);

    /// <summary>Whether <paramref name="runFolder"/> holds a finished run (its config.json is written last).</summary>
    public static bool IsComplete(string runFolder) => File.Exists(Path.Combine(runFolder, ModelStore.ConfigFile));

    /// <summary>Runs every run not already complete, in order, rebuilding results.csv and summary.csv after each; <paramref name="gridName"/> is recorded in each run's experiment.json.</summary>
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
            ModelStore.RecoverInterruptedSave(folder);
            if (IsComplete(folder)) { skipped++; _observer.OnRunSkipped(run, i, runs.Count); continue; }
            if (cancellation.IsCancellationRequested) { cancelled = true; break; }
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
                _observer.OnIncompleteRunCleaned(run, folder);
            }
            _observer.OnRunStart(run, i, runs.Count);
            var data = Dataset(run.Dataset);
            FaultInjection.Reached($"experiment: fitting {run.RunId}");
            FitResult result;
            try { result = FitPipeline.Fit(run.Kind, data, run.Settings, _observer, cancellation); }
            catch (VaeCfException e) when (!run.Kind.IsTrained)
            {
                // A closed-form fit fails for this run's own setting (memory, a lambda too small for
                // float32): the run is marked failed and the grid goes on. A network's errors are about
                // the data and would fail every run, so they stop the grid.
                Fail(run, folder, e.Message, i, runs.Count);
                failed++;
                continue;
            }
            if (result.Diverged)
            {
                // Left incomplete on purpose: the next invocation tries it again (e.g. after lowering lr).
                Fail(run, folder, result.StopReason!, i, runs.Count);
                failed++;
                continue;
            }
            if (result.Cancelled) { cancelled = true; break; }
            ModelFolder.Save(folder, result, data, run.Dataset.Path,
                new Dictionary<string, string> { [ExperimentRunInfo.FileName] = ExperimentRunInfo.Of(run, gridName).ToJson() });
            trained++;
            var rows = RebuildResults();
            FaultInjection.Reached($"experiment: results.csv rebuilt after {run.RunId}");
            _observer.OnRunFinished(run, rows.Last(r => r.RunId == run.RunId), i, runs.Count);
        }
        return new ExperimentOutcome { Results = RebuildResults(), Trained = trained, Skipped = skipped, Failed = failed, Cancelled = cancelled };
    }

    private void Fail(RunSpec run, string folder, string reason, int index, int total)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteText(Path.Combine(folder, ErrorFile), reason + "\n");
        _observer.OnRunFailed(run, reason, index, total);
    }

    /// <summary>Rewrites results.csv and summary.csv from the complete run folders.</summary>
    public List<ResultRow> RebuildResults()
    {
        var rows = ResultsCsv.FromRunFolders(Path.Combine(_output, RunsFolder), _catalogue);
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
