using VaeCf.Evaluation;

namespace VaeCf.Training;

public enum OptimizerKind { Adam, AdamW }

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

public enum MonitoredMetric { Ndcg, Loss }

/// <summary>Every training hyper-parameter, typed and validated; defaults are the paper's.</summary>
public sealed record TrainingOptions
{
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    public float LearningRate { get; init; } = TrainingDefaults.LearningRate;
    /// <summary>
    /// Adam: an L2 penalty lambda * ||W||^2 on weights (not biases) added to the loss, as the
    /// original Mult-DAE (its 2 * l2_regularizer(lambda)). AdamW: the decoupled decay rate.
    /// Null means the model's default: 0.01 / batch size for Mult-DAE, 0 for Mult-VAE.
    /// </summary>
    public float? WeightDecay { get; init; }
    public int BatchSize { get; init; } = TrainingDefaults.BatchSize;
    public int Epochs { get; init; } = TrainingDefaults.Epochs;
    public AnnealSchedule Anneal { get; init; } = AnnealSchedule.Paper;
    public float AnnealCap { get; init; } = TrainingDefaults.AnnealCap;
    public int TotalAnnealSteps { get; init; } = TrainingDefaults.TotalAnnealSteps;
    /// <summary>ReduceLROnPlateau; 0 disables it.</summary>
    public int LrPatience { get; init; }
    public float LrFactor { get; init; } = TrainingDefaults.LrFactor;
    public MonitoredMetric LrMonitor { get; init; } = MonitoredMetric.Ndcg;
    /// <summary>Stop after this many evaluations without improvement; 0 disables early stopping.</summary>
    public int EarlyStopPatience { get; init; }
    public MonitoredMetric EarlyStopMonitor { get; init; } = MonitoredMetric.Ndcg;
    public int EvaluateEvery { get; init; } = TrainingDefaults.EvaluateEvery;
    public int EvaluationBatchSize { get; init; } = Evaluator.DefaultBatchSize;
    public int Seed { get; init; } = TrainingDefaults.Seed;
    /// <summary>Worker threads for GEMM and parallel loops; 0 = all cores.</summary>
    public int Threads { get; init; }

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
