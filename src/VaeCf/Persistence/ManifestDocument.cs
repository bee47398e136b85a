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
    /// <summary>"format": always "vaecf-model".</summary>
    public string? Format { get; set; }
    /// <summary>"version": 1 or 2.</summary>
    public int Version { get; set; }
    /// <summary>"model": the kind's name, e.g. "mult-vae".</summary>
    public string? Model { get; set; }
    /// <summary>"architecture": a network's sizes; null for closed-form kinds.</summary>
    public ArchitectureSection? Architecture { get; set; }
    /// <summary>"training": the training options used; null for closed-form kinds.</summary>
    public TrainingSection? Training { get; set; }
    /// <summary>"hyperparameters": the kind's own options by key (EASE: lambda).</summary>
    public Dictionary<string, double>? Hyperparameters { get; set; }
    /// <summary>"items": original item IDs in column order.</summary>
    public string[]? Items { get; set; }
    /// <summary>"dataset": what the model was trained on.</summary>
    public DatasetInfo? Dataset { get; set; }
    /// <summary>"best_epoch".</summary>
    public int? BestEpoch { get; set; }
    /// <summary>"validation_metrics" by metric name ("NDCG@100").</summary>
    public Dictionary<string, MetricEntry>? ValidationMetrics { get; set; }
    /// <summary>"test_metrics" by metric name.</summary>
    public Dictionary<string, MetricEntry>? TestMetrics { get; set; }
    /// <summary>"training_seconds".</summary>
    public double? TrainingSeconds { get; set; }
    /// <summary>"created_utc".</summary>
    public DateTime CreatedUtc { get; set; }
    /// <summary>"notes": free text.</summary>
    public string? Notes { get; set; }
    /// <summary>Version 2: SHA-256 (lower-case hex) of every other file of the folder, by file name.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, string>? Files { get; set; }

    /// <summary>The document for <paramref name="m"/>, field by field.</summary>
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
