namespace VaeCf.Split;

/// <summary>Strong-generalization split settings (docs/protocol.md, steps 4-6).</summary>
public sealed record SplitOptions
{
    public HeldOutSize ValidationUsers { get; init; } = HeldOutSize.Share(0.1);
    public HeldOutSize TestUsers { get; init; } = HeldOutSize.Share(0.1);
    /// <summary>Seeds both the user shuffle and the choice of target events (System.Random; numpy's stream cannot be reproduced).</summary>
    public int Seed { get; init; } = 98765;
    /// <summary>Share of a held-out user's events that become targets: int(fraction * n).</summary>
    public double TargetFraction { get; init; } = 0.2;
    /// <summary>Held-out users with fewer events keep all of them as fold-in and get no targets.</summary>
    public int MinEventsForTargets { get; init; } = 5;

    public void Validate()
    {
        if (!(TargetFraction > 0 && TargetFraction < 1)) throw new VaeCfException($"The target fraction must be between 0 and 1 (exclusive), got {TargetFraction}.");
        if (MinEventsForTargets < 1) throw new VaeCfException($"The minimum events for targets must be at least 1, got {MinEventsForTargets}.");
    }
}
