namespace VaeCf.Training;

/// <summary>
/// Counts evaluations without improvement of a monitored value, maximizing NDCG and minimizing
/// loss. Shared by ReduceLROnPlateau and early stopping so both agree on what "better" means.
/// </summary>
public sealed class PlateauTracker
{
    /// <summary>What is watched, and so the direction of "better": NDCG up, loss down.</summary>
    public MonitoredMetric Monitor { get; }
    /// <summary>The best value observed; -infinity (NDCG) or +infinity (loss) before the first.</summary>
    public double Best { get; private set; }
    /// <summary>Consecutive observations without improvement since the last improvement or <see cref="ResetCount"/>.</summary>
    public int BadEvaluations { get; private set; }
    /// <summary>Relative improvement needed to count as better (PyTorch's default threshold).</summary>
    private const double Threshold = 1e-4;

    /// <summary>A tracker with no observation yet: the first value always counts as an improvement.</summary>
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

    /// <summary>Sets <see cref="BadEvaluations"/> to 0 and keeps <see cref="Best"/>: what ReduceLROnPlateau does after lowering the rate.</summary>
    public void ResetCount() => BadEvaluations = 0;
}
