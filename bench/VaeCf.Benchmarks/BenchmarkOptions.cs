using VaeCf.Model;

namespace VaeCf.Benchmarks;

/// <summary>
/// What <see cref="TrainingBenchmark"/> measures. The defaults are the ML-20M training shape
/// (docs/protocol.md, "Compute shape"): 116,677 users x 20,108 items, about 86 clicks each, batch 500.
/// </summary>
public sealed record BenchmarkOptions
{
    public int Items { get; init; } = 20_108;
    /// <summary>Training users: sets the batches per epoch and the size of the generated matrix.</summary>
    public int Users { get; init; } = 116_677;
    public int BatchSize { get; init; } = 500;
    /// <summary>0 = every core.</summary>
    public int Threads { get; init; }
    /// <summary>Timed training batches per model (after <see cref="WarmupBatches"/>); the median is reported.</summary>
    public int Batches { get; init; } = 20;
    public int WarmupBatches { get; init; } = 3;
    public IReadOnlyList<ModelKind> Models { get; init; } = [ModelKind.MultVae, ModelKind.MultDae];
    /// <summary>Held-out users ranked against all items for the evaluation timing (0 skips it).</summary>
    public int EvalUsers { get; init; } = 10_000;
    public int EvalBatchSize { get; init; } = 2000;
    /// <summary>Side of the square product whose GFLOP/s is the GEMM peak.</summary>
    public int PeakSize { get; init; } = 2048;
    /// <summary>Seconds spent on each peak measurement (ours and oneDNN's).</summary>
    public double PeakSeconds { get; init; } = 2.0;
    /// <summary>Time one real epoch too when it has at most this many batches (0 = never).</summary>
    public int FullEpochMaxBatches { get; init; } = 40;
    public bool UseOneDnn { get; init; } = true;
    public double MeanClicksPerUser { get; init; } = 86;
    public int Seed { get; init; } = 98765;

    public void Validate()
    {
        if (Items < 2) throw new VaeCfException($"--items must be at least 2, got {Items}.");
        if (Users < 1) throw new VaeCfException($"--users must be positive, got {Users}.");
        if (BatchSize < 1) throw new VaeCfException($"--batch must be positive, got {BatchSize}.");
        if (Threads < 0) throw new VaeCfException($"--threads must be 0 (all cores) or positive, got {Threads}.");
        if (Batches < 1) throw new VaeCfException($"--batches must be positive, got {Batches}.");
        if (WarmupBatches < 0) throw new VaeCfException($"--warmup must not be negative, got {WarmupBatches}.");
        if (Models.Count == 0) throw new VaeCfException("At least one model to benchmark is needed.");
        if (EvalUsers < 0) throw new VaeCfException($"--eval-users must not be negative, got {EvalUsers}.");
        if (EvalBatchSize < 1) throw new VaeCfException($"--eval-batch must be positive, got {EvalBatchSize}.");
        if (PeakSize < 1) throw new VaeCfException($"--peak-size must be positive, got {PeakSize}.");
        if (MeanClicksPerUser <= 0) throw new VaeCfException("Mean clicks per user must be positive.");
    }
}
