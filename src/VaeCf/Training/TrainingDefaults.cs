namespace VaeCf.Training;

/// <summary>
/// The paper's training settings as constants, so <see cref="TrainingOptions"/> and the CLI's
/// flag defaults (attributes need constants) are written once.
/// </summary>
public static class TrainingDefaults
{
    public const float LearningRate = 1e-3f;
    public const int BatchSize = 500;
    public const int Epochs = 200;
    public const float AnnealCap = 0.2f;
    public const int TotalAnnealSteps = 200_000;
    public const float LrFactor = 0.4f;
    public const int EvaluateEvery = 1;
    public const int Seed = 98765;
}
