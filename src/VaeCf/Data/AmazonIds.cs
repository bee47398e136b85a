namespace VaeCf.Data;

/// <summary>Tells Amazon item IDs (ASINs) from reviewer IDs by their shape.</summary>
internal static class AmazonIds
{
    /// <summary>Lines sampled from the top of the file; a dump is sorted by neither column, so this is representative.</summary>
    private const int SampleLines = 2000;

    /// <summary>A ten-character ASIN: "B0" and eight more letters or digits, or an ISBN-10 (nine digits, then a digit or X).</summary>
    public static bool IsAsin(ReadOnlySpan<char> id)
    {
        if (id.Length != 10) return false;
        if (id.StartsWith("B0") && IsUpperAlphanumeric(id)) return true;
        for (int i = 0; i < 9; i++) if (!char.IsAsciiDigit(id[i])) return false;
        return char.IsAsciiDigit(id[9]) || id[9] == 'X';
    }

    /// <summary>A reviewer ID: 'A' followed by upper-case letters and digits, 12 to 21 characters in all.</summary>
    public static bool IsReviewerId(ReadOnlySpan<char> id) =>
        id.Length is >= 12 and <= 21 && id[0] == 'A' && IsUpperAlphanumeric(id);

    private static bool IsUpperAlphanumeric(ReadOnlySpan<char> id)
    {
        foreach (char c in id) if (!char.IsAsciiDigit(c) && !char.IsAsciiLetterUpper(c)) return false;
        return true;
    }

    /// <summary>
    /// True when the first column holds ASINs and the second reviewer IDs (the 2018 order), false for the
    /// reverse (2014), null when at least 95% of the sampled lines do not agree on one of the two.
    /// </summary>
    public static bool? DetectItemFirst(string path)
    {
        using var reader = new StreamReader(InteractionReader.OpenText(path));
        int lines = 0, itemFirst = 0, userFirst = 0;
        while (lines < SampleLines && reader.ReadLine() is string line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            lines++;
            var span = line.AsSpan();
            int comma = span.IndexOf(',');
            if (comma < 0) continue;
            var first = span[..comma].Trim().Trim('"');
            var rest = span[(comma + 1)..];
            int next = rest.IndexOf(',');
            var second = (next < 0 ? rest : rest[..next]).Trim().Trim('"');
            if (IsAsin(first) && IsReviewerId(second)) itemFirst++;
            else if (IsReviewerId(first) && IsAsin(second)) userFirst++;
        }
        if (lines == 0) return null;
        if (itemFirst >= 0.95 * lines) return true;
        if (userFirst >= 0.95 * lines) return false;
        return null;
    }
}
