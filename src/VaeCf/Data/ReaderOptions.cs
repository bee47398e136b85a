namespace VaeCf.Data;

/// <summary>A column chosen by header name or by 0-based position.</summary>
public readonly record struct ColumnSelector
{
    /// <summary>The header name, when chosen by name.</summary>
    public string? Name { get; }
    /// <summary>The 0-based position, when chosen by position.</summary>
    public int? Index { get; }

    private ColumnSelector(string? name, int? index) { Name = name; Index = index; }

    /// <summary>The column whose header is <paramref name="name"/>.</summary>
    public static ColumnSelector ByName(string name) =>
        string.IsNullOrWhiteSpace(name) ? throw new VaeCfException("A column name must not be empty.") : new(name, null);

    /// <summary>The column at 0-based position <paramref name="index"/>.</summary>
    public static ColumnSelector ByIndex(int index) =>
        index < 0 ? throw new VaeCfException($"A column index must be 0 or more, got {index}.") : new(null, index);

    /// <summary>All digits means a 0-based index, anything else a header name.</summary>
    public static ColumnSelector Parse(string text)
    {
        text = text.Trim();
        return text.Length > 0 && text.All(char.IsAsciiDigit) && int.TryParse(text, out int index) ? ByIndex(index) : ByName(text);
    }

    /// <summary>'name' or #index, for messages.</summary>
    public override string ToString() => Name is not null ? $"'{Name}'" : $"#{Index}";
}

/// <summary>How to read an interaction file. Defaults detect everything that can be detected unambiguously.</summary>
public sealed record ReaderOptions
{
    /// <summary>The file's layout; <see cref="InputFormat.Auto"/> detects it.</summary>
    public InputFormat Format { get; init; } = InputFormat.Auto;

    /// <summary>User column for <see cref="InputFormat.Delimited"/> and <see cref="InputFormat.Parquet"/>; null uses a common name or column 0.</summary>
    public ColumnSelector? UserColumn { get; init; }
    /// <summary>Item column, as <see cref="UserColumn"/>: null uses a common name or column 1.</summary>
    public ColumnSelector? ItemColumn { get; init; }
    /// <summary>Null finds a common rating column name (or column 2); if none exists every event gets rating 1.</summary>
    public ColumnSelector? RatingColumn { get; init; }
    /// <summary>Null finds a common timestamp column name (or column 3); if none exists every event gets 0.</summary>
    public ColumnSelector? TimestampColumn { get; init; }

    /// <summary>Field separator for delimited text; null detects tab, comma, semicolon or pipe from the first line.</summary>
    public char? Separator { get; init; }

    /// <summary>Whether delimited text starts with a header; null decides from the options and the first line.</summary>
    public bool? HasHeader { get; init; }

    /// <summary>Count and report malformed lines instead of failing on the first one.</summary>
    public bool SkipBadLines { get; init; }

    /// <summary>
    /// Column order of an Amazon ratings-only CSV: true for the 2018 order item,user,rating,ts, false for
    /// the 2014 order user,item,rating,ts, null to tell from the IDs (ASINs against reviewer IDs) and
    /// refuse to guess when they do not say.
    /// </summary>
    public bool? ItemUserOrder { get; init; }

    /// <summary>How many skipped lines are kept verbatim in <see cref="ReadReport.SkippedExamples"/>.</summary>
    public int MaxBadLineExamples { get; init; } = 5;

    internal bool HasAnyColumn => UserColumn is not null || ItemColumn is not null || RatingColumn is not null || TimestampColumn is not null;
}

/// <summary>What a reader did: the format it used and the malformed lines it skipped.</summary>
public sealed class ReadReport
{
    /// <summary>The file read.</summary>
    public required string File { get; init; }
    /// <summary>The format used (detected when <see cref="ReaderOptions.Format"/> was <see cref="InputFormat.Auto"/>).</summary>
    public required InputFormat Format { get; init; }
    /// <summary>Human-readable layout actually used, e.g. "delimited ',' user=#1 item=#0 rating=#2".</summary>
    public required string Layout { get; init; }
    /// <summary>Events read.</summary>
    public long Events { get; init; }
    /// <summary>Malformed lines skipped (with <see cref="ReaderOptions.SkipBadLines"/>).</summary>
    public long SkippedLines { get; init; }
    /// <summary>The first skipped lines verbatim, up to <see cref="ReaderOptions.MaxBadLineExamples"/>.</summary>
    public IReadOnlyList<string> SkippedExamples { get; init; } = [];
}

/// <summary>Fails on the first malformed line, or counts them when skipping is allowed.</summary>
internal sealed class BadLineSink(string file, bool skip, int maxExamples)
{
    private readonly List<string> _examples = new();

    public string File { get; } = file;
    public long Skipped { get; private set; }
    public IReadOnlyList<string> Examples => _examples;

    public void Report(long line, string problem)
    {
        if (!skip) throw new DataFormatException(File, line, problem);
        Skipped++;
        if (_examples.Count < maxExamples) _examples.Add($"{File}:{line}: {problem}");
    }
}
