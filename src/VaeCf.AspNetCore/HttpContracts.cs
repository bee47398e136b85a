using System.Text;
using System.Text.Json;
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
public sealed partial class ServingJson : JsonSerializerContext;
