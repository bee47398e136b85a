using System.Globalization;

namespace VaeCf.Data;

/// <summary>Validates one record's fields and appends it, or reports what is wrong with it.</summary>
internal static class EventParsing
{
    public static void Add(InteractionLog log, BadLineSink sink, long line,
        ReadOnlySpan<char> user, ReadOnlySpan<char> item, ReadOnlySpan<char> rating, bool hasRating,
        ReadOnlySpan<char> timestamp, bool hasTimestamp)
    {
        user = user.Trim();
        item = item.Trim();
        if (user.IsEmpty) { sink.Report(line, "empty user id"); return; }
        if (item.IsEmpty) { sink.Report(line, "empty item id"); return; }
        float value = 1f;
        if (hasRating && !TryParseRating(rating, out value)) { sink.Report(line, $"non-numeric rating '{Shorten(rating)}'"); return; }
        long time = 0;
        if (hasTimestamp && !TryParseTimestamp(timestamp, out time)) { sink.Report(line, $"non-numeric timestamp '{Shorten(timestamp)}'"); return; }
        log.Add(user, item, value, time);
    }

    public static bool TryParseRating(ReadOnlySpan<char> text, out float rating) =>
        float.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out rating) && float.IsFinite(rating);

    /// <summary>An empty timestamp is 0 (timestamps are informational); fractional seconds are truncated.</summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> text, out long timestamp)
    {
        text = text.Trim();
        if (text.IsEmpty) { timestamp = 0; return true; }
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out timestamp)) return true;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) { timestamp = (long)d; return true; }
        return false;
    }

    public static string Shorten(ReadOnlySpan<char> text) => text.Length <= 40 ? text.ToString() : string.Concat(text[..37], "...");
}
