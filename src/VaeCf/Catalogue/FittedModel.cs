using VaeCf.Model;
using VaeCf.Training;
using VaeCf.Evaluation;

namespace VaeCf.Catalogue;

/// <summary>What a kind's fit produced, before the pipeline evaluates it.</summary>
public sealed class FittedModel
{
    /// <summary>The fitted model: scores any history over the training items.</summary>
    public required IScorer Scorer { get; init; }
    /// <summary>Wall-clock seconds of the fit.</summary>
    public double Seconds { get; init; }
    /// <summary>Per-epoch history of a trained kind; empty for a closed-form fit.</summary>
    public IReadOnlyList<EpochRecord> History { get; init; } = [];
    /// <summary>The epoch whose model <see cref="Scorer"/> holds; null for a closed-form fit.</summary>
    public int? BestEpoch { get; init; }
    /// <summary>
    /// True when the fit already chose and measured the model on the validation users (a trained
    /// kind keeps its best epoch); <see cref="Validation"/> is then the pipeline's answer, even null.
    /// </summary>
    public bool ValidatedDuringFit { get; init; }
    /// <summary>The fit's own validation metrics when <see cref="ValidatedDuringFit"/>.</summary>
    public EvaluationResult? Validation { get; init; }
    /// <summary>The fit was stopped on request; <see cref="Scorer"/> holds the best model so far.</summary>
    public bool Cancelled { get; init; }
    /// <summary>The loss stopped being a number; <see cref="Scorer"/> holds the best model from before.</summary>
    public bool Diverged { get; init; }
    /// <summary>Why training ended early (early stopping, divergence), or null.</summary>
    public string? StopReason { get; init; }
    /// <summary>Kind-specific state to save beside the scorer (e.g. the training options used).</summary>
    public object? Details { get; init; }

    /// <summary>
    /// A trained network's fit: the best validation epoch's model, already measured on the
    /// validation users; the loop's result is kept as <see cref="Details"/>.
    /// </summary>
    public static FittedModel Trained(ITrainingOutcome result) => new()
    {
        Scorer = result.Scorer,
        Seconds = result.TrainingSeconds,
        History = result.History,
        BestEpoch = result.BestEpoch,
        ValidatedDuringFit = true,
        Validation = result.BestValidation,
        Cancelled = result.Cancelled,
        Diverged = result.Diverged,
        StopReason = result.StopReason,
        Details = result,
    };
}
