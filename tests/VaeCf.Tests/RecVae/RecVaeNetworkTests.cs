using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Model.RecVae;
using VaeCf.Numerics;

namespace VaeCf.Tests.RecVae;

/// <summary>The whole network: the authors' formulas recomputed naively in double, and every analytic gradient against finite differences.</summary>
public class RecVaeNetworkTests
{
    internal static CsrMatrix RandomClicks(int users, int items, int seed, bool weighted = false)
    {
        var rng = new Random(seed);
        var pointers = new int[users + 1];
        var cols = new List<int>();
        var vals = new List<float>();
        for (int u = 0; u < users; u++)
        {
            for (int i = 0; i < items; i++)
                if (rng.NextDouble() < 0.4 || (u == 0 && i == 0)) { cols.Add(i); vals.Add(weighted ? 1 + rng.Next(3) : 1f); }
            pointers[u + 1] = cols.Count;
        }
        return new CsrMatrix(users, items, pointers, cols.ToArray(), weighted ? vals.ToArray() : null);
    }

    /// <summary>A small network with every parameter moved off its initial value (layer-norm gains off 1, biases off 0).</summary>
    private static RecVaeNetwork SmallNetwork(int items, int seed, int layers = 3)
    {
        var config = new RecVaeConfig { ItemCount = items, HiddenSize = 5, LatentSize = 3, EncoderLayers = layers };
        var net = new RecVaeNetwork(config, new GemmEngine(1));
        net.Initialize(seed);
        var rng = new Random(seed + 1);
        foreach (var values in new[] { net.Encoder.Parameters.Values, net.DecoderParameters.Values })
            for (int i = 0; i < values.Length; i++) values[i] += (float)(0.4 * (rng.NextDouble() - 0.5));
        return net;
    }

    [Fact]
    public void EncoderIsTheAuthorsDenseFormulation()
    {
        // h1 = ln1(swish(fc1(x))), h2 = ln2(swish(fc2(h1) + h1)), h3 = ln3(swish(fc3(h2) + h1 + h2)), with x = x / ||x||.
        const int items = 8;
        var net = SmallNetwork(items, seed: 2, layers: 3);
        var x = RandomClicks(3, items, seed: 4, weighted: true);
        var enc = net.Encoder;
        var ws = net.CreateWorkspace(3, training: false);
        var scores = new float[3 * items];
        net.Score(ws, x, 0, 3, scores);
        double[] P(string name) => enc.Parameters.View(enc.Parameters.Slot(name)).ToArray().Select(v => (double)v).ToArray();
        double[] Linear(double[] input, string layer, int outputs)
        {
            var w = P(layer + ".weight"); var b = P(layer + ".bias");
            var y = (double[])b.Clone();
            for (int i = 0; i < input.Length; i++) for (int o = 0; o < outputs; o++) y[o] += input[i] * w[i * outputs + o];
            return y;
        }
        double[] Norm(double[] v, string layer)
        {
            double m = v.Average(), var = v.Average(t => (t - m) * (t - m));
            var g = P(layer + ".weight"); var b = P(layer + ".bias");
            return v.Select((t, i) => (t - m) / Math.Sqrt(var + 0.1) * g[i] + b[i]).ToArray();
        }
        double[] Swish(double[] v) => v.Select(t => t / (1 + Math.Exp(-t))).ToArray();
        double[] Add(params double[][] vs) => vs[0].Select((_, i) => vs.Sum(v => v[i])).ToArray();
        for (int u = 0; u < 3; u++)
        {
            var input = new double[items];
            double norm = Math.Sqrt(x.RowValues(u).ToArray().Sum(v => (double)v * v));
            var cols = x.RowIndices(u); var vals = x.RowValues(u);
            for (int e = 0; e < cols.Length; e++) input[cols[e]] = vals[e] / norm;
            var h1 = Norm(Swish(Linear(input, "encoder.fc1", 5)), "encoder.ln1");
            var h2 = Norm(Swish(Add(Linear(h1, "encoder.fc2", 5), h1)), "encoder.ln2");
            var h3 = Norm(Swish(Add(Linear(h2, "encoder.fc3", 5), h1, h2)), "encoder.ln3");
            var mu = Linear(h3, "encoder.fc_mu", 3);
            var logVar = Linear(h3, "encoder.fc_logvar", 3);
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal(mu[k], ws.Encoder.Mu[u * 3 + k], 4);
                Assert.Equal(logVar[k], ws.Encoder.LogVar[u * 3 + k], 4);
            }
            // Scores decode the mean: mu W + b.
            var w = net.DecoderParameters.Values;
            for (int i = 0; i < items; i++)
            {
                double expected = w[3 * items + i];
                for (int k = 0; k < 3; k++) expected += mu[k] * w[k * items + i];
                Assert.Equal(expected, scores[u * items + i], 4);
            }
        }
    }

    public static TheoryData<float, float?, bool> LossCases => new()
    {
        { 0.3f, null, false }, // user-specific beta = gamma * |history|
        { 0f, 0.8f, true },    // constant beta, weighted clicks
    };

    [Theory]
    [MemberData(nameof(LossCases))]
    public void WholeLossGradientMatchesFiniteDifferences(float gamma, float? beta, bool weighted)
    {
        const int items = 9;
        var net = SmallNetwork(items, seed: 3);
        var prior = new RecVaeEncoder(net.Config);
        prior.Initialize(new Random(17));
        var x = RandomClicks(4, items, seed: 11, weighted);
        int[] rows = [3, 0, 2, 1];
        var ws = net.CreateWorkspace(rows.Length, training: true);
        const int noiseSeed = 42;
        double LossAt()
        {
            net.ForwardTraining(ws, x, rows, 0.5f, new TrainingDraws(noiseSeed, 1));
            return net.NegativeLogLikelihood(ws, x, rows) + net.PriorKl(ws, prior, x, rows, gamma, beta);
        }

        LossAt();
        net.BackwardDecoder(ws);
        net.BackwardEncoder(ws);
        foreach (var (values, gradients) in new[] { (net.Encoder.Parameters.Values, net.Encoder.Gradients), (net.DecoderParameters.Values, net.DecoderGradients) })
        {
            var analytic = (float[])gradients.Clone();
            const float h = 2e-3f;
            int checkedNonZero = 0;
            for (int i = 0; i < values.Length; i++)
            {
                float saved = values[i];
                values[i] = saved + h; double plus = LossAt();
                values[i] = saved - h; double minus = LossAt();
                values[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                double error = Math.Abs(numeric - analytic[i]) / (1e-2 + Math.Abs(numeric));
                Assert.True(error < 3e-2, $"parameter {i}: analytic {analytic[i]}, numeric {numeric}");
                if (Math.Abs(numeric) > 1e-3) checkedNonZero++;
            }
            Assert.True(checkedNonZero > values.Length / 2, "most parameters should carry gradient");
        }
    }

    [Fact]
    public void SamplingNoiseIsStandardNormalAndScoringUsesTheMean()
    {
        // RecBole once drew this noise with std 0.01; a gradient check cannot see that, moments can.
        var config = new RecVaeConfig { ItemCount = 5, HiddenSize = 6, LatentSize = 50, EncoderLayers = 2 };
        var net = new RecVaeNetwork(config, new GemmEngine(1));
        net.Initialize(1);
        var x = CsrMatrix.FromRows(5, Enumerable.Range(0, 200).Select(u => new[] { u % 5 }).ToArray());
        var ws = net.CreateWorkspace(200, training: true);
        var rows = Enumerable.Range(0, 200).ToArray();
        net.ForwardTraining(ws, x, rows, 0f, new TrainingDraws(3, 1));
        var noise = ws.Noise.AsSpan(0, 200 * 50).ToArray();
        double mean = noise.Average(v => (double)v);
        double variance = noise.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(variance, 0.95, 1.05);
        // Scoring is deterministic (z = mu, no dropout) and equals the training decoder fed mu.
        var a = new float[200 * 5]; var b = new float[200 * 5];
        net.Score(x, 0, 200, a);
        net.Score(x, 0, 200, b);
        Assert.Equal(a, b);
        Assert.NotEqual(a, ws.Logits.AsSpan(0, 200 * 5).ToArray());
    }

    [Fact]
    public void InputWeightGradientStaysZeroOutsideTouchedItems()
    {
        var net = SmallNetwork(6, seed: 1, layers: 2);
        var prior = new RecVaeEncoder(net.Config);
        prior.CopyFrom(net.Encoder);
        var x = CsrMatrix.FromRows(6, new[] { new[] { 0, 2 }, new[] { 5 } });
        var ws = net.CreateWorkspace(1, training: true);
        var slot = net.Encoder.Parameters.Slot("encoder.fc1.weight");
        float RowNorm(int item) => net.Encoder.Gradients.AsSpan(slot.Offset + item * 5, 5).ToArray().Sum(Math.Abs);
        void Step(int user)
        {
            net.ForwardTraining(ws, x, [user], 0f, new TrainingDraws(1, 1));
            net.NegativeLogLikelihood(ws, x, [user]);
            net.PriorKl(ws, prior, x, [user], 0.005f, null);
            net.BackwardEncoder(ws);
        }
        Step(0);
        Assert.True(RowNorm(0) > 0 && RowNorm(2) > 0);
        Assert.Equal(0f, RowNorm(5));
        Step(1);
        Assert.Equal(0f, RowNorm(0));
        Assert.Equal(0f, RowNorm(2));
        Assert.True(RowNorm(5) > 0);
    }
}
