using System.Diagnostics;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Model.RecVae;
using VaeCf.Numerics;

namespace VaeCf.Distributed;

/// <summary>
/// RecVAE's two training steps, data-parallel as <see cref="DataParallelStep"/> is for Mult-VAE/DAE:
/// the global batch is cut into one contiguous slice per process; each process runs forward, loss
/// (normalized by the global batch) and backward on its slice; the gradients of the part being
/// trained (encoder or decoder) and the loss are summed across processes, so every process holds the
/// one-process gradient and takes the same Adam step. The encoder's input layer is summed by its
/// touched rows. With one process nothing is reduced.
/// </summary>
public sealed class RecVaeDataParallelStep
{
    private readonly RecVaeNetwork _network;
    private readonly ICommunicator _communicator;
    private readonly RecVaeWorkspace _workspace;
    private readonly double[] _scalars = new double[2];
    private readonly TouchedRowsReduction _touchedRows = new();
    private readonly TensorSlot _inputWeight;

    /// <summary>Seconds spent in the gradient and loss reductions (zero with one process).</summary>
    public double CommunicationSeconds { get; private set; }
    /// <summary>Bytes each process contributes to the reductions, summed over steps.</summary>
    public long BytesReduced { get; private set; }
    /// <summary>This process's workspace (sized for its largest slice).</summary>
    public RecVaeWorkspace Workspace => _workspace;

    /// <summary>A step for <paramref name="network"/> whose global batches hold up to <paramref name="globalBatch"/> rows, cut across <paramref name="communicator"/>'s processes.</summary>
    /// <param name="gemm">This process's GEMM engine for its workspace; one like the network's when null.</param>
    public RecVaeDataParallelStep(RecVaeNetwork network, ICommunicator communicator, int globalBatch, GemmEngine? gemm = null)
    {
        _network = network;
        _communicator = communicator;
        int slice = Math.Max(1, (globalBatch + communicator.Size - 1) / communicator.Size);
        _workspace = network.CreateWorkspace(slice, training: true, gemm);
        _inputWeight = network.Encoder.Parameters.Slot("encoder.fc1.weight");
    }

    /// <summary>
    /// The encoder step's gradient for this process's slice of <paramref name="globalRows"/> (input
    /// dropout, composite prior with <paramref name="prior"/>, KL weight gamma x |history| or
    /// <paramref name="beta"/>), summed over processes into the encoder's gradients. Returns the
    /// global batch's mean loss and whether any process wished to stop.
    /// </summary>
    public (double Loss, bool Stop) Encoder(CsrMatrix clicks, ReadOnlySpan<int> globalRows, RecVaeEncoder prior, float gamma, float? beta,
        TrainingDraws draws, bool stopRequested)
    {
        var (start, count) = DataParallelStep.Slice(globalRows.Length, _communicator.Rank, _communicator.Size);
        var rows = globalRows.Slice(start, count);
        double loss = 0;
        if (count > 0)
        {
            _network.ForwardTraining(_workspace, clicks, rows, _network.Config.InputDropout, draws);
            loss = _network.NegativeLogLikelihood(_workspace, clicks, rows, globalRows.Length);
            loss += _network.PriorKl(_workspace, prior, clicks, rows, gamma, beta, globalRows.Length);
            _network.BackwardEncoder(_workspace);
        }
        else
        {
            // A global batch smaller than the process count leaves this slice empty: it adds nothing.
            _network.Encoder.ClearGradients();
            _workspace.Input.ForgetTouchedItems();
        }
        if (_communicator.Size == 1) return (loss, stopRequested);

        long t0 = Stopwatch.GetTimestamp();
        var gradients = _network.Encoder.Gradients;
        BytesReduced += _touchedRows.Sum(_communicator, gradients, _inputWeight.Offset, _network.ItemCount, _network.Config.HiddenSize,
            _workspace.Input.TouchedItems);
        _communicator.Sum(gradients.AsSpan(0, _inputWeight.Offset));
        _communicator.Sum(gradients.AsSpan(_inputWeight.Offset + _inputWeight.Length));
        BytesReduced += (long)(gradients.Length - _inputWeight.Length) * sizeof(float);
        var result = SumLoss(loss, stopRequested);
        CommunicationSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return result;
    }

    /// <summary>
    /// After the encoder's optimizer step: the summed input-layer gradient holds rows other processes
    /// touched, which this process's next backward pass would not clear.
    /// </summary>
    public void AfterEncoderUpdate()
    {
        if (_communicator.Size == 1) return;
        _touchedRows.ClearUnion(_network.Encoder.Gradients, _inputWeight.Offset, _network.Config.HiddenSize);
    }

    /// <summary>The decoder step (no input dropout, no KL): its gradient for this process's slice, summed over processes into the decoder's gradients.</summary>
    public (double Loss, bool Stop) Decoder(CsrMatrix clicks, ReadOnlySpan<int> globalRows, TrainingDraws draws, bool stopRequested)
    {
        var (start, count) = DataParallelStep.Slice(globalRows.Length, _communicator.Rank, _communicator.Size);
        var rows = globalRows.Slice(start, count);
        double loss = 0;
        if (count > 0)
        {
            _network.ForwardTraining(_workspace, clicks, rows, 0f, draws);
            loss = _network.NegativeLogLikelihood(_workspace, clicks, rows, globalRows.Length);
            _network.BackwardDecoder(_workspace);
        }
        else Array.Clear(_network.DecoderGradients);
        if (_communicator.Size == 1) return (loss, stopRequested);

        long t0 = Stopwatch.GetTimestamp();
        _communicator.Sum(_network.DecoderGradients);
        BytesReduced += (long)_network.DecoderGradients.Length * sizeof(float);
        var result = SumLoss(loss, stopRequested);
        CommunicationSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return result;
    }

    /// <summary>The loss and the wish to stop travel together: every process stops after the same batch.</summary>
    private (double Loss, bool Stop) SumLoss(double loss, bool stopRequested)
    {
        _scalars[0] = loss;
        _scalars[1] = stopRequested ? 1 : 0;
        _communicator.Sum(_scalars);
        BytesReduced += _scalars.Length * sizeof(double);
        return (_scalars[0], _scalars[1] > 0);
    }
}
