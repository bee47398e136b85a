namespace VaeCf.Data;

/// <summary>The interaction file layouts VaeCf reads; <see cref="Auto"/> detects from name, extension and first line.</summary>
public enum InputFormat
{
    /// <summary>Tell the format from the file's name, extension and first line (the default).</summary>
    Auto,
    /// <summary>MovieLens ratings.csv (ML-20M, ml-latest): header userId,movieId,rating,timestamp.</summary>
    MovieLensCsv,
    /// <summary>MovieLens ratings.dat (ML-1M, ML-10M): user::item::rating::timestamp, no header.</summary>
    MovieLensDat,
    /// <summary>MovieLens 100K u.data: user, item, rating, timestamp separated by tabs, no header.</summary>
    MovieLens100K,
    /// <summary>Amazon review JSON lines (reviewerID, asin, overall, unixReviewTime), plain or .gz.</summary>
    AmazonJson,
    /// <summary>Amazon ratings-only CSV without header: user,item,rating,ts (2014) or item,user,rating,ts (2018).</summary>
    AmazonCsv,
    /// <summary>Any delimited text with user/item[/rating][/timestamp] columns chosen by name or index.</summary>
    Delimited,
    /// <summary>Parquet with named user/item[/rating][/timestamp] columns.</summary>
    Parquet,
}

/// <summary>The names of <see cref="InputFormat"/> values as users type them (<c>--format movielens-csv</c>, grid files).</summary>
public static class InputFormatNames
{
    private static readonly (string Name, InputFormat Format)[] Names =
    [
        ("auto", InputFormat.Auto),
        ("movielens-csv", InputFormat.MovieLensCsv),
        ("movielens-dat", InputFormat.MovieLensDat),
        ("ml100k", InputFormat.MovieLens100K),
        ("amazon-json", InputFormat.AmazonJson),
        ("amazon-csv", InputFormat.AmazonCsv),
        ("delimited", InputFormat.Delimited),
        ("parquet", InputFormat.Parquet),
    ];

    /// <summary>Every name, for help texts and error messages.</summary>
    public static IEnumerable<string> All => Names.Select(n => n.Name);

    /// <summary>The name a user types for <paramref name="format"/>, e.g. "movielens-csv".</summary>
    public static string ToName(this InputFormat format) => Names.First(n => n.Format == format).Name;

    /// <summary>Parses a CLI name such as "movielens-csv" (the enum member name is accepted too).</summary>
    public static InputFormat Parse(string text)
    {
        foreach (var (name, format) in Names)
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase) || string.Equals(format.ToString(), text, StringComparison.OrdinalIgnoreCase))
                return format;
        throw new VaeCfException($"Unknown input format '{text}'; expected one of: {string.Join(", ", All)}.");
    }
}
