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
    /// <summary>How many items to return; 10 when omitted, at most the server's max_k.</summary>
    public int? K { get; set; }
    /// <summary>Item IDs never to recommend (besides the history); unknown IDs are ignored.</summary>
    [JsonConverter(typeof(ItemIdListConverter))]
    public List<string>? Exclude { get; set; }
    /// <summary>Whether the history's own items are left out of the answer; true when omitted.</summary>
    public bool? ExcludeHistory { get; set; }
}

/// <summary>POST /recommend/batch body: several independent requests answered in one call.</summary>
public sealed class RecommendBatchBody
{
    /// <summary>The requests, answered in this order; at most the server's max_batch_size.</summary>
    public List<RecommendBody?>? Requests { get; set; }
}

/// <summary>POST /recommend/batch answer.</summary>
public sealed class RecommendBatchResponse
{
    /// <summary>One result per request, in the order of the requests.</summary>
    public required IReadOnlyList<RecommendationResult> Results { get; init; }
}

/// <summary>POST /admin/reload body (optional): what to load instead of the model being served.</summary>
public sealed class ReloadBody
{
    /// <summary>Model folder to load; omitted reloads the folder currently served.</summary>
    public string? Model { get; set; }
    /// <summary>Titles file (MovieLens movies.csv layout) to load with the model; omitted keeps the current one.</summary>
    public string? Titles { get; set; }
}

/// <summary>GET /health answer: the server is up and a model is loaded.</summary>
public sealed class HealthResponse
{
    /// <summary>"ok".</summary>
    public required string Status { get; init; }
    /// <summary>Kind of the model being served (mult-vae, mult-dae, recvae, ease, popularity).</summary>
    public required string Model { get; init; }
    /// <summary>Items the model ranks.</summary>
    public required int Items { get; init; }
}

/// <summary>
/// GET /model's answer (and /admin/reload's 200), as documented in the OpenAPI document. The
/// server writes the same keys from a dictionary (nested parts exactly as in the model's
/// config.json); every key is always present, null when unknown.
/// </summary>
public sealed class ModelDescription
{
    /// <summary>Model kind: mult-vae, mult-dae, recvae, ease or popularity.</summary>
    public required string Model { get; init; }
    /// <summary>The folder the model was loaded from.</summary>
    public required string? Source { get; init; }
    /// <summary>When the server loaded this model (UTC).</summary>
    public required DateTime LoadedUtc { get; init; }
    /// <summary>Items the model ranks.</summary>
    public required int ItemCount { get; init; }
    /// <summary>Items with a title in the loaded titles file; null without one.</summary>
    public required int? Titles { get; init; }
    /// <summary>Network layout (config.json's architecture); null for closed-form kinds.</summary>
    public required JsonObject? Architecture { get; init; }
    /// <summary>The kind's own options (config.json's hyperparameters, e.g. EASE's lambda); null when there are none.</summary>
    public required JsonObject? Hyperparameters { get; init; }
    /// <summary>Training options (config.json's training).</summary>
    public required JsonObject? Training { get; init; }
    /// <summary>What the model was trained on (config.json's dataset: path, fingerprint, counts).</summary>
    public required JsonObject? Dataset { get; init; }
    /// <summary>Epoch whose parameters were kept (best validation NDCG@100); null for closed-form kinds.</summary>
    public required int? BestEpoch { get; init; }
    /// <summary>Metric name to {mean, standard_error}.</summary>
    public required JsonObject? ValidationMetrics { get; init; }
    /// <summary>Metric name to {mean, standard_error} on the test users.</summary>
    public required JsonObject? TestMetrics { get; init; }
    /// <summary>Wall seconds the fit took.</summary>
    public required double? TrainingSeconds { get; init; }
    /// <summary>When the model folder was written (UTC).</summary>
    public required DateTime CreatedUtc { get; init; }
    /// <summary>How concurrent requests are grouped into forward passes.</summary>
    public required BatchingDescription Batching { get; init; }
    /// <summary>Largest pass the exact 8-bit screen takes; 0 when the CPU lacks the byte products.</summary>
    public required int ScreenedPassRows { get; init; }
    /// <summary>Per-request limits; a request over one is answered 400 (413 for the body size).</summary>
    public required LimitsDescription Limits { get; init; }
}

/// <summary>The micro-batching settings and counters.</summary>
public sealed class BatchingDescription
{
    /// <summary>False when every request runs its own forward pass (serve --no-batching).</summary>
    public required bool Enabled { get; init; }
    /// <summary>Most requests in one forward pass.</summary>
    public required int MaxBatch { get; init; }
    /// <summary>Longest a request waits for others to join its pass, in milliseconds.</summary>
    public required double MaxWaitMs { get; init; }
    /// <summary>Forward passes so far; requests / batches is the mean batch size.</summary>
    public required long Batches { get; init; }
    /// <summary>Requests answered so far.</summary>
    public required long Requests { get; init; }
}

/// <summary>The server's per-request limits (serve --max-items, --max-k, --max-batch-size, --max-body-bytes).</summary>
public sealed class LimitsDescription
{
    /// <summary>Most item IDs in one history (and, separately, in one exclusion list).</summary>
    public required int MaxItems { get; init; }
    /// <summary>Largest k.</summary>
    public required int MaxK { get; init; }
    /// <summary>Most requests in one POST /recommend/batch.</summary>
    public required int MaxBatchSize { get; init; }
    /// <summary>Largest request body, in bytes.</summary>
    public required long MaxBodyBytes { get; init; }
}

/// <summary>
/// Item IDs arrive as JSON strings or numbers (MovieLens IDs are numbers to most clients); a
/// number keeps its literal text, so 260 means item "260". Anything else is a type error (400).
/// </summary>
public sealed class ItemIdListConverter : JsonConverter<List<string>>
{
    /// <inheritdoc/>
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

    /// <inheritdoc/>
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
