using System.Numerics.Tensors;

namespace VaeCf.Model.RecVae;

/// <summary>
/// Swish, x * sigmoid(x) (RecVAE's activation). Row-range entry points so threads can split rows;
/// every element is computed the same way whatever the split.
/// </summary>
public static class Swish
{
    // output: [n] = input * sigmoid(input); output may not alias input (backward needs the input).
    /// <summary>
    /// Writes input * sigmoid(input) into the first <c>input.Length</c> floats of <paramref name="output"/>,
    /// which must not alias the input (the backward pass reads the input again).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="output"/> is shorter than <paramref name="input"/>.</exception>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input)
    {
        if (output.Length < input.Length) throw new ArgumentException("Output is shorter than the input.");
        var y = output[..input.Length];
        TensorPrimitives.Sigmoid(input, y);
        TensorPrimitives.Multiply(y, input, y);
    }

    /// <summary>dInput += dOutput * sigmoid(x) * (1 + x * (1 - sigmoid(x))), from the saved input x.</summary>
    public static void Backward(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input)
    {
        if (dInput.Length < dOutput.Length || input.Length < dOutput.Length) throw new ArgumentException("Buffers are shorter than the gradient.");
        // The sigmoid is recomputed (vectorized, a chunk at a time on the stack) rather than saved: one buffer less per layer.
        const int chunk = 256;
        Span<float> sigmoid = stackalloc float[chunk];
        for (int start = 0; start < dOutput.Length; start += chunk)
        {
            int n = Math.Min(chunk, dOutput.Length - start);
            var x = input.Slice(start, n);
            var s = sigmoid[..n];
            TensorPrimitives.Sigmoid(x, s);
            var dy = dOutput.Slice(start, n);
            var dx = dInput.Slice(start, n);
            for (int i = 0; i < n; i++) dx[i] += dy[i] * s[i] * (1f + x[i] * (1f - s[i]));
        }
    }
}

/// <summary>
/// Layer normalization over each row of width <c>width</c> with learnable gain and bias, as
/// PyTorch's nn.LayerNorm: y = (x - mean) / sqrt(var + eps) * gain + bias, var the biased variance.
/// RecVAE uses eps = 0.1, large enough to matter: rows of near-constant activations are not
/// blown up to unit variance.
/// </summary>
public static class LayerNorm
{
    // output, input: [rows x width]; mean, rstd: [rows] (saved for backward); gain, bias: [width]
    /// <summary>
    /// Normalizes rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of <paramref name="input"/>
    /// (rows x <paramref name="width"/>, row-major) into <paramref name="output"/>, and saves each row's mean and
    /// 1 / sqrt(var + eps) into <paramref name="mean"/> and <paramref name="rstd"/> (one per row) for the backward
    /// pass. <paramref name="gain"/> and <paramref name="bias"/> have <paramref name="width"/> entries. Statistics are
    /// summed in double. Threads may split the rows.
    /// </summary>
    public static void Forward(Span<float> output, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> input,
        ReadOnlySpan<float> gain, ReadOnlySpan<float> bias, int rowStart, int rowEnd, int width, float epsilon)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            var x = input.Slice(r * width, width);
            var y = output.Slice(r * width, width);
            // Two passes in double: the variance of 600 floats of similar size loses digits in float.
            double sum = 0;
            for (int i = 0; i < width; i++) sum += x[i];
            double m = sum / width;
            double squares = 0;
            for (int i = 0; i < width; i++) { double d = x[i] - m; squares += d * d; }
            float s = (float)(1.0 / Math.Sqrt(squares / width + epsilon));
            float mf = (float)m;
            for (int i = 0; i < width; i++) y[i] = (x[i] - mf) * s * gain[i] + bias[i];
            mean[r] = mf;
            rstd[r] = s;
        }
    }

    /// <summary>
    /// dInput += d(loss)/d(input) for rows [rowStart, rowEnd):
    /// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dOutput * gain and xhat the normalized input.
    /// </summary>
    public static void BackwardInput(Span<float> dInput, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input, ReadOnlySpan<float> mean,
        ReadOnlySpan<float> rstd, ReadOnlySpan<float> gain, int rowStart, int rowEnd, int width)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            var x = input.Slice(r * width, width);
            var dy = dOutput.Slice(r * width, width);
            var dx = dInput.Slice(r * width, width);
            float m = mean[r], s = rstd[r];
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < width; i++)
            {
                double g = dy[i] * gain[i];
                sumG += g;
                sumGx += g * ((x[i] - m) * s);
            }
            float meanG = (float)(sumG / width), meanGx = (float)(sumGx / width);
            for (int i = 0; i < width; i++)
            {
                float xhat = (x[i] - m) * s;
                dx[i] += s * (dy[i] * gain[i] - meanG - xhat * meanGx);
            }
        }
    }

    /// <summary>
    /// dGain[c] += sum_r dOutput[r, c] * xhat[r, c] and dBias[c] += sum_r dOutput[r, c] for columns
    /// [columnStart, columnEnd): threads split the columns, each summed over rows in order.
    /// </summary>
    public static void BackwardParameters(Span<float> dGain, Span<float> dBias, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> input,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int rows, int width, int columnStart, int columnEnd)
    {
        for (int r = 0; r < rows; r++)
        {
            float m = mean[r], s = rstd[r];
            int o = r * width;
            for (int c = columnStart; c < columnEnd; c++)
            {
                float dy = dOutput[o + c];
                dGain[c] += dy * ((input[o + c] - m) * s);
                dBias[c] += dy;
            }
        }
    }
}

/// <summary>
/// RecVAE's composite prior p(z) = sum_c w_c N(z; mu_c, exp(logvar_c)) per latent coordinate, with
/// three components: the standard normal, the posterior of the encoder as frozen at the end of the
/// previous epoch (per user), and a wide normal N(0, exp(10)); and the KL term estimated at the
/// sampled z as log q(z|x) - log p(z), weighted per user.
/// </summary>
public static class CompositePrior
{
    /// <summary>ln(2 pi), the constant of the Gaussian log-density.</summary>
    public const double Log2Pi = 1.8378770664093453;

    /// <summary>The authors' mixture weights: standard normal, old posterior, wide normal.</summary>
    public static readonly double[] DefaultWeights = [3.0 / 20, 3.0 / 4, 1.0 / 10];
    /// <summary>Log-variance of the wide component, N(0, exp(10)) as in the authors' code.</summary>
    public const double WideLogVariance = 10;

    /// <summary>log N(z; mu, exp(logVar)) in double.</summary>
    public static double LogNormal(double z, double mu, double logVar)
    {
        double d = z - mu;
        return -0.5 * (logVar + Log2Pi + d * d * Math.Exp(-logVar));
    }

    /// <summary>log p(z) of one coordinate, and d log p / dz.</summary>
    public static double LogDensity(double z, double oldMu, double oldLogVar, ReadOnlySpan<double> logWeights, out double dLogDensityDz)
    {
        double c0 = logWeights[0] + LogNormal(z, 0, 0);
        double c1 = logWeights[1] + LogNormal(z, oldMu, oldLogVar);
        double c2 = logWeights[2] + LogNormal(z, 0, WideLogVariance);
        double max = Math.Max(c0, Math.Max(c1, c2));
        double e0 = Math.Exp(c0 - max), e1 = Math.Exp(c1 - max), e2 = Math.Exp(c2 - max);
        double total = e0 + e1 + e2;
        // d log N(z; mu, v) / dz = -(z - mu) / v; the responsibilities e_c / total weight them.
        dLogDensityDz = -(e0 * z + e1 * (z - oldMu) * Math.Exp(-oldLogVar) + e2 * z * Math.Exp(-WideLogVariance)) / total;
        return max + Math.Log(total);
    }

    /// <summary>
    /// Per row r in [rowStart, rowEnd), the KL estimate sum_k (log q(z_rk | x_r) - log p(z_rk)) into
    /// rowKl[r], with z = mu + noise * exp(logVar / 2). log q at its own sample is
    /// -(logVar + log 2 pi + noise^2) / 2, so its total derivative is -1/2 in logVar and 0 in mu
    /// (the paths through z and through mu cancel); log p depends on z only. The loss term is
    /// sum_r rowWeight[r] * rowKl[r] / normalizer (the batch mean when normalizer is the batch's rows;
    /// data-parallel slices pass the global batch): this adds its derivative in z to <paramref name="dZ"/> and its
    /// direct derivative in logVar to <paramref name="dLogVar"/>; the caller carries dZ into mu and
    /// logVar through the sampling. Rows are independent, so threads may split them.
    /// </summary>
    // z, logVar, noise, oldMu, oldLogVar, dZ, dLogVar: [rows x latent]; rowWeights, rowKl: [rows]; logWeights: [3]
    public static void Kl(ReadOnlySpan<float> z, ReadOnlySpan<float> logVar, ReadOnlySpan<float> noise,
        ReadOnlySpan<float> oldMu, ReadOnlySpan<float> oldLogVar, ReadOnlySpan<float> rowWeights, ReadOnlySpan<double> logWeights,
        int rowStart, int rowEnd, int normalizer, int latent, Span<float> dZ, Span<float> dLogVar, Span<double> rowKl)
    {
        for (int r = rowStart; r < rowEnd; r++)
        {
            float scale = rowWeights[r] / normalizer;
            double kl = 0;
            for (int k = 0; k < latent; k++)
            {
                int i = r * latent + k;
                double eps = noise[i];
                double logQ = -0.5 * (logVar[i] + Log2Pi + eps * eps);
                double logP = LogDensity(z[i], oldMu[i], oldLogVar[i], logWeights, out double dLogP);
                kl += logQ - logP;
                dZ[i] += (float)(-scale * dLogP);
                dLogVar[i] += -0.5f * scale;
            }
            rowKl[r] = kl;
        }
    }
}
