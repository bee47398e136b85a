using System.Numerics.Tensors;
using VaeCf.Data;
using VaeCf.Numerics;

namespace VaeCf.Model;

/// <summary>
/// Mult-VAE or Mult-DAE (Liang et al. 2018): parameters, their gradients, and explicit forward and
/// backward passes. Activations and the GEMM engine's packing buffers live in a
/// <see cref="NetworkWorkspace"/> owned by the caller, so one network can serve several threads,
/// each with its own workspace (parameters are only read during a forward pass).
/// </summary>
public sealed class AutoencoderNetwork : IScorer
{
    /// <summary>Architecture and regularization the network was built with.</summary>
    public ModelConfig Config { get; }
    /// <summary>Every weight and bias in one flat buffer (layer by layer, weight then bias), as saved and optimized.</summary>
    public ParameterSet Parameters { get; }
    /// <summary>Same layout as <see cref="Parameters"/>. The input layer's weight gradient is kept zero outside the rows the last batch touched.</summary>
    public float[] Gradients { get; }
    /// <summary>The template for each workspace's own engine (threads, SIMD level); the trainer's workspace uses it directly.</summary>
    public GemmEngine Gemm { get; }
    /// <summary>(inputs, outputs) of each layer, input layer first; the VAE's code layer outputs mean and log-variance (2 x latent).</summary>
    public IReadOnlyList<(int Inputs, int Outputs)> Shapes { get; }

    private readonly TensorSlot[] _weights;
    private readonly TensorSlot[] _biases;
    private readonly object _scoreLock = new();
    private NetworkWorkspace? _scoreWorkspace;

    /// <summary>Allocates the parameters (zero until <see cref="Initialize"/> or a load) and their gradients.</summary>
    /// <exception cref="VaeCfException">The configuration is invalid.</exception>
    public AutoencoderNetwork(ModelConfig config, GemmEngine gemm)
    {
        config.Validate();
        Config = config;
        Gemm = gemm;
        Shapes = config.LayerShapes();
        Parameters = new ParameterSet(ParameterSet.Layout(Shapes));
        Gradients = new float[Parameters.Count];
        _weights = Enumerable.Range(0, Shapes.Count).Select(l => Parameters.Slot($"layers.{l}.weight")).ToArray();
        _biases = Enumerable.Range(0, Shapes.Count).Select(l => Parameters.Slot($"layers.{l}.bias")).ToArray();
        var (lastInputs, _) = Shapes[^1];
        if (_biases[^1].Offset != _weights[^1].Offset + _weights[^1].Length || _weights[^1].Rows != lastInputs)
            throw new InvalidOperationException("The output layer's bias must follow its weight in the parameter buffer.");
    }

    /// <summary>Width of the input and output layers: the catalogue size.</summary>
    public int ItemCount => Config.ItemCount;
    /// <summary>Number of weight layers, input and output included.</summary>
    public int LayerCount => Shapes.Count;
    /// <summary>True for Mult-VAE (sampled code and KL term), false for Mult-DAE.</summary>
    public bool IsVariational => Config.Kind == ModelKind.MultVae;
    /// <summary>Index of the layer whose output is the code (VAE: mean and log-variance).</summary>
    public int CodeLayer => Config.EncoderLayerCount - 1;
    /// <summary>Where layer <paramref name="layer"/>'s inputs x outputs weight lies in <see cref="Parameters"/> and <see cref="Gradients"/>.</summary>
    public TensorSlot WeightSlot(int layer) => _weights[layer];
    /// <summary>Where layer <paramref name="layer"/>'s bias lies in <see cref="Parameters"/> and <see cref="Gradients"/>.</summary>
    public TensorSlot BiasSlot(int layer) => _biases[layer];

    /// <summary>Xavier-uniform weights and N(0, 0.001^2) biases (the PyTorch reimplementation; the TF original truncates the normal).</summary>
    public void Initialize(int seed)
    {
        var rng = new Random(seed);
        for (int l = 0; l < Shapes.Count; l++)
        {
            var (inputs, outputs) = Shapes[l];
            float limit = MathF.Sqrt(6f / (inputs + outputs));
            var w = Parameters.View(_weights[l]);
            for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * limit);
            var b = Parameters.View(_biases[l]);
            for (int i = 0; i < b.Length; i++) b[i] = (float)(0.001 * Gaussian.Next(rng));
        }
    }

    /// <summary>A workspace for up to <paramref name="maxRows"/> rows; <paramref name="gemm"/> defaults to a new engine like <see cref="Gemm"/>.</summary>
    public NetworkWorkspace CreateWorkspace(int maxRows, GemmEngine? gemm = null) => new(this, maxRows, gemm ?? new GemmEngine(Gemm.Threads, Gemm.Simd));

    private bool HasActivation(int layer) => layer != LayerCount - 1 && !(IsVariational && layer == CodeLayer);

    private bool HasHiddenDropout(int layer, bool training) => training && UsesHiddenDropout(layer);

    /// <summary>Every hidden activation may be dropped except the VAE's mean/log-variance (the DAE's code is an ordinary tanh layer).</summary>
    internal bool UsesHiddenDropout(int layer) =>
        Config.HiddenDropout > 0f && layer != LayerCount - 1 && !(IsVariational && layer == CodeLayer);

    /// <summary>What layer <paramref name="layer"/> (>= 1) multiplies: the sampled code after the VAE's encoder, else the previous activation.</summary>
    private Span<float> LayerInput(NetworkWorkspace ws, int layer, int rows)
    {
        int inputs = Shapes[layer].Inputs;
        if (IsVariational && layer == CodeLayer + 1) return ws.Code.AsSpan(0, rows * inputs);
        int previous = layer - 1;
        var source = ws.Dropped[previous] ?? ws.Activations[previous];
        return source.AsSpan(0, rows * inputs);
    }

    /// <summary>
    /// Runs the network on rows <paramref name="users"/> of <paramref name="clicks"/>. Training
    /// applies dropout and samples the code; evaluation uses the mean. Logits end in
    /// <see cref="NetworkWorkspace.Logits"/> (rows x items).
    /// </summary>
    public void Forward(NetworkWorkspace ws, CsrMatrix clicks, ReadOnlySpan<int> users, bool training, TrainingDraws? draws = null)
    {
        ForwardHiddenLayers(ws, clicks, users, training, draws);
        ForwardOutputLayer(ws, users.Length);
    }

    /// <summary>
    /// Evaluation-mode forward pass through every layer but the output layer, whose input is then
    /// <see cref="OutputLayerInput"/>: serving finishes the item-wide last layer with pre-packed weights.
    /// </summary>
    internal void ForwardHidden(NetworkWorkspace ws, CsrMatrix clicks, ReadOnlySpan<int> users) =>
        ForwardHiddenLayers(ws, clicks, users, training: false, draws: null);

    /// <summary>rows x (output layer inputs) after <see cref="ForwardHidden"/>.</summary>
    internal ReadOnlySpan<float> OutputLayerInput(NetworkWorkspace ws, int rows) => LayerInput(ws, LayerCount - 1, rows);

    private void ForwardHiddenLayers(NetworkWorkspace ws, CsrMatrix clicks, ReadOnlySpan<int> users, bool training, TrainingDraws? draws)
    {
        int rows = users.Length;
        if (rows > ws.MaxRows) throw new ArgumentException($"Batch of {rows} rows exceeds the workspace's {ws.MaxRows}.");
        if (clicks.Columns != ItemCount) throw new VaeCfException($"Input has {clicks.Columns} items but the model was built for {ItemCount}.");
        if (training && draws is null) throw new ArgumentNullException(nameof(draws), "Training needs the epoch's seeded draws.");
        ws.Rows = rows;
        ws.Training = training;
        ws.Profile?.Start();
        ws.LoadInput(clicks, users, training ? Config.InputDropout : 0f, training ? draws : null);

        var (_, firstOutputs) = Shapes[0];
        float[] values = Parameters.Values;
        TensorSlot w0 = _weights[0], b0 = _biases[0];
        if (training) ws.InputByItem.Build(rows, ws.InputPointers, ws.InputColumns, ws.InputValues);
        if (training && ws.InputByItem.RowsAscend)
        {
            // Each touched weight row read once per batch; threads split the output columns.
            var byItem = ws.InputByItem;
            int parts = Math.Clamp(firstOutputs / 64, 1, ws.Gemm.Threads);
            if (parts == 1)
                SparseInputLayerByItem.Forward(ws.Activations[0], rows, firstOutputs, 0, firstOutputs, byItem, values.AsSpan(w0.Offset, w0.Length),
                    values.AsSpan(b0.Offset, b0.Length));
            else
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                    SparseInputLayerByItem.Forward(ws.Activations[0], rows, firstOutputs, ColumnPartStart(firstOutputs, p, parts),
                        ColumnPartStart(firstOutputs, p + 1, parts), byItem, values.AsSpan(w0.Offset, w0.Length), values.AsSpan(b0.Offset, b0.Length)));
        }
        else
            // Gathering weight rows is memory-bound, so even a server's micro-batch of a few dozen rows gains from two cores.
            RangeParallel.For(ws.Gemm.Threads, rows, 16, (start, end) =>
                SparseInputLayer.Forward(ws.Activations[0], start, end, firstOutputs, ws.InputPointers, ws.InputColumns, ws.InputValues,
                    values.AsSpan(w0.Offset, w0.Length), values.AsSpan(b0.Offset, b0.Length)));
        FinishLayer(ws, 0, rows, training);
        ws.Profile?.Mark(TrainingPhase.InputForward);

        for (int l = 1; l < LayerCount - 1; l++)
        {
            var (inputs, outputs) = Shapes[l];
            DenseLayer.Forward(ws.Gemm, ws.Activations[l], LayerInput(ws, l, rows), Parameters.View(_weights[l]),
                Parameters.View(_biases[l]), rows, inputs, outputs);
            FinishLayer(ws, l, rows, training);
        }
        ws.Profile?.Mark(TrainingPhase.HiddenForward);
    }

    /// <summary>
    /// logits = [h, 1] . [W; b]: the bias is the weight's extra last row (it follows the weight in
    /// the parameter buffer) and the input carries a column of ones, so the GEMM adds the bias and
    /// the rows x items logits are written once, instead of a bias broadcast and a read-modify-write.
    /// </summary>
    private void ForwardOutputLayer(NetworkWorkspace ws, int rows)
    {
        int last = LayerCount - 1;
        var (inputs, outputs) = Shapes[last];
        int stride = inputs + 1;
        var source = LayerInput(ws, last, rows);
        var extended = ws.OutputLayerInput;
        for (int r = 0; r < rows; r++) source.Slice(r * inputs, inputs).CopyTo(extended.AsSpan(r * stride, inputs));
        ws.Gemm.Multiply(Transpose.No, Transpose.No, rows, outputs, stride, 1f, extended.AsSpan(0, rows * stride), stride,
            Parameters.Values.AsSpan(_weights[last].Offset, stride * outputs), outputs, 0f, ws.Activations[last], outputs);
        ws.Profile?.Mark(TrainingPhase.OutputForward);
    }

    /// <summary>Activation, dropout and (at the VAE's code) sampling: each row on its own, so threads split the rows and the bits do not depend on the split.</summary>
    private void FinishLayer(NetworkWorkspace ws, int layer, int rows, bool training) =>
        RangeParallel.For(ws.Gemm.Threads, rows, RowsPerPart, (start, end) => FinishRows(ws, layer, start, end, training));

    /// <summary>Start of column part <paramref name="part"/> of <paramref name="parts"/>, on a 16-float (one AVX-512 vector) boundary.</summary>
    private static int ColumnPartStart(int columns, int part, int parts) => part >= parts ? columns : columns * part / parts / 16 * 16;

    /// <summary>Rows below this many per part are not worth a hand-off to another thread.</summary>
    private const int RowsPerPart = 32;

    private void FinishRows(NetworkWorkspace ws, int layer, int start, int end, bool training)
    {
        int outputs = Shapes[layer].Outputs;
        var act = ws.Activations[layer].AsSpan(start * outputs, (end - start) * outputs);
        if (HasActivation(layer)) TanhActivation.Forward(act);
        if (HasHiddenDropout(layer, training))
        {
            float keepScale = 1f / (1f - Config.HiddenDropout);
            var mask = ws.DropMasks[layer]!.AsSpan(start * outputs, act.Length);
            ulong stream = TrainingDraws.HiddenDropoutStream + (ulong)layer;
            for (int r = start; r < end; r++)
            {
                var userDraws = ws.RowDraws[r];
                var rowMask = mask.Slice((r - start) * outputs, outputs);
                for (int k = 0; k < outputs; k++) rowMask[k] = userDraws.Uniform(stream, k) < Config.HiddenDropout ? 0f : keepScale;
            }
            TensorPrimitives.Multiply(act, mask, ws.Dropped[layer]!.AsSpan(start * outputs, act.Length));
        }
        else if (ws.Dropped[layer] is { } dropped) act.CopyTo(dropped.AsSpan(start * outputs));
        if (IsVariational && layer == CodeLayer) SampleCode(ws, start, end, training);
    }

    /// <summary>z = mu + eps * exp(logvar / 2) with eps ~ N(0, 1), each user's from its own draws, in training; z = mu otherwise.</summary>
    private void SampleCode(NetworkWorkspace ws, int start, int end, bool training)
    {
        int latent = Config.LatentSize;
        var code = ws.Activations[CodeLayer];
        for (int r = start; r < end; r++)
        {
            var mu = code.AsSpan(r * 2 * latent, latent);
            var logVar = code.AsSpan(r * 2 * latent + latent, latent);
            var z = ws.Code.AsSpan(r * latent, latent);
            var eps = ws.Noise.AsSpan(r * latent, latent);
            if (training)
            {
                ws.RowDraws[r].Gaussians(TrainingDraws.NoiseStream, eps);
                for (int k = 0; k < latent; k++) z[k] = mu[k] + eps[k] * MathF.Exp(0.5f * logVar[k]);
            }
            else
            {
                // At evaluation z = mu exactly: mu + 0 * exp(logvar / 2) would be NaN for a huge logvar.
                eps.Clear();
                mu.CopyTo(z);
            }
        }
    }

    /// <summary>
    /// Loss of the last forward pass against <paramref name="targets"/> (rows <paramref name="users"/>),
    /// with its gradient left in the workspace for <see cref="Backward"/>. The logits are consumed.
    /// </summary>
    /// <param name="normalizer">
    /// The rows the loss is averaged over; defaults to this batch's. Data-parallel training passes
    /// the global batch, so each process's loss and gradient are its share of the global mean and
    /// summing them across processes gives the one-process values.
    /// </param>
    public LossParts ComputeLoss(NetworkWorkspace ws, CsrMatrix targets, ReadOnlySpan<int> users, float beta, int normalizer = 0)
    {
        int rows = ws.Rows;
        int scaleRows = normalizer > 0 ? normalizer : rows;
        ws.LoadTargets(targets, users);
        int items = ItemCount;
        // Rows are independent (one softmax each), so threads split them; each row's result is the same whatever the split.
        RangeParallel.For(ws.Gemm.Threads, rows, 16, (start, end) =>
            Loss.MultinomialNll(ws.Logits, start, end, scaleRows, items, ws.TargetPointers, ws.TargetColumns, ws.TargetValues, ws.RowLosses, ws.Gemm.Simd));
        double nll = 0;
        for (int r = 0; r < rows; r++) nll += ws.RowLosses[r];
        nll = rows == 0 ? 0 : nll / scaleRows;
        double kl = 0;
        if (IsVariational)
        {
            int latent = Config.LatentSize;
            float[] code = ws.Activations[CodeLayer], dCode = ws.CodeGradient;
            double[] terms = ws.KlTerms;
            // The gradient and each element's term are per row, so threads split the rows; the terms are then summed in one fixed order.
            RangeParallel.For(ws.Gemm.Threads, rows, RowsPerPart, (start, end) =>
            {
                dCode.AsSpan(start * 2 * latent, (end - start) * 2 * latent).Clear();
                Loss.GaussianKlTerms(code, code.AsSpan(latent), 2 * latent, start, end, latent, dCode, dCode.AsSpan(latent), beta, scaleRows, terms);
            });
            kl = Loss.KlMean(terms.AsSpan(0, rows * latent), scaleRows);
        }
        ws.Profile?.Mark(TrainingPhase.Loss);
        return new LossParts(nll, kl, beta);
    }

    /// <summary>Writes every parameter's gradient for the last <see cref="ComputeLoss"/>.</summary>
    /// <param name="layerGradientReady">
    /// Told a layer's index as soon as its weight and bias gradients are final (the output layer's
    /// first), while the rest of the pass runs: data-parallel training starts summing them there.
    /// </param>
    public void Backward(NetworkWorkspace ws, Action<int>? layerGradientReady = null)
    {
        if (!ws.Training) throw new InvalidOperationException("Backward needs a training forward pass on the same workspace.");
        int rows = ws.Rows;
        PrepareInputWeightGradient(ws);
        ws.Profile?.Mark(TrainingPhase.InputBackward);
        float[] dOutput = ws.Logits;
        for (int l = LayerCount - 1; l >= 1; l--)
        {
            var (inputs, outputs) = Shapes[l];
            var dOut = dOutput.AsSpan(0, rows * outputs);
            if (l == LayerCount - 1)
            {
                // [dW; db] = [h, 1]^T . dY: the bias gradient (column sums of dY) comes out of the same GEMM as the weight's.
                ws.Gemm.Multiply(Transpose.Yes, Transpose.No, inputs + 1, outputs, rows, 1f, ws.OutputLayerInput.AsSpan(0, rows * (inputs + 1)), inputs + 1,
                    dOut, outputs, 0f, Gradients.AsSpan(_weights[l].Offset, (inputs + 1) * outputs), outputs);
                ws.Profile?.Mark(TrainingPhase.OutputWeightGradient);
            }
            else
                DenseLayer.BackwardParameters(ws.Gemm, Gradients.AsSpan(_weights[l].Offset, _weights[l].Length),
                    Gradients.AsSpan(_biases[l].Offset, _biases[l].Length), LayerInput(ws, l, rows), dOut, rows, inputs, outputs);
            layerGradientReady?.Invoke(l);

            float[] dInput = ReferenceEquals(dOutput, ws.GradientA) ? ws.GradientB : ws.GradientA;
            DenseLayer.BackwardInput(ws.Gemm, dInput.AsSpan(0, rows * inputs), dOut, Parameters.View(_weights[l]), rows, inputs, outputs);
            if (l == LayerCount - 1) ws.Profile?.Mark(TrainingPhase.OutputInputGradient);
            if (IsVariational && l == CodeLayer + 1)
            {
                RangeParallel.For(ws.Gemm.Threads, rows, RowsPerPart, (start, end) => BackwardThroughSampling(ws, dInput, start, end));
                dOutput = ws.CodeGradient;
            }
            else
            {
                int below = l - 1;
                RangeParallel.For(ws.Gemm.Threads, rows, RowsPerPart, (start, end) =>
                    BackwardThroughActivation(ws, below, start * inputs, dInput.AsSpan(start * inputs, (end - start) * inputs)));
                dOutput = dInput;
            }
        }
        ws.Profile?.Mark(TrainingPhase.HiddenBackward);
        BackwardInputLayer(ws, dOutput, rows);
        ws.Profile?.Mark(TrainingPhase.InputBackward);
        layerGradientReady?.Invoke(0);
    }

    private void BackwardInputLayer(NetworkWorkspace ws, float[] dOutput, int rows)
    {
        int outputs = Shapes[0].Outputs;
        float[] grads = Gradients;
        int offset = _weights[0].Offset, length = _weights[0].Length;
        var byItem = ws.InputByItem;
        int parts = Math.Min(Gemm.Threads, Math.Max(1, byItem.Items.Count / 16));
        if (parts <= 1)
            SparseInputLayerByItem.BackwardWeight(grads.AsSpan(offset, length), outputs, byItem, 0, byItem.Items.Count, dOutput.AsSpan(0, rows * outputs));
        else
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = Gemm.Threads }, p =>
                SparseInputLayerByItem.BackwardWeight(grads.AsSpan(offset, length), outputs, byItem, byItem.PartStart(p, parts), byItem.PartStart(p + 1, parts),
                    dOutput.AsSpan(0, rows * outputs)));
        DenseLayer.ColumnSums(Gemm.Threads, Gradients.AsSpan(_biases[0].Offset, _biases[0].Length), dOutput.AsSpan(0, rows * outputs), rows, outputs);
        for (int s = 0; s < byItem.Items.Count; s++) ws.TouchedInputRows.Add(byItem.Items[s]);
    }

    /// <param name="offset">Where <paramref name="gradient"/> starts in the layer's rows x outputs buffers.</param>
    private void BackwardThroughActivation(NetworkWorkspace ws, int layer, int offset, Span<float> gradient)
    {
        if (ws.Training && ws.DropMasks[layer] is { } mask)
            TensorPrimitives.Multiply(gradient, mask.AsSpan(offset, gradient.Length), gradient);
        if (HasActivation(layer)) TanhActivation.Backward(gradient, ws.Activations[layer].AsSpan(offset, gradient.Length), ws.Gemm.Simd);
    }

    /// <summary>From dz to d[mu | logvar]: dmu += dz, dlogvar += dz * eps * exp(logvar / 2) / 2; the KL part is already there.</summary>
    private void BackwardThroughSampling(NetworkWorkspace ws, float[] dCodeSample, int start, int end)
    {
        int latent = Config.LatentSize;
        var code = ws.Activations[CodeLayer];
        var dCode = ws.CodeGradient;
        for (int r = start; r < end; r++)
        for (int k = 0; k < latent; k++)
        {
            int zi = r * latent + k, mi = r * 2 * latent + k, li = mi + latent;
            float dz = dCodeSample[zi];
            dCode[mi] += dz;
            dCode[li] += dz * ws.Noise[zi] * 0.5f * MathF.Exp(0.5f * code[li]);
        }
    }

    /// <summary>
    /// Zeroes the input weight gradient's rows that the last backward pass wrote and this batch does
    /// not touch (this batch's rows are overwritten whole): the clear stays O(batch).
    /// </summary>
    private void PrepareInputWeightGradient(NetworkWorkspace ws)
    {
        var byItem = ws.InputByItem;
        int outputs = Shapes[0].Outputs, offset = _weights[0].Offset;
        foreach (int row in ws.TouchedInputRows)
            if (!byItem.Contains(row)) Array.Clear(Gradients, offset + row * outputs, outputs);
        ws.TouchedInputRows.Clear();
    }

    /// <summary>
    /// Zeroes the input layer's whole weight gradient. After gradients are summed across processes
    /// it holds rows other processes' users touched, which this workspace's list does not know.
    /// </summary>
    public void ClearInputWeightGradient()
    {
        Array.Clear(Gradients, _weights[0].Offset, _weights[0].Length);
    }

    /// <summary>Zeroes the whole gradient buffer (after loading parameters, for instance).</summary>
    public void ClearGradients() => Array.Clear(Gradients);

    /// <summary>Logits for rows [rowStart, rowStart + rowCount) with the mean code; no dropout.</summary>
    public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
    {
        lock (_scoreLock)
        {
            const int chunk = 1000;
            _scoreWorkspace ??= CreateWorkspace(chunk);
            for (int start = 0; start < rowCount; start += _scoreWorkspace.MaxRows)
            {
                int count = Math.Min(_scoreWorkspace.MaxRows, rowCount - start);
                Score(_scoreWorkspace, histories, rowStart + start, count, scores.Slice(start * ItemCount, count * ItemCount));
            }
        }
    }

    /// <summary>Logits for rows [rowStart, rowStart + rowCount) of <paramref name="histories"/> into <paramref name="scores"/> (rowCount x items), on the caller's workspace: callers with their own workspaces may score concurrently.</summary>
    public void Score(NetworkWorkspace ws, CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
    {
        var users = ws.RowRange(rowStart, rowCount);
        Forward(ws, histories, users, training: false);
        ws.Logits.AsSpan(0, rowCount * ItemCount).CopyTo(scores);
    }

    /// <summary>Sum of squared weights (biases excluded), the Mult-DAE penalty's base.</summary>
    public double WeightSquaredNorm()
    {
        double total = 0;
        foreach (var slot in _weights) total += TensorPrimitives.SumOfSquares(Parameters.View(slot));
        return total;
    }
}

/// <summary>The loss of one batch: multinomial NLL, KL, and the beta it was weighted with.</summary>
public readonly record struct LossParts(double NegativeLogLikelihood, double Kl, float Beta)
{
    /// <summary>The objective the step minimized: NLL + beta x KL.</summary>
    public double Total => NegativeLogLikelihood + Beta * Kl;
}

/// <summary>Standard normal draws from a seeded <see cref="Random"/> (Box-Muller).</summary>
public static class Gaussian
{
    /// <summary>One N(0, 1) draw (Box-Muller; the second output is discarded).</summary>
    public static double Next(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="output"/> with standard normal draws, both Box-Muller outputs of each pair used (half the logs and uniforms of <see cref="Next"/>).</summary>
    public static void Fill(Random rng, Span<float> output)
    {
        int i = 0;
        for (; i + 1 < output.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            var (sin, cos) = Math.SinCos(2 * Math.PI * u2);
            output[i] = (float)(radius * cos);
            output[i + 1] = (float)(radius * sin);
        }
        if (i < output.Length) output[i] = (float)Next(rng);
    }
}
