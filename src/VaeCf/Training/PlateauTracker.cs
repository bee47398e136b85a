namespace VaeCf.Training;

/// <summary>
/// Counts evaluations without improvement of a monitored value, maximizing NDCG and minimizing
/// loss. Shared by ReduceLROnPlateau and early stopping so both agree on what "better" means.
/// </summary>
public sealed class PlateauTracker
{
    public MonitoredMetric Monitor { get; }
    public double Best { get; private set; }
    public int BadEvaluations { get; private set; }
    /// <summary>Relative improvement needed to count as better (PyTorch's default threshold).</summary>
    private const double Threshold = 1e-4;

    public PlateauTracker(MonitoredMetric monitor)
    {
        Monitor = monitor;
        Best = monitor == MonitoredMetric.Ndcg ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>Records a value; returns true when it improved on the best so far.</summary>
    public bool Observe(double value)
    {
        bool better = Monitor == MonitoredMetric.Ndcg
            ? value > Best * (1 + Threshold) || double.IsNegativeInfinity(Best)
            : value < Best * (1 - Threshold) || double.IsPositiveInfinity(Best);
        if (better) { Best = value; BadEvaluations = 0; }
        else BadEvaluations++;
        return better;
    }

    public void ResetCount() => BadEvaluations = 0;
}
