using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace VaeCf.Data;

/// <summary>
/// Amazon review dumps (2014 and 2018): one JSON object per line with reviewerID, asin, overall and
/// unixReviewTime; every other field (review text, images, ...) is skipped without being materialized.
/// </summary>
internal static class AmazonJsonReader
{
    public static void Read(string path, InteractionLog log, BadLineSink sink)
    {
        using var reader = new StreamReader(InteractionReader.OpenText(path), Encoding.UTF8);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long lineNumber = 0;
            while (reader.ReadLine() is string line)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                int max = Encoding.UTF8.GetMaxByteCount(line.Length);
                if (max > buffer.Length) { ArrayPool<byte>.Shared.Return(buffer); buffer = ArrayPool<byte>.Shared.Rent(max); }
                int length = Encoding.UTF8.GetBytes(line, buffer);
                ParseLine(buffer.AsSpan(0, length), lineNumber, log, sink);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ParseLine(ReadOnlySpan<byte> json, long lineNumber, InteractionLog log, BadLineSink sink)
    {
        string? user = null, item = null;
        float? rating = null;
        long timestamp = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) { sink.Report(lineNumber, "not a JSON object"); return; }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("reviewerID")) { reader.Read(); user = ReadText(ref reader); }
                else if (reader.ValueTextEquals("asin")) { reader.Read(); item = ReadText(ref reader); }
                else if (reader.ValueTextEquals("overall"))
                {
                    reader.Read();
                    rating = ReadNumber(ref reader);
                    if (rating is null) { sink.Report(lineNumber, "non-numeric rating in 'overall'"); return; }
                }
                else if (reader.ValueTextEquals("unixReviewTime"))
                {
                    reader.Read();
                    if (ReadNumber(ref reader) is not float) { sink.Report(lineNumber, "non-numeric 'unixReviewTime'"); return; }
                    timestamp = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long t) ? t
                        : long.TryParse(reader.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out t) ? t : 0;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject) { sink.Report(lineNumber, "not a JSON object"); return; }
        }
        catch (JsonException ex)
        {
            sink.Report(lineNumber, $"invalid JSON ({ex.Message})");
            return;
        }
        if (string.IsNullOrWhiteSpace(user)) { sink.Report(lineNumber, "missing field 'reviewerID'"); return; }
        if (string.IsNullOrWhiteSpace(item)) { sink.Report(lineNumber, "missing field 'asin'"); return; }
        if (rating is null) { sink.Report(lineNumber, "missing field 'overall' (the rating)"); return; }
        log.Add(user, item, rating.Value, timestamp);
    }

    private static string? ReadText(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        // Some dumps store numeric ids as numbers; keep their exact text.
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
        _ => null,
    };

    private static float? ReadNumber(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double d) && double.IsFinite(d)) return (float)d;
        if (reader.TokenType == JsonTokenType.String && EventParsing.TryParseRating(reader.GetString(), out float f)) return f;
        return null;
    }
}
