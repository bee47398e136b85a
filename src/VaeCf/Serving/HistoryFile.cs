using System.Globalization;
using System.Text.Json;
using nietras.SeparatedValues;
using VaeCf.Data;

namespace VaeCf.Serving;

/// <summary>
/// Histories from a file: JSON lines (<c>{"user": .., "items": [..]}</c>) or CSV rows of user and item,
/// grouped by user in first-seen order. CSV is read with the CSV library, quoting honoured, so a file
/// that <c>vaecf recommend</c> wrote (<c>user,rank,item,score,title</c>) reads back: a header naming the
/// user and item columns picks them, otherwise they are the first two.
/// </summary>
public static class HistoryFile
{
    /// <summary>One user's history to recommend for: the user's name and original item IDs.</summary>
    public readonly record struct History(string User, IReadOnlyList<string> Items);

    private static readonly string[] UserNames = ["user", "userId", "user_id", "uid"];
    private static readonly string[] ItemNames = ["item", "itemId", "item_id", "movieId", "sid", "asin", "id"];

    /// <summary>Every history in the file; JSON lines or CSV, told from its first non-blank line.</summary>
    public static IEnumerable<History> Read(string path)
    {
        if (!File.Exists(path)) throw new VaeCfException($"Input file '{path}' does not exist.");
        string? first = File.ReadLines(path).FirstOrDefault(l => !string.IsNullOrWhiteSpace(l));
        if (first is null) return [];
        return first.TrimStart().StartsWith('{') ? ReadJsonLines(path) : ReadCsv(path);
    }

    private static IEnumerable<History> ReadJsonLines(string path)
    {
        long lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            History history;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new DataFormatException(path, lineNumber, "expected a JSON object {\"user\": .., \"items\": [..]}");
                string user = root.TryGetProperty("user", out var u) ? IdText(u, path, lineNumber, "user") : lineNumber.ToString(CultureInfo.InvariantCulture);
                if (!root.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
                    throw new DataFormatException(path, lineNumber, "'items' must be an array of item IDs");
                var ids = new List<string>(items.GetArrayLength());
                foreach (var item in items.EnumerateArray()) ids.Add(IdText(item, path, lineNumber, "items"));
                history = new History(user, ids);
            }
            catch (JsonException e) { throw new DataFormatException(path, lineNumber, $"not valid JSON ({e.Message})"); }
            yield return history;
        }
    }

    private static string IdText(JsonElement e, string path, long line, string field) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.Number => e.GetRawText(),
        _ => throw new DataFormatException(path, line, $"'{field}' IDs must be strings or numbers, found {e.ValueKind}"),
    };

    private static IEnumerable<History> ReadCsv(string path)
    {
        var order = new List<string>();
        var byUser = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        long line = 1;
        try
        {
            using var reader = Sep.New(',').Reader(o => o with { HasHeader = false, DisableColCountCheck = true, Unescape = true }).FromFile(path);
            int userColumn = 0, itemColumn = 1;
            bool firstRow = true;
            foreach (var row in reader)
            {
                line = row.LineNumberFrom;
                if (row.Span.IsWhiteSpace()) continue;
                if (firstRow)
                {
                    firstRow = false;
                    var names = new string[row.ColCount];
                    for (int c = 0; c < names.Length; c++) names[c] = row[c].ToString().Trim();
                    int user = IndexOfAny(names, UserNames);
                    if (user >= 0)
                    {
                        // A header: take the columns it names (the item column defaults to the one after the user's).
                        int item = IndexOfAny(names, ItemNames);
                        userColumn = user;
                        itemColumn = item >= 0 ? item : user + 1;
                        continue;
                    }
                }
                int needed = Math.Max(userColumn, itemColumn) + 1;
                if (row.ColCount < needed) throw new DataFormatException(path, line, $"expected at least {needed} comma-separated fields (user, item), found {row.ColCount}");
                string userId = row[userColumn].ToString().Trim(), itemId = row[itemColumn].ToString().Trim();
                if (userId.Length == 0 || itemId.Length == 0) throw new DataFormatException(path, line, "empty user or item ID");
                if (!byUser.TryGetValue(userId, out var items)) { byUser[userId] = items = []; order.Add(userId); }
                items.Add(itemId);
            }
        }
        catch (Exception e) when (e is not VaeCfException && e is FormatException or InvalidDataException or ArgumentException or NotSupportedException)
        {
            throw new DataFormatException(path, line, $"cannot be read as CSV ({e.Message.ReplaceLineEndings(" ")})");
        }
        return order.Select(u => new History(u, byUser[u]));
    }

    private static int IndexOfAny(string[] names, string[] candidates)
    {
        foreach (string candidate in candidates)
            for (int i = 0; i < names.Length; i++)
                if (string.Equals(names[i], candidate, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
