namespace VaeCf.Experiments;

/// <summary>One option and the values it takes (a single value is an axis of length one).</summary>
public sealed record GridAxis(string Key, IReadOnlyList<GridNode> Values);
