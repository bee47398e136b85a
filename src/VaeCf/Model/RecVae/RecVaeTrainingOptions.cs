namespace VaeCf.Model.RecVae;

/// <summary>RecVAE's training hyper-parameters; defaults are the authors' (their ML-20M settings).</summary>
public sealed record RecVaeTrainingOptions
{
    /// <summary>Adam's step size (Kingma and Ba 2015) for both the encoder and the decoder, each with its own moments; the authors' 5e-4.</summary>
    public float LearningRate { get; init; } = 5e-4f;
    /// <summary>Training users per update, in every encoder and decoder pass; the last batch of a pass may be smaller.</summary>
    public int BatchSize { get; init; } = 500;
    /// <summary>Each epoch is <see cref="EncoderPasses"/> encoder passes then <see cref="DecoderPasses"/> decoder passes over all training users.</summary>
    public int Epochs { get; init; } = 50;
    /// <summary>Shuffled passes per epoch that update only the encoder (input dropout, composite prior, KL); the authors' 3.</summary>
    public int EncoderPasses { get; init; } = 3;
    /// <summary>Shuffled passes per epoch that update only the decoder, without dropout or KL; the authors' 1.</summary>
    public int DecoderPasses { get; init; } = 1;
    /// <summary>User-specific KL weight: beta_u = gamma * (sum of the user's history values, the item count for clicks).</summary>
    public float Gamma { get; init; } = 0.005f;
    /// <summary>A constant KL weight instead of gamma * |history| when set.</summary>
    public float? Beta { get; init; }
    /// <summary>Users scored at once when evaluating validation (every epoch) and test (once, at the end); memory and speed; the metrics, computed per user, do not depend on it.</summary>
    public int EvaluationBatchSize { get; init; } = 1000;
    /// <summary>Seeds the initialization, the shuffles, the dropout masks and the sampling noise: the same seed and data give the same run.</summary>
    public int Seed { get; init; } = 98765;
    /// <summary>Worker threads for GEMM and parallel loops; 0 = all cores.</summary>
    public int Threads { get; init; }

    /// <summary>Throws a <see cref="VaeCfException"/> naming the first option out of range (non-positive sizes or rate, negative gamma or beta, negative threads).</summary>
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
