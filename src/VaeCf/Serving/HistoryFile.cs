using System.Globalization;
using System.Text.Json;
using VaeCf.Data;

namespace VaeCf.Serving;

/// <summary>Histories from a file: JSON lines {"user": .., "items": [..]} or CSV user,item rows (grouped by user, first-seen order).</summary>
public static class HistoryFile
{
    public readonly record struct History(string User, IReadOnlyList<string> Items);

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
        long lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            if (fields.Length < 2) throw new DataFormatException(path, lineNumber, "expected user,item");
            string user = fields[0].Trim(), item = fields[1].Trim();
            if (order.Count == 0 && (user.Equals("user", StringComparison.OrdinalIgnoreCase) || user.Equals("userId", StringComparison.OrdinalIgnoreCase))) continue;
            if (!byUser.TryGetValue(user, out var items)) { byUser[user] = items = new List<string>(); order.Add(user); }
            items.Add(item);
        }
        return order.Select(u => new History(u, byUser[u]));
    }
}
