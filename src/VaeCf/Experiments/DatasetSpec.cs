using System.Globalization;
using VaeCf.Split;
using VaeCf.Data;

namespace VaeCf.Experiments;

/// <summary>A dataset of a grid: where it is and how it is preprocessed and split.</summary>
public sealed record DatasetSpec
{
    /// <summary>The path as written in the grid file (used in run ids, so they do not depend on where the repo lives).</summary>
    public required string Path { get; init; }
    /// <summary>The path to open: relative paths are taken from the grid file's folder.</summary>
    public required string ResolvedPath { get; init; }
    /// <summary>Short name for run ids and results.csv's dataset column (letters, digits, '-', '.').</summary>
    public required string Name { get; init; }
    /// <summary>How the raw file is read, preprocessed and split (ignored for a split folder).</summary>
    public required PrepareOptions Prepare { get; init; }

    /// <summary>Every setting that changes the split, as text: the identity of the dataset in run ids and caches.</summary>
    public string Canonical => string.Create(CultureInfo.InvariantCulture,
        $"path={Path.Replace('\\', '/')};format={Prepare.Reader.Format.ToName()};threshold={(Prepare.Preprocess.RatingThreshold is { } t ? t.ToString("R", CultureInfo.InvariantCulture) : "none")};" +
        $"min_user_count={Prepare.Preprocess.MinUserCount};min_item_count={Prepare.Preprocess.MinItemCount};validation_users={Prepare.Split.ValidationUsers};test_users={Prepare.Split.TestUsers};split_seed={Prepare.Split.Seed}");

    /// <summary>A dataset given by path alone, with the paper's MovieLens preprocessing.</summary>
    public static DatasetSpec FromPath(string path, string? name = null) => new()
    {
        Path = path,
        ResolvedPath = path,
        Name = name ?? NameFromPath(path),
        Prepare = new PrepareOptions(),
    };

    /// <summary>A dataset name made from a path: a folder's name, or a file's without its extension, slugified ("data" if nothing is left).</summary>
    public static string NameFromPath(string path)
    {
        string trimmed = path.TrimEnd('/', '\\');
        // A folder keeps its whole name; a file (existing or not yet) loses its extension.
        string name = ExperimentGrid.Slugify(Directory.Exists(trimmed) ? System.IO.Path.GetFileName(trimmed) : System.IO.Path.GetFileNameWithoutExtension(trimmed));
        return string.IsNullOrEmpty(name) ? "data" : name;
    }
}
