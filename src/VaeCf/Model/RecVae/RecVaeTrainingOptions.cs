namespace VaeCf.Model.RecVae;

/// <summary>RecVAE's training hyper-parameters; defaults are the authors' (their ML-20M settings).</summary>
public sealed record RecVaeTrainingOptions
{
    public float LearningRate { get; init; } = 5e-4f;
    public int BatchSize { get; init; } = 500;
    /// <summary>Each epoch is <see cref="EncoderPasses"/> encoder passes then <see cref="DecoderPasses"/> decoder passes over all training users.</summary>
    public int Epochs { get; init; } = 50;
    public int EncoderPasses { get; init; } = 3;
    public int DecoderPasses { get; init; } = 1;
    /// <summary>User-specific KL weight: beta_u = gamma * (sum of the user's history values, the item count for clicks).</summary>
    public float Gamma { get; init; } = 0.005f;
    /// <summary>A constant KL weight instead of gamma * |history| when set.</summary>
    public float? Beta { get; init; }
    public int EvaluationBatchSize { get; init; } = 1000;
    public int Seed { get; init; } = 98765;
    /// <summary>Worker threads for GEMM and parallel loops; 0 = all cores.</summary>
    public int Threads { get; init; }

    public void Validate()
    {
        if (!(LearningRate > 0) || float.IsInfinity(LearningRate)) throw new VaeCfException($"Learning rate must be positive, got {LearningRate}.");
        if (BatchSize <= 0) throw new VaeCfException($"Batch size must be positive, got {BatchSize}.");
        if (Epochs <= 0) throw new VaeCfException($"Epochs must be positive, got {Epochs}.");
        if (EncoderPasses <= 0) throw new VaeCfException($"Encoder passes per epoch must be positive, got {EncoderPasses}.");
        if (DecoderPasses <= 0) throw new VaeCfException($"Decoder passes per epoch must be positive, got {DecoderPasses}.");
        if (!(Gamma >= 0) || float.IsInfinity(Gamma)) throw new VaeCfException($"Gamma must be >= 0, got {Gamma}.");
        if (Beta is { } b && (!(b >= 0) || float.IsInfinity(b))) throw new VaeCfException($"Beta must be >= 0, got {b}.");
        if (EvaluationBatchSize <= 0) throw new VaeCfException($"Evaluation batch size must be positive, got {EvaluationBatchSize}.");
        if (Threads < 0) throw new VaeCfException($"Threads must be >= 0 (0 = all cores), got {Threads}.");
    }
}
