using System.Text.Json;

namespace VaeCf.Serving;

/// <summary>
/// A recommendation as JSON, the one shape every output uses (HTTP answers, <c>recommend --json</c>
/// and JSON lines): snake_case, no null titles, never a non-finite score (refused, not
/// written), and the count of unknown history items beside their list.
/// </summary>
public static class RecommendationJson
{
    private static readonly JsonEncodedText UserName = JsonEncodedText.Encode("user");
    private static readonly JsonEncodedText ItemsName = JsonEncodedText.Encode("items");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText ScoreName = JsonEncodedText.Encode("score");
    private static readonly JsonEncodedText TitleName = JsonEncodedText.Encode("title");
    private static readonly JsonEncodedText UnknownItemsName = JsonEncodedText.Encode("unknown_items");
    private static readonly JsonEncodedText UnknownCountName = JsonEncodedText.Encode("unknown_count");

    /// <param name="user">Written first when given (JSON lines of many users); the HTTP answer has none.</param>
    public static void Write(Utf8JsonWriter writer, RecommendationResult result, string? user = null)
    {
        writer.WriteStartObject();
        if (user is not null) writer.WriteString(UserName, user);
        writer.WriteStartArray(ItemsName);
        foreach (var item in result.Items)
        {
            writer.WriteStartObject();
            writer.WriteString(IdName, item.Id);
            // The recommender refuses non-finite scores; this is the last guard, so no reader ever parses "NaN".
            if (!float.IsFinite(item.Score)) throw new NonFiniteScoreException(item.Id, item.Score);
            writer.WriteNumber(ScoreName, item.Score);
            if (item.Title is not null) writer.WriteString(TitleName, item.Title);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray(UnknownItemsName);
        foreach (var id in result.UnknownItems) writer.WriteStringValue(id);
        writer.WriteEndArray();
        writer.WriteNumber(UnknownCountName, result.UnknownCount);
        writer.WriteEndObject();
    }
}
