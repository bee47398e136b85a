using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Persistence;

/// <summary>Metric mean and standard error as stored in config.json.</summary>
public sealed record MetricEntry(double Mean, double StandardError);

/// <summary>What data a model was trained on, so a mismatch can be noticed later.</summary>
public sealed record DatasetInfo
{
    public string? Source { get; init; }
    public string Fingerprint { get; init; } = "";
    public int TrainUsers { get; init; }
    public int ValidationUsers { get; init; }
    public int TestUsers { get; init; }
    public int Items { get; init; }
    public long TrainInteractions { get; init; }

    public static DatasetInfo Describe(SplitDataset data, string? source) => new()
    {
        Source = source,
        Fingerprint = ComputeFingerprint(data),
        TrainUsers = data.Train.Rows,
        ValidationUsers = data.Validation.UserCount,
        TestUsers = data.Test.UserCount,
        Items = data.ItemCount,
        TrainInteractions = data.Train.NonZeros,
    };

    /// <summary>SHA-256 over the item vocabulary and the training matrix, shortened to 16 hex digits.</summary>
    public static string ComputeFingerprint(SplitDataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in data.ItemIds) { hash.AppendData(System.Text.Encoding.UTF8.GetBytes(id)); hash.AppendData([0]); }
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Train.RowPointers.AsSpan()));
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Train.ColumnIndices.AsSpan()));
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}

/// <summary>config.json of a saved model: everything but the weights, readable by any JSON parser.</summary>
public sealed record ModelManifest
{
    public const string FormatName = "vaecf-model";
    public string Format { get; init; } = FormatName;
    public int Version { get; init; } = 1;
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

    public static string ModelName(ModelKind kind) => kind == ModelKind.MultVae ? "mult-vae" : "mult-dae";

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
