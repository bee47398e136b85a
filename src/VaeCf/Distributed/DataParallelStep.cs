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

/// <summary>When the output layer's gradient (the largest part of the sums) starts being summed.</summary>
public enum ReductionOverlap
{
    /// <summary>After the whole backward pass, with the other layers (blocking MPI_Allreduce).</summary>
    None,
    /// <summary>
    /// As soon as the backward pass has computed the output layer's [dW; db] (its first GEMM), in
    /// <see cref="DataParallelStep.OverlapBuckets"/> non-blocking sums (MPI_Iallreduce); the rest of
    /// the backward pass runs meanwhile, MPI_Test between its layers lets MPICH move the transfer on
    /// (or an MPI progress thread does, with MPICH_ASYNC_PROGRESS=1), and the step waits for them
    /// after the other layers' sums.
    /// </summary>
    OutputLayer,
}

/// <summary>
/// One synchronous data-parallel training step: the global batch is cut into one contiguous slice
/// per process; each runs forward and backward on its slice with the loss normalized by the global
/// batch; the gradients and the loss parts are then summed across processes, so every process
/// holds the one-process gradient (up to float summation order) and takes the same optimizer step.
/// With one process it is the plain step, and nothing is reduced.
/// </summary>
public sealed class DataParallelStep : IDisposable
{
    private readonly AutoencoderNetwork _network;
    private readonly ICommunicator _communicator;
    private readonly NetworkWorkspace _workspace;
    private readonly double[] _scalars = new double[3];
    private readonly TouchedRowsReduction _touchedRows = new();
    /// <summary>Where the output layer's weight and bias gradient begins; it runs to the end of the buffer.</summary>
    private readonly int _outputLayerOffset;
    private readonly Action<int> _onLayerGradientReady;
    private INonBlockingSum[] _outputLayerSums = [];
    private bool _outputLayerInFlight;
    private long _hookTicks;

    /// <summary>How the input layer's gradient is summed; both give the same sums. Touched rows won on bytes (67 MB against 98 MB per ML-20M batch) and time (docs/distributed.md).</summary>
    public GradientReduction Reduction { get; init; } = GradientReduction.TouchedRows;
    /// <summary>
    /// When the output layer's gradient starts being summed; both give the same sums. Overlapped in
    /// 8 buckets hid about a quarter of the exposed communication on the ML-20M shape (docs/distributed.md).
    /// </summary>
    public ReductionOverlap Overlap { get; init; } = ReductionOverlap.OutputLayer;
    /// <summary>
    /// Non-blocking sums the output layer's gradient is cut into with <see cref="ReductionOverlap.OutputLayer"/>:
    /// each test between layers moves every bucket on a step, so 8 or 32 hid more than 1 (nothing) or 128 (nothing).
    /// </summary>
    public int OverlapBuckets { get; init; } = 8;

    /// <summary>Seconds spent in the gradient and loss reductions, including starting and testing the overlapped ones during the backward pass (zero with one process).</summary>
    public double CommunicationSeconds { get; private set; }
    /// <summary>Seconds spent in forward, loss and backward on this process's slice.</summary>
    public double ComputeSeconds { get; private set; }
    /// <summary>Bytes each process contributes to the reductions, summed over steps.</summary>
    public long BytesReduced { get; private set; }
    /// <summary>Steps run so far.</summary>
    public int Steps { get; private set; }
    /// <summary>The job's processes this step reduces over.</summary>
    public ICommunicator Communicator => _communicator;
    /// <summary>This process's workspace (sized for its largest slice).</summary>
    public NetworkWorkspace Workspace => _workspace;

    /// <summary>A step for <paramref name="network"/> whose global batches hold up to <paramref name="globalBatch"/> rows, cut across <paramref name="communicator"/>'s processes.</summary>
    /// <param name="gemm">This process's GEMM engine for its workspace; one like the network's when null.</param>
    public DataParallelStep(AutoencoderNetwork network, ICommunicator communicator, int globalBatch, GemmEngine? gemm = null)
    {
        _network = network;
        _communicator = communicator;
        // The largest slice of any global batch of at most globalBatch rows.
        int slice = Math.Max(1, (globalBatch + communicator.Size - 1) / communicator.Size);
        _workspace = network.CreateWorkspace(slice, gemm);
        _outputLayerOffset = network.WeightSlot(network.LayerCount - 1).Offset;
        _onLayerGradientReady = OnLayerGradientReady;
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
        bool overlap = Overlap == ReductionOverlap.OutputLayer && _communicator.Size > 1;
        _hookTicks = 0;
        long t0 = Stopwatch.GetTimestamp();
        LossParts local;
        if (count > 0)
        {
            _network.Forward(_workspace, clicks, rows, training: true, draws);
            local = _network.ComputeLoss(_workspace, clicks, rows, beta, normalizer: globalRows.Length);
            _network.Backward(_workspace, overlap ? _onLayerGradientReady : null);
        }
        else
        {
            // A global batch smaller than the process count leaves this slice empty: it adds nothing.
            _network.ClearGradients();
            local = new LossParts(0, 0, beta);
        }
        // Every process must start the same collectives in the same order, an empty slice too.
        if (overlap && !_outputLayerInFlight) OnLayerGradientReady(_network.LayerCount - 1);
        long t1 = Stopwatch.GetTimestamp();
        double hookSeconds = (double)_hookTicks / Stopwatch.Frequency;
        ComputeSeconds += Stopwatch.GetElapsedTime(t0, t1).TotalSeconds - hookSeconds;
        Steps++;
        if (_communicator.Size == 1) return (local, stopRequested);
        // The fault tests stop one process of a job here, before its sums finish, and kill it: the others must not wait forever.
        // (Not with one process: its steps are no kill points, so the save's kill points keep their numbers.)
        FaultInjection.Reached($"data-parallel: step {Steps} computed");

        // The output layer's gradient is either in flight already or summed here with the rest.
        int rest = overlap ? _outputLayerOffset : _network.Gradients.Length;
        if (Reduction == GradientReduction.TouchedRows) SumTouchedRows(rest);
        else
        {
            _communicator.Sum(_network.Gradients.AsSpan(0, rest));
            BytesReduced += (long)rest * sizeof(float);
        }
        _scalars[0] = local.NegativeLogLikelihood;
        _scalars[1] = local.Kl;
        _scalars[2] = stopRequested ? 1 : 0;
        _communicator.Sum(_scalars);
        BytesReduced += _scalars.Length * sizeof(double);
        if (overlap)
        {
            foreach (var sum in _outputLayerSums) sum.Wait();
            _outputLayerInFlight = false;
        }
        CommunicationSeconds += Stopwatch.GetElapsedTime(t1).TotalSeconds + hookSeconds;
        return (new LossParts(_scalars[0], _scalars[1], beta), _scalars[2] > 0);
    }

    /// <summary>
    /// The backward pass's hook: the output layer's gradient is final, so its sums start; after
    /// later layers, a test of the first unfinished one gives MPI a chance to move them on.
    /// </summary>
    private void OnLayerGradientReady(int layer)
    {
        long t0 = Stopwatch.GetTimestamp();
        if (layer == _network.LayerCount - 1)
        {
            if (_outputLayerSums.Length == 0) _outputLayerSums = PrepareOutputLayerSums();
            foreach (var sum in _outputLayerSums) sum.Start();
            _outputLayerInFlight = true;
            BytesReduced += (long)(_network.Gradients.Length - _outputLayerOffset) * sizeof(float);
        }
        else if (_outputLayerInFlight)
            foreach (var sum in _outputLayerSums)
                if (!sum.Test()) break;
        _hookTicks += Stopwatch.GetTimestamp() - t0;
    }

    /// <summary>The output layer's [W; b] gradient cut into <see cref="OverlapBuckets"/> contiguous pieces, each a sum of its own.</summary>
    private INonBlockingSum[] PrepareOutputLayerSums()
    {
        int length = _network.Gradients.Length - _outputLayerOffset;
        int buckets = Math.Clamp(OverlapBuckets, 1, length);
        var sums = new INonBlockingSum[buckets];
        for (int b = 0; b < buckets; b++)
        {
            int start = (int)((long)length * b / buckets), end = (int)((long)length * (b + 1) / buckets);
            sums[b] = _communicator.PrepareSum(_network.Gradients, _outputLayerOffset + start, end - start);
        }
        return sums;
    }

    /// <summary>Unpins the gradient buffer held for the non-blocking sums.</summary>
    public void Dispose()
    {
        foreach (var sum in _outputLayerSums) sum.Dispose();
        _outputLayerSums = [];
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
    /// every other parameter's gradient before <paramref name="end"/>: the rows are the only part
    /// worth the copies.
    /// </summary>
    private void SumTouchedRows(int end)
    {
        var gradients = _network.Gradients;
        var slot = _network.WeightSlot(0);
        BytesReduced += _touchedRows.Sum(_communicator, gradients, slot.Offset, _network.ItemCount, _network.Shapes[0].Outputs, _workspace.TouchedInputRows);
        // The input weight's bias and every later layer lie after it in the buffer; anything before it is summed too.
        _communicator.Sum(gradients.AsSpan(0, slot.Offset));
        _communicator.Sum(gradients.AsSpan(slot.Offset + slot.Length, end - slot.Offset - slot.Length));
        BytesReduced += (long)(end - slot.Length) * sizeof(float);
    }
}
