namespace VaeCf.Training;

/// <summary>
/// The paper's training settings as constants, so <see cref="TrainingOptions"/> and the CLI's
/// flag defaults (attributes need constants) are written once.
/// </summary>
public static class TrainingDefaults
{
    /// <summary>Adam's step size in the paper, 1e-3.</summary>
    public const float LearningRate = 1e-3f;
    /// <summary>Users per update, 500 as in the paper.</summary>
    public const int BatchSize = 500;
    /// <summary>Passes over the training users, 200 as in the paper.</summary>
    public const int Epochs = 200;
    /// <summary>The largest KL weight beta, 0.2 (the paper's annealing cap).</summary>
    public const float AnnealCap = 0.2f;
    /// <summary>Updates for beta to grow from 0 to 1 in the paper's schedule (it stops at the cap), 200,000.</summary>
    public const int TotalAnnealSteps = 200_000;
    /// <summary>ReduceLROnPlateau's multiplier when it fires, 0.4 (the reimplementation's).</summary>
    public const float LrFactor = 0.4f;
    /// <summary>Validate after every epoch.</summary>
    public const int EvaluateEvery = 1;
    /// <summary>The original notebook's seed, 98765.</summary>
    public const int Seed = 98765;
}
