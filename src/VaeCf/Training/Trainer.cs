using System.Diagnostics;
using VaeCf.Data;
using VaeCf.Distributed;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Split;

namespace VaeCf.Training;

/// <summary>What <see cref="Trainer.Train(SplitDataset, ModelConfig, CancellationToken)"/> returns: the network at its best epoch and how the run went. Test metrics are not measured here.</summary>
public sealed class TrainingResult : ITrainingOutcome
{
    /// <summary>The trained network, holding the best epoch's parameters (the last epoch's when there are no validation users).</summary>
    public required AutoencoderNetwork Network { get; init; }
    IScorer ITrainingOutcome.Scorer => Network;
    /// <summary>One record per completed epoch, in order (what history.csv holds).</summary>
    public required IReadOnlyList<EpochRecord> History { get; init; }
    /// <summary>The epoch whose parameters <see cref="Network"/> holds (best validation NDCG@100).</summary>
    public int BestEpoch { get; init; }
    /// <summary>Validation metrics at <see cref="BestEpoch"/>; null when no validation user has targets or no epoch was validated.</summary>
    public EvaluationResult? BestValidation { get; init; }
    /// <summary>Wall-clock seconds of all epochs, validation included.</summary>
    public double TrainingSeconds { get; init; }
    /// <summary>Early stopping ended the run (<see cref="TrainingOptions.EarlyStopPatience"/> evaluations without improvement).</summary>
    public bool StoppedEarly { get; init; }
    /// <summary>The cancellation token stopped the run part-way, between two batches (under data parallelism every process stops at the same one).</summary>
    public bool Cancelled { get; init; }
    /// <summary>The loss stopped being a number; <see cref="Network"/> holds the best parameters from before.</summary>
    public bool Diverged { get; init; }
    /// <summary>Why the run ended before its last epoch, one line for the user (cancelled, early stop, or divergence with what to change); null otherwise.</summary>
    public string? StopReason { get; init; }
}

/// <summary>
/// The paper's training loop: shuffled mini-batches, Adam, beta annealing, validation NDCG@100
/// after each epoch and the best model kept. Measuring the result on the test users is the fit
/// pipeline's job (<c>VaeCf.Catalogue.FitPipeline</c>), the same for every model kind.
/// </summary>
public sealed class Trainer
{
    private readonly TrainingOptions _options;
    private readonly ITrainingObserver _observer;
    private readonly ICommunicator _communicator;

    /// <param name="communicator">
    /// The processes training together (data parallelism); one process when null. Every process
    /// must call Train with the same data and options; only rank 0's observer hears anything.
    /// </param>
    public Trainer(TrainingOptions options, ITrainingObserver? observer = null, ICommunicator? communicator = null)
    {
        options.Validate();
        _options = options;
        _communicator = communicator ?? SingleProcessCommunicator.Instance;
        _observer = observer is not null && _communicator.IsRoot ? observer : new NullObserver();
    }

    /// <summary>Epochs after which data-parallel processes confirm they hold the same parameters (and the last).</summary>
    public const int ParameterCheckEvery = 10;

    private sealed class NullObserver : ITrainingObserver;

    /// <summary>The original Mult-DAE's L2 lambda (0.01 / batch size) under Adam; no decay otherwise.</summary>
    public static float DefaultWeightDecay(ModelKind kind, int batchSize, OptimizerKind optimizer) =>
        kind == ModelKind.MultDae && optimizer == OptimizerKind.Adam ? 0.01f / batchSize : 0f;

    /// <summary>Initialization and the training stream get different seeds so batch order is not tied to the first weights drawn.</summary>
    public static int InitializationSeed(int seed) => unchecked(seed * 1_000_003 + 12_345);

    /// <summary>
    /// Builds a network for <paramref name="data"/>'s items (the config's item count is replaced), initializes it from
    /// <see cref="InitializationSeed"/> of the options' seed, and trains it
    /// (<see cref="Train(AutoencoderNetwork, SplitDataset, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="VaeCfException">The architecture is invalid or the training split has no users.</exception>
    public TrainingResult Train(SplitDataset data, ModelConfig config, CancellationToken cancellation = default)
    {
        if (config.ItemCount != data.ItemCount) config = config with { ItemCount = data.ItemCount };
        config.Validate();
        if (data.Train.Rows == 0) throw new VaeCfException("The training split has no users.");
        var gemm = new GemmEngine(_options.Threads);
        var network = new AutoencoderNetwork(config, gemm);
        network.Initialize(InitializationSeed(_options.Seed));
        return Train(network, data, cancellation);
    }

    /// <summary>Trains an already initialized network in place.</summary>
    public TrainingResult Train(AutoencoderNetwork network, SplitDataset data, CancellationToken cancellation = default)
    {
        var o = _options;
        var train = data.Train;
        int users = train.Rows;
        int batch = Math.Min(o.BatchSize, users);
        int batchesPerEpoch = (users + o.BatchSize - 1) / o.BatchSize;
        var beta = BetaSchedule.From(o, batchesPerEpoch);
        float decay = o.WeightDecay ?? DefaultWeightDecay(network.Config.Kind, o.BatchSize, o.Optimizer);
        var optimizer = new AdamOptimizer(network.Parameters, o.Optimizer, o.LearningRate, decay, network.Gemm.Threads);
        using var step = new DataParallelStep(network, _communicator, batch, network.Gemm);
        // One evaluation workspace for the run: validation scores, then the validation loss, in the same buffers every epoch.
        var evaluator = new Evaluator(o.EvaluationBatchSize, network.Gemm.Threads, new EvaluationWorkspace(network.Gemm), _communicator);
        var rng = new Random(o.Seed);
        var order = Enumerable.Range(0, users).ToArray();
        var best = (float[])network.Parameters.Values.Clone();
        var lrPlateau = new PlateauTracker(o.LrMonitor);
        var stopPlateau = new PlateauTracker(o.EarlyStopMonitor);
        var history = new List<EpochRecord>();
        double bestNdcg = double.NegativeInfinity;
        int bestEpoch = 0;
        EvaluationResult? bestValidation = null;
        long updates = 0;
        bool stoppedEarly = false, cancelled = false, diverged = false;
        string? stopReason = null;
        // Users without held-out items cannot be scored; with none left, NDCG is undefined and the last epoch is kept.
        bool hasValidation = Enumerable.Range(0, data.Validation.UserCount).Any(u => data.Validation.Targets.RowLength(u) > 0);
        if (_communicator.Size > 1)
        {
            // Different data or options would desynchronize the collectives (a hang) or the model: refuse both at the start.
            ParameterCheck.ConfirmSameSetup(_communicator, data, (o with { Threads = 0 }).ToString());
            ParameterCheck.Confirm(_communicator, network.Parameters.Values, 0);
        }
        var clock = Stopwatch.StartNew();

        for (int epoch = 1; epoch <= o.Epochs && !cancelled; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            rng.Shuffle(order);
            _observer.OnEpochStart(epoch, batchesPerEpoch);
            double lossSum = 0;
            int lossRows = 0;
            float epochBeta = 0;
            var draws = new TrainingDraws(o.Seed, epoch);
            for (int b = 0; b < batchesPerEpoch; b++)
            {
                // Alone, stop before the batch; together, the wish to stop travels with the batch's sums so every process stops at the same one.
                if (_communicator.Size == 1 && cancellation.IsCancellationRequested) { cancelled = true; stopReason = "cancelled"; break; }
                int start = b * o.BatchSize, count = Math.Min(o.BatchSize, users - start);
                var rows = order.AsSpan(start, count);
                epochBeta = network.IsVariational ? beta.At(updates) : 0f;
                var (loss, stop) = step.Run(train, rows, epochBeta, draws, cancellation.IsCancellationRequested);
                if (stop) { cancelled = true; stopReason = "cancelled"; break; }
                double weightSquares = optimizer.Step(network.Gradients);
                step.AfterUpdate();
                updates++;
                double total = loss.Total + (o.Optimizer == OptimizerKind.Adam ? decay * weightSquares : 0);
                if (!double.IsFinite(total))
                {
                    diverged = true;
                    stopReason = $"the training loss became {total} at epoch {epoch}, batch {b + 1}; the best model from before is kept. Lower the learning rate (now {optimizer.LearningRate}) or check the data.";
                    break;
                }
                lossSum += total * count;
                lossRows += count;
                _observer.OnBatch(epoch, b + 1, batchesPerEpoch, total);
            }
            if (diverged || lossRows == 0) break;

            bool evaluate = hasValidation && (epoch % o.EvaluateEvery == 0 || epoch == o.Epochs || cancelled);
            double valLoss = double.NaN;
            EvaluationResult? validation = null;
            bool isBest = false;
            if (evaluate)
            {
                _observer.OnEvaluationStart(epoch);
                validation = evaluator.Evaluate(network, data.Validation.FoldIn, data.Validation.Targets);
                var lossWorkspace = evaluator.Workspace.NetworkWorkspace(network, Math.Min(o.EvaluationBatchSize, data.Validation.UserCount));
                valLoss = ValidationLoss(network, lossWorkspace, data.Validation.FoldIn, epochBeta, _communicator);
                double ndcg = validation.Get(MetricKind.Ndcg, 100).Mean;
                if (ndcg > bestNdcg || bestValidation is null)
                {
                    bestNdcg = ndcg; bestEpoch = epoch; bestValidation = validation; isBest = true;
                    network.Parameters.Values.CopyTo(best, 0);
                }
                double lrValue = o.LrMonitor == MonitoredMetric.Ndcg ? ndcg : valLoss;
                if (o.LrPatience > 0 && !lrPlateau.Observe(lrValue) && lrPlateau.BadEvaluations > o.LrPatience)
                {
                    optimizer.LearningRate *= o.LrFactor;
                    lrPlateau.ResetCount();
                }
                double stopValue = o.EarlyStopMonitor == MonitoredMetric.Ndcg ? ndcg : valLoss;
                if (o.EarlyStopPatience > 0 && !stopPlateau.Observe(stopValue) && stopPlateau.BadEvaluations >= o.EarlyStopPatience)
                {
                    stoppedEarly = true;
                    stopReason = $"no improvement of validation {(o.EarlyStopMonitor == MonitoredMetric.Ndcg ? "NDCG@100" : "loss")} in {o.EarlyStopPatience} evaluations";
                }
            }
            else if (!hasValidation)
            {
                // Without validation users the last epoch is the one kept.
                network.Parameters.Values.CopyTo(best, 0);
                bestEpoch = epoch; isBest = true;
            }
            // After the first epoch an epoch leaves only Parallel.For's bookkeeping behind (about 25 KB a
            // batch). Collected now, while it is young and dead (well under a millisecond), it never
            // ratchets the RSS up epoch by epoch towards the gen-0 budget, which the runtime sizes from
            // the L3 cache (up to 200 MB).
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
            var record = new EpochRecord(epoch, epochBeta, lossSum / lossRows, valLoss,
                validation?.Get(MetricKind.Ndcg, 100).Mean ?? double.NaN,
                validation?.Get(MetricKind.Recall, 20).Mean ?? double.NaN,
                validation?.Get(MetricKind.Recall, 50).Mean ?? double.NaN,
                optimizer.LearningRate, epochClock.Elapsed.TotalSeconds, isBest);
            history.Add(record);
            if (epoch % ParameterCheckEvery == 0 || epoch == o.Epochs || stoppedEarly || cancelled)
                ParameterCheck.Confirm(_communicator, network.Parameters.Values, epoch);
            _observer.OnEpochEnd(record);
            if (stoppedEarly) break;
        }

        double trainingSeconds = clock.Elapsed.TotalSeconds;
        best.CopyTo(network.Parameters.Values, 0);
        return new TrainingResult
        {
            Network = network,
            History = history,
            BestEpoch = bestEpoch,
            BestValidation = bestValidation,
            TrainingSeconds = trainingSeconds,
            StoppedEarly = stoppedEarly,
            Cancelled = cancelled,
            Diverged = diverged,
            StopReason = stopReason,
        };
    }

    /// <summary>The training objective (NLL + beta * KL) on held-out fold-in histories, without dropout and with z = mu.</summary>
    public static double ValidationLoss(AutoencoderNetwork network, CsrMatrix foldIn, float beta, int batchSize = Evaluator.DefaultBatchSize) =>
        foldIn.Rows == 0 ? double.NaN : ValidationLoss(network, network.CreateWorkspace(Math.Min(batchSize, foldIn.Rows)), foldIn, beta);

    /// <param name="communicator">Processes that share the users (each takes a contiguous share) and sum their losses.</param>
    public static double ValidationLoss(AutoencoderNetwork network, NetworkWorkspace ws, CsrMatrix foldIn, float beta, ICommunicator? communicator = null)
    {
        if (foldIn.Rows == 0) return double.NaN;
        communicator ??= SingleProcessCommunicator.Instance;
        var (first, share) = DataParallelStep.Slice(foldIn.Rows, communicator.Rank, communicator.Size);
        Span<double> total = [0];
        for (int start = first; start < first + share; start += ws.MaxRows)
        {
            int count = Math.Min(ws.MaxRows, first + share - start);
            var rows = ws.RowRange(start, count);
            network.Forward(ws, foldIn, rows, training: false);
            total[0] += network.ComputeLoss(ws, foldIn, rows, beta).Total * count;
        }
        communicator.Sum(total);
        return total[0] / foldIn.Rows;
    }
}
