namespace VaeCf.Split;

/// <summary>Strong-generalization split settings (docs/protocol.md, steps 4-6).</summary>
public sealed record SplitOptions
{
    /// <summary>Validation users to hold out (default 10%).</summary>
    public HeldOutSize ValidationUsers { get; init; } = HeldOutSize.Share(0.1);
    /// <summary>Test users to hold out (default 10%).</summary>
    public HeldOutSize TestUsers { get; init; } = HeldOutSize.Share(0.1);
    /// <summary>numpy seed (0 .. 2^31-1 here) of the user shuffle and, reset before each held-out set, of the target draws, as in the original notebook.</summary>
    public int Seed { get; init; } = 98765;
    /// <summary>Share of a held-out user's events that become targets: int(fraction * n).</summary>
    public double TargetFraction { get; init; } = 0.2;
    /// <summary>Held-out users with fewer events keep all of them as fold-in and get no targets.</summary>
    public int MinEventsForTargets { get; init; } = 5;

    /// <summary>Throws a <see cref="VaeCfException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (!(TargetFraction > 0 && TargetFraction < 1)) throw new VaeCfException($"The target fraction must be between 0 and 1 (exclusive), got {TargetFraction}.");
        if (Seed < 0) throw new VaeCfException($"The seed must be 0 or more (numpy accepts 0 .. 2^32-1), got {Seed}.");
        if (MinEventsForTargets < 1) throw new VaeCfException($"The minimum events for targets must be at least 1, got {MinEventsForTargets}.");
    }
}
