using System.Numerics.Tensors;
using VaeCf.Numerics;

namespace VaeCf.Model.RecVae;

/// <summary>
/// RecVAE's encoder, q(z | x): with h_0 = LN_0(swish(x W_0 + b_0)) on the sparse normalized history
/// and, for l >= 1, h_l = LN_l(swish(h_{l-1} W_l + b_l + h_0 + ... + h_{l-1})) (every earlier
/// output joins the pre-activation, the authors' dense connections), then mu = h_L W_mu + b_mu and
/// logvar = h_L W_logvar + b_logvar. Parameters and their gradients live here; activations in an
/// <see cref="EncoderActivations"/> owned by the caller. The same class is the prior's frozen copy.
/// </summary>
public sealed class RecVaeEncoder
{
    /// <summary>The architecture this encoder was built for (validated).</summary>
    public RecVaeConfig Config { get; }
    /// <summary>Every encoder tensor in one flat buffer, laid out by <see cref="Layout"/>; zero until <see cref="Initialize"/> or a load.</summary>
    public ParameterSet Parameters { get; }
    /// <summary>Same layout as <see cref="Parameters"/>; the input weight's gradient is zero outside the items the last batch touched.</summary>
    public float[] Gradients { get; }

    private readonly TensorSlot[] _weights, _biases, _gains, _shifts;
    private readonly TensorSlot _muWeight, _muBias, _logVarWeight, _logVarBias;

    /// <summary>Allocates zeroed parameters and gradients for <paramref name="config"/>.</summary>
    /// <exception cref="VaeCfException">The configuration is invalid (<see cref="RecVaeConfig.Validate"/>).</exception>
    public RecVaeEncoder(RecVaeConfig config)
    {
        config.Validate();
        Config = config;
        Parameters = new ParameterSet(Layout(config));
        Gradients = new float[Parameters.Count];
        int layers = config.EncoderLayers;
        _weights = Enumerable.Range(0, layers).Select(l => Parameters.Slot($"encoder.fc{l + 1}.weight")).ToArray();
        _biases = Enumerable.Range(0, layers).Select(l => Parameters.Slot($"encoder.fc{l + 1}.bias")).ToArray();
        _gains = Enumerable.Range(0, layers).Select(l => Parameters.Slot($"encoder.ln{l + 1}.weight")).ToArray();
        _shifts = Enumerable.Range(0, layers).Select(l => Parameters.Slot($"encoder.ln{l + 1}.bias")).ToArray();
        _muWeight = Parameters.Slot("encoder.fc_mu.weight");
        _muBias = Parameters.Slot("encoder.fc_mu.bias");
        _logVarWeight = Parameters.Slot("encoder.fc_logvar.weight");
        _logVarBias = Parameters.Slot("encoder.fc_logvar.bias");
    }

    /// <summary>
    /// The authors' module names (fc1..fcL, ln1..lnL, fc_mu, fc_logvar), 1-based; linear weights
    /// are stored [inputs x outputs] (PyTorch's transposed), layer-norm gains as "lnK.weight".
    /// </summary>
    public static IReadOnlyList<TensorSlot> Layout(RecVaeConfig config)
    {
        var slots = new List<TensorSlot>();
        long offset = 0;
        void Add(string name, int rows, int columns, bool isWeight)
        {
            slots.Add(new TensorSlot(name, checked((int)offset), rows, columns, isWeight));
            offset += (long)rows * columns;
        }
        int hidden = config.HiddenSize;
        for (int l = 0; l < config.EncoderLayers; l++)
        {
            Add($"encoder.fc{l + 1}.weight", l == 0 ? config.ItemCount : hidden, hidden, true);
            Add($"encoder.fc{l + 1}.bias", 1, hidden, false);
            Add($"encoder.ln{l + 1}.weight", 1, hidden, false);
            Add($"encoder.ln{l + 1}.bias", 1, hidden, false);
        }
        Add("encoder.fc_mu.weight", hidden, config.LatentSize, true);
        Add("encoder.fc_mu.bias", 1, config.LatentSize, false);
        Add("encoder.fc_logvar.weight", hidden, config.LatentSize, true);
        Add("encoder.fc_logvar.bias", 1, config.LatentSize, false);
        return slots;
    }

    /// <summary>PyTorch's defaults: linear weights and biases U(-1/sqrt(inputs), 1/sqrt(inputs)); layer-norm gain 1, bias 0.</summary>
    public void Initialize(Random rng)
    {
        foreach (var slot in Parameters.Slots)
        {
            var values = Parameters.View(slot);
            if (slot.Name.Contains(".ln")) { values.Fill(slot.Name.EndsWith(".weight") ? 1f : 0f); continue; }
            int inputs = slot.Name.StartsWith("encoder.fc1.") ? Config.ItemCount : Config.HiddenSize;
            float bound = 1f / MathF.Sqrt(inputs);
            for (int i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
        }
    }

    /// <summary>Overwrites this encoder's parameters with <paramref name="other"/>'s (gradients untouched): how the prior's frozen copy is refreshed.</summary>
    /// <exception cref="ArgumentException">The encoders have different parameter counts.</exception>
    public void CopyFrom(RecVaeEncoder other)
    {
        if (other.Parameters.Count != Parameters.Count) throw new ArgumentException("Encoders of different shapes.");
        other.Parameters.Values.CopyTo(Parameters.Values, 0);
    }

    /// <summary>
    /// Runs the encoder on <paramref name="input"/>; mean and log-variance end in
    /// <see cref="EncoderActivations.Mu"/> and <see cref="EncoderActivations.LogVar"/> (rows x latent).
    /// </summary>
    public void Forward(EncoderActivations a, SparseInputBatch input, GemmEngine gemm)
    {
        int rows = input.Rows, hidden = Config.HiddenSize, layers = Config.EncoderLayers;
        if (rows > a.MaxRows) throw new ArgumentException($"Batch of {rows} rows exceeds the activations' {a.MaxRows}.");
        a.Rows = rows;
        float[] values = Parameters.Values;
        float epsilon = Config.LayerNormEpsilon;
        int n = rows * hidden;
        for (int l = 0; l < layers; l++)
        {
            float[] pre = a.PreActivations[l], swished = a.Swished[l], output = a.Outputs[l], mean = a.Means[l], rstd = a.InverseStd[l];
            TensorSlot w = _weights[l], b = _biases[l], gain = _gains[l], shift = _shifts[l];
            if (l == 0)
            {
                int[] pointers = input.Pointers, columns = input.Columns;
                float[] inputValues = input.Values;
                RangeParallel.For(gemm.Threads, rows, 16, (start, end) =>
                    SparseInputLayer.Forward(pre, start, end, hidden, pointers, columns, inputValues,
                        values.AsSpan(w.Offset, w.Length), values.AsSpan(b.Offset, b.Length)));
            }
            else
            {
                // pre = bias + (h_0 + ... + h_{l-1}), then += h_{l-1} W_l in the GEMM (beta = 1).
                var sum = a.OutputSum.AsSpan(0, n);
                var bias = values.AsSpan(b.Offset, b.Length);
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(sum.Slice(r * hidden, hidden), bias, pre.AsSpan(r * hidden, hidden));
                gemm.Multiply(Transpose.No, Transpose.No, rows, hidden, hidden, 1f, a.Outputs[l - 1].AsSpan(0, n), hidden,
                    values.AsSpan(w.Offset, w.Length), hidden, 1f, pre.AsSpan(0, n), hidden);
            }
            float[] outputSum = a.OutputSum;
            bool first = l == 0, accumulate = l < layers - 1;
            RangeParallel.For(gemm.Threads, rows, 16, (start, end) =>
            {
                int from = start * hidden, count = (end - start) * hidden;
                Swish.Forward(swished.AsSpan(from, count), pre.AsSpan(from, count));
                LayerNorm.Forward(output, mean, rstd, swished, values.AsSpan(gain.Offset, gain.Length), values.AsSpan(shift.Offset, shift.Length),
                    start, end, hidden, epsilon);
                if (!accumulate) return;
                if (first) output.AsSpan(from, count).CopyTo(outputSum.AsSpan(from, count));
                else TensorPrimitives.Add(outputSum.AsSpan(from, count), output.AsSpan(from, count), outputSum.AsSpan(from, count));
            });
        }
        int latent = Config.LatentSize;
        var last = a.Outputs[layers - 1].AsSpan(0, n);
        DenseLayer.Forward(gemm, a.Mu.AsSpan(0, rows * latent), last, Parameters.View(_muWeight), Parameters.View(_muBias), rows, hidden, latent);
        DenseLayer.Forward(gemm, a.LogVar.AsSpan(0, rows * latent), last, Parameters.View(_logVarWeight), Parameters.View(_logVarBias), rows, hidden, latent);
    }

    /// <summary>
    /// Writes every parameter's gradient (overwriting <see cref="Gradients"/>) from
    /// <see cref="EncoderActivations.DMu"/> and <see cref="EncoderActivations.DLogVar"/>, for the last
    /// <see cref="Forward"/> on the same activations and input.
    /// </summary>
    public void Backward(EncoderActivations a, SparseInputBatch input, GemmEngine gemm)
    {
        if (!a.HasGradients) throw new InvalidOperationException("These activations were created without gradient buffers.");
        int rows = a.Rows, hidden = Config.HiddenSize, latent = Config.LatentSize, layers = Config.EncoderLayers;
        int n = rows * hidden;
        float[] values = Parameters.Values, grads = Gradients;
        var last = a.Outputs[layers - 1].AsSpan(0, n);
        var dMu = a.DMu.AsSpan(0, rows * latent);
        var dLogVar = a.DLogVar.AsSpan(0, rows * latent);
        DenseLayer.BackwardParameters(gemm, grads.AsSpan(_muWeight.Offset, _muWeight.Length), grads.AsSpan(_muBias.Offset, _muBias.Length),
            last, dMu, rows, hidden, latent);
        DenseLayer.BackwardParameters(gemm, grads.AsSpan(_logVarWeight.Offset, _logVarWeight.Length), grads.AsSpan(_logVarBias.Offset, _logVarBias.Length),
            last, dLogVar, rows, hidden, latent);
        float[] dOutput = a.DOutput, dSwished = a.DSwished, dPre = a.DPreActivation, dSum = a.DSum;
        DenseLayer.BackwardInput(gemm, dOutput.AsSpan(0, n), dMu, Parameters.View(_muWeight), rows, hidden, latent);
        gemm.Multiply(Transpose.No, Transpose.Yes, rows, hidden, latent, 1f, dLogVar, latent, Parameters.View(_logVarWeight), latent,
            1f, dOutput.AsSpan(0, n), hidden);

        ClearInputWeightGradient(input);
        dSum.AsSpan(0, n).Clear();
        for (int l = layers - 1; l >= 0; l--)
        {
            float[] pre = a.PreActivations[l], swished = a.Swished[l], mean = a.Means[l], rstd = a.InverseStd[l];
            TensorSlot w = _weights[l], b = _biases[l], gain = _gains[l], shift = _shifts[l];
            // d(swish output) from the layer norm, then d(pre-activation) through swish, row by row.
            RangeParallel.For(gemm.Threads, rows, 16, (start, end) =>
            {
                int from = start * hidden, count = (end - start) * hidden;
                dSwished.AsSpan(from, count).Clear();
                LayerNorm.BackwardInput(dSwished, dOutput, swished, mean, rstd, values.AsSpan(gain.Offset, gain.Length), start, end, hidden);
                dPre.AsSpan(from, count).Clear();
                Swish.Backward(dPre.AsSpan(from, count), dSwished.AsSpan(from, count), pre.AsSpan(from, count));
            });
            grads.AsSpan(gain.Offset, gain.Length).Clear();
            grads.AsSpan(shift.Offset, shift.Length).Clear();
            RangeParallel.For(gemm.Threads, hidden, 64, (start, end) =>
                LayerNorm.BackwardParameters(grads.AsSpan(gain.Offset, gain.Length), grads.AsSpan(shift.Offset, shift.Length),
                    dOutput, swished, mean, rstd, rows, hidden, start, end));
            if (l == 0)
            {
                BackwardInputLayer(input, dPre, rows, gemm);
                break;
            }
            DenseLayer.BackwardParameters(gemm, grads.AsSpan(w.Offset, w.Length), grads.AsSpan(b.Offset, b.Length),
                a.Outputs[l - 1].AsSpan(0, n), dPre.AsSpan(0, n), rows, hidden, hidden);
            // h_{l-1} fed fc_l and every later pre-activation: dh_{l-1} = dPre_l W_l^T + sum_{k >= l} dPre_k.
            TensorPrimitives.Add(dSum.AsSpan(0, n), dPre.AsSpan(0, n), dSum.AsSpan(0, n));
            dSum.AsSpan(0, n).CopyTo(dOutput);
            gemm.Multiply(Transpose.No, Transpose.Yes, rows, hidden, hidden, 1f, dPre.AsSpan(0, n), hidden, values.AsSpan(w.Offset, w.Length), hidden,
                1f, dOutput.AsSpan(0, n), hidden);
        }
    }

    private void BackwardInputLayer(SparseInputBatch input, float[] dPre, int rows, GemmEngine gemm)
    {
        int hidden = Config.HiddenSize;
        float[] grads = Gradients;
        TensorSlot w = _weights[0], b = _biases[0];
        int[] pointers = input.Pointers, columns = input.Columns;
        float[] inputValues = input.Values;
        // Threads split the output columns, so two users sharing an item never write the same float.
        RangeParallel.For(gemm.Threads, hidden, 16, (start, end) =>
            SparseInputLayer.BackwardWeight(grads.AsSpan(w.Offset, w.Length), hidden, start, end, rows, pointers, columns, inputValues,
                dPre.AsSpan(0, rows * hidden)));
        DenseLayer.ColumnSums(gemm.Threads, grads.AsSpan(b.Offset, b.Length), dPre.AsSpan(0, rows * hidden), rows, hidden);
        input.RememberTouchedItems();
    }

    /// <summary>Only rows of the input weight that a batch touched carry gradient; clearing just those keeps the clear O(batch).</summary>
    private void ClearInputWeightGradient(SparseInputBatch input)
    {
        int hidden = Config.HiddenSize, offset = _weights[0].Offset;
        foreach (int item in input.TouchedItems) Array.Clear(Gradients, offset + item * hidden, hidden);
        input.ForgetTouchedItems();
    }

    /// <summary>Zeroes the whole gradient buffer.</summary>
    public void ClearGradients() => Array.Clear(Gradients);
}

/// <summary>What one encoder forward pass writes (and, with gradients, what its backward pass uses), sized once for a maximum batch.</summary>
public sealed class EncoderActivations
{
    /// <summary>The largest batch these buffers hold.</summary>
    public int MaxRows { get; }
    /// <summary>Rows written by the last <see cref="RecVaeEncoder.Forward"/>.</summary>
    public int Rows { get; internal set; }
    /// <summary>Whether the gradient buffers were allocated; <see cref="RecVaeEncoder.Backward"/> throws without them (scoring needs none).</summary>
    public bool HasGradients { get; }
    /// <summary>Per layer, rows x hidden: before swish, after swish (the layer norm's input), after the layer norm.</summary>
    internal float[][] PreActivations { get; }
    internal float[][] Swished { get; }
    internal float[][] Outputs { get; }
    internal float[][] Means { get; }
    internal float[][] InverseStd { get; }
    /// <summary>h_0 + ... + h_l so far: the dense connections' running sum.</summary>
    internal float[] OutputSum { get; }
    /// <summary>rows x latent.</summary>
    public float[] Mu { get; }
    /// <summary>rows x latent, row-major: the posterior log-variance from the last forward pass.</summary>
    public float[] LogVar { get; }
    /// <summary>rows x latent: the loss gradient in mu and logvar, set before <see cref="RecVaeEncoder.Backward"/>.</summary>
    public float[] DMu { get; }
    /// <summary>rows x latent: the loss gradient in logvar, set before <see cref="RecVaeEncoder.Backward"/>; empty without gradients.</summary>
    public float[] DLogVar { get; }
    internal float[] DOutput { get; }
    internal float[] DSwished { get; }
    internal float[] DPreActivation { get; }
    internal float[] DSum { get; }

    /// <summary>Allocates every activation (and, with <paramref name="withGradients"/>, every gradient) buffer for up to <paramref name="maxRows"/> rows.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRows"/> is not positive.</exception>
    public EncoderActivations(RecVaeConfig config, int maxRows, bool withGradients)
    {
        if (maxRows <= 0) throw new ArgumentOutOfRangeException(nameof(maxRows), "Activations need room for at least one row.");
        MaxRows = maxRows;
        HasGradients = withGradients;
        int layers = config.EncoderLayers, n = maxRows * config.HiddenSize, latent = maxRows * config.LatentSize;
        float[][] PerLayer(int size) => Enumerable.Range(0, layers).Select(_ => new float[size]).ToArray();
        PreActivations = PerLayer(n);
        Swished = PerLayer(n);
        Outputs = PerLayer(n);
        Means = PerLayer(maxRows);
        InverseStd = PerLayer(maxRows);
        OutputSum = new float[n];
        Mu = new float[latent];
        LogVar = new float[latent];
        int gradientSize = withGradients ? n : 0, latentGradientSize = withGradients ? latent : 0;
        DMu = new float[latentGradientSize];
        DLogVar = new float[latentGradientSize];
        DOutput = new float[gradientSize];
        DSwished = new float[gradientSize];
        DPreActivation = new float[gradientSize];
        DSum = new float[gradientSize];
    }
}
