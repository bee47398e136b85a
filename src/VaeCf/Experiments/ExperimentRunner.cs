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
/// Runs a grid one run at a time into <c>OUTPUT/runs/RUN_ID/</c>, each through the one
/// <see cref="FitPipeline"/>. Resumable: a run folder appears whole (built beside, then swapped in,
/// see <see cref="ModelStore.Save"/>), so finished runs are skipped and a folder without
/// config.json (a failed run's error.txt) is wiped and the run restarted. results.csv and summary.csv are rebuilt from
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
