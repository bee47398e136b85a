using VaeCf.Training;

namespace VaeCf.Persistence;

/// <summary>The "training" section: every <see cref="TrainingOptions"/> field under its file name.</summary>
public sealed class TrainingSection
{
    public string? Optimizer { get; set; }
    public float LearningRate { get; set; }
    public float? WeightDecay { get; set; }
    public int BatchSize { get; set; }
    public int Epochs { get; set; }
    public string? Anneal { get; set; }
    public float AnnealCap { get; set; }
    public int TotalAnnealSteps { get; set; }
    public int LrPatience { get; set; }
    public float LrFactor { get; set; }
    public string? LrMonitor { get; set; }
    public int EarlyStopPatience { get; set; }
    public string? EarlyStopMonitor { get; set; }
    public int EvaluateEvery { get; set; }
    public int EvaluationBatchSize { get; set; }
    public int Seed { get; set; }
    public int Threads { get; set; }

    private static readonly EnumText<OptimizerKind> Optimizers = new("training.optimizer", (OptimizerKind.Adam, "adam"), (OptimizerKind.AdamW, "adam_w"));
    private static readonly EnumText<AnnealSchedule> Schedules = new("training.anneal",
        (AnnealSchedule.Paper, "paper"), (AnnealSchedule.Seed85, "seed85"), (AnnealSchedule.Constant, "constant"));
    private static readonly EnumText<MonitoredMetric> Monitors = new("training monitor", (MonitoredMetric.Ndcg, "ndcg"), (MonitoredMetric.Loss, "loss"));

    public static TrainingSection From(TrainingOptions o) => new()
    {
        Optimizer = Optimizers.Text(o.Optimizer), LearningRate = o.LearningRate, WeightDecay = o.WeightDecay, BatchSize = o.BatchSize, Epochs = o.Epochs,
        Anneal = Schedules.Text(o.Anneal), AnnealCap = o.AnnealCap, TotalAnnealSteps = o.TotalAnnealSteps, LrPatience = o.LrPatience, LrFactor = o.LrFactor,
        LrMonitor = Monitors.Text(o.LrMonitor), EarlyStopPatience = o.EarlyStopPatience, EarlyStopMonitor = Monitors.Text(o.EarlyStopMonitor),
        EvaluateEvery = o.EvaluateEvery, EvaluationBatchSize = o.EvaluationBatchSize, Seed = o.Seed, Threads = o.Threads,
    };

    public TrainingOptions ToOptions(string path) => new()
    {
        Optimizer = Optimizers.Parse(Optimizer, path), LearningRate = LearningRate, WeightDecay = WeightDecay, BatchSize = BatchSize, Epochs = Epochs,
        Anneal = Schedules.Parse(Anneal, path), AnnealCap = AnnealCap, TotalAnnealSteps = TotalAnnealSteps, LrPatience = LrPatience, LrFactor = LrFactor,
        LrMonitor = Monitors.Parse(LrMonitor, path), EarlyStopPatience = EarlyStopPatience, EarlyStopMonitor = Monitors.Parse(EarlyStopMonitor, path),
        EvaluateEvery = EvaluateEvery, EvaluationBatchSize = EvaluationBatchSize, Seed = Seed, Threads = Threads,
    };
}
