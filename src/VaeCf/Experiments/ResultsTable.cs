using System.Globalization;
using System.Text;
using System.Text.Json;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Experiments;

/// <summary>experiment.json: what grid run a folder holds. Written before config.json, which marks the folder complete.</summary>
public sealed record ExperimentRunInfo
{
    public const string FileName = "experiment.json";
    public required string RunId { get; init; }
    public required string ConfigId { get; init; }
    public required string Stage { get; init; }
    public required string Dataset { get; init; }
    public required string DatasetPath { get; init; }
    public string? Grid { get; init; }

    public static ExperimentRunInfo Of(RunSpec run, string? grid) => new()
    {
        RunId = run.RunId, ConfigId = run.ConfigId, Stage = run.Stage, Dataset = run.Dataset.Name, DatasetPath = run.Dataset.Path, Grid = grid,
    };

    public static ExperimentRunInfo? TryRead(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<ExperimentRunInfo>(File.ReadAllText(path), ModelManifest.Json); }
        catch (JsonException e) { throw new VaeCfException($"{path}: not a valid experiment record ({e.Message})."); }
    }

    public void Write(string runFolder) => AtomicFile.WriteText(Path.Combine(runFolder, FileName), JsonSerializer.Serialize(this, ModelManifest.Json));
}

/// <summary>
/// One row of results.csv: the seed project's columns (model, dataset, p_dims, dropout_enc,
/// dropout_dec, weight_decay, lr, lr_scheduler, lr_patience, early_stop_patience, anneal_cap,
/// batch_size, best_epoch, loss, n100, r20, r50) plus ids, seed, standard errors, validation
/// metrics, EASE's lambda and time. Test metrics are n100/r20/r50; validation ones carry a val_ prefix.
/// Baselines (ease, popularity) leave the network-only fields empty: "" for text, null for
/// integers, NaN for numbers, so no column reads as a real 0.
/// </summary>
public sealed record ResultRow
{
    public required string RunId { get; init; }
    public required string ConfigId { get; init; }
    public required string Stage { get; init; }
    public required string Model { get; init; }
    public required string Dataset { get; init; }
    /// <summary>EASE's L2 penalty; NaN for every other model.</summary>
    public double Lambda { get; init; } = double.NaN;
    /// <summary>Decoder sizes from the latent code out, '-'-joined ("200-600") so the CSV needs no quoting; "" for baselines.</summary>
    public required string PDims { get; init; }
    public required string QDims { get; init; }
    /// <summary>Input dropout (the encoder's).</summary>
    public double DropoutEnc { get; init; } = double.NaN;
    /// <summary>Hidden-layer dropout (applies to the decoder's hidden layers too).</summary>
    public double DropoutDec { get; init; } = double.NaN;
    public required string Optimizer { get; init; }
    /// <summary>The decay actually used (a model default is written out).</summary>
    public double WeightDecay { get; init; } = double.NaN;
    public double Lr { get; init; } = double.NaN;
    /// <summary>"plateau" (ReduceLROnPlateau) or "none".</summary>
    public required string LrScheduler { get; init; }
    public int? LrPatience { get; init; }
    public int? EarlyStopPatience { get; init; }
    public required string Anneal { get; init; }
    public double AnnealCap { get; init; } = double.NaN;
    public int? TotalAnnealSteps { get; init; }
    public int? BatchSize { get; init; }
    public int? Epochs { get; init; }
    public int? Seed { get; init; }
    public int? EpochsRun { get; init; }
    public int? BestEpoch { get; init; }
    public double BetaAtBest { get; init; } = double.NaN;
    /// <summary>Validation loss at the best epoch (the seed's "loss" column).</summary>
    public double Loss { get; init; } = double.NaN;
    public double TrainLoss { get; init; } = double.NaN;
    public double ValN100 { get; init; }
    public double ValR20 { get; init; }
    public double ValR50 { get; init; }
    public double N100 { get; init; }
    public double N100Se { get; init; }
    public double R20 { get; init; }
    public double R20Se { get; init; }
    public double R50 { get; init; }
    public double R50Se { get; init; }
    public double TrainSeconds { get; init; }

    /// <summary>The first decoder size: the latent dimension (the x axis of the seed's NDCG-vs-dimension figure); null for baselines.</summary>
    public int? FirstDecoderDim => PDims.Length == 0 ? null : int.Parse(PDims.Split('-')[0], CultureInfo.InvariantCulture);

    public bool IsBaseline => Model is "ease" or "popularity";

    /// <summary>A float option as its shortest text reads (0.001, not 0.00100000005): the CSV shows what was asked for.</summary>
    private static MetricEntry Metric(Dictionary<string, MetricEntry>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var m) ? m : new MetricEntry(double.NaN, double.NaN);

    private static string RunIdOf(string folder, ExperimentRunInfo? info) =>
        info?.RunId ?? ExperimentGrid.Slugify(Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)));

    private static string DatasetOf(ModelManifest manifest, ExperimentRunInfo? info) =>
        info?.Dataset ?? ExperimentGrid.Slugify(DatasetSpec.NameFromPath(manifest.Dataset?.Source ?? "data"));

    /// <summary>The columns every run has: identity, metrics and seconds; model-specific columns start empty.</summary>
    private static ResultRow Common(string folder, ModelManifest manifest, ExperimentRunInfo? info)
    {
        var test = manifest.TestMetrics;
        var validation = manifest.ValidationMetrics;
        return new ResultRow
        {
            RunId = RunIdOf(folder, info),
            ConfigId = info?.ConfigId ?? "",
            Stage = info?.Stage ?? "train",
            Model = manifest.Model,
            Dataset = DatasetOf(manifest, info),
            PDims = "",
            QDims = "",
            Optimizer = "",
            LrScheduler = "",
            Anneal = "",
            ValN100 = Metric(validation, "NDCG@100").Mean,
            ValR20 = Metric(validation, "Recall@20").Mean,
            ValR50 = Metric(validation, "Recall@50").Mean,
            N100 = Metric(test, "NDCG@100").Mean,
            N100Se = Metric(test, "NDCG@100").StandardError,
            R20 = Metric(test, "Recall@20").Mean,
            R20Se = Metric(test, "Recall@20").StandardError,
            R50 = Metric(test, "Recall@50").Mean,
            R50Se = Metric(test, "Recall@50").StandardError,
            TrainSeconds = manifest.TrainingSeconds ?? double.NaN,
        };
    }

    /// <summary>A popularity or EASE folder: metrics, lambda and fit time; no history, so every training column stays empty.</summary>
    private static ResultRow FromBaseline(string folder, ModelManifest manifest, ExperimentRunInfo? info)
    {
        double lambda = double.NaN;
        if (manifest.Model == "ease")
            lambda = manifest.Hyperparameters?.TryGetValue("lambda", out double l) == true ? AsWritten((float)l)
                : throw new VaeCfException($"{Path.Combine(folder, ModelStore.ConfigFile)}: an EASE model without its lambda.");
        return Common(folder, manifest, info) with { Lambda = lambda };
    }

    private static double AsWritten(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Reads a complete run folder (config.json, and history.csv for a network; experiment.json when the grid runner wrote it).</summary>
    public static ResultRow FromRunFolder(string folder)
    {
        var manifest = ModelStore.ReadManifest(folder);
        var info = ExperimentRunInfo.TryRead(folder);
        if (manifest.Model is "ease" or "popularity") return FromBaseline(folder, manifest, info);
        var history = HistoryCsv.Parse(Path.Combine(folder, TrainingRunStore.HistoryFile));
        var architecture = manifest.Architecture ?? throw new VaeCfException($"{folder}: config.json has no architecture (not a Mult-VAE/DAE run).");
        var training = manifest.Training ?? throw new VaeCfException($"{folder}: config.json has no training options.");
        var best = history.LastOrDefault(h => h.Epoch == manifest.BestEpoch);
        return Common(folder, manifest, info) with
        {
            Model = OptionNames.ShortName(architecture.Kind),
            PDims = string.Join("-", architecture.PDims),
            QDims = string.Join("-", architecture.EffectiveQDims),
            DropoutEnc = AsWritten(architecture.InputDropout),
            DropoutDec = AsWritten(architecture.HiddenDropout),
            Optimizer = training.Optimizer.ToString().ToLowerInvariant(),
            WeightDecay = AsWritten(training.WeightDecay ?? Trainer.DefaultWeightDecay(architecture.Kind, training.BatchSize, training.Optimizer)),
            Lr = AsWritten(training.LearningRate),
            LrScheduler = training.LrPatience > 0 ? "plateau" : "none",
            LrPatience = training.LrPatience,
            EarlyStopPatience = training.EarlyStopPatience,
            Anneal = architecture.Kind == ModelKind.MultVae ? OptionNames.Name(training.Anneal) : "none",
            AnnealCap = architecture.Kind == ModelKind.MultVae ? AsWritten(training.AnnealCap) : 0,
            TotalAnnealSteps = training.TotalAnnealSteps,
            BatchSize = training.BatchSize,
            Epochs = training.Epochs,
            Seed = training.Seed,
            EpochsRun = history.Count,
            BestEpoch = manifest.BestEpoch ?? 0,
            BetaAtBest = best is null ? double.NaN : AsWritten(best.Beta),
            Loss = best?.ValidationLoss ?? double.NaN,
            TrainLoss = best?.TrainLoss ?? double.NaN,
        };
    }
}

/// <summary>results.csv: one row per completed run, always rebuilt whole from the run folders.</summary>
public static class ResultsCsv
{
    public const string FileName = "results.csv";

    public static readonly string[] Columns =
    [
        "run_id", "config_id", "stage", "model", "dataset", "lambda", "p_dims", "q_dims", "dropout_enc", "dropout_dec", "optimizer", "weight_decay",
        "lr", "lr_scheduler", "lr_patience", "early_stop_patience", "anneal", "anneal_cap", "total_anneal_steps", "batch_size", "epochs", "seed",
        "epochs_run", "best_epoch", "beta_at_best", "loss", "train_loss", "val_n100", "val_r20", "val_r50",
        "n100", "n100_se", "r20", "r20_se", "r50", "r50_se", "train_seconds",
    ];

    public static string Header => string.Join(",", Columns);

    public static string Format(IEnumerable<ResultRow> rows)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var r in rows) text.Append(string.Join(",", Fields(r))).Append('\n');
        return text.ToString();
    }

    private static IEnumerable<string> Fields(ResultRow r)
    {
        static string D(double v) => double.IsNaN(v) ? "" : v.ToString("G9", CultureInfo.InvariantCulture);
        static string I(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
        static string S(string v) => v.Contains(',') || v.Contains('"') || v.Contains('\n') ? $"\"{v.Replace("\"", "\"\"")}\"" : v;
        return
        [
            S(r.RunId), S(r.ConfigId), S(r.Stage), S(r.Model), S(r.Dataset), D(r.Lambda), S(r.PDims), S(r.QDims), D(r.DropoutEnc), D(r.DropoutDec), S(r.Optimizer), D(r.WeightDecay),
            D(r.Lr), S(r.LrScheduler), I(r.LrPatience), I(r.EarlyStopPatience), S(r.Anneal), D(r.AnnealCap), I(r.TotalAnnealSteps), I(r.BatchSize), I(r.Epochs), I(r.Seed),
            I(r.EpochsRun), I(r.BestEpoch), D(r.BetaAtBest), D(r.Loss), D(r.TrainLoss), D(r.ValN100), D(r.ValR20), D(r.ValR50),
            D(r.N100), D(r.N100Se), D(r.R20), D(r.R20Se), D(r.R50), D(r.R50Se), D(r.TrainSeconds),
        ];
    }

    public static List<ResultRow> Parse(string path)
    {
        if (!File.Exists(path)) throw new VaeCfException($"Results file '{path}' does not exist.");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header) throw new VaeCfException($"{path}:1: not a VaeCf results file (expected header '{Header}').");
        var rows = new List<ResultRow>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var f = SplitLine(lines[i]);
            if (f.Count != Columns.Length) throw new VaeCfException($"{path}:{i + 1}: expected {Columns.Length} fields, found {f.Count}.");
            try
            {
                static double D(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
                static int? I(string s) => s.Length == 0 ? null : int.Parse(s, CultureInfo.InvariantCulture);
                rows.Add(new ResultRow
                {
                    RunId = f[0], ConfigId = f[1], Stage = f[2], Model = f[3], Dataset = f[4], Lambda = D(f[5]), PDims = f[6], QDims = f[7], DropoutEnc = D(f[8]), DropoutDec = D(f[9]),
                    Optimizer = f[10], WeightDecay = D(f[11]), Lr = D(f[12]), LrScheduler = f[13], LrPatience = I(f[14]), EarlyStopPatience = I(f[15]), Anneal = f[16],
                    AnnealCap = D(f[17]), TotalAnnealSteps = I(f[18]), BatchSize = I(f[19]), Epochs = I(f[20]), Seed = I(f[21]), EpochsRun = I(f[22]), BestEpoch = I(f[23]),
                    BetaAtBest = D(f[24]), Loss = D(f[25]), TrainLoss = D(f[26]), ValN100 = D(f[27]), ValR20 = D(f[28]), ValR50 = D(f[29]),
                    N100 = D(f[30]), N100Se = D(f[31]), R20 = D(f[32]), R20Se = D(f[33]), R50 = D(f[34]), R50Se = D(f[35]), TrainSeconds = D(f[36]),
                });
            }
            catch (FormatException) { throw new VaeCfException($"{path}:{i + 1}: a numeric field is not a number."); }
        }
        return rows;
    }

    private static List<string> SplitLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    /// <summary>
    /// Every complete run folder directly under, or at, <paramref name="directory"/>, searched two
    /// levels deep: a network's (config.json and history.csv) or a baseline's (config.json naming
    /// ease or popularity, which have no epochs and so no history).
    /// </summary>
    public static List<string> FindRunFolders(string directory)
    {
        if (!Directory.Exists(directory)) throw new VaeCfException($"Runs folder '{directory}' does not exist.");
        static bool IsRun(string d) => File.Exists(Path.Combine(d, ModelStore.ConfigFile))
            && (File.Exists(Path.Combine(d, TrainingRunStore.HistoryFile)) || ModelStore.ReadManifest(d).Model is "ease" or "popularity");
        if (IsRun(directory)) return [directory];
        var found = new List<string>();
        foreach (var child in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            if (IsRun(child)) { found.Add(child); continue; }
            found.AddRange(Directory.GetDirectories(child).Order(StringComparer.Ordinal).Where(IsRun));
        }
        return found;
    }

    /// <summary>Rows of every complete run under <paramref name="directory"/>, in the order they finished.</summary>
    public static List<ResultRow> FromRunFolders(string directory) => FindRunFolders(directory)
        .Select(folder => (Row: ResultRow.FromRunFolder(folder), Finished: File.GetLastWriteTimeUtc(Path.Combine(folder, ModelStore.ConfigFile))))
        .OrderBy(x => x.Finished).ThenBy(x => x.Row.RunId, StringComparer.Ordinal)
        .Select(x => x.Row)
        .ToList();
}

/// <summary>Mean and sample standard deviation across the seeds of one configuration.</summary>
public sealed record SeedSummary(string Stage, string ConfigId, string Model, string Dataset, double Lambda, string PDims, double AnnealCap, int Seeds,
    (double Mean, double Sd) ValN100, (double Mean, double Sd) N100, (double Mean, double Sd) R20, (double Mean, double Sd) R50)
{
    public const string FileName = "summary.csv";

    public static List<SeedSummary> Of(IEnumerable<ResultRow> rows) => rows
        .GroupBy(r => (r.Stage, r.ConfigId.Length > 0 ? r.ConfigId : r.RunId))
        .Select(g =>
        {
            var first = g.First();
            return new SeedSummary(first.Stage, g.Key.Item2, first.Model, first.Dataset, first.Lambda, first.PDims, first.AnnealCap, g.Count(),
                MeanSd(g.Select(r => r.ValN100)), MeanSd(g.Select(r => r.N100)), MeanSd(g.Select(r => r.R20)), MeanSd(g.Select(r => r.R50)));
        })
        .ToList();

    public static (double Mean, double Sd) MeanSd(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN);
        double mean = v.Average();
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return (mean, sd);
    }

    public static string Format(IEnumerable<SeedSummary> summaries)
    {
        var text = new StringBuilder("stage,config_id,model,dataset,lambda,p_dims,anneal_cap,seeds,val_n100_mean,val_n100_sd,n100_mean,n100_sd,r20_mean,r20_sd,r50_mean,r50_sd\n");
        static string D(double v) => double.IsNaN(v) ? "" : v.ToString("G9", CultureInfo.InvariantCulture);
        foreach (var s in summaries)
            text.Append(string.Join(",", s.Stage, s.ConfigId, s.Model, s.Dataset, D(s.Lambda), s.PDims, D(s.AnnealCap), s.Seeds.ToString(CultureInfo.InvariantCulture),
                D(s.ValN100.Mean), D(s.ValN100.Sd), D(s.N100.Mean), D(s.N100.Sd), D(s.R20.Mean), D(s.R20.Sd), D(s.R50.Mean), D(s.R50.Sd))).Append('\n');
        return text.ToString();
    }
}
