using VaeCf.Model.RecVae;

namespace VaeCf.Tests.RecVae;

/// <summary>RecVAE's new layers on their own: hand-computed values and central differences of a random linear probe.</summary>
public class RecVaeLayerTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    /// <summary>Central differences (h = 1e-2; float forward passes) against the analytic gradient, entry by entry.</summary>
    internal static void CheckAll(float[] parameters, float[] analytic, Func<double> loss, double tolerance = 2e-3)
    {
        const float h = 1e-2f;
        for (int i = 0; i < parameters.Length; i++)
        {
            float saved = parameters[i];
            parameters[i] = saved + h; double plus = loss();
            parameters[i] = saved - h; double minus = loss();
            parameters[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) < tolerance + 1e-2 * Math.Abs(numeric), $"index {i}: analytic {analytic[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void SwishValuesAndGradient()
    {
        float[] known = [0f, 1f, -2f];
        var y = new float[3];
        Swish.Forward(y, known);
        Assert.Equal(0f, y[0]);
        Assert.Equal(1 / (1 + Math.Exp(-1)), y[1], 6);
        Assert.Equal(-2 / (1 + Math.Exp(2)), y[2], 6);

        // Longer than the backward pass's 256-float chunk, so the chunk seam is crossed.
        var x = Random(300, 1, 4f);
        var probe = Random(300, 2);
        var dx = Random(300, 3); // backward accumulates: start from something non-zero
        var before = (float[])dx.Clone();
        Swish.Backward(dx, probe, x);
        for (int i = 0; i < dx.Length; i++) dx[i] -= before[i];
        CheckAll(x, dx, () => { var t = new float[x.Length]; Swish.Forward(t, x); return Dot(t, probe); });
    }

    [Fact]
    public void LayerNormValuesAndGradients()
    {
        // One row [1, 2, 3]: mean 2, biased variance 2/3, eps 0.1.
        float[] row = [1f, 2f, 3f];
        var y = new float[3]; var mean = new float[1]; var rstd = new float[1];
        LayerNorm.Forward(y, mean, rstd, row, [1f, 1f, 1f], [0f, 0f, 0f], 0, 1, 3, 0.1f);
        double s = 1 / Math.Sqrt(2.0 / 3 + 0.1);
        Assert.Equal(-s, y[0], 5); Assert.Equal(0, y[1], 6); Assert.Equal(s, y[2], 5);
        Assert.Equal(2f, mean[0]);

        const int rows = 3, width = 7;
        const float eps = 0.1f;
        var x = Random(rows * width, 4, 2f);
        var gain = Random(width, 5, 1.5f); var bias = Random(width, 6);
        var probe = Random(rows * width, 7);
        double LossOf()
        {
            var yy = new float[rows * width]; var m = new float[rows]; var r = new float[rows];
            LayerNorm.Forward(yy, m, r, x, gain, bias, 0, rows, width, eps);
            return Dot(yy, probe);
        }
        var outY = new float[rows * width]; var means = new float[rows]; var rstds = new float[rows];
        LayerNorm.Forward(outY, means, rstds, x, gain, bias, 0, rows, width, eps);
        var dx = new float[x.Length]; var dGain = new float[width]; var dBias = new float[width];
        // Rows in two ranges and columns in two ranges, as threads split them.
        LayerNorm.BackwardInput(dx, probe, x, means, rstds, gain, 0, 1, width);
        LayerNorm.BackwardInput(dx, probe, x, means, rstds, gain, 1, rows, width);
        LayerNorm.BackwardParameters(dGain, dBias, probe, x, means, rstds, rows, width, 0, 3);
        LayerNorm.BackwardParameters(dGain, dBias, probe, x, means, rstds, rows, width, 3, width);
        CheckAll(x, dx, LossOf);
        CheckAll(gain, dGain, LossOf);
        CheckAll(bias, dBias, LossOf);
    }

    [Fact]
    public void CompositePriorIsTheMixtureDensity()
    {
        double[] w = CompositePrior.DefaultWeights;
        double[] logW = w.Select(v => Math.Log(v)).ToArray();
        double Pdf(double z, double mu, double logVar) => Math.Exp(-(z - mu) * (z - mu) / (2 * Math.Exp(logVar))) / Math.Sqrt(2 * Math.PI * Math.Exp(logVar));
        foreach (var (z, mu, lv) in new[] { (0.3, -0.5, 0.2), (-2.0, 1.0, -1.5), (5.0, 0.0, 0.0), (0.0, 0.0, -3.0) })
        {
            double expected = Math.Log(w[0] * Pdf(z, 0, 0) + w[1] * Pdf(z, mu, lv) + w[2] * Pdf(z, 0, 10));
            double actual = CompositePrior.LogDensity(z, mu, lv, logW, out double slope);
            Assert.Equal(expected, actual, 10);
            const double h = 1e-5;
            double numeric = (CompositePrior.LogDensity(z + h, mu, lv, logW, out _) - CompositePrior.LogDensity(z - h, mu, lv, logW, out _)) / (2 * h);
            Assert.Equal(numeric, slope, 6);
        }
        // Far in the tail only the wide component is left, and the log stays finite.
        Assert.True(double.IsFinite(CompositePrior.LogDensity(1e3, 0, -5, logW, out double tail)));
        Assert.Equal(-1e3 * Math.Exp(-10), tail, 8);
    }

    [Fact]
    public void MixturePriorKlGradientThroughTheSample()
    {
        // The KL as a function of (mu, logvar) with the noise fixed: z = mu + eps * exp(logvar / 2).
        const int rows = 2, latent = 3;
        var mu = Random(rows * latent, 8); var logVar = Random(rows * latent, 9, 0.8f);
        var noise = Random(rows * latent, 10, 1.5f);
        var oldMu = Random(rows * latent, 11); var oldLogVar = Random(rows * latent, 12, 0.5f);
        float[] weights = [0.7f, 1.9f];
        double[] logW = CompositePrior.DefaultWeights.Select(v => Math.Log(v)).ToArray();
        double KlOf(float[] dZ, float[] dLogVar)
        {
            var z = new float[rows * latent];
            for (int i = 0; i < z.Length; i++) z[i] = mu[i] + noise[i] * MathF.Exp(0.5f * logVar[i]);
            var rowKl = new double[rows];
            CompositePrior.Kl(z, logVar, noise, oldMu, oldLogVar, weights, logW, 0, rows, rows, latent, dZ, dLogVar, rowKl);
            return (weights[0] * rowKl[0] + weights[1] * rowKl[1]) / rows;
        }
        var dZ = new float[rows * latent]; var dLv = new float[rows * latent];
        KlOf(dZ, dLv);
        var dMuTotal = (float[])dZ.Clone();
        var dLvTotal = new float[dLv.Length];
        for (int i = 0; i < dLv.Length; i++) dLvTotal[i] = dLv[i] + dZ[i] * noise[i] * 0.5f * MathF.Exp(0.5f * logVar[i]);
        double LossOf() => KlOf(new float[rows * latent], new float[rows * latent]);
        CheckAll(mu, dMuTotal, LossOf);
        CheckAll(logVar, dLvTotal, LossOf);

        // The estimate itself, one coordinate by hand: log q(z) - log p(z).
        var single = new double[1];
        float zz = 0.4f + 0.9f * MathF.Exp(0.5f * -0.3f);
        CompositePrior.Kl([zz], [-0.3f], [0.9f], [0.1f], [0.2f], [1f], logW, 0, 1, 1, 1, new float[1], new float[1], single);
        double logQ = -0.5 * (-0.3 + Math.Log(2 * Math.PI) + 0.81);
        Assert.Equal(logQ - CompositePrior.LogDensity(zz, 0.1, 0.2, logW, out _), single[0], 5);
    }
}
