using System.Diagnostics;
using VaeCf.Catalogue;
using VaeCf.Experiments;
using VaeCf.Persistence;

namespace VaeCf.Tests;

/// <summary>
/// The built CLI, run as a child process, is SIGKILLed inside a save: at each step where
/// <see cref="FaultInjection"/> lets it pause (the child writes a marker file and blocks; the test
/// waits for the marker, not for a clock). Afterwards the model folder must load as the old model
/// or the new one, whole, and the next save must tidy whatever the kill left beside it; a grid
/// killed anywhere must resume to the same runs with no row lost or doubled.
/// </summary>
[Collection(ConsoleOutput.Name)]
public class CrashSafetyTests
{
    private static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "VaeCf.Cli.dll");
    /// <summary>A bound on one child's run, only so a broken child fails the test instead of hanging it.</summary>
    private static readonly TimeSpan ChildLimit = TimeSpan.FromMinutes(3);

    private sealed record ChildOutcome(int? ExitCode, string? PausedAt, string Output);

    /// <summary>
    /// Runs the CLI with <paramref name="fault"/> (e.g. "pause:3"); with a pause, kills it as soon
    /// as it reports the step and returns that step's name.
    /// </summary>
    private static ChildOutcome RunChild(string fault, string marker, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        File.Delete(marker);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment[FaultInjection.Variable] = $"{fault}:{marker}";
        start.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var child = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        child.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        child.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        var limit = Stopwatch.StartNew();
        bool pausing = fault.StartsWith("pause", StringComparison.Ordinal);
        while (!child.HasExited)
        {
            if (pausing && File.Exists(marker))
            {
                child.Kill(entireProcessTree: true); // SIGKILL: no handler, no finally block runs
                child.WaitForExit();
                return new ChildOutcome(null, File.ReadAllText(marker).Trim(), output.ToString());
            }
            if (limit.Elapsed > ChildLimit)
            {
                child.Kill(entireProcessTree: true);
                Assert.Fail($"The child did not reach its fault point within {ChildLimit}: {output}");
            }
            Thread.Sleep(10);
        }
        child.WaitForExit();
        return new ChildOutcome(child.ExitCode, null, output.ToString());
    }

    private static string[] Steps(string logFile) => File.ReadAllLines(logFile).Where(l => l.Length > 0).ToArray();

    /// <summary>Hidden siblings a save builds or moves aside (".NAME.partial-*", ".NAME.old-*").</summary>
    private static string[] Leftovers(string folder) =>
        Directory.GetFileSystemEntries(Path.GetDirectoryName(Path.GetFullPath(folder))!, $".{Path.GetFileName(folder)}.*");

    private static string[] TrainArgs(string ratings, string output, int trainSeed) =>
        ["train", "--data", ratings, "--heldout-users", "10", "--kind", "dae", "--p-dims", "8", "--epochs", "2", "--batch-size", "32",
         "--threads", "1", "--train-seed", $"{trainSeed}", "--output", output, "--overwrite", "--no-example"];

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    [Fact]
    public void TrainKilledAtEveryStepOfItsSaveLeavesTheOldModelOrTheNewOneNeverAMix()
    {
        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        string marker = files.PathOf("marker.txt");

        // The old model (train seed 1), kept aside as the state every killed save starts from.
        string oldModel = files.PathOf("old-model");
        Assert.Equal(0, ExperimentFixtures.RunCli(TrainArgs(ratings, oldModel, 1)));
        var old = ModelStore.ReadManifest(oldModel);

        // One uninterrupted save over it, logging its steps, gives the new model and the kill points.
        string folder = files.PathOf("models/model");
        CopyFolder(oldModel, folder);
        string log = files.PathOf("steps.txt");
        Assert.Equal(0, RunChild("log:0", log, null, TrainArgs(ratings, folder, 2)).ExitCode);
        var fresh = ModelStore.ReadManifest(folder);
        Assert.NotEqual(old.Files![ModelStore.WeightsFile], fresh.Files![ModelStore.WeightsFile]);
        var steps = Steps(log);
        Assert.Contains("save: old folder moved aside", steps);
        Assert.Contains("save: new folder moved in", steps);

        var seen = new HashSet<string>();
        for (int step = 1; step <= steps.Length; step++)
        {
            Directory.Delete(folder, recursive: true);
            CopyFolder(oldModel, folder);
            var killed = RunChild($"pause:{step}", marker, null, TrainArgs(ratings, folder, 2));
            Assert.True(killed.PausedAt is not null, $"step {step} was never reached: {killed.Output}");

            // The folder as a reader finds it: checksums verified, the weights wholly one save's.
            var (_, manifest) = ModelFolder.Load(folder);
            string weights = manifest.Files![ModelStore.WeightsFile];
            if (weights == old.Files[ModelStore.WeightsFile])
            {
                Assert.Equal(1, manifest.Training!.Seed);
                Assert.Equal(old.Files, manifest.Files);
                seen.Add("old");
            }
            else
            {
                Assert.Equal(fresh.Files[ModelStore.WeightsFile], weights);
                Assert.Equal(2, manifest.Training!.Seed);
                seen.Add("new");
            }

            // The next save (without --overwrite it must still see the model that is there) tidies up.
            string[] noOverwrite = TrainArgs(ratings, folder, 3)[..^2];
            Assert.Equal(2, ExperimentFixtures.RunCli([.. noOverwrite, "--no-example"]));
            Assert.True(ModelStore.IsComplete(folder), $"after a kill at '{killed.PausedAt}' the model was not put back in place");
            Assert.Empty(Leftovers(folder));
            Assert.Equal(0, ExperimentFixtures.RunCli(TrainArgs(ratings, folder, 3)));
            Assert.Equal(3, ModelStore.ReadManifest(folder).Training!.Seed);
            Assert.Empty(Leftovers(folder));
        }
        Assert.Equal(["new", "old"], seen.Order());
    }

    [Fact]
    public void AGridKilledAtRandomStepsResumesEveryRunOnceWithItsRowsIntact()
    {
        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        string grid = files.Write("grid.yaml", $"""
            name: crash
            datasets:
              - path: {ratings}
                heldout_users: 10
            epochs: 2
            batch_size: 32
            threads: 1
            grids:
              - name: dae
                model: dae
                p_dims: [[4], [8]]
              - name: ease
                model: ease
                lambda: 100
            """);
        string marker = files.PathOf("marker.txt");
        string log = files.PathOf("steps.txt");
        string reference = files.PathOf("reference");
        Assert.Equal(0, RunChild("log:0", log, null, "experiment", "--grid", grid, "--output", reference).ExitCode);
        var steps = Steps(log);
        var expected = ResultsCsv.FromRunFolders(Path.Combine(reference, ExperimentRunner.RunsFolder)).Select(r => r.RunId).Order().ToList();
        Assert.Equal(3, expected.Count);

        var random = new Random(20261130);
        foreach (int step in Enumerable.Range(1, steps.Length).OrderBy(_ => random.Next()).Take(5))
        {
            string output = files.PathOf($"killed-{step}");
            var killed = RunChild($"pause:{step}", marker, null, "experiment", "--grid", grid, "--output", output);
            Assert.True(killed.PausedAt is not null, $"step {step} was never reached: {killed.Output}");

            // Each run is complete (loads, checksums verified) or has no config.json; rows only name complete runs.
            string runs = Path.Combine(output, ExperimentRunner.RunsFolder);
            var complete = Directory.GetDirectories(runs).Where(d => !Path.GetFileName(d).StartsWith('.') && ExperimentRunner.IsComplete(d)).ToList();
            foreach (var run in complete) ModelFolder.Load(run);
            var weightsBefore = complete.ToDictionary(run => Path.GetFileName(run)!, run => ModelStore.Sha256(Path.Combine(run, ModelStore.WeightsFile)));
            string results = Path.Combine(output, ResultsCsv.FileName);
            if (File.Exists(results))
                Assert.All(File.ReadAllLines(results).Skip(1).Where(l => l.Length > 0), row => Assert.Contains(weightsBefore.Keys, id => row.Contains(id)));

            // Resuming finishes the grid: finished runs are kept as they were, each run appears once.
            Assert.Equal(0, ExperimentFixtures.RunCli("experiment", "--grid", grid, "--output", output));
            var rows = ResultsCsv.FromRunFolders(runs).Select(r => r.RunId).ToList();
            Assert.Equal(expected, rows.Order().ToList());
            Assert.Equal(expected.Count, File.ReadAllLines(results).Skip(1).Count(l => l.Length > 0));
            foreach (var (id, sha) in weightsBefore) Assert.Equal(sha, ModelStore.Sha256(Path.Combine(runs, id, ModelStore.WeightsFile)));
            Assert.Empty(Directory.GetFileSystemEntries(runs, ".*"));
        }
    }

    [Fact]
    public void ASaveThatFailsAfterTrainingPrintsTheMetricsAndSavesToAFallbackFolder()
    {
        using var files = new DataTestFiles();
        string ratings = ExperimentFixtures.WriteRatings(files);
        string temp = Directory.CreateDirectory(files.PathOf("tmp")).FullName;
        string output = files.PathOf("model");
        // Step 1 is the first save's first step: the disk "fills" just as the trained model is written.
        var run = RunChild("fail:1", files.PathOf("unused"), new Dictionary<string, string> { ["TMPDIR"] = temp }, TrainArgs(ratings, output, 1));

        Assert.Equal(2, run.ExitCode);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Leftovers(output));
        string rescued = Assert.Single(Directory.GetDirectories(temp, "vaecf-rescued-dae-*"));
        var (_, manifest) = ModelFolder.Load(rescued);
        Assert.Equal("mult-dae", manifest.Model);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(rescued, ModelStore.HistoryFile)).Length - 1);
        string text = run.Output.Replace("\n", " ");
        Assert.Contains("could not save the model", text);
        Assert.Contains("injected fault", text);
        // A redirected console wraps at 80 columns, possibly inside the path.
        Assert.Contains($"saved it to {rescued} instead", run.Output.Replace("\n", ""));
        Assert.Contains("NDCG@100", text);
        Assert.Contains(manifest.TestMetrics!["NDCG@100"].Mean.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), text);
    }
}
