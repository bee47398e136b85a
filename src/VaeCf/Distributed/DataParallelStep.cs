using System.Diagnostics;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Distributed;

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

        _communicator.Sum(_network.Gradients);
        _scalars[0] = local.NegativeLogLikelihood;
        _scalars[1] = local.Kl;
        _scalars[2] = stopRequested ? 1 : 0;
        _communicator.Sum(_scalars);
        BytesReduced += (long)_network.Gradients.Length * sizeof(float) + _scalars.Length * sizeof(double);
        CommunicationSeconds += Stopwatch.GetElapsedTime(t1).TotalSeconds;
        return (new LossParts(_scalars[0], _scalars[1], beta), _scalars[2] > 0);
    }

    /// <summary>
    /// After the optimizer step: the summed input-layer gradient holds rows other processes touched,
    /// which this process's backward pass would not clear, so the whole input gradient is cleared.
    /// </summary>
    public void AfterUpdate()
    {
        if (_communicator.Size > 1) _network.ClearInputWeightGradient();
    }
}
