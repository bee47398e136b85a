namespace VaeCf.Training;

/// <summary>The KL weight for each update, from the schedule in <see cref="TrainingOptions"/>.</summary>
public sealed class BetaSchedule
{
    public AnnealSchedule Kind { get; }
    public float Cap { get; }
    /// <summary>Updates until beta reaches 1 (the cap is reached earlier when below 1); 0 means constant.</summary>
    public double TotalAnnealSteps { get; }

    public BetaSchedule(AnnealSchedule kind, float cap, double totalAnnealSteps)
    {
        Kind = kind;
        Cap = cap;
        TotalAnnealSteps = totalAnnealSteps;
    }

    public static BetaSchedule From(TrainingOptions options, int stepsPerEpoch) => options.Anneal switch
    {
        AnnealSchedule.Paper => new(AnnealSchedule.Paper, options.AnnealCap, options.TotalAnnealSteps),
        // The reimplementation: steps_per_epoch * (epochs - int(0.15 * epochs)) / cap.
        AnnealSchedule.Seed85 => new(AnnealSchedule.Seed85, options.AnnealCap,
            options.AnnealCap == 0 ? 0 : stepsPerEpoch * (options.Epochs - (int)(0.15 * options.Epochs)) / (double)options.AnnealCap),
        _ => new(AnnealSchedule.Constant, options.AnnealCap, 0),
    };

    /// <summary>beta = min(cap, updates / total) — never cap * updates / total, a common confusion.</summary>
    public float At(long updatesSoFar) =>
        TotalAnnealSteps > 0 ? (float)Math.Min(Cap, updatesSoFar / TotalAnnealSteps) : Cap;
}
