using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using VaeCf.Numerics;

namespace VaeCf.Model;

/// <summary>
/// The two terms of the Mult-VAE objective (docs/protocol.md, "Loss"):
/// mean_u [ -sum_i x_ui log_softmax(logits_u)_i ] + beta * mean_u KL_u.
/// Each function returns the batch mean of its term and writes the gradient of that mean.
/// </summary>
public static class Loss
{
    /// <summary>
    /// Multinomial negative log-likelihood with the log-softmax fused in. On return
    /// <paramref name="logits"/> holds d(loss)/d(logits) = (softmax * sum_i x_ui - x_u) / rows,
    /// so the batch x items buffer is traversed three times and never copied.
    /// </summary>
    /// <param name="logits">[rows x items]; overwritten with the gradient.</param>
    /// <param name="clickPointers">Row r's clicks are clickColumns[clickPointers[r]..clickPointers[r+1]].</param>
    /// <param name="clickValues">Click weights; empty means every click counts 1.</param>
    /// <param name="rowLosses">Per-row negative log-likelihood (not divided by rows).</param>
    /// <param name="simd">Vector width of the exponentials; the processor's best when null.</param>
    public static void MultinomialNll(Span<float> logits, int rows, int items, ReadOnlySpan<int> clickPointers,
        ReadOnlySpan<int> clickColumns, ReadOnlySpan<float> clickValues, Span<double> rowLosses, SimdLevel? simd = null)
    {
        MultinomialNll(logits, 0, rows, rows, items, clickPointers, clickColumns, clickValues, rowLosses, simd);
    }

    /// <summary>Rows [rowStart, rowEnd) of a batch of <paramref name="rows"/>: each row is independent, so threads may split them.</summary>
    public static void MultinomialNll(Span<float> logits, int rowStart, int rowEnd, int rows, int items, ReadOnlySpan<int> clickPointers,
        ReadOnlySpan<int> clickColumns, ReadOnlySpan<float> clickValues, Span<double> rowLosses, SimdLevel? simd = null)
    {
        var level = simd ?? SimdCapabilities.Best;
        for (int r = rowStart; r < rowEnd; r++)
            rowLosses[r] = MultinomialNllRow(logits.Slice(r * items, items), clickPointers[r], clickPointers[r + 1],
                clickColumns, clickValues, 1f / rows, level);
    }

/// <summary>
/// One row of <see cref="MultinomialNll(Span{float}, int, int, ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{double}, SimdLevel?)"/>:
/// returns the row's NLL and leaves <paramref name="scale"/> x its gradient in <paramref name="row"/>.
/// </summary>
    public static double MultinomialNllRow(Span<float> row, int clickStart, int clickEnd, ReadOnlySpan<int> clickColumns,
        ReadOnlySpan<float> clickValues, float scale, SimdLevel? simd = null)
    {
        float max = TensorPrimitives.Max(row);
        double clickedLogits = 0, clickTotal = 0;
        for (int e = clickStart; e < clickEnd; e++)
        {
            float x = clickValues.IsEmpty ? 1f : clickValues[e];
            clickedLogits += (double)x * (row[clickColumns[e]] - max);
            clickTotal += x;
        }
        double sumExp = ExpShiftedInPlace(row, max, simd ?? SimdCapabilities.Best);
        double logSumExp = Math.Log(sumExp);
        // -sum x (l - max - log sum exp(l - max))
        double nll = clickTotal * logSumExp - clickedLogits;
        TensorPrimitives.Multiply(row, (float)(scale * clickTotal / sumExp), row);
        for (int e = clickStart; e < clickEnd; e++)
            row[clickColumns[e]] -= scale * (clickValues.IsEmpty ? 1f : clickValues[e]);
        return nll;
    }

    /// <summary>row = exp(row - shift) in one vectorized pass; returns the sum of the results.</summary>
    private static double ExpShiftedInPlace(Span<float> row, float shift, SimdLevel simd) =>
        Elementwise.MapInPlaceAndSum(simd, row, new ExpShifted(shift));

    /// <summary>exp(x - shift). The vector forms round differently from MathF.Exp (within a few ulp), so the loss depends slightly on the level.</summary>
    private readonly struct ExpShifted(float shift) : IUnaryOperator
    {
        public float Invoke(float x) => MathF.Exp(x - shift);
        public Vector256<float> Invoke(Vector256<float> x) => Vector256.Exp(x - Vector256.Create(shift));
        public Vector512<float> Invoke(Vector512<float> x) => Vector512.Exp(x - Vector512.Create(shift));
    }

    /// <summary>
    /// KL(q(z|x) || N(0, I)) = sum_k 0.5 (-logvar + exp(logvar) + mu^2 - 1) per row. Adds
    /// weight * d(mean KL) to <paramref name="dMu"/> and <paramref name="dLogVar"/> (rows x latent,
    /// with the given row stride) and returns the unweighted batch mean (the sum over
    /// <paramref name="normalizer"/> rows when given: this batch's share of a larger batch's mean).
    /// </summary>
    public static double GaussianKl(ReadOnlySpan<float> mu, ReadOnlySpan<float> logVar, int stride, int rows, int latent,
        Span<float> dMu, Span<float> dLogVar, float weight, int normalizer = 0)
    {
        int scaleRows = normalizer > 0 ? normalizer : rows;
        var terms = new double[rows * latent];
        GaussianKlTerms(mu, logVar, stride, 0, rows, latent, dMu, dLogVar, weight, scaleRows, terms);
        return KlMean(terms, scaleRows);
    }

    /// <summary>The KL terms of a batch summed in index order over <paramref name="scaleRows"/> rows (0 for no terms).</summary>
    public static double KlMean(ReadOnlySpan<double> terms, int scaleRows)
    {
        if (terms.IsEmpty) return 0;
        double total = 0;
        foreach (double term in terms) total += term;
        return total / scaleRows;
    }

    /// <summary>
    /// Rows [rowStart, rowEnd) of <see cref="GaussianKl"/>: adds the weighted gradient of the mean
    /// over <paramref name="scaleRows"/> rows and writes each element's KL term to
    /// <paramref name="terms"/> (rows x latent). Rows are independent, so threads may split them;
    /// summing the terms in index order gives the same total whatever the split.
    /// </summary>
    public static void GaussianKlTerms(ReadOnlySpan<float> mu, ReadOnlySpan<float> logVar, int stride, int rowStart, int rowEnd, int latent,
        Span<float> dMu, Span<float> dLogVar, float weight, int scaleRows, Span<double> terms)
    {
        float scale = weight / scaleRows;
        for (int r = rowStart; r < rowEnd; r++)
        {
            int o = r * stride;
            for (int k = 0; k < latent; k++)
            {
                float m = mu[o + k], lv = logVar[o + k], ev = MathF.Exp(lv);
                // In double: near logvar = 0 the terms cancel to about logvar^2 / 2.
                terms[r * latent + k] = 0.5 * (Math.Exp(lv) - 1 - lv + (double)m * m);
                dMu[o + k] += scale * m;
                dLogVar[o + k] += scale * 0.5f * (ev - 1f);
            }
        }
    }
}
