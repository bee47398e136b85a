using System.Text.Json;
using System.Text.Json.Serialization;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Persistence;

/// <summary>
/// What config.json says about a saved model, in memory: everything but the weights. On disk it is
/// a <see cref="ManifestDocument"/>, which fixes the field names and values.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>config.json's "format" value, which marks a VaeCf model folder.</summary>
    public const string FormatName = "vaecf-model";
    /// <summary>2 added <see cref="Files"/>, the checksums verified on load; version 1 files are still read.</summary>
    public const int CurrentVersion = 2;
    /// <summary>Always <see cref="FormatName"/>.</summary>
    public string Format { get; init; } = FormatName;
    /// <summary>The version the file was written in (<see cref="CurrentVersion"/> for a new manifest).</summary>
    public int Version { get; init; } = CurrentVersion;
    /// <summary>"mult-vae", "mult-dae", "ease" or "popularity".</summary>
    public required string Model { get; init; }
    /// <summary>A network's sizes and dropout; null for closed-form kinds.</summary>
    public ModelConfig? Architecture { get; init; }
    /// <summary>The training options the fit used (the kind's defaults filled in); null for closed-form kinds.</summary>
    public TrainingOptions? Training { get; init; }
    /// <summary>The kind's declared options by key (EASE: lambda; RecVAE: gamma, passes, layers).</summary>
    public Dictionary<string, double>? Hyperparameters { get; init; }
    /// <summary>Original item IDs; column j of every weight matrix's item axis is Items[j].</summary>
    public required string[] Items { get; init; }
    /// <summary>The training data's source, fingerprint and sizes, to warn when a model meets other data.</summary>
    public DatasetInfo? Dataset { get; init; }
    /// <summary>The epoch whose weights were saved (best validation NDCG@100).</summary>
    public int? BestEpoch { get; init; }
    /// <summary>Validation metrics at training time, by name ("NDCG@100").</summary>
    public Dictionary<string, MetricEntry>? ValidationMetrics { get; init; }
    /// <summary>Test metrics at training time, by name.</summary>
    public Dictionary<string, MetricEntry>? TestMetrics { get; init; }
    /// <summary>Wall-clock seconds of the fit.</summary>
    public double? TrainingSeconds { get; init; }
    /// <summary>When the model was saved.</summary>
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    /// <summary>Free text, kept as given.</summary>
    public string? Notes { get; init; }
    /// <summary>SHA-256 of each file of the folder besides config.json; null in version 1 folders, which carry none.</summary>
    public Dictionary<string, string>? Files { get; init; }

    /// <summary><paramref name="result"/>'s metrics as config.json stores them; null for null.</summary>
    public static Dictionary<string, MetricEntry>? Metrics(EvaluationResult? result) =>
        result?.Metrics.ToDictionary(kv => kv.Key.Name, kv => new MetricEntry(kv.Value.Mean, kv.Value.StandardError));

    /// <summary>The JSON settings of VaeCf's files (snake_case names and enum values, indented).</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
