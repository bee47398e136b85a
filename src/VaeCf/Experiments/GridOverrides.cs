namespace VaeCf.Experiments;

/// <summary>Changes applied to every run of a grid from the command line.</summary>
public sealed record GridOverrides
{
    /// <summary>Repeat every configuration once per seed, replacing the grid's seed values.</summary>
    public IReadOnlyList<int>? Seeds { get; init; }
    /// <summary>Epochs for every trained run, replacing the grid's (and the kinds' own defaults).</summary>
    public int? Epochs { get; init; }
    /// <summary>Execution only: threads do not enter run ids.</summary>
    public int? Threads { get; init; }
}
