using System.Globalization;

namespace VaeCf.Data;

/// <summary>
/// Reads any supported interaction file into an <see cref="InteractionLog"/>. Malformed records
/// raise <see cref="DataFormatException"/> (file and 1-based line) unless
/// <see cref="ReaderOptions.SkipBadLines"/> is set, in which case they are counted in the report.
/// </summary>
public static class InteractionReader
{
    private static readonly string[] UserNames = ["userId", "user_id", "user", "userid", "reviewerID", "uid", "customer_id"];
    private static readonly string[] ItemNames = ["movieId", "itemId", "item_id", "item", "movie_id", "asin", "sid", "product_id"];
    private static readonly string[] RatingNames = ["rating", "overall", "score", "stars", "star_rating"];
    private static readonly string[] TimestampNames = ["timestamp", "unixReviewTime", "ts", "time", "unix_time"];

    /// <summary>Reads <paramref name="path"/> with <paramref name="options"/> (default: detect everything); throws <see cref="DataFormatException"/> on the first malformed line.</summary>
    public static InteractionLog Read(string path, ReaderOptions? options = null) => Read(path, options ?? new ReaderOptions(), out _);

    /// <summary>Reads <paramref name="path"/>; <paramref name="report"/> says which layout was used and which lines were skipped.</summary>
    public static InteractionLog Read(string path, ReaderOptions options, out ReadReport report)
    {
        if (!File.Exists(path)) throw new VaeCfException($"Input file '{path}' does not exist.");
        if (options.MaxBadLineExamples < 0) throw new VaeCfException("MaxBadLineExamples must be 0 or more.");
        var format = options.Format == InputFormat.Auto ? DetectFormat(path, options) : options.Format;
        if (format != InputFormat.Parquet && FirstNonBlankLine(path) is null)
            throw new VaeCfException($"Input file '{path}' is empty.");

        var log = new InteractionLog();
        var sink = new BadLineSink(path, options.SkipBadLines, options.MaxBadLineExamples);
        string layout;
        switch (format)
        {
            case InputFormat.MovieLensDat:
                DoubleColonReader.Read(path, log, sink);
                layout = "user::item::rating::timestamp";
                break;
            case InputFormat.AmazonJson:
                AmazonJsonReader.Read(path, log, sink);
                layout = "JSON lines: reviewerID, asin, overall, unixReviewTime";
                break;
            case InputFormat.Parquet:
                var columns = ParquetInteractionReader.Read(path, options, log, sink);
                layout = $"parquet {columns}";
                break;
            default:
                var delimited = DelimitedLayoutFor(format, path, options);
                DelimitedReader.Read(path, delimited, log, sink);
                layout = delimited.ToString();
                break;
        }

        if (log.Count == 0)
        {
            if (sink.Skipped > 0)
                throw new VaeCfException($"No valid events in '{path}': all {sink.Skipped} data lines are malformed; first: {sink.Examples.FirstOrDefault()}");
            throw new VaeCfException($"No events in '{path}': it has no data rows.");
        }
        report = new ReadReport
        {
            File = path, Format = format, Layout = layout, Events = log.Count,
            SkippedLines = sink.Skipped, SkippedExamples = sink.Examples.ToArray(),
        };
        return log;
    }

    /// <summary>
    /// Picks a format only where the file leaves no doubt; otherwise asks for <see cref="ReaderOptions.Format"/>.
    /// Column options without a format mean a generic delimited file.
    /// </summary>
    public static InputFormat DetectFormat(string path, ReaderOptions? options = null)
    {
        options ??= new ReaderOptions();
        string name = Path.GetFileName(path).ToLowerInvariant();
        string bare = name.EndsWith(".gz", StringComparison.Ordinal) ? name[..^3] : name;
        if (bare.EndsWith(".parquet", StringComparison.Ordinal)) return InputFormat.Parquet;
        if (options.HasAnyColumn || options.Separator is not null) return InputFormat.Delimited;

        string? first = FirstNonBlankLine(path);
        if (first is null) throw new VaeCfException($"Input file '{path}' is empty.");
        string line = first.Trim();
        if (bare.EndsWith(".json", StringComparison.Ordinal) || bare.EndsWith(".jsonl", StringComparison.Ordinal) || line.StartsWith('{'))
            return InputFormat.AmazonJson;
        if (line.Contains("::", StringComparison.Ordinal)) return InputFormat.MovieLensDat;
        if (line.StartsWith("userId,movieId,rating", StringComparison.OrdinalIgnoreCase)) return InputFormat.MovieLensCsv;

        string[] tabFields = line.Split('\t');
        if (bare == "u.data" || (tabFields.Length == 4 && tabFields.All(f => long.TryParse(f, out _)))) return InputFormat.MovieLens100K;

        string[] commaFields = line.Split(',');
        if (commaFields.Length == 4 && commaFields[0].Length > 0 && commaFields[1].Length > 0
            && IsNumber(commaFields[2]) && long.TryParse(commaFields[3], out _))
            return InputFormat.AmazonCsv;

        // A header that names the user and item columns is unambiguous too.
        char? sep = DetectSeparator(line);
        if (sep is char s)
        {
            var header = line.Split(s).Select(h => h.Trim().Trim('"')).ToArray();
            if (FindName(header, UserNames) is not null && FindName(header, ItemNames) is not null) return InputFormat.Delimited;
        }
        throw new VaeCfException(
            $"Cannot tell the format of '{path}' from its name and first line; choose one ({string.Join(", ", InputFormatNames.All.Skip(1))}) or give the user/item columns.");
    }

    private static DelimitedLayout DelimitedLayoutFor(InputFormat format, string path, ReaderOptions options) => format switch
    {
        InputFormat.MovieLensCsv => new DelimitedLayout(',', true,
            ColumnSelector.ByName("userId"), ColumnSelector.ByName("movieId"), ColumnSelector.ByName("rating"), ColumnSelector.ByName("timestamp")),
        InputFormat.MovieLens100K => new DelimitedLayout('\t', false,
            ColumnSelector.ByIndex(0), ColumnSelector.ByIndex(1), ColumnSelector.ByIndex(2), ColumnSelector.ByIndex(3)),
        InputFormat.AmazonCsv => AmazonCsvLayout(path, options),
        InputFormat.Delimited => GenericLayout(path, options),
        _ => throw new VaeCfException($"Format {format} is not a delimited text format."),
    };

    /// <summary>
    /// Amazon's ratings-only CSVs come in two orders (2014: user,item; 2018: item,user) with nothing in the
    /// file to say which. The IDs do: ASINs are ten characters (B0... or an ISBN), reviewer IDs start with
    /// 'A' and run 12-21 characters. Without a clear answer the reader asks for the flag instead of guessing.
    /// </summary>
    private static DelimitedLayout AmazonCsvLayout(string path, ReaderOptions options)
    {
        string how = "given";
        bool itemFirst;
        if (options.ItemUserOrder is bool given) itemFirst = given;
        else
        {
            itemFirst = AmazonIds.DetectItemFirst(path) ?? throw new VaeCfException(
                $"Cannot tell from the IDs in '{path}' which column holds users and which items; pass --item-user-order (item,user,rating,ts) or --user-item-order (user,item,rating,ts).");
            how = "detected from the IDs";
        }
        int user = itemFirst ? 1 : 0, item = itemFirst ? 0 : 1;
        return new DelimitedLayout(',', false, ColumnSelector.ByIndex(user), ColumnSelector.ByIndex(item), ColumnSelector.ByIndex(2), ColumnSelector.ByIndex(3))
        {
            Description = $"Amazon ratings CSV: user = column {user}, item = column {item}, rating = column 2, timestamp = column 3 (order {how})",
        };
    }

    private static DelimitedLayout GenericLayout(string path, ReaderOptions options)
    {
        string first = FirstNonBlankLine(path) ?? throw new VaeCfException($"Input file '{path}' is empty.");
        char sep = options.Separator ?? (Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : DetectSeparator(first))
            ?? throw new VaeCfException($"Cannot tell the field separator of '{path}' from its first line; give it explicitly (--sep).");
        string[] firstFields = first.Split(sep).Select(f => f.Trim().Trim('"')).ToArray();

        bool anyName = new[] { options.UserColumn, options.ItemColumn, options.RatingColumn, options.TimestampColumn }.Any(c => c?.Name is not null);
        // Positional defaults (user, item, rating, timestamp = 0, 1, 2, 3) only when no column was chosen at all.
        bool positionalDefaults = !options.HasAnyColumn;
        bool hasHeader = options.HasHeader ?? (anyName || LooksLikeHeader(firstFields, options.RatingColumn ?? (positionalDefaults ? ColumnSelector.ByIndex(2) : null)));
        if (anyName && !hasHeader)
            throw new VaeCfException($"Columns chosen by name need a header line, but '{path}' is read without one; choose columns by 0-based index.");

        ColumnSelector Pick(ColumnSelector? given, string[] names, int fallbackIndex) =>
            given ?? (hasHeader && FindName(firstFields, names) is string found ? ColumnSelector.ByName(found) : ColumnSelector.ByIndex(fallbackIndex));
        ColumnSelector? PickOptional(ColumnSelector? given, string[] names, int fallbackIndex)
        {
            if (given is not null) return given;
            if (hasHeader) return FindName(firstFields, names) is string found ? ColumnSelector.ByName(found) : null;
            return positionalDefaults && firstFields.Length > fallbackIndex ? ColumnSelector.ByIndex(fallbackIndex) : null;
        }

        if (hasHeader && options.UserColumn is null && FindName(firstFields, UserNames) is null)
            throw new VaeCfException($"'{path}' has no user column among [{string.Join(", ", firstFields)}]; name it (--user-col).");
        if (hasHeader && options.ItemColumn is null && FindName(firstFields, ItemNames) is null)
            throw new VaeCfException($"'{path}' has no item column among [{string.Join(", ", firstFields)}]; name it (--item-col).");
        return new DelimitedLayout(sep, hasHeader,
            Pick(options.UserColumn, UserNames, 0), Pick(options.ItemColumn, ItemNames, 1),
            PickOptional(options.RatingColumn, RatingNames, 2), PickOptional(options.TimestampColumn, TimestampNames, 3));
    }

    /// <summary>A first line is a header when its rating field is not a number; without a known rating column there is no telling, so no header.</summary>
    private static bool LooksLikeHeader(string[] fields, ColumnSelector? rating) =>
        rating?.Index is int r && r < fields.Length && !IsNumber(fields[r]);

    internal static string? FindName(IReadOnlyList<string> header, string[] candidates)
    {
        foreach (string candidate in candidates)
            foreach (string h in header)
                if (string.Equals(h, candidate, StringComparison.OrdinalIgnoreCase)) return h;
        return null;
    }

    private static char? DetectSeparator(string line)
    {
        foreach (char c in "\t,;|")
            if (line.Contains(c)) return c;
        return null;
    }

    private static bool IsNumber(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>
    /// Opens a text file, decompressing gzip (recognized by its magic bytes, whatever the name); a gzip
    /// file that is cut short or damaged fails when its end is read (<see cref="CheckedGzipStream"/>).
    /// </summary>
    internal static Stream OpenText(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int n = file.Read(magic);
        file.Position = 0;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new CheckedGzipStream(path, file) : file;
    }

    internal static string? FirstNonBlankLine(string path)
    {
        using var reader = new StreamReader(OpenText(path));
        while (reader.ReadLine() is string line)
            if (!string.IsNullOrWhiteSpace(line)) return line;
        return null;
    }
}
