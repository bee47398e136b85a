using System.Diagnostics;
using VaeCf.Data;
using VaeCf.Distributed;
using VaeCf.Evaluation;
using VaeCf.Numerics;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Model.RecVae;

/// <summary>What <see cref="RecVaeTrainer.Train(SplitDataset, RecVaeConfig, CancellationToken)"/> returns: the network at its best epoch and how the run went.</summary>
public sealed class RecVaeTrainingResult : ITrainingOutcome
{
    /// <summary>The trained network, holding the best epoch's parameters (the last epoch's when there are no validation users).</summary>
    public required RecVaeNetwork Network { get; init; }
    IScorer ITrainingOutcome.Scorer => Network;
    /// <summary>Per epoch: Beta is the mean KL weight over training users, TrainLoss the last encoder pass's mean negative ELBO; no validation loss (NaN).</summary>
    public required IReadOnlyList<EpochRecord> History { get; init; }
    /// <summary>The epoch whose parameters <see cref="Network"/> holds (best validation NDCG@100).</summary>
    public int BestEpoch { get; init; }
    /// <summary>Validation metrics at <see cref="BestEpoch"/>; null when the split has no validation user with targets or no epoch finished.</summary>
    public EvaluationResult? BestValidation { get; init; }
    /// <summary>Test metrics of the kept parameters, measured once after training; null when the split has no test users.</summary>
    public EvaluationResult? Test { get; init; }
    /// <summary>Wall-clock seconds of the epochs, validation included, the final test evaluation excluded.</summary>
    public double TrainingSeconds { get; init; }
    /// <summary>The cancellation token stopped training part-way; <see cref="Network"/> still holds the best parameters so far.</summary>
    public bool Cancelled { get; init; }
    /// <summary>The loss stopped being a number; <see cref="Network"/> holds the best parameters from before.</summary>
    public bool Diverged { get; init; }
    /// <summary>Why training ended early, one line for the user ("cancelled", or the divergence with what to change); null when every epoch ran.</summary>
    public string? StopReason { get; init; }
}

/// <summary>
/// RecVAE's alternating training (the authors' run loop): each epoch makes
/// <see cref="RecVaeTrainingOptions.EncoderPasses"/> shuffled passes updating only the encoder
/// (input dropout, composite prior, user-specific KL weight), copies the encoder into the prior's
/// frozen encoder, then <see cref="RecVaeTrainingOptions.DecoderPasses"/> passes updating only the
/// decoder without input dropout (the KL has no decoder gradient, so it is not computed there).
/// Encoder and decoder have separate Adam states. After each epoch, validation NDCG@100 picks the
/// best parameters, which are finally evaluated on the test users.
/// </summary>
/// <remarks>
/// Each pass is one round of per-user draws (<see cref="TrainingDraws"/>, round
/// (epoch - 1) x passes + pass + 1): input-dropout masks and noise depend on the seed, the round
/// and the user only, and the shuffle has its own stream, so P data-parallel processes
/// (<see cref="RecVaeDataParallelStep"/>) train the one-process model.
/// </remarks>
public sealed class RecVaeTrainer
{
    private readonly RecVaeTrainingOptions _options;
    private readonly ITrainingObserver _observer;
    private readonly ICommunicator _communicator;

    /// <summary>A trainer with fixed options; <paramref name="observer"/> hears of each epoch and batch (none when null).</summary>
    /// <param name="options">The training options, validated here.</param>
    /// <param name="observer">Told of each epoch and batch; only rank 0's is.</param>
    /// <param name="communicator">
    /// The processes training together (data parallelism); one process when null. Every process
    /// must call Train with the same data and options.
    /// </param>
    /// <exception cref="VaeCfException">An option is out of range (<see cref="RecVaeTrainingOptions.Validate"/>).</exception>
    public RecVaeTrainer(RecVaeTrainingOptions options, ITrainingObserver? observer = null, ICommunicator? communicator = null)
    {
        options.Validate();
        _options = options;
        _communicator = communicator ?? SingleProcessCommunicator.Instance;
        _observer = observer is not null && _communicator.IsRoot ? observer : new NullObserver();
    }

    private sealed class NullObserver : ITrainingObserver;

    /// <summary>
    /// Builds a network for <paramref name="data"/>'s items (the config's item count is replaced), initializes it from
    /// the options' seed and trains it (see <see cref="Train(RecVaeNetwork, SplitDataset, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="VaeCfException">The configuration is invalid or the training split has no users.</exception>
    public RecVaeTrainingResult Train(SplitDataset data, RecVaeConfig config, CancellationToken cancellation = default)
    {
        if (config.ItemCount != data.ItemCount) config = config with { ItemCount = data.ItemCount };
        config.Validate();
        if (data.Train.Rows == 0) throw new VaeCfException("The training split has no users.");
        var network = new RecVaeNetwork(config, new GemmEngine(_options.Threads));
        network.Initialize(Trainer.InitializationSeed(_options.Seed));
        return Train(network, data, cancellation);
    }

    /// <summary>Trains an initialized network in place. The prior's frozen encoder starts as a copy of the initial encoder.</summary>
    public RecVaeTrainingResult Train(RecVaeNetwork network, SplitDataset data, CancellationToken cancellation = default)
    {
        var o = _options;
        var train = data.Train;
        int users = train.Rows;
        int batchesPerPass = (users + o.BatchSize - 1) / o.BatchSize;
        int batchesPerEpoch = batchesPerPass * (o.EncoderPasses + o.DecoderPasses);
        int threads = network.Gemm.Threads;
        var encoderAdam = new AdamOptimizer(network.Encoder.Parameters, OptimizerKind.Adam, o.LearningRate, 0f, threads);
        var decoderAdam = new AdamOptimizer(network.DecoderParameters, OptimizerKind.Adam, o.LearningRate, 0f, threads);
        var prior = new RecVaeEncoder(network.Config);
        prior.CopyFrom(network.Encoder);
        var step = new RecVaeDataParallelStep(network, _communicator, Math.Min(o.BatchSize, users), network.Gemm);
        var evaluator = new Evaluator(o.EvaluationBatchSize, threads, communicator: _communicator);
        // The shuffle's own stream: every process draws the same order, whatever the draws per user.
        var rng = new Random(o.Seed);
        var order = Enumerable.Range(0, users).ToArray();
        var bestEncoder = (float[])network.Encoder.Parameters.Values.Clone();
        var bestDecoder = (float[])network.DecoderParameters.Values.Clone();
        float meanKlWeight = o.Beta ?? (float)(o.Gamma * Enumerable.Range(0, users).Average(u => (double)RecVaeNetwork.HistoryMass(train, u)));
        var history = new List<EpochRecord>();
        double bestNdcg = double.NegativeInfinity;
        int bestEpoch = 0;
        EvaluationResult? bestValidation = null;
        bool cancelled = false, diverged = false;
        string? stopReason = null;
        bool hasValidation = Enumerable.Range(0, data.Validation.UserCount).Any(u => data.Validation.Targets.RowLength(u) > 0);
        int passes = o.EncoderPasses + o.DecoderPasses;
        if (_communicator.Size > 1)
        {
            ParameterCheck.ConfirmSameSetup(_communicator, data, (o with { Threads = 0 }).ToString() + network.Config);
            ConfirmSameParameters(network, prior, 0);
        }
        var clock = Stopwatch.StartNew();

        for (int epoch = 1; epoch <= o.Epochs && !cancelled && !diverged; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            _observer.OnEpochStart(epoch, batchesPerEpoch);
            int batchNumber = 0;
            double passLoss = 0;
            for (int pass = 0; pass < passes && !cancelled && !diverged; pass++)
            {
                bool encoderPass = pass < o.EncoderPasses;
                // Every process copies the same encoder (the parameter checks confirm it), so the prior is the same everywhere.
                if (pass == o.EncoderPasses) prior.CopyFrom(network.Encoder);
                rng.Shuffle(order);
                var draws = new TrainingDraws(o.Seed, (epoch - 1) * passes + pass + 1);
                double lossSum = 0;
                for (int b = 0; b < batchesPerPass; b++)
                {
                    // Alone, stop before the batch; together, the wish to stop travels with the batch's sums so every process stops at the same one.
                    if (_communicator.Size == 1 && cancellation.IsCancellationRequested) { cancelled = true; stopReason = "cancelled"; break; }
                    int start = b * o.BatchSize, count = Math.Min(o.BatchSize, users - start);
                    var rows = order.AsSpan(start, count);
                    double loss;
                    bool stop;
                    if (encoderPass)
                    {
                        (loss, stop) = step.Encoder(train, rows, prior, o.Gamma, o.Beta, draws, cancellation.IsCancellationRequested);
                        if (stop) { cancelled = true; stopReason = "cancelled"; break; }
                        encoderAdam.Step(network.Encoder.Gradients);
                        step.AfterEncoderUpdate();
                    }
                    else
                    {
                        (loss, stop) = step.Decoder(train, rows, draws, cancellation.IsCancellationRequested);
                        if (stop) { cancelled = true; stopReason = "cancelled"; break; }
                        decoderAdam.Step(network.DecoderGradients);
                    }
                    if (!double.IsFinite(loss))
                    {
                        diverged = true;
                        stopReason = $"the training loss became {loss} at epoch {epoch}, pass {pass + 1}, batch {b + 1}; the best model from before is kept. Lower the learning rate (now {o.LearningRate}) or check the data.";
                        break;
                    }
                    lossSum += loss * count;
                    _observer.OnBatch(epoch, ++batchNumber, batchesPerEpoch, loss);
                }
                if (encoderPass) passLoss = lossSum / users;
            }
            if (diverged || (cancelled && batchNumber == 0)) break;

            EvaluationResult? validation = null;
            bool isBest = false;
            if (hasValidation)
            {
                _observer.OnEvaluationStart(epoch);
                validation = evaluator.Evaluate(network, data.Validation.FoldIn, data.Validation.Targets);
                double ndcg = validation.Get(MetricKind.Ndcg, 100).Mean;
                if (ndcg > bestNdcg || bestValidation is null) { bestNdcg = ndcg; bestValidation = validation; isBest = true; }
            }
            else isBest = true; // Without validation users the last epoch is the one kept.
            if (isBest)
            {
                bestEpoch = epoch;
                network.Encoder.Parameters.Values.CopyTo(bestEncoder, 0);
                network.DecoderParameters.Values.CopyTo(bestDecoder, 0);
            }
            var record = new EpochRecord(epoch, meanKlWeight, passLoss, double.NaN,
                validation?.Get(MetricKind.Ndcg, 100).Mean ?? double.NaN,
                validation?.Get(MetricKind.Recall, 20).Mean ?? double.NaN,
                validation?.Get(MetricKind.Recall, 50).Mean ?? double.NaN,
                o.LearningRate, epochClock.Elapsed.TotalSeconds, isBest);
            history.Add(record);
            if (epoch % Trainer.ParameterCheckEvery == 0 || epoch == o.Epochs || cancelled)
                ConfirmSameParameters(network, prior, epoch);
            _observer.OnEpochEnd(record);
        }

        double trainingSeconds = clock.Elapsed.TotalSeconds;
        bestEncoder.CopyTo(network.Encoder.Parameters.Values, 0);
        bestDecoder.CopyTo(network.DecoderParameters.Values, 0);
        EvaluationResult? test = data.Test.UserCount > 0 ? evaluator.Evaluate(network, data.Test.FoldIn, data.Test.Targets) : null;
        return new RecVaeTrainingResult
        {
            Network = network,
            History = history,
            BestEpoch = bestEpoch,
            BestValidation = bestValidation,
            Test = test,
            TrainingSeconds = trainingSeconds,
            Cancelled = cancelled,
            Diverged = diverged,
            StopReason = stopReason,
        };
    }

    /// <summary>Encoder, decoder and the prior's frozen encoder: all three must be the same on every process.</summary>
    private void ConfirmSameParameters(RecVaeNetwork network, RecVaeEncoder prior, int epoch)
    {
        ParameterCheck.Confirm(_communicator, network.Encoder.Parameters.Values, epoch);
        ParameterCheck.Confirm(_communicator, network.DecoderParameters.Values, epoch);
        ParameterCheck.Confirm(_communicator, prior.Parameters.Values, epoch);
    }
}
