using System.Text;
using nietras.SeparatedValues;

namespace VaeCf.Data;

/// <summary>Human-readable titles for item ids, for showing recommendations.</summary>
public sealed class ItemMetadata
{
    private static readonly string[] CandidateFiles = ["movies.csv", "movies.dat", "u.item"];

    /// <summary>Title by original item ID.</summary>
    public IReadOnlyDictionary<string, string> Titles { get; }

    /// <summary>Titles given in code; <see cref="Load"/> reads them from a file.</summary>
    public ItemMetadata(IReadOnlyDictionary<string, string> titles) => Titles = titles;

    /// <summary>Items with a title.</summary>
    public int Count => Titles.Count;

    /// <summary>The title, or the id itself when none is known.</summary>
    public string TitleOf(string itemId) => Titles.TryGetValue(itemId, out var title) ? title : itemId;

    /// <summary>
    /// Loads titles. MovieLens movies.csv (movieId,title), movies.dat (id::title::genres) and u.item
    /// (id|title|...) are recognized by name; any other delimited file needs the id and title column names.
    /// </summary>
    public static ItemMetadata Load(string path, string? idColumn = null, string? titleColumn = null)
    {
        if (!File.Exists(path)) throw new VaeCfException($"Item metadata file '{path}' does not exist.");
        string name = Path.GetFileName(path).ToLowerInvariant();
        if (idColumn is null && titleColumn is null)
        {
            // Old MovieLens files are Latin-1, not UTF-8.
            if (name == "movies.dat") return FromSplitLines(path, "::", Encoding.Latin1);
            if (name == "u.item") return FromSplitLines(path, "|", Encoding.Latin1);
        }
        return FromDelimited(path, idColumn ?? "movieId", titleColumn ?? "title");
    }

    /// <summary>Looks for movies.csv, movies.dat or u.item beside a ratings file or inside a dataset folder.</summary>
    public static ItemMetadata? FindBeside(string datasetPath)
    {
        string? folder = Directory.Exists(datasetPath) ? datasetPath : Path.GetDirectoryName(Path.GetFullPath(datasetPath));
        if (folder is null) return null;
        string? file = CandidateFiles.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
        return file is null ? null : Load(file);
    }

    private static ItemMetadata FromSplitLines(string path, string separator, Encoding encoding)
    {
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        long lineNumber = 0;
        foreach (string line in File.ReadLines(path, encoding))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] fields = line.Split(separator);
            if (fields.Length < 2) throw new DataFormatException(path, lineNumber, $"expected an id and a title separated by '{separator}'");
            titles[fields[0].Trim()] = fields[1].Trim();
        }
        return new ItemMetadata(titles);
    }

    private static ItemMetadata FromDelimited(string path, string idColumn, string titleColumn)
    {
        char separator = Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
        using var reader = Sep.New(separator).Reader(o => o with { HasHeader = true, Unescape = true, DisableColCountCheck = true }).FromFile(path);
        var header = reader.Header.ColNames;
        int Find(string column)
        {
            for (int i = 0; i < header.Count; i++)
                if (string.Equals(header[i].Trim(), column, StringComparison.OrdinalIgnoreCase)) return i;
            // The header's own text is not repeated: the file may be anything (a server can be asked to load any path).
            throw new DataFormatException(path, 1, $"no column '{column}' in the header; expected a header line naming the '{idColumn}' and '{titleColumn}' columns (like MovieLens movies.csv: movieId,title,genres)");
        }
        int id = Find(idColumn), title = Find(titleColumn);
        var titles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in reader)
        {
            if (row.Span.IsWhiteSpace()) continue;
            if (row.ColCount <= Math.Max(id, title))
                throw new DataFormatException(path, row.LineNumberFrom, $"expected at least {Math.Max(id, title) + 1} columns, found {row.ColCount}");
            titles[row[id].Span.Trim().ToString()] = row[title].Span.Trim().ToString();
        }
        return new ItemMetadata(titles);
    }
}
