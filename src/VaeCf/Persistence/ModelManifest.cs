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
    public const string FormatName = "vaecf-model";
    /// <summary>2 added <see cref="Files"/>, the checksums verified on load; version 1 files are still read.</summary>
    public const int CurrentVersion = 2;
    public string Format { get; init; } = FormatName;
    /// <summary>The version the file was written in (<see cref="CurrentVersion"/> for a new manifest).</summary>
    public int Version { get; init; } = CurrentVersion;
    /// <summary>"mult-vae", "mult-dae", "ease" or "popularity".</summary>
    public required string Model { get; init; }
    public ModelConfig? Architecture { get; init; }
    public TrainingOptions? Training { get; init; }
    public Dictionary<string, double>? Hyperparameters { get; init; }
    /// <summary>Original item IDs; column j of every weight matrix's item axis is Items[j].</summary>
    public required string[] Items { get; init; }
    public DatasetInfo? Dataset { get; init; }
    public int? BestEpoch { get; init; }
    public Dictionary<string, MetricEntry>? ValidationMetrics { get; init; }
    public Dictionary<string, MetricEntry>? TestMetrics { get; init; }
    public double? TrainingSeconds { get; init; }
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    public string? Notes { get; init; }
    /// <summary>SHA-256 of each file of the folder besides config.json; null in version 1 folders, which carry none.</summary>
    public Dictionary<string, string>? Files { get; init; }

    public static Dictionary<string, MetricEntry>? Metrics(EvaluationResult? result) =>
        result?.Metrics.ToDictionary(kv => kv.Key.Name, kv => new MetricEntry(kv.Value.Mean, kv.Value.StandardError));

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
