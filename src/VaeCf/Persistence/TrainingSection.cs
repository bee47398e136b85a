using VaeCf.Training;

namespace VaeCf.Persistence;

/// <summary>The "training" section: every <see cref="TrainingOptions"/> field under its file name.</summary>
public sealed class TrainingSection
{
    /// <summary>"optimizer": "adam" or "adamw".</summary>
    public string? Optimizer { get; set; }
    /// <summary>"learning_rate".</summary>
    public float LearningRate { get; set; }
    /// <summary>"weight_decay": the decay used (a model default written out).</summary>
    public float? WeightDecay { get; set; }
    /// <summary>"batch_size".</summary>
    public int BatchSize { get; set; }
    /// <summary>"epochs" asked for.</summary>
    public int Epochs { get; set; }
    /// <summary>"anneal": "paper", "seed85" or "constant".</summary>
    public string? Anneal { get; set; }
    /// <summary>"anneal_cap".</summary>
    public float AnnealCap { get; set; }
    /// <summary>"total_anneal_steps".</summary>
    public int TotalAnnealSteps { get; set; }
    /// <summary>"lr_patience" (0: no ReduceLROnPlateau).</summary>
    public int LrPatience { get; set; }
    /// <summary>"lr_factor".</summary>
    public float LrFactor { get; set; }
    /// <summary>"lr_monitor": "ndcg" or "loss".</summary>
    public string? LrMonitor { get; set; }
    /// <summary>"early_stop_patience" (0: off).</summary>
    public int EarlyStopPatience { get; set; }
    /// <summary>"early_stop_monitor": "ndcg" or "loss".</summary>
    public string? EarlyStopMonitor { get; set; }
    /// <summary>"evaluate_every" epochs.</summary>
    public int EvaluateEvery { get; set; }
    /// <summary>"evaluation_batch_size".</summary>
    public int EvaluationBatchSize { get; set; }
    /// <summary>"seed" of the training run.</summary>
    public int Seed { get; set; }
    /// <summary>"threads" (0: all cores).</summary>
    public int Threads { get; set; }

    private static readonly EnumText<OptimizerKind> Optimizers = new("training.optimizer", (OptimizerKind.Adam, "adam"), (OptimizerKind.AdamW, "adam_w"));
    private static readonly EnumText<AnnealSchedule> Schedules = new("training.anneal",
        (AnnealSchedule.Paper, "paper"), (AnnealSchedule.Seed85, "seed85"), (AnnealSchedule.Constant, "constant"));
    private static readonly EnumText<MonitoredMetric> Monitors = new("training monitor", (MonitoredMetric.Ndcg, "ndcg"), (MonitoredMetric.Loss, "loss"));

    /// <summary>The section for <paramref name="o"/>.</summary>
    public static TrainingSection From(TrainingOptions o) => new()
    {
        Optimizer = Optimizers.Text(o.Optimizer), LearningRate = o.LearningRate, WeightDecay = o.WeightDecay, BatchSize = o.BatchSize, Epochs = o.Epochs,
        Anneal = Schedules.Text(o.Anneal), AnnealCap = o.AnnealCap, TotalAnnealSteps = o.TotalAnnealSteps, LrPatience = o.LrPatience, LrFactor = o.LrFactor,
        LrMonitor = Monitors.Text(o.LrMonitor), EarlyStopPatience = o.EarlyStopPatience, EarlyStopMonitor = Monitors.Text(o.EarlyStopMonitor),
        EvaluateEvery = o.EvaluateEvery, EvaluationBatchSize = o.EvaluationBatchSize, Seed = o.Seed, Threads = o.Threads,
    };

    /// <summary>The options the section describes; an unknown name is a user error naming <paramref name="path"/>.</summary>
    public TrainingOptions ToOptions(string path) => new()
    {
        Optimizer = Optimizers.Parse(Optimizer, path), LearningRate = LearningRate, WeightDecay = WeightDecay, BatchSize = BatchSize, Epochs = Epochs,
        Anneal = Schedules.Parse(Anneal, path), AnnealCap = AnnealCap, TotalAnnealSteps = TotalAnnealSteps, LrPatience = LrPatience, LrFactor = LrFactor,
        LrMonitor = Monitors.Parse(LrMonitor, path), EarlyStopPatience = EarlyStopPatience, EarlyStopMonitor = Monitors.Parse(EarlyStopMonitor, path),
        EvaluateEvery = EvaluateEvery, EvaluationBatchSize = EvaluationBatchSize, Seed = Seed, Threads = Threads,
    };
}
