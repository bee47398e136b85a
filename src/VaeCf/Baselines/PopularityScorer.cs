using VaeCf.Data;
using VaeCf.Model;

namespace VaeCf.Baselines;

/// <summary>
/// The floor every recommender must beat: each item scores its number of training clicks, the same
/// for every user. Fitted state is <see cref="Counts"/> alone, so persisting it is one float tensor.
/// </summary>
public sealed class PopularityScorer : IScorer
{
    /// <summary>Training clicks per item (stored entries per column, weights ignored), as floats so
    /// the saved tensor has the same type as every other model's.</summary>
    public float[] Counts { get; }

    /// <inheritdoc/>
    public int ItemCount => Counts.Length;

    /// <summary>Wraps saved counts (one per item, finite); <see cref="Fit"/> computes them from training data.</summary>
    public PopularityScorer(float[] counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        foreach (float c in counts)
            if (!float.IsFinite(c)) throw new VaeCfException("Popularity counts must be finite numbers.");
        Counts = counts;
    }

    /// <summary>Counts each item's clicks in <paramref name="training"/> (rows are users).</summary>
    public static PopularityScorer Fit(CsrMatrix training)
    {
        ArgumentNullException.ThrowIfNull(training);
        int[] counts = training.ColumnCounts();
        var asFloat = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++) asFloat[i] = counts[i];
        return new PopularityScorer(asFloat);
    }

    /// <inheritdoc/>
    public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
    {
        ScorerArguments.Validate(histories, rowStart, rowCount, scores, ItemCount);
        for (int r = 0; r < rowCount; r++) Counts.CopyTo(scores.Slice(r * ItemCount, ItemCount));
    }
}
