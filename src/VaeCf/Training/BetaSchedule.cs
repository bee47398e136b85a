namespace VaeCf.Training;

/// <summary>The KL weight for each update, from the schedule in <see cref="TrainingOptions"/>.</summary>
public sealed class BetaSchedule
{
    /// <summary>The schedule this was built from (for display; <see cref="At"/> depends only on <see cref="Cap"/> and <see cref="TotalAnnealSteps"/>).</summary>
    public AnnealSchedule Kind { get; }
    /// <summary>The largest beta; the paper's 0.2.</summary>
    public float Cap { get; }
    /// <summary>Updates until beta reaches 1 (the cap is reached earlier when below 1); 0 means constant.</summary>
    public double TotalAnnealSteps { get; }

    /// <summary>A schedule as given, not validated; <paramref name="totalAnnealSteps"/> of 0 or less makes beta the cap throughout.</summary>
    public BetaSchedule(AnnealSchedule kind, float cap, double totalAnnealSteps)
    {
        Kind = kind;
        Cap = cap;
        TotalAnnealSteps = totalAnnealSteps;
    }

    /// <summary>
    /// The schedule <paramref name="options"/> ask for, with <paramref name="stepsPerEpoch"/> updates per epoch:
    /// <c>Paper</c> uses <see cref="TrainingOptions.TotalAnnealSteps"/>; <c>Seed85</c> picks the total so beta reaches the
    /// cap after 85% of the epochs (rounded down to whole epochs); <c>Constant</c> (or a cap of 0) keeps beta at the cap.
    /// </summary>
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
