using System.Diagnostics;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Distributed;

/// <summary>How the input layer's weight gradient (items x hidden, nonzero only in rows a batch touched) is summed.</summary>
public enum GradientReduction
{
    /// <summary>The whole gradient buffer in one allreduce.</summary>
    Dense,
    /// <summary>
    /// The union of the processes' touched input rows is agreed first (a sum of per-item flags),
    /// then only those rows and the other layers are packed and summed: fewer bytes when a batch
    /// touches a small part of the catalogue, two more passes over them and one more collective.
    /// </summary>
    TouchedRows,
}

/// <summary>
/// One synchronous data-parallel training step: the global batch is cut into one contiguous slice
/// per process; each runs forward and backward on its slice with the loss normalized by the global
/// batch; the gradients and the loss parts are then summed across processes, so every process
/// holds the one-process gradient (up to float summation order) and takes the same optimizer step.
/// With one process it is the plain step, and nothing is reduced.
/// </summary>
public sealed class DataParallelStep
{
    private readonly AutoencoderNetwork _network;
    private readonly ICommunicator _communicator;
    private readonly NetworkWorkspace _workspace;
    private readonly double[] _scalars = new double[3];
    private readonly TouchedRowsReduction _touchedRows = new();

    /// <summary>How the input layer's gradient is summed; both give the same sums. Touched rows won on bytes (67 MB against 98 MB per ML-20M batch) and time (docs/distributed.md).</summary>
    public GradientReduction Reduction { get; init; } = GradientReduction.TouchedRows;

    /// <summary>Seconds spent in the gradient and loss reductions (zero with one process).</summary>
    public double CommunicationSeconds { get; private set; }
    /// <summary>Seconds spent in forward, loss and backward on this process's slice.</summary>
    public double ComputeSeconds { get; private set; }
    /// <summary>Bytes each process contributes to the reductions, summed over steps.</summary>
    public long BytesReduced { get; private set; }
    public int Steps { get; private set; }
    public ICommunicator Communicator => _communicator;
    public NetworkWorkspace Workspace => _workspace;

    public DataParallelStep(AutoencoderNetwork network, ICommunicator communicator, int globalBatch, GemmEngine? gemm = null)
    {
        _network = network;
        _communicator = communicator;
        // The largest slice of any global batch of at most globalBatch rows.
        int slice = Math.Max(1, (globalBatch + communicator.Size - 1) / communicator.Size);
        _workspace = network.CreateWorkspace(slice, gemm);
    }

    /// <summary>This process's contiguous share [start, start + count) of a global batch of <paramref name="globalCount"/> rows.</summary>
    public static (int Start, int Count) Slice(int globalCount, int rank, int size)
    {
        int start = (int)((long)globalCount * rank / size), end = (int)((long)globalCount * (rank + 1) / size);
        return (start, end - start);
    }

    /// <summary>
    /// Forward, loss and backward for this process's slice of <paramref name="globalRows"/>, then the
    /// sums. <paramref name="stopRequested"/> is this process's wish to stop; the result says whether
    /// any process wished it, so all stop at the same batch.
    /// </summary>
    public (LossParts Loss, bool Stop) Run(CsrMatrix clicks, ReadOnlySpan<int> globalRows, float beta, TrainingDraws draws, bool stopRequested)
    {
        var (start, count) = Slice(globalRows.Length, _communicator.Rank, _communicator.Size);
        var rows = globalRows.Slice(start, count);
        long t0 = Stopwatch.GetTimestamp();
        LossParts local;
        if (count > 0)
        {
            _network.Forward(_workspace, clicks, rows, training: true, draws);
            local = _network.ComputeLoss(_workspace, clicks, rows, beta, normalizer: globalRows.Length);
            _network.Backward(_workspace);
        }
        else
        {
            // A global batch smaller than the process count leaves this slice empty: it adds nothing.
            _network.ClearGradients();
            local = new LossParts(0, 0, beta);
        }
        long t1 = Stopwatch.GetTimestamp();
        ComputeSeconds += Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
        Steps++;
        if (_communicator.Size == 1) return (local, stopRequested);

        if (Reduction == GradientReduction.TouchedRows) SumTouchedRows();
        else
        {
            _communicator.Sum(_network.Gradients);
            BytesReduced += (long)_network.Gradients.Length * sizeof(float);
        }
        _scalars[0] = local.NegativeLogLikelihood;
        _scalars[1] = local.Kl;
        _scalars[2] = stopRequested ? 1 : 0;
        _communicator.Sum(_scalars);
        BytesReduced += _scalars.Length * sizeof(double);
        CommunicationSeconds += Stopwatch.GetElapsedTime(t1).TotalSeconds;
        return (new LossParts(_scalars[0], _scalars[1], beta), _scalars[2] > 0);
    }

    /// <summary>
    /// After the optimizer step: the summed input-layer gradient holds rows other processes touched,
    /// which this process's backward pass would not clear, so the whole input gradient is cleared.
    /// </summary>
    public void AfterUpdate()
    {
        if (_communicator.Size == 1) return;
        if (Reduction == GradientReduction.Dense) { _network.ClearInputWeightGradient(); return; }
        _touchedRows.ClearUnion(_network.Gradients, _network.WeightSlot(0).Offset, _network.Shapes[0].Outputs);
    }

    /// <summary>
    /// Sums the touched input rows (their union over processes, packed together) and, in place,
    /// every other parameter's gradient: the rows are the only part worth the copies.
    /// </summary>
    private void SumTouchedRows()
    {
        var gradients = _network.Gradients;
        var slot = _network.WeightSlot(0);
        BytesReduced += _touchedRows.Sum(_communicator, gradients, slot.Offset, _network.ItemCount, _network.Shapes[0].Outputs, _workspace.TouchedInputRows);
        // The input weight's bias and every later layer lie after it in the buffer; anything before it is summed too.
        _communicator.Sum(gradients.AsSpan(0, slot.Offset));
        _communicator.Sum(gradients.AsSpan(slot.Offset + slot.Length));
        BytesReduced += (long)(gradients.Length - slot.Length) * sizeof(float);
    }
}
