using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>Everything needed to turn a raw interaction file into a split; defaults follow docs/protocol.md on MovieLens.</summary>
public sealed record PrepareOptions
{
    public ReaderOptions Reader { get; init; } = new();
    public PreprocessOptions Preprocess { get; init; } = new();
    public SplitOptions Split { get; init; } = new();

    public void Validate()
    {
        Preprocess.Validate();
        Split.Validate();
    }
}
