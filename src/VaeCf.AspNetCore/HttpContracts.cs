using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using VaeCf.Serving;

namespace VaeCf.AspNetCore;

/// <summary>POST /recommend body; also one entry of a batch.</summary>
public sealed class RecommendBody
{
    /// <summary>History: original item IDs, as strings or numbers.</summary>
    [JsonConverter(typeof(ItemIdListConverter))]
    public List<string>? Items { get; set; }
    public int? K { get; set; }
    [JsonConverter(typeof(ItemIdListConverter))]
    public List<string>? Exclude { get; set; }
    public bool? ExcludeHistory { get; set; }
}

public sealed class RecommendBatchBody
{
    public List<RecommendBody?>? Requests { get; set; }
}

public sealed class RecommendBatchResponse
{
    public required IReadOnlyList<RecommendationResult> Results { get; init; }
}

public sealed class ReloadBody
{
    /// <summary>Model folder to load; omitted reloads the folder currently served.</summary>
    public string? Model { get; set; }
    public string? Titles { get; set; }
}

public sealed class HealthResponse
{
    public required string Status { get; init; }
    public required string Model { get; init; }
    public required int Items { get; init; }
}

/// <summary>
/// GET /model's answer (and /admin/reload's 200), as documented in the OpenAPI document. The
/// server writes the same keys from a dictionary (nested parts exactly as in the model's
/// config.json); every key is always present, null when unknown.
/// </summary>
public sealed class ModelDescription
{
    /// <summary>Model kind: mult-vae, mult-dae, ease or popularity.</summary>
    public required string Model { get; init; }
    /// <summary>The folder the model was loaded from.</summary>
    public required string? Source { get; init; }
    public required DateTime LoadedUtc { get; init; }
    public required int ItemCount { get; init; }
    /// <summary>Items with a title in the loaded titles file; null without one.</summary>
    public required int? Titles { get; init; }
    /// <summary>Network layout (config.json's architecture); null for closed-form kinds.</summary>
    public required JsonObject? Architecture { get; init; }
    public required JsonObject? Hyperparameters { get; init; }
    /// <summary>Training options (config.json's training).</summary>
    public required JsonObject? Training { get; init; }
    public required JsonObject? Dataset { get; init; }
    public required int? BestEpoch { get; init; }
    /// <summary>Metric name to {mean, standard_error}.</summary>
    public required JsonObject? ValidationMetrics { get; init; }
    public required JsonObject? TestMetrics { get; init; }
    public required double? TrainingSeconds { get; init; }
    public required DateTime CreatedUtc { get; init; }
    public required BatchingDescription Batching { get; init; }
    /// <summary>Largest pass the exact 8-bit screen takes; 0 when the CPU lacks the byte products.</summary>
    public required int ScreenedPassRows { get; init; }
    public required LimitsDescription Limits { get; init; }
}

public sealed class BatchingDescription
{
    public required bool Enabled { get; init; }
    public required int MaxBatch { get; init; }
    public required double MaxWaitMs { get; init; }
    /// <summary>Forward passes so far; requests / batches is the mean batch size.</summary>
    public required long Batches { get; init; }
    public required long Requests { get; init; }
}

public sealed class LimitsDescription
{
    public required int MaxItems { get; init; }
    public required int MaxK { get; init; }
    public required int MaxBatchSize { get; init; }
    public required long MaxBodyBytes { get; init; }
}

/// <summary>
/// Item IDs arrive as JSON strings or numbers (MovieLens IDs are numbers to most clients); a
/// number keeps its literal text, so 260 means item "260". Anything else is a type error (400).
/// </summary>
public sealed class ItemIdListConverter : JsonConverter<List<string>>
{
    public override List<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("expected an array of item IDs (strings or numbers).");
        var ids = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            ids.Add(reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan),
                _ => throw new JsonException($"item IDs must be strings or numbers, found {reader.TokenType}."),
            });
        }
        return ids;
    }

    public override void Write(Utf8JsonWriter writer, List<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var id in value) writer.WriteStringValue(id);
        writer.WriteEndArray();
    }
}

/// <summary>Source-generated (reflection-free, fast) JSON for the hot endpoints; snake_case like config.json.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(RecommendBody))]
[JsonSerializable(typeof(RecommendBatchBody))]
[JsonSerializable(typeof(RecommendBatchResponse))]
[JsonSerializable(typeof(RecommendationResult))]
[JsonSerializable(typeof(ReloadBody))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ModelDescription))]
public sealed partial class ServingJson : JsonSerializerContext;
