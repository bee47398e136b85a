namespace VaeCf.Persistence;

/// <summary>Metric mean and standard error as stored in config.json.</summary>
public sealed record MetricEntry(double Mean, double StandardError);
