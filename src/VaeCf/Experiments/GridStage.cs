namespace VaeCf.Experiments;

/// <summary>One named sub-grid: datasets times the cartesian product of its axes.</summary>
public sealed record GridStage(string Name, string? Description, IReadOnlyList<DatasetSpec> Datasets, IReadOnlyList<GridAxis> Axes);
