using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Data;
using VaeCf.Serving;
using VaeCf.Split;

namespace VaeCf.Cli.Commands;

/// <summary>
/// vaecf recommend: top-k items from a saved model for a history given on the command line, for a
/// user of a dataset (training user or held-out user's fold-in items), or for every history in a file.
/// </summary>
public sealed class RecommendCommand : Command<RecommendCommand.Settings>
{
    /// <summary>Histories scored per call when reading a file: bounds memory for any file size.</summary>
    private const int FileChunk = 1000;

    public sealed class Settings : DataSettings
    {
        [CommandOption("--model <DIR>")]
        [Description("A model folder written by vaecf train.")]
        public string? Model { get; init; }

        [CommandOption("--items <IDS>")]
        [Description("The history: comma-separated original item IDs (\"\" for a user without history).")]
        public string? Items { get; init; }

        [CommandOption("--user <ID>")]
        [Description("Use this user's history from --data (training users, then validation and test fold-in items).")]
        public string? User { get; init; }

        [CommandOption("-d|--data <PATH>")]
        [Description("With --user: ratings file, a folder holding one, or a prepared split folder.")]
        public string? Data { get; init; }

        [CommandOption("--input <FILE>")]
        // Descriptions are Spectre markup: a literal bracket is doubled.
        [Description("Many histories: JSON lines {\"user\":..,\"items\":[[..]]} or CSV user,item rows.")]
        public string? Input { get; init; }

        [CommandOption("-k|--top <N>")]
        [DefaultValue(10)]
        public int K { get; init; } = 10;

        [CommandOption("--titles <FILE>")]
        [Description("Item metadata (movies.csv, movies.dat, u.item) to show titles.")]
        public string? Titles { get; init; }

        [CommandOption("--no-exclude-history")]
        [Description("Allow the history's own items in the answer.")]
        public bool NoExcludeHistory { get; init; }

        [CommandOption("--exclude <IDS>")]
        [Description("Comma-separated item IDs never to recommend.")]
        public string? Exclude { get; init; }

        [CommandOption("-o|--output <FILE>")]
        [Description("Write results here instead of stdout.")]
        public string? Output { get; init; }

        [CommandOption("--output-format <FORMAT>")]
        [Description("Output of --input and --output: jsonl or csv (--format is the input data format, as in every command).")]
        [DefaultValue("jsonl")]
        public string OutputFormat { get; init; } = "jsonl";

        [CommandOption("--json")]
        [Description("Machine output for a single history: one JSON object instead of a table.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Model)) return ValidationResult.Error("--model is required: a folder written by vaecf train.");
            int sources = (Items is not null ? 1 : 0) + (User is not null ? 1 : 0) + (Input is not null ? 1 : 0);
            if (sources != 1) return ValidationResult.Error("Give exactly one of --items, --user (with --data) or --input.");
            if (User is not null && Data is null) return ValidationResult.Error("--user needs --data: the dataset the user's history comes from.");
            if (K < 1) return ValidationResult.Error($"-k must be at least 1, got {K}.");
            if (OutputFormat is not ("jsonl" or "csv")) return ValidationResult.Error($"--output-format must be jsonl or csv, got '{OutputFormat}'.");
            return User is null ? ValidationResult.Success() : ValidateData();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var recommender = Recommender.Load(settings.Model!, settings.Titles);
        var exclude = settings.Exclude is null ? null : SplitIds(settings.Exclude);
        RecommendationRequest Request(IReadOnlyList<string> history) =>
            new(history, settings.K) { ExcludeHistory = !settings.NoExcludeHistory, Exclude = exclude };

        if (settings.Input is not null)
        {
            using var output = OpenOutput(settings.Output);
            var writer = new ResultWriter(output, settings.OutputFormat);
            foreach (var chunk in HistoryFile.Read(settings.Input).Chunk(FileChunk))
            {
                var results = recommender.RecommendBatch(chunk.Select(h => Request(h.Items)).ToArray());
                for (int i = 0; i < chunk.Length; i++) writer.Write(chunk[i].User, results[i]);
            }
            return 0;
        }

        string? user = settings.User;
        var history = user is null ? SplitIds(settings.Items!) : DatasetHistory(settings, user);
        var result = recommender.Recommend(Request(history));
        if (settings.Json || settings.Output is not null)
        {
            using var output = OpenOutput(settings.Output);
            new ResultWriter(output, settings.Json && settings.Output is null ? "jsonl" : settings.OutputFormat).Write(user, result);
            return 0;
        }
        if (result.UnknownCount > 0)
            AnsiConsole.MarkupLine($"[yellow]{result.UnknownCount} item ID(s) unknown to the model were ignored:[/] {Markup.Escape(string.Join(", ", result.UnknownItems.Take(20)))}{(result.UnknownCount > 20 ? ", ..." : "")}");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("rank").AddColumn("item").AddColumn("score");
        if (recommender.Metadata is not null) table.AddColumn("title");
        for (int i = 0; i < result.Items.Count; i++)
        {
            var item = result.Items[i];
            var row = new List<string> { (i + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(item.Id), item.Score.ToString("F4", CultureInfo.InvariantCulture) };
            if (recommender.Metadata is not null) row.Add(Markup.Escape(item.Title ?? ""));
            table.AddRow(row.ToArray());
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{Markup.Escape(recommender.Manifest.Model)}, {history.Count} history item(s){(user is null ? "" : $" of user {Markup.Escape(user)}")}");
        return 0;
    }

    private static string[] SplitIds(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A user's items in the dataset: training row, else the validation or test fold-in (never the held-out targets).</summary>
    private static IReadOnlyList<string> DatasetHistory(Settings settings, string user)
    {
        var data = DatasetLoader.Load(settings.Data!, settings.ToOptions(), out _);
        int row = Array.IndexOf(data.TrainUserIds, user);
        CsrMatrix? matrix = row >= 0 ? data.Train : null;
        foreach (var held in new[] { data.Validation, data.Test })
        {
            if (matrix is not null) break;
            row = Array.IndexOf(held.UserIds, user);
            if (row >= 0) matrix = held.FoldIn;
        }
        if (matrix is null) throw new VaeCfException($"User '{user}' is not in {settings.Data} after preprocessing (too few events, or a different ID).");
        var ids = new List<string>(matrix.RowLength(row));
        foreach (int c in matrix.RowIndices(row)) ids.Add(data.ItemIds[c]);
        return ids;
    }

    private static TextWriter OpenOutput(string? path)
    {
        if (path is null) return new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        try { return new StreamWriter(path, append: false, new UTF8Encoding(false)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new VaeCfException($"Cannot write '{path}': {e.Message}"); }
    }

    /// <summary>JSON lines ({"user", "items", "unknown_items"}, the HTTP answer's shape) or CSV (user,rank,item,score,title).</summary>
    private sealed class ResultWriter(TextWriter output, string format)
    {
        private bool _headerWritten;

        public void Write(string? user, RecommendationResult result)
        {
            if (format == "csv") WriteCsv(user, result);
            else WriteJson(user, result);
        }

        private void WriteJson(string? user, RecommendationResult result)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                if (user is not null) json.WriteString("user", user);
                json.WriteStartArray("items");
                foreach (var item in result.Items)
                {
                    json.WriteStartObject();
                    json.WriteString("id", item.Id);
                    json.WriteNumber("score", item.Score);
                    if (item.Title is not null) json.WriteString("title", item.Title);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteStartArray("unknown_items");
                foreach (var id in result.UnknownItems) json.WriteStringValue(id);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }

        private void WriteCsv(string? user, RecommendationResult result)
        {
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
}

/// <summary>Histories from a file: JSON lines {"user": .., "items": [[..]]} or CSV user,item rows (grouped by user, first-seen order).</summary>
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
