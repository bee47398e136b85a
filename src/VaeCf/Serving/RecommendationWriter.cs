using System.Globalization;
using System.Text;
using System.Text.Json;

namespace VaeCf.Serving;

/// <summary>
/// Recommendations as text: JSON lines (the HTTP answer's shape, <see cref="RecommendationJson"/>,
/// with the user first) or CSV (user,rank,item,score,title), one result after another.
/// </summary>
public sealed class RecommendationWriter(TextWriter output, RecommendationWriter.Format format)
{
    /// <summary>JSON lines or CSV.</summary>
    public enum Format
    {
        /// <summary>One JSON object per result.</summary>
        JsonLines,
        /// <summary>One row per recommended item, with a header.</summary>
        Csv,
    }

    private bool _headerWritten;

    /// <summary>"jsonl" or "csv"; <paramref name="what"/> names the option in the error.</summary>
    public static Format ParseFormat(string text, string what) => text switch
    {
        "jsonl" => Format.JsonLines,
        "csv" => Format.Csv,
        _ => throw new VaeCfException($"{what} must be jsonl or csv, got '{text}'."),
    };

    /// <summary>Writes one result, labelled with <paramref name="user"/> when given.</summary>
    public void Write(string? user, RecommendationResult result)
    {
        if (format == Format.Csv) WriteCsv(user, result);
        else WriteJson(user, result);
    }

    private void WriteJson(string? user, RecommendationResult result)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer)) RecommendationJson.Write(json, result, user);
        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private void WriteCsv(string? user, RecommendationResult result)
    {
        // Checked before any row is written, so a refused result leaves no partial rows behind.
        foreach (var item in result.Items)
            if (!float.IsFinite(item.Score)) throw new NonFiniteScoreException(item.Id, item.Score);
        if (!_headerWritten) { output.WriteLine("user,rank,item,score,title"); _headerWritten = true; }
        for (int i = 0; i < result.Items.Count; i++)
        {
            var item = result.Items[i];
            output.WriteLine(string.Join(',', Quote(user ?? ""), (i + 1).ToString(CultureInfo.InvariantCulture), Quote(item.Id),
                item.Score.ToString("R", CultureInfo.InvariantCulture), Quote(item.Title ?? "")));
        }
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
