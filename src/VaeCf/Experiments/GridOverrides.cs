namespace VaeCf.Experiments;

/// <summary>Changes applied to every run of a grid from the command line.</summary>
public sealed record GridOverrides
{
    /// <summary>Repeat every configuration once per seed, replacing the grid's seed values.</summary>
    public IReadOnlyList<int>? Seeds { get; init; }
    public int? Epochs { get; init; }
    /// <summary>Execution only: threads do not enter run ids.</summary>
    public int? Threads { get; init; }
}
