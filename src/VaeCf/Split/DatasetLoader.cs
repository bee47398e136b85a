using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>The one entry point from a path to a <see cref="SplitDataset"/>.</summary>
public static class DatasetLoader
{
    /// <summary>Raw files looked for, in this order, when the path is a folder that is not already split.</summary>
    public static readonly string[] RawFileNames = ["ratings.csv", "ratings.dat", "u.data"];

    /// <summary>Loads <paramref name="path"/> (a split folder, a ratings file or a folder holding one) as the overload below does, without the summary.</summary>
    public static SplitDataset Load(string path, PrepareOptions options) => Load(path, options, out _);

    /// <summary>
    /// A folder in the original layout (unique_sid.txt + train.csv) is read as it is; a raw ratings file,
    /// or a folder holding ratings.csv / ratings.dat / u.data, is read, preprocessed and split in memory.
    /// The notebook-ordered file rows (<see cref="SplitDataset.FileRows"/>, about 8 bytes an event) are
    /// kept only when <paramref name="keepFileRows"/> asks for them: only a caller that writes the split
    /// needs them, and a training run would otherwise carry them to its end.
    /// </summary>
    public static SplitDataset Load(string path, PrepareOptions options, out DatasetSummary summary, bool keepFileRows = false)
    {
        var split = LoadWithFileRows(path, options, out summary);
        return keepFileRows ? split : split.WithoutFileRows();
    }

    private static SplitDataset LoadWithFileRows(string path, PrepareOptions options, out DatasetSummary summary)
    {
        options.Validate();
        if (Directory.Exists(path))
        {
            if (OriginalLayout.IsLayoutFolder(path))
            {
                var split = OriginalLayout.Read(path);
                summary = DatasetSummary.Of(split, path);
                return split;
            }
            string? raw = FindRawFile(path)
                ?? throw new VaeCfException(
                    $"Folder '{path}' holds neither a split ({OriginalLayout.ItemIdsFile} and {OriginalLayout.TrainFile}) nor a ratings file ({string.Join(", ", RawFileNames)}).");
            return Prepare(raw, options, out summary);
        }
        if (File.Exists(path)) return Prepare(path, options, out summary);
        throw new VaeCfException($"Dataset path '{path}' does not exist.");
    }

    /// <summary>Reads, preprocesses and splits one raw interaction file.</summary>
    public static SplitDataset Prepare(string file, PrepareOptions options, out DatasetSummary summary)
    {
        options.Validate();
        var log = InteractionReader.Read(file, options.Reader, out var read);
        var binary = Preprocessor.Run(log, options.Preprocess, out var preprocess);
        var split = StrongGeneralizationSplitter.Split(binary, options.Split, out var splitReport);
        summary = DatasetSummary.Of(split, file, read, preprocess, splitReport);
        return split;
    }

    /// <summary>The first of <see cref="RawFileNames"/> present in <paramref name="folder"/>, or null.</summary>
    public static string? FindRawFile(string folder) =>
        RawFileNames.Select(name => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
}
