using nietras.SeparatedValues;

namespace VaeCf.Data;

/// <summary>Column layout of a delimited text file, resolved from format defaults and options.</summary>
internal sealed record DelimitedLayout(char Separator, bool HasHeader, ColumnSelector User, ColumnSelector Item, ColumnSelector? Rating, ColumnSelector? Timestamp)
{
    /// <summary>What to print instead of the generic description, e.g. which column was taken as the user.</summary>
    public string? Description { get; init; }

    public override string ToString()
    {
        if (Description is not null) return Description;
        string sep = Separator == '\t' ? "tab" : $"'{Separator}'";
        return $"delimited {sep}, {(HasHeader ? "header" : "no header")}, user={User} item={Item} rating={(Rating?.ToString() ?? "none (all 1)")} timestamp={(Timestamp?.ToString() ?? "none")}";
    }
}

/// <summary>Reads delimited text with Sep (quotes unescaped, gzip accepted).</summary>
internal static class DelimitedReader
{
    public static void Read(string path, DelimitedLayout layout, InteractionLog log, BadLineSink sink)
    {
        using var stream = InteractionReader.OpenText(path);
        // Column counts are checked per row here so a short row is reported with its line instead of aborting the read.
        using var reader = Sep.New(layout.Separator)
            .Reader(o => o with { HasHeader = layout.HasHeader, DisableColCountCheck = true, Unescape = true })
            .From(stream);

        IReadOnlyList<string> header = layout.HasHeader ? reader.Header.ColNames : [];
        int user = Resolve(layout.User, header, path, "user");
        int item = Resolve(layout.Item, header, path, "item");
        int rating = layout.Rating is { } r ? Resolve(r, header, path, "rating") : -1;
        int timestamp = layout.Timestamp is { } t ? Resolve(t, header, path, "timestamp") : -1;
        int needed = Math.Max(Math.Max(user, item), Math.Max(rating, timestamp)) + 1;

        try
        {
            foreach (var row in reader)
            {
                if (row.Span.IsWhiteSpace()) continue;
                long line = row.LineNumberFrom;
                if (row.ColCount < needed)
                {
                    sink.Report(line, $"expected at least {needed} columns separated by {Describe(layout.Separator)}, found {row.ColCount}");
                    continue;
                }
                EventParsing.Add(log, sink, line,
                    row[user].Span, row[item].Span,
                    rating >= 0 ? row[rating].Span : default, rating >= 0,
                    timestamp >= 0 ? row[timestamp].Span : default, timestamp >= 0);
            }
        }
        catch (Exception ex) when (ex is not VaeCfException && ex is FormatException or InvalidDataException or ArgumentException or NotSupportedException)
        {
            // Sep stops at structural errors (e.g. an unterminated quote); keep the file name in the message.
            throw new VaeCfException($"'{path}' cannot be read as {Describe(layout.Separator)}-separated text: {ex.Message}", ex);
        }
    }

    private static int Resolve(ColumnSelector column, IReadOnlyList<string> header, string path, string role)
    {
        if (column.Index is int index) return index;
        for (int i = 0; i < header.Count; i++)
            if (string.Equals(header[i].Trim(), column.Name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new DataFormatException(path, 1, $"missing {role} column '{column.Name}'; the header has [{string.Join(", ", header)}]");
    }

    private static string Describe(char separator) => separator switch { '\t' => "tab", ',' => "comma", ';' => "semicolon", '|' => "pipe", _ => $"'{separator}'" };
}
