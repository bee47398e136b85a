using System.Globalization;
using VaeCf.Catalogue;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Experiments;

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
    /// <summary>The run's folder name.</summary>
    public required string RunId { get; init; }
    /// <summary>Shared by runs that differ only by seed: <see cref="SeedSummary"/> groups by it.</summary>
    public required string ConfigId { get; init; }
    /// <summary>The grid stage.</summary>
    public required string Stage { get; init; }
    /// <summary>The kind's short name ("vae", "ease").</summary>
    public required string Model { get; init; }
    /// <summary>The dataset's name.</summary>
    public required string Dataset { get; init; }
    /// <summary>EASE's L2 penalty; NaN for every other model.</summary>
    public double Lambda { get; init; } = double.NaN;
    /// <summary>Decoder sizes from the latent code out, '-'-joined ("200-600") so the CSV needs no quoting; "" for baselines.</summary>
    public required string PDims { get; init; }
    /// <summary>Encoder sizes from the input in, '-'-joined; "" for baselines.</summary>
    public required string QDims { get; init; }
    /// <summary>Input dropout (the encoder's).</summary>
    public double DropoutEnc { get; init; } = double.NaN;
    /// <summary>Hidden-layer dropout (applies to the decoder's hidden layers too).</summary>
    public double DropoutDec { get; init; } = double.NaN;
    /// <summary>"adam" or "adamw"; "" for baselines.</summary>
    public required string Optimizer { get; init; }
    /// <summary>The decay actually used (a model default is written out).</summary>
    public double WeightDecay { get; init; } = double.NaN;
    /// <summary>Learning rate.</summary>
    public double Lr { get; init; } = double.NaN;
    /// <summary>"plateau" (ReduceLROnPlateau) or "none".</summary>
    public required string LrScheduler { get; init; }
    /// <summary>ReduceLROnPlateau patience (0: off).</summary>
    public int? LrPatience { get; init; }
    /// <summary>Early-stopping patience (0: off).</summary>
    public int? EarlyStopPatience { get; init; }
    /// <summary>Beta schedule: "paper", "seed85" or "constant"; "" for baselines.</summary>
    public required string Anneal { get; init; }
    /// <summary>Largest beta.</summary>
    public double AnnealCap { get; init; } = double.NaN;
    /// <summary>Updates for beta to reach 1 under the paper's schedule.</summary>
    public int? TotalAnnealSteps { get; init; }
    /// <summary>Users per batch.</summary>
    public int? BatchSize { get; init; }
    /// <summary>Epochs asked for.</summary>
    public int? Epochs { get; init; }
    /// <summary>Training seed.</summary>
    public int? Seed { get; init; }
    /// <summary>Epochs actually run (fewer after early stopping or cancellation).</summary>
    public int? EpochsRun { get; init; }
    /// <summary>The epoch of best validation NDCG@100, whose model was saved and tested.</summary>
    public int? BestEpoch { get; init; }
    /// <summary>Beta at <see cref="BestEpoch"/>.</summary>
    public double BetaAtBest { get; init; } = double.NaN;
    /// <summary>Validation loss at the best epoch (the seed's "loss" column).</summary>
    public double Loss { get; init; } = double.NaN;
    /// <summary>Training loss at the best epoch.</summary>
    public double TrainLoss { get; init; } = double.NaN;
    /// <summary>Validation NDCG@100.</summary>
    public double ValN100 { get; init; }
    /// <summary>Validation Recall@20.</summary>
    public double ValR20 { get; init; }
    /// <summary>Validation Recall@50.</summary>
    public double ValR50 { get; init; }
    /// <summary>Test NDCG@100.</summary>
    public double N100 { get; init; }
    /// <summary>Standard error of <see cref="N100"/> over the test users.</summary>
    public double N100Se { get; init; }
    /// <summary>Test Recall@20.</summary>
    public double R20 { get; init; }
    /// <summary>Standard error of <see cref="R20"/> over the test users.</summary>
    public double R20Se { get; init; }
    /// <summary>Test Recall@50.</summary>
    public double R50 { get; init; }
    /// <summary>Standard error of <see cref="R50"/> over the test users.</summary>
    public double R50Se { get; init; }
    /// <summary>Wall-clock seconds of the fit.</summary>
    public double TrainSeconds { get; init; }

    /// <summary>The first decoder size: the latent dimension (the x axis of the seed's NDCG-vs-dimension figure); null for baselines.</summary>
    public int? FirstDecoderDim => PDims.Length == 0 ? null : int.Parse(PDims.Split('-')[0], CultureInfo.InvariantCulture);

    /// <summary>A closed-form kind's row (EASE, popularity): the network columns are empty.</summary>
    public bool IsBaseline => ModelCatalogue.Default.Find(Model) is { IsTrained: false };

    /// <summary>A float option as its shortest text reads (0.001, not 0.00100000005): the CSV shows what was asked for.</summary>
    private static MetricEntry Metric(Dictionary<string, MetricEntry>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var m) ? m : new MetricEntry(double.NaN, double.NaN);

    private static string RunIdOf(string folder, ExperimentRunInfo? info) =>
        info?.RunId ?? ExperimentGrid.Slugify(Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)));

    private static string DatasetOf(ModelManifest manifest, ExperimentRunInfo? info) =>
        info?.Dataset ?? ExperimentGrid.Slugify(DatasetSpec.NameFromPath(manifest.Dataset?.Source ?? "data"));

    /// <summary>The columns every run has: identity, metrics and seconds; model-specific columns start empty.</summary>
    private static ResultRow Common(string folder, ModelManifest manifest, ModelDefinition kind, ExperimentRunInfo? info)
    {
        var test = manifest.TestMetrics;
        var validation = manifest.ValidationMetrics;
        return new ResultRow
        {
            RunId = RunIdOf(folder, info),
            ConfigId = info?.ConfigId ?? "",
            Stage = info?.Stage ?? "train",
            Model = kind.ShortName,
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

    /// <summary>The columns a declared option of the same key fills (e.g. EASE's lambda); other declared options live in config.json only.</summary>
    private static readonly Dictionary<string, Func<ResultRow, double, ResultRow>> OptionColumns = new(StringComparer.Ordinal)
    {
        ["lambda"] = (r, v) => r with { Lambda = AsWritten((float)v) },
        ["dropout"] = (r, v) => r with { DropoutEnc = AsWritten((float)v) },
        ["hidden_dropout"] = (r, v) => r with { DropoutDec = AsWritten((float)v) },
        ["weight_decay"] = (r, v) => r with { WeightDecay = AsWritten((float)v) },
        ["lr"] = (r, v) => r with { Lr = AsWritten((float)v) },
        ["anneal_cap"] = (r, v) => r with { AnnealCap = AsWritten((float)v) },
        ["lr_patience"] = (r, v) => r with { LrPatience = (int)v },
        ["early_stop_patience"] = (r, v) => r with { EarlyStopPatience = (int)v },
        ["total_anneal_steps"] = (r, v) => r with { TotalAnnealSteps = (int)v },
        ["batch_size"] = (r, v) => r with { BatchSize = (int)v },
        ["epochs"] = (r, v) => r with { Epochs = (int)v },
        ["seed"] = (r, v) => r with { Seed = (int)v },
    };

    /// <summary>
    /// A folder of a kind described by its declared options (popularity, EASE, and any kind outside
    /// the Mult-VAE/DAE family): metrics, fit time, and each declared option's value from config.json's
    /// "hyperparameters" in the column of the same name. A trained one adds its seed and, from
    /// history.csv when it has one, the epochs run and the best epoch's losses.
    /// </summary>
    private static ResultRow FromDeclared(string folder, ModelManifest manifest, ModelDefinition kind, ExperimentRunInfo? info)
    {
        var row = Common(folder, manifest, kind, info);
        foreach (var option in kind.Options)
        {
            if (manifest.Hyperparameters?.TryGetValue(option.Key, out double value) != true)
                throw new VaeCfException($"{Path.Combine(folder, ModelStore.ConfigFile)}: an {kind.DisplayName} model without its {option.Key}.");
            if (OptionColumns.TryGetValue(option.Key, out var set)) row = set(row, value);
        }
        if (!kind.IsTrained) return row;
        if (row.Seed is null && manifest.Training is { } training) row = row with { Seed = training.Seed };
        string historyPath = Path.Combine(folder, ModelStore.HistoryFile);
        if (!File.Exists(historyPath)) return row with { BestEpoch = manifest.BestEpoch };
        var history = HistoryCsv.Parse(historyPath);
        var best = history.LastOrDefault(h => h.Epoch == manifest.BestEpoch);
        return row with
        {
            EpochsRun = history.Count,
            BestEpoch = manifest.BestEpoch ?? 0,
            BetaAtBest = best is null ? double.NaN : AsWritten(best.Beta),
            Loss = best?.ValidationLoss ?? double.NaN,
            TrainLoss = best?.TrainLoss ?? double.NaN,
        };
    }

    private static double AsWritten(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Reads a complete run folder (config.json, and history.csv for a network; experiment.json when the grid runner wrote it).</summary>
    /// <param name="catalogue">The model kinds the folder may hold; default <see cref="ModelCatalogue.Default"/>.</param>
    public static ResultRow FromRunFolder(string folder, ModelCatalogue? catalogue = null)
    {
        var manifest = ModelStore.ReadManifest(folder);
        var info = ExperimentRunInfo.TryRead(folder);
        var kind = (catalogue ?? ModelCatalogue.Default).ForManifest(manifest.Model, Path.Combine(folder, ModelStore.ConfigFile));
        if (!kind.IsTrained || kind.DefaultArchitecture is null) return FromDeclared(folder, manifest, kind, info);
        var history = HistoryCsv.Parse(Path.Combine(folder, ModelStore.HistoryFile));
        var architecture = manifest.Architecture ?? throw new VaeCfException($"{folder}: config.json has no architecture (not a Mult-VAE/DAE run).");
        var training = manifest.Training ?? throw new VaeCfException($"{folder}: config.json has no training options.");
        var best = history.LastOrDefault(h => h.Epoch == manifest.BestEpoch);
        return Common(folder, manifest, kind, info) with
        {
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
