using VaeCf.Data;
using VaeCf.Numerics;

namespace VaeCf.Model.RecVae;

/// <summary>
/// RecVAE (Shenbin, Alekseev, Tutubalina, Malykh, Nikolenko, WSDM 2020): the <see cref="RecVaeEncoder"/>,
/// a linear decoder z -> item logits with the multinomial likelihood (as Mult-VAE), and the
/// composite-prior KL. Explicit forward and backward passes over a <see cref="RecVaeWorkspace"/>;
/// scoring uses the mean code and no dropout.
/// </summary>
public sealed class RecVaeNetwork : IScorer
{
    /// <summary>The architecture (validated); shared with <see cref="Encoder"/>.</summary>
    public RecVaeConfig Config { get; }
    /// <summary>The trained encoder q(z | x), with its own parameters and gradients.</summary>
    public RecVaeEncoder Encoder { get; }
    /// <summary>"decoder.weight" [latent x items] followed by "decoder.bias" [items]: one [latent + 1 x items] block for the GEMM.</summary>
    public ParameterSet DecoderParameters { get; }
    /// <summary>Same layout as <see cref="DecoderParameters"/>; overwritten by each <see cref="BackwardDecoder"/>.</summary>
    public float[] DecoderGradients { get; }
    /// <summary>The template for each workspace's own engine (threads, SIMD level).</summary>
    public GemmEngine Gemm { get; }

    private readonly TensorSlot _decoderWeight;
    private readonly double[] _logMixtureWeights;
    private readonly object _scoreLock = new();
    private RecVaeWorkspace? _scoreWorkspace;

    /// <summary>
    /// Allocates zeroed parameters and gradients (call <see cref="Initialize"/> or load tensors next).
    /// <paramref name="gemm"/> sets threads and SIMD level; each workspace gets its own engine like it.
    /// </summary>
    /// <exception cref="VaeCfException">The configuration is invalid.</exception>
    public RecVaeNetwork(RecVaeConfig config, GemmEngine gemm)
    {
        config.Validate();
        Config = config;
        Gemm = gemm;
        Encoder = new RecVaeEncoder(config);
        DecoderParameters = new ParameterSet(
        [
            new TensorSlot("decoder.weight", 0, config.LatentSize, config.ItemCount, IsWeight: true),
            new TensorSlot("decoder.bias", config.LatentSize * config.ItemCount, 1, config.ItemCount, IsWeight: false),
        ]);
        DecoderGradients = new float[DecoderParameters.Count];
        _decoderWeight = DecoderParameters.Slot("decoder.weight");
        _logMixtureWeights = config.MixtureWeights.Select(w => Math.Log(w)).ToArray();
    }

    /// <summary>Items scored per row: the decoder's output width.</summary>
    public int ItemCount => Config.ItemCount;

    /// <summary>Every tensor by name, encoder first: what a model file holds.</summary>
    public IEnumerable<(TensorSlot Slot, ParameterSet Set)> Tensors =>
        Encoder.Parameters.Slots.Select(s => (s, Encoder.Parameters)).Concat(DecoderParameters.Slots.Select(s => (s, DecoderParameters)));

    /// <summary>PyTorch's default initialization (see <see cref="RecVaeEncoder.Initialize"/>); the decoder's bound is 1/sqrt(latent).</summary>
    public void Initialize(int seed)
    {
        var rng = new Random(seed);
        Encoder.Initialize(rng);
        float bound = 1f / MathF.Sqrt(Config.LatentSize);
        var values = DecoderParameters.Values;
        for (int i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
    }

    /// <summary>
    /// Buffers for passes of up to <paramref name="maxRows"/> rows; <paramref name="training"/> adds gradient
    /// buffers and the prior encoder's activations. Without <paramref name="gemm"/>, a new engine with
    /// <see cref="Gemm"/>'s threads and SIMD level. A workspace serves one caller at a time.
    /// </summary>
    public RecVaeWorkspace CreateWorkspace(int maxRows, bool training, GemmEngine? gemm = null) =>
        new(Config, maxRows, training, gemm ?? new GemmEngine(Gemm.Threads, Gemm.Simd));

    /// <summary>
    /// Loads rows <paramref name="users"/> of <paramref name="clicks"/> with input dropout
    /// <paramref name="dropout"/>, encodes them, samples z = mu + eps * exp(logvar / 2) and decodes:
    /// the logits end in <see cref="RecVaeWorkspace.Logits"/>. Clears the code gradients. Each user's
    /// dropout mask and noise are its own <paramref name="draws"/>, whatever batch it is in.
    /// </summary>
    public void ForwardTraining(RecVaeWorkspace ws, CsrMatrix clicks, ReadOnlySpan<int> users, float dropout, TrainingDraws draws)
    {
        if (!ws.Training) throw new InvalidOperationException("A training pass needs a training workspace.");
        CheckItems(clicks);
        ws.Input.Load(clicks, users, dropout, draws);
        Encoder.Forward(ws.Encoder, ws.Input, ws.Gemm);
        int rows = users.Length, latent = Config.LatentSize;
        var noise = ws.Noise.AsSpan(0, rows * latent);
        for (int r = 0; r < rows; r++) draws.ForUser(users[r]).Gaussians(TrainingDraws.NoiseStream, noise.Slice(r * latent, latent));
        var mu = ws.Encoder.Mu;
        var logVar = ws.Encoder.LogVar;
        for (int r = 0; r < rows; r++)
        {
            var z = ws.CodeWithOne.AsSpan(r * (latent + 1), latent);
            for (int k = 0; k < latent; k++)
            {
                int i = r * latent + k;
                z[k] = mu[i] + noise[i] * MathF.Exp(0.5f * logVar[i]);
            }
        }
        ws.Encoder.DMu.AsSpan(0, rows * latent).Clear();
        ws.Encoder.DLogVar.AsSpan(0, rows * latent).Clear();
        ws.DCode.AsSpan(0, rows * latent).Clear();
        Decode(ws, rows, ws.Logits);
    }

    /// <summary>logits = [z, 1] . [W; b]: the bias rides in the GEMM as the weight's extra row.</summary>
    private void Decode(RecVaeWorkspace ws, int rows, Span<float> logits)
    {
        int stride = Config.LatentSize + 1;
        ws.Gemm.Multiply(Transpose.No, Transpose.No, rows, ItemCount, stride, 1f, ws.CodeWithOne.AsSpan(0, rows * stride), stride,
            DecoderParameters.Values, ItemCount, 0f, logits, ItemCount);
    }

    /// <summary>
    /// Batch mean of the multinomial negative log-likelihood of <paramref name="targets"/> rows
    /// <paramref name="users"/> (the same rows as the forward pass); the logits become its gradient.
    /// </summary>
    /// <param name="normalizer">
    /// The rows the mean is over; this batch's by default. Data-parallel training passes the global
    /// batch, so the processes' losses and gradients sum to the one-process ones.
    /// </param>
    public double NegativeLogLikelihood(RecVaeWorkspace ws, CsrMatrix targets, ReadOnlySpan<int> users, int normalizer = 0)
    {
        int rows = users.Length, items = ItemCount;
        var userRows = ws.Users;
        users.CopyTo(userRows);
        float[] logits = ws.Logits;
        double[] losses = ws.RowLosses;
        int[] pointers = targets.RowPointers, columns = targets.ColumnIndices;
        float[]? values = targets.Values;
        int scaleRows = normalizer > 0 ? normalizer : rows;
        float scale = 1f / scaleRows;
        // Rows are independent softmaxes; the targets are read in place from the CSR matrix.
        RangeParallel.For(ws.Gemm.Threads, rows, 16, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                int u = userRows[r];
                losses[r] = Loss.MultinomialNllRow(logits.AsSpan(r * items, items), pointers[u], pointers[u + 1], columns,
                    values is null ? ReadOnlySpan<float>.Empty : values, scale);
            }
        });
        double total = 0;
        for (int r = 0; r < rows; r++) total += losses[r];
        return rows == 0 ? 0 : total / scaleRows;
    }

    /// <summary>
    /// The composite-prior KL of the last training forward pass, batch mean of klWeight_u * KL_u,
    /// with klWeight_u = <paramref name="beta"/> when given, else gamma * (sum of the user's values in
    /// <paramref name="clicks"/>). The prior's posterior component is <paramref name="priorEncoder"/>
    /// run on the same users without dropout. Adds the gradient to the code gradients.
    /// </summary>
    /// <param name="normalizer">As <see cref="NegativeLogLikelihood"/>'s: the rows the mean is over.</param>
    public double PriorKl(RecVaeWorkspace ws, RecVaeEncoder priorEncoder, CsrMatrix clicks, ReadOnlySpan<int> users, float gamma, float? beta,
        int normalizer = 0)
    {
        if (!ws.Training) throw new InvalidOperationException("The prior's KL needs a training workspace.");
        int rows = users.Length, latent = Config.LatentSize, scaleRows = normalizer > 0 ? normalizer : rows;
        ws.PriorInput.Load(clicks, users, 0f, null);
        priorEncoder.Forward(ws.PriorActivations!, ws.PriorInput, ws.Gemm);
        var weights = ws.KlWeights;
        for (int r = 0; r < rows; r++) weights[r] = beta ?? gamma * HistoryMass(clicks, users[r]);
        float[] z = ws.PackedCode, logVar = ws.Encoder.LogVar, noise = ws.Noise, oldMu = ws.PriorActivations!.Mu, oldLogVar = ws.PriorActivations.LogVar;
        for (int r = 0; r < rows; r++) ws.CodeWithOne.AsSpan(r * (latent + 1), latent).CopyTo(z.AsSpan(r * latent, latent));
        float[] dZ = ws.DCode, dLogVar = ws.Encoder.DLogVar;
        double[] rowKl = ws.RowKl, logMixture = _logMixtureWeights;
        RangeParallel.For(ws.Gemm.Threads, rows, 16, (start, end) =>
            CompositePrior.Kl(z, logVar, noise, oldMu, oldLogVar, weights, logMixture, start, end, scaleRows, latent, dZ, dLogVar, rowKl));
        double total = 0;
        for (int r = 0; r < rows; r++) total += weights[r] * rowKl[r];
        return rows == 0 ? 0 : total / scaleRows;
    }

    /// <summary>Sum of a user's history values: the click count for a binary matrix (the authors' user_ratings.sum()).</summary>
    public static float HistoryMass(CsrMatrix clicks, int user)
    {
        if (clicks.Values is null) return clicks.RowLength(user);
        float sum = 0;
        foreach (float v in clicks.RowValues(user)) sum += v;
        return sum;
    }

    /// <summary>
    /// The encoder's gradient for the last forward pass, <see cref="NegativeLogLikelihood"/> and
    /// (optionally) <see cref="PriorKl"/>: dz = dlogits W^T plus the KL part, carried through the
    /// sampling into mu and logvar, then through the encoder.
    /// </summary>
    public void BackwardEncoder(RecVaeWorkspace ws)
    {
        int rows = ws.Encoder.Rows, latent = Config.LatentSize;
        var dZ = ws.DCode.AsSpan(0, rows * latent);
        ws.Gemm.Multiply(Transpose.No, Transpose.Yes, rows, latent, ItemCount, 1f, ws.Logits.AsSpan(0, rows * ItemCount), ItemCount,
            DecoderParameters.View(_decoderWeight), ItemCount, 1f, dZ, latent);
        float[] dMu = ws.Encoder.DMu, dLogVar = ws.Encoder.DLogVar, logVar = ws.Encoder.LogVar, noise = ws.Noise;
        // z = mu + eps * exp(logvar / 2): dmu += dz, dlogvar += dz * eps * exp(logvar / 2) / 2.
        for (int i = 0; i < rows * latent; i++)
        {
            dMu[i] += dZ[i];
            dLogVar[i] += dZ[i] * noise[i] * 0.5f * MathF.Exp(0.5f * logVar[i]);
        }
        Encoder.Backward(ws.Encoder, ws.Input, ws.Gemm);
    }

    /// <summary>[dW; db] = [z, 1]^T . dlogits for the last forward pass and <see cref="NegativeLogLikelihood"/> (overwrites <see cref="DecoderGradients"/>).</summary>
    public void BackwardDecoder(RecVaeWorkspace ws)
    {
        int rows = ws.Encoder.Rows, stride = Config.LatentSize + 1;
        ws.Gemm.Multiply(Transpose.Yes, Transpose.No, stride, ItemCount, rows, 1f, ws.CodeWithOne.AsSpan(0, rows * stride), stride,
            ws.Logits.AsSpan(0, rows * ItemCount), ItemCount, 0f, DecoderGradients, ItemCount);
    }

    /// <summary>Logits for rows [rowStart, rowStart + rowCount) with the mean code and no dropout.</summary>
    public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
    {
        lock (_scoreLock)
        {
            _scoreWorkspace ??= CreateWorkspace(1000, training: false);
            for (int start = 0; start < rowCount; start += _scoreWorkspace.MaxRows)
            {
                int count = Math.Min(_scoreWorkspace.MaxRows, rowCount - start);
                Score(_scoreWorkspace, histories, rowStart + start, count, scores.Slice(start * ItemCount, count * ItemCount));
            }
        }
    }

    /// <summary>As <see cref="Score(CsrMatrix, int, int, Span{float})"/> on the caller's own workspace (one per thread).</summary>
    public void Score(RecVaeWorkspace ws, CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
    {
        CheckItems(histories);
        if (rowCount > ws.MaxRows) throw new ArgumentException($"Batch of {rowCount} rows exceeds the workspace's {ws.MaxRows}.");
        var users = ws.RowRange(rowStart, rowCount);
        ws.Input.Load(histories, users, 0f, null);
        Encoder.Forward(ws.Encoder, ws.Input, ws.Gemm);
        int latent = Config.LatentSize;
        for (int r = 0; r < rowCount; r++) ws.Encoder.Mu.AsSpan(r * latent, latent).CopyTo(ws.CodeWithOne.AsSpan(r * (latent + 1), latent));
        Decode(ws, rowCount, scores[..(rowCount * ItemCount)]);
    }

    private void CheckItems(CsrMatrix clicks)
    {
        if (clicks.Columns != ItemCount) throw new VaeCfException($"Input has {clicks.Columns} items but the model was built for {ItemCount}.");
    }
}

/// <summary>Everything one RecVAE pass writes, sized once for a maximum batch. One workspace per concurrent caller.</summary>
public sealed class RecVaeWorkspace
{
    /// <summary>The largest batch one pass on this workspace takes.</summary>
    public int MaxRows { get; }
    /// <summary>Whether training buffers were allocated; <see cref="RecVaeNetwork.ForwardTraining"/> needs them.</summary>
    public bool Training { get; }
    /// <summary>The engine this workspace's passes run on: its own unless one was passed to <see cref="RecVaeNetwork.CreateWorkspace"/>, so workspaces can run concurrently.</summary>
    public GemmEngine Gemm { get; }
    /// <summary>The normalized (and, in training, dropped-out) input of the last pass.</summary>
    public SparseInputBatch Input { get; }
    /// <summary>The encoder's activations of the last pass: <see cref="EncoderActivations.Mu"/> is the code used for scoring.</summary>
    public EncoderActivations Encoder { get; }
    /// <summary>Training only: the undropped input and the frozen prior encoder's activations.</summary>
    internal SparseInputBatch PriorInput { get; }
    internal EncoderActivations? PriorActivations { get; }
    /// <summary>rows x (latent + 1): the code with a last column of ones that multiplies the decoder bias.</summary>
    internal float[] CodeWithOne { get; }
    /// <summary>rows x latent: the code packed without the ones, for the prior.</summary>
    internal float[] PackedCode { get; }
    internal float[] Noise { get; }
    internal float[] DCode { get; }
    /// <summary>rows x items: the logits after a forward pass, their gradient after the likelihood.</summary>
    public float[] Logits { get; }
    internal double[] RowLosses { get; }
    internal double[] RowKl { get; }
    internal float[] KlWeights { get; }
    internal int[] Users { get; }

    internal RecVaeWorkspace(RecVaeConfig config, int maxRows, bool training, GemmEngine gemm)
    {
        if (maxRows <= 0) throw new ArgumentOutOfRangeException(nameof(maxRows), "A workspace needs room for at least one row.");
        MaxRows = maxRows;
        Training = training;
        Gemm = gemm;
        int latent = config.LatentSize;
        Input = new SparseInputBatch(maxRows, config.ItemCount);
        Encoder = new EncoderActivations(config, maxRows, withGradients: training);
        PriorInput = new SparseInputBatch(training ? maxRows : 1, config.ItemCount);
        PriorActivations = training ? new EncoderActivations(config, maxRows, withGradients: false) : null;
        CodeWithOne = new float[maxRows * (latent + 1)];
        for (int r = 0; r < maxRows; r++) CodeWithOne[r * (latent + 1) + latent] = 1f;
        int trainingLatent = training ? maxRows * latent : 0;
        PackedCode = new float[trainingLatent];
        Noise = new float[trainingLatent];
        DCode = new float[trainingLatent];
        Logits = new float[training ? (long)maxRows * config.ItemCount : 0];
        RowLosses = new double[maxRows];
        RowKl = new double[maxRows];
        KlWeights = new float[maxRows];
        Users = new int[maxRows];
    }

    /// <summary>The row indices [start, start + count) as a span, without allocating.</summary>
    public ReadOnlySpan<int> RowRange(int start, int count)
    {
        for (int i = 0; i < count; i++) Users[i] = start + i;
        return Users.AsSpan(0, count);
    }
}
