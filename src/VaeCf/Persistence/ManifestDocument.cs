using System.Text.Json.Serialization;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Persistence;

/// <summary>
/// config.json exactly as it lies on disk. The in-memory records (<see cref="ModelConfig"/>,
/// <see cref="TrainingOptions"/>) are mapped field by field, so renaming a C# property or enum
/// member cannot change the file format; the names and values here are the format.
/// Version 1 files (no <see cref="Files"/>) and version 2 files read alike.
/// </summary>
public sealed class ManifestDocument
{
    public string? Format { get; set; }
    public int Version { get; set; }
    public string? Model { get; set; }
    public ArchitectureSection? Architecture { get; set; }
    public TrainingSection? Training { get; set; }
    public Dictionary<string, double>? Hyperparameters { get; set; }
    public string[]? Items { get; set; }
    public DatasetInfo? Dataset { get; set; }
    public int? BestEpoch { get; set; }
    public Dictionary<string, MetricEntry>? ValidationMetrics { get; set; }
    public Dictionary<string, MetricEntry>? TestMetrics { get; set; }
    public double? TrainingSeconds { get; set; }
    public DateTime CreatedUtc { get; set; }
    public string? Notes { get; set; }
    /// <summary>Version 2: SHA-256 (lower-case hex) of every other file of the folder, by file name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Files { get; set; }

    public static ManifestDocument From(ModelManifest m) => new()
    {
        Format = m.Format,
        Version = ModelManifest.CurrentVersion,
        Model = m.Model,
        Architecture = m.Architecture is { } a ? ArchitectureSection.From(a) : null,
        Training = m.Training is { } t ? TrainingSection.From(t) : null,
        Hyperparameters = m.Hyperparameters,
        Items = m.Items,
        Dataset = m.Dataset,
        BestEpoch = m.BestEpoch,
        ValidationMetrics = m.ValidationMetrics,
        TestMetrics = m.TestMetrics,
        TrainingSeconds = m.TrainingSeconds,
        CreatedUtc = m.CreatedUtc,
        Notes = m.Notes,
        Files = m.Files,
    };

    /// <param name="path">Named in errors.</param>
    public ModelManifest ToManifest(string path)
    {
        if (Format != ModelManifest.FormatName) throw new VaeCfException($"{path}: not a VaeCf model config (format is '{Format}', expected '{ModelManifest.FormatName}').");
        if (Version is < 1 or > ModelManifest.CurrentVersion)
            throw new VaeCfException($"{path}: model format version {Version} is not one this VaeCf reads (1 to {ModelManifest.CurrentVersion}); a newer VaeCf wrote it.");
        if (string.IsNullOrEmpty(Model)) throw new VaeCfException($"{path}: 'model' is missing.");
        if (Items is null) throw new VaeCfException($"{path}: 'items' is missing.");
        if (Items.Any(i => i is null)) throw new VaeCfException($"{path}: 'items' holds a null entry.");
        if (Version >= 2 && Files is null) throw new VaeCfException($"{path}: a version {Version} config must list the checksums of its files ('files').");
        return new ModelManifest
        {
            Format = Format,
            Version = Version,
            Model = Model,
            Architecture = Architecture?.ToConfig(path),
            Training = Training?.ToOptions(path),
            Hyperparameters = Hyperparameters,
            Items = Items,
            Dataset = Dataset,
            BestEpoch = BestEpoch,
            ValidationMetrics = ValidationMetrics,
            TestMetrics = TestMetrics,
            TrainingSeconds = TrainingSeconds,
            CreatedUtc = CreatedUtc,
            Notes = Notes,
            Files = Files,
        };
    }
}

/// <summary>The "architecture" section: a Mult-VAE/DAE's sizes and dropout.</summary>
public sealed class ArchitectureSection
{
    public string? Kind { get; set; }
    public int ItemCount { get; set; }
    public int[]? PDims { get; set; }
    public int[]? QDims { get; set; }
    public float InputDropout { get; set; }
    public float HiddenDropout { get; set; }

    private static readonly EnumText<ModelKind> Kinds = new("architecture.kind", (ModelKind.MultVae, "mult_vae"), (ModelKind.MultDae, "mult_dae"));

    public static ArchitectureSection From(ModelConfig c) => new()
    {
        Kind = Kinds.Text(c.Kind), ItemCount = c.ItemCount, PDims = c.PDims, QDims = c.QDims, InputDropout = c.InputDropout, HiddenDropout = c.HiddenDropout,
    };

    public ModelConfig ToConfig(string path) => new()
    {
        Kind = Kinds.Parse(Kind, path),
        ItemCount = ItemCount,
        PDims = PDims ?? throw new VaeCfException($"{path}: 'architecture.p_dims' is missing."),
        QDims = QDims,
        InputDropout = InputDropout,
        HiddenDropout = HiddenDropout,
    };
}

/// <summary>The "training" section: every <see cref="TrainingOptions"/> field under its file name.</summary>
public sealed class TrainingSection
{
    public string? Optimizer { get; set; }
    public float LearningRate { get; set; }
    public float? WeightDecay { get; set; }
    public int BatchSize { get; set; }
    public int Epochs { get; set; }
    public string? Anneal { get; set; }
    public float AnnealCap { get; set; }
    public int TotalAnnealSteps { get; set; }
    public int LrPatience { get; set; }
    public float LrFactor { get; set; }
    public string? LrMonitor { get; set; }
    public int EarlyStopPatience { get; set; }
    public string? EarlyStopMonitor { get; set; }
    public int EvaluateEvery { get; set; }
    public int EvaluationBatchSize { get; set; }
    public int Seed { get; set; }
    public int Threads { get; set; }

    private static readonly EnumText<OptimizerKind> Optimizers = new("training.optimizer", (OptimizerKind.Adam, "adam"), (OptimizerKind.AdamW, "adam_w"));
    private static readonly EnumText<AnnealSchedule> Schedules = new("training.anneal",
        (AnnealSchedule.Paper, "paper"), (AnnealSchedule.Seed85, "seed85"), (AnnealSchedule.Constant, "constant"));
    private static readonly EnumText<MonitoredMetric> Monitors = new("training monitor", (MonitoredMetric.Ndcg, "ndcg"), (MonitoredMetric.Loss, "loss"));

    public static TrainingSection From(TrainingOptions o) => new()
    {
        Optimizer = Optimizers.Text(o.Optimizer), LearningRate = o.LearningRate, WeightDecay = o.WeightDecay, BatchSize = o.BatchSize, Epochs = o.Epochs,
        Anneal = Schedules.Text(o.Anneal), AnnealCap = o.AnnealCap, TotalAnnealSteps = o.TotalAnnealSteps, LrPatience = o.LrPatience, LrFactor = o.LrFactor,
        LrMonitor = Monitors.Text(o.LrMonitor), EarlyStopPatience = o.EarlyStopPatience, EarlyStopMonitor = Monitors.Text(o.EarlyStopMonitor),
        EvaluateEvery = o.EvaluateEvery, EvaluationBatchSize = o.EvaluationBatchSize, Seed = o.Seed, Threads = o.Threads,
    };

    public TrainingOptions ToOptions(string path) => new()
    {
        Optimizer = Optimizers.Parse(Optimizer, path), LearningRate = LearningRate, WeightDecay = WeightDecay, BatchSize = BatchSize, Epochs = Epochs,
        Anneal = Schedules.Parse(Anneal, path), AnnealCap = AnnealCap, TotalAnnealSteps = TotalAnnealSteps, LrPatience = LrPatience, LrFactor = LrFactor,
        LrMonitor = Monitors.Parse(LrMonitor, path), EarlyStopPatience = EarlyStopPatience, EarlyStopMonitor = Monitors.Parse(EarlyStopMonitor, path),
        EvaluateEvery = EvaluateEvery, EvaluationBatchSize = EvaluationBatchSize, Seed = Seed, Threads = Threads,
    };
}

/// <summary>The fixed text of each enum value in config.json, both ways.</summary>
internal sealed class EnumText<T>(string field, params (T Value, string Text)[] pairs) where T : struct, Enum
{
    public string Text(T value) => pairs.First(p => p.Value.Equals(value)).Text;

    public T Parse(string? text, string path)
    {
        foreach (var (value, name) in pairs) if (name == text) return value;
        throw new VaeCfException($"{path}: '{field}' is '{text}', expected one of {string.Join(", ", pairs.Select(p => p.Text))}.");
    }
}
