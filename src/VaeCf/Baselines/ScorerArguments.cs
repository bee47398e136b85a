using VaeCf.Data;

namespace VaeCf.Baselines;

/// <summary>The argument checks every <see cref="Model.IScorer.Score"/> implementation shares.</summary>
internal static class ScorerArguments
{
    public static void Validate(CsrMatrix histories, int rowStart, int rowCount, ReadOnlySpan<float> scores, int itemCount)
    {
        ArgumentNullException.ThrowIfNull(histories);
        if (histories.Columns != itemCount)
            throw new VaeCfException($"The histories have {histories.Columns} items but the model was fitted on {itemCount}.");
        if (rowStart < 0 || rowCount < 0 || rowStart > histories.Rows - rowCount)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"Rows [{rowStart}, {rowStart + rowCount}) are outside the {histories.Rows} histories.");
        if ((long)rowCount * itemCount > scores.Length)
            throw new ArgumentException($"The score buffer holds {scores.Length} floats, too few for {rowCount} x {itemCount}.", nameof(scores));
    }
}
