using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>One fit of one model kind, evaluated on the validation and test users: what every command and the API get.</summary>
public sealed class FitResult
{
    public required ModelDefinition Kind { get; init; }
    public required ModelSettings Settings { get; init; }
    public required FittedModel Fitted { get; init; }
    public EvaluationResult? Validation { get; init; }
    public EvaluationResult? Test { get; init; }

    public IScorer Scorer => Fitted.Scorer;
    public IReadOnlyList<EpochRecord> History => Fitted.History;
    public int? BestEpoch => Fitted.BestEpoch;
    public double Seconds => Fitted.Seconds;
    public bool Cancelled => Fitted.Cancelled;
    public bool Diverged => Fitted.Diverged;
    public string? StopReason => Fitted.StopReason;
}
