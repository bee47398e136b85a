using VaeCf.Data;

namespace VaeCf.Model;

/// <summary>
/// Anything that turns user histories into one score per item: Mult-VAE, Mult-DAE, EASE,
/// popularity. Evaluation, recommendation and serving only need this.
/// </summary>
public interface IScorer
{
    /// <summary>Number of items: the column count of the histories passed in and of each row of scores written.</summary>
    int ItemCount { get; }

    /// <summary>
    /// Writes scores for rows [rowStart, rowStart + rowCount) of <paramref name="histories"/> into
    /// <paramref name="scores"/>, row-major, rowCount x ItemCount. Higher is better. History items
    /// are not masked here; callers decide what to exclude.
    /// </summary>
    void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores);
}
