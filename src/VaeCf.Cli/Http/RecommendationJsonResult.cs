using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using VaeCf.Serving;

namespace VaeCf.Cli.Http;

/// <summary>
/// POST /recommend's 200 answer, written straight into the response pipe. The same JSON the
/// source-generated serializer gives for <see cref="RecommendationResult"/> (snake_case, no null
/// titles, non-finite scores as named literals), without its per-property metadata walk and async
/// state machines, which cost more than the top-k selection at thousands of requests a second.
/// </summary>
public sealed class RecommendationJsonResult(RecommendationResult result) : IResult
{
    private static readonly JsonEncodedText ItemsName = JsonEncodedText.Encode("items");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText ScoreName = JsonEncodedText.Encode("score");
    private static readonly JsonEncodedText TitleName = JsonEncodedText.Encode("title");
    private static readonly JsonEncodedText UnknownItemsName = JsonEncodedText.Encode("unknown_items");
    private static readonly JsonEncodedText UnknownCountName = JsonEncodedText.Encode("unknown_count");

    public RecommendationResult Result { get; } = result;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer)) Write(writer, Result);
        response.ContentLength = buffer.WrittenCount;
        return response.BodyWriter.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    public static void Write(Utf8JsonWriter writer, RecommendationResult result)
    {
        writer.WriteStartObject();
        writer.WriteStartArray(ItemsName);
        foreach (var item in result.Items)
        {
            writer.WriteStartObject();
            writer.WriteString(IdName, item.Id);
            if (float.IsFinite(item.Score)) writer.WriteNumber(ScoreName, item.Score);
            else writer.WriteString(ScoreName, item.Score.ToString(CultureInfo.InvariantCulture));
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
