using VaeCf.Evaluation;

namespace VaeCf.Training;

/// <summary>The optimizer: Adam (Kingma and Ba, ICLR 2015) with PyTorch's update, the two differing in how weight decay acts.</summary>
public enum OptimizerKind
{
    /// <summary>Weight decay as a coupled L2 penalty in the loss (the original Mult-DAE's).</summary>
    Adam,
    /// <summary>Decoupled weight decay (Loshchilov and Hutter, ICLR 2019).</summary>
    AdamW,
}

/// <summary>How beta, the KL weight, grows over training (docs/protocol.md, "Annealing of beta").</summary>
public enum AnnealSchedule
{
    /// <summary>The original: beta = min(cap, step / total_anneal_steps), stepped every batch.</summary>
    Paper,
    /// <summary>The reimplementation's: total steps chosen so beta reaches the cap at 85% of the epochs.</summary>
    Seed85,
    /// <summary>beta = cap throughout.</summary>
    Constant,
}

/// <summary>What ReduceLROnPlateau or early stopping watches on the validation users.</summary>
public enum MonitoredMetric
{
    /// <summary>NDCG@100, maximized.</summary>
    Ndcg,
    /// <summary>The training objective without dropout (z = mu for Mult-VAE), minimized.</summary>
    Loss,
}

/// <summary>Every training hyper-parameter, typed and validated; defaults are the paper's.</summary>
public sealed record TrainingOptions
{
    /// <summary>Adam (default) or AdamW; decides how <see cref="WeightDecay"/> acts.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>Adam's initial step size; must be positive and finite. Default 1e-3.</summary>
    public float LearningRate { get; init; } = TrainingDefaults.LearningRate;
    /// <summary>
    /// Adam: an L2 penalty lambda * ||W||^2 on weights (not biases) added to the loss, as the
    /// original Mult-DAE (its 2 * l2_regularizer(lambda)). AdamW: the decoupled decay rate.
    /// Null means the model's default: 0.01 / batch size for Mult-DAE, 0 for Mult-VAE.
    /// </summary>
    public float? WeightDecay { get; init; }
    /// <summary>Training users per update (the last batch of an epoch may be smaller); must be positive. Default 500.</summary>
    public int BatchSize { get; init; } = TrainingDefaults.BatchSize;
    /// <summary>Passes over the shuffled training users; must be positive. Default 200.</summary>
    public int Epochs { get; init; } = TrainingDefaults.Epochs;
    /// <summary>How the KL weight beta grows (Mult-VAE only); default the paper's.</summary>
    public AnnealSchedule Anneal { get; init; } = AnnealSchedule.Paper;
    /// <summary>The largest beta, where every schedule stops (and the constant schedule's value); must be >= 0 and finite. Default 0.2.</summary>
    public float AnnealCap { get; init; } = TrainingDefaults.AnnealCap;
    /// <summary>The paper schedule's updates over which beta would grow linearly from 0 to 1 (it stops at the cap, after cap x this many); must be >= 0, 0 meaning beta = cap throughout. Ignored by the other schedules. Default 200,000.</summary>
    public int TotalAnnealSteps { get; init; } = TrainingDefaults.TotalAnnealSteps;
    /// <summary>ReduceLROnPlateau; 0 disables it.</summary>
    public int LrPatience { get; init; }
    /// <summary>Multiplier applied to the learning rate when the plateau patience runs out; in (0, 1). Default 0.4.</summary>
    public float LrFactor { get; init; } = TrainingDefaults.LrFactor;
    /// <summary>What ReduceLROnPlateau watches: validation NDCG@100 (maximized, default) or validation loss (minimized).</summary>
    public MonitoredMetric LrMonitor { get; init; } = MonitoredMetric.Ndcg;
    /// <summary>Stop after this many evaluations without improvement; 0 disables early stopping.</summary>
    public int EarlyStopPatience { get; init; }
    /// <summary>What early stopping watches; default validation NDCG@100.</summary>
    public MonitoredMetric EarlyStopMonitor { get; init; } = MonitoredMetric.Ndcg;
    /// <summary>Validate every this many epochs (and always after the last one or a cancellation); the best epoch is chosen among validated epochs. Must be positive.</summary>
    public int EvaluateEvery { get; init; } = TrainingDefaults.EvaluateEvery;
    /// <summary>Users scored at once during validation; changes memory and speed, while the metrics, computed per user, do not depend on it. Must be positive.</summary>
    public int EvaluationBatchSize { get; init; } = Evaluator.DefaultBatchSize;
    /// <summary>Seeds the initialization (through <see cref="Trainer.InitializationSeed"/>), the epoch shuffles and every dropout mask and noise draw (<see cref="VaeCf.Model.TrainingDraws"/>): the same seed, data and options repeat a run.</summary>
    public int Seed { get; init; } = TrainingDefaults.Seed;
    /// <summary>Worker threads for GEMM and parallel loops; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Throws a <see cref="VaeCfException"/> naming the first option out of its range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || float.IsInfinity(LearningRate)) throw new VaeCfException($"Learning rate must be positive, got {LearningRate}.");
        if (WeightDecay is < 0f || (WeightDecay is { } wd && float.IsNaN(wd))) throw new VaeCfException($"Weight decay must be >= 0, got {WeightDecay}.");
        if (BatchSize <= 0) throw new VaeCfException($"Batch size must be positive, got {BatchSize}.");
        if (Epochs <= 0) throw new VaeCfException($"Epochs must be positive, got {Epochs}.");
        if (!(AnnealCap >= 0) || float.IsInfinity(AnnealCap)) throw new VaeCfException($"Anneal cap must be >= 0, got {AnnealCap}.");
        if (Anneal == AnnealSchedule.Paper && TotalAnnealSteps < 0) throw new VaeCfException($"total_anneal_steps must be >= 0, got {TotalAnnealSteps}.");
        if (LrPatience < 0) throw new VaeCfException($"LR patience must be >= 0, got {LrPatience}.");
        if (LrFactor is <= 0f or >= 1f) throw new VaeCfException($"LR factor must be in (0, 1), got {LrFactor}.");
        if (EarlyStopPatience < 0) throw new VaeCfException($"Early-stop patience must be >= 0, got {EarlyStopPatience}.");
        if (EvaluateEvery <= 0) throw new VaeCfException($"evaluate-every must be positive, got {EvaluateEvery}.");
        if (EvaluationBatchSize <= 0) throw new VaeCfException($"Evaluation batch size must be positive, got {EvaluationBatchSize}.");
        if (Threads < 0) throw new VaeCfException($"Threads must be >= 0 (0 = all cores), got {Threads}.");
    }
}
