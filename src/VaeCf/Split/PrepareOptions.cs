using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>Everything needed to turn a raw interaction file into a split; defaults follow docs/protocol.md on MovieLens.</summary>
public sealed record PrepareOptions
{
    /// <summary>How to read the raw file.</summary>
    public ReaderOptions Reader { get; init; } = new();
    /// <summary>Binarization and activity filters.</summary>
    public PreprocessOptions Preprocess { get; init; } = new();
    /// <summary>Held-out sizes and the seed.</summary>
    public SplitOptions Split { get; init; } = new();

    /// <summary>Throws a <see cref="VaeCfException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        Preprocess.Validate();
        Split.Validate();
    }
}
