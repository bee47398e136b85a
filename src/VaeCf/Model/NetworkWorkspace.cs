using VaeCf.Data;
using VaeCf.Numerics;

namespace VaeCf.Model;

/// <summary>
/// Everything one forward/backward pass writes, sized once for a maximum batch so the training
/// loop allocates nothing per batch. Not thread-safe: one workspace per concurrent caller.
/// </summary>
public sealed class NetworkWorkspace
{
/// <summary>Largest batch this workspace holds.</summary>
    public int MaxRows { get; }
    /// <summary>This workspace's own engine: GEMM packing buffers are per caller, like the activations.</summary>
    public GemmEngine Gemm { get; }
/// <summary>Rows of the last forward pass.</summary>
    public int Rows { get; internal set; }
/// <summary>Whether the last forward pass was a training one (dropout, sampling), which a backward pass needs.</summary>
    public bool Training { get; internal set; }
    /// <summary>When set, each phase of a training step adds its wall time here (benchmarks only).</summary>
    public PhaseProfile? Profile { get; set; }

    /// <summary>Per layer, rows x outputs: after the activation (tanh), before dropout.</summary>
    internal float[][] Activations { get; }
    /// <summary>Per layer, the activation after hidden dropout (null where no dropout applies).</summary>
    internal float[]?[] Dropped { get; }
    internal float[]?[] DropMasks { get; }
    internal float[] Code { get; }
    internal float[] Noise { get; }
    internal float[] CodeGradient { get; }
    internal float[] GradientA { get; }
    internal float[] GradientB { get; }
    internal double[] RowLosses { get; }
    /// <summary>rows x latent: each element's KL term, summed in a fixed order after threads fill it.</summary>
    internal double[] KlTerms { get; }
    /// <summary>rows x (inputs + 1): the output layer's input with a last column of ones that multiplies the bias.</summary>
    internal float[] OutputLayerInput { get; }

    /// <summary>rows x items logits after <see cref="AutoencoderNetwork.Forward"/>; the loss gradient after ComputeLoss.</summary>
    public float[] Logits => Activations[^1];

    internal int[] InputPointers { get; }
    internal int[] InputColumns { get; private set; } = new int[1024];
    internal float[] InputValues { get; private set; } = new float[1024];
    internal int[] TargetPointers { get; }
    internal int[] TargetColumns { get; private set; } = new int[1024];
    private float[] _targetValues = new float[1024];
    internal ReadOnlySpan<float> TargetValues => _targetsBinary ? ReadOnlySpan<float>.Empty : _targetValues;
    private bool _targetsBinary = true;

    /// <summary>Per row of the batch, that user's draws for this epoch (training only).</summary>
    internal UserDraws[] RowDraws { get; }

    /// <summary>The last training forward pass's input batch indexed by item.</summary>
    internal ItemMajorBatch InputByItem { get; }
    /// <summary>Input weight gradient rows the last backward pass wrote: the only rows it leaves non-zero.</summary>
    internal List<int> TouchedInputRows { get; } = new();
    private readonly int[] _rowRange;

    internal NetworkWorkspace(AutoencoderNetwork network, int maxRows, GemmEngine gemm)
    {
        if (maxRows <= 0) throw new ArgumentOutOfRangeException(nameof(maxRows), "A workspace needs room for at least one row.");
        MaxRows = maxRows;
        Gemm = gemm;
        var shapes = network.Shapes;
        Activations = shapes.Select(s => new float[(long)maxRows * s.Outputs]).ToArray();
        Dropped = new float[]?[shapes.Count];
        DropMasks = new float[]?[shapes.Count];
        for (int l = 0; l < shapes.Count; l++)
            if (network.UsesHiddenDropout(l))
            {
                Dropped[l] = new float[maxRows * shapes[l].Outputs];
                DropMasks[l] = new float[maxRows * shapes[l].Outputs];
            }
        int latent = network.Config.LatentSize;
        Code = new float[maxRows * latent];
        Noise = new float[maxRows * latent];
        CodeGradient = new float[maxRows * 2 * latent];
        int widest = shapes.Skip(1).Select(s => s.Inputs).DefaultIfEmpty(1).Max();
        GradientA = new float[maxRows * widest];
        GradientB = new float[maxRows * widest];
        RowLosses = new double[maxRows];
        KlTerms = new double[network.IsVariational ? maxRows * latent : 0];
        int lastInputs = shapes[^1].Inputs + 1;
        OutputLayerInput = new float[maxRows * lastInputs];
        // The copy of each row fills only the first inputs columns, so the ones are written once.
        for (int r = 0; r < maxRows; r++) OutputLayerInput[r * lastInputs + lastInputs - 1] = 1f;
        InputPointers = new int[maxRows + 1];
        TargetPointers = new int[maxRows + 1];
        InputByItem = new ItemMajorBatch(network.ItemCount);
        _rowRange = new int[maxRows];
        RowDraws = new UserDraws[maxRows];
    }

    /// <summary>Bytes of every buffer this workspace holds now (the sparse-input buffers grow with the largest batch seen; the GEMM engine's packing is not counted).</summary>
    public long Bytes
    {
        get
        {
            long floats = OutputLayerInput.LongLength + Code.Length + Noise.Length + CodeGradient.Length + GradientA.Length + GradientB.Length
                + InputValues.Length + _targetValues.Length;
            foreach (var a in Activations) floats += a.LongLength;
            foreach (var d in Dropped) floats += d?.LongLength ?? 0;
            foreach (var m in DropMasks) floats += m?.LongLength ?? 0;
            long ints = InputPointers.Length + InputColumns.Length + TargetPointers.Length + TargetColumns.Length + _rowRange.Length
;
            ints += TouchedInputRows.Capacity;
            return 4 * (floats + ints) + 8L * (RowLosses.Length + KlTerms.Length) + InputByItem.Bytes;
        }
    }

    /// <summary>
    /// <see cref="Bytes"/> of a new workspace for <paramref name="maxRows"/> rows, without making one
    /// (what a memory plan or report needs before or beside training).
    /// </summary>
    public static long BytesFor(AutoencoderNetwork network, int maxRows)
    {
        var shapes = network.Shapes;
        long floats = 0;
        for (int l = 0; l < shapes.Count; l++)
            floats += (long)maxRows * shapes[l].Outputs * (network.UsesHiddenDropout(l) ? 3 : 1);
        int latent = network.Config.LatentSize;
        int widest = shapes.Skip(1).Select(s => s.Inputs).DefaultIfEmpty(1).Max();
        floats += (long)maxRows * (4 * latent + 2 * widest + shapes[^1].Inputs + 1) + 2 * 1024;
        long ints = 2L * (maxRows + 1) + 2 * 1024 + maxRows;
        // The item index: a slot per item, and entry buffers like the input's.
        ints += network.ItemCount + 4 * 1024 + 1;
        return 4 * (floats + ints) + 8L * maxRows * (network.IsVariational ? 1 + latent : 1);
    }

    /// <summary>The row indices [start, start + count) as a span, without allocating.</summary>
    public ReadOnlySpan<int> RowRange(int start, int count)
    {
        for (int i = 0; i < count; i++) _rowRange[i] = start + i;
        return _rowRange.AsSpan(0, count);
    }

    /// <summary>
    /// Builds the sparse input: each row L2-normalized (an empty row stays empty instead of
    /// dividing by zero), then inverted dropout with drop probability <paramref name="dropout"/>,
    /// each click kept or dropped by its user's own draw (<see cref="TrainingDraws"/>).
    /// </summary>
    internal void LoadInput(CsrMatrix clicks, ReadOnlySpan<int> users, float dropout, TrainingDraws? draws)
    {
        if (draws is { } d)
            for (int r = 0; r < users.Length; r++) RowDraws[r] = d.ForUser(users[r]);
        int total = 0;
        foreach (int u in users) total += clicks.RowLength(u);
        if (InputColumns.Length < total) { InputColumns = new int[total * 2]; InputValues = new float[total * 2]; }
        float keepScale = 1f / (1f - dropout);
        int n = 0;
        for (int r = 0; r < users.Length; r++)
        {
            int u = users[r];
            InputPointers[r] = n;
            var cols = clicks.RowIndices(u);
            var vals = clicks.RowValues(u);
            float inverseNorm = clicks.InverseL2Norm(u);
            if (inverseNorm == 0f) continue;
            for (int e = 0; e < cols.Length; e++)
            {
                if (dropout > 0f && RowDraws[r].Uniform(TrainingDraws.InputDropoutStream, e) < dropout) continue;
                InputColumns[n] = cols[e];
                InputValues[n] = (vals.IsEmpty ? 1f : vals[e]) * inverseNorm * (dropout > 0f ? keepScale : 1f);
                n++;
            }
        }
        InputPointers[users.Length] = n;
    }

    internal void LoadTargets(CsrMatrix targets, ReadOnlySpan<int> users)
    {
        int total = 0;
        foreach (int u in users) total += targets.RowLength(u);
        if (TargetColumns.Length < total) { TargetColumns = new int[total * 2]; _targetValues = new float[total * 2]; }
        _targetsBinary = targets.Values is null;
        int n = 0;
        for (int r = 0; r < users.Length; r++)
        {
            TargetPointers[r] = n;
            var cols = targets.RowIndices(users[r]);
            cols.CopyTo(TargetColumns.AsSpan(n));
            if (!_targetsBinary) targets.RowValues(users[r]).CopyTo(_targetValues.AsSpan(n));
            n += cols.Length;
        }
        TargetPointers[users.Length] = n;
    }
}
