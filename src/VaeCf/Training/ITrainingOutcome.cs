using VaeCf.Evaluation;
using VaeCf.Model;

namespace VaeCf.Training;

/// <summary>
/// What every training loop returns, whatever the network (<see cref="TrainingResult"/>, RecVAE's
/// result): the model of the best validation epoch and how the run went. The model catalogue turns
/// any of them into a fitted model the same way.
/// </summary>
public interface ITrainingOutcome
{
    /// <summary>The network holding the best epoch's parameters.</summary>
    IScorer Scorer { get; }
    /// <summary>One record per epoch run.</summary>
    IReadOnlyList<EpochRecord> History { get; }
    /// <summary>The epoch whose parameters <see cref="Scorer"/> holds (best validation NDCG@100).</summary>
    int BestEpoch { get; }
    /// <summary>The validation metrics of <see cref="BestEpoch"/>; null without validation users.</summary>
    EvaluationResult? BestValidation { get; }
    /// <summary>Wall-clock seconds of the loop.</summary>
    double TrainingSeconds { get; }
    /// <summary>Stopped on request (Ctrl+C, a token) before the last epoch.</summary>
    bool Cancelled { get; }
    /// <summary>The loss stopped being a number; <see cref="Scorer"/> holds the best parameters from before.</summary>
    bool Diverged { get; }
    /// <summary>Why the run ended before its last epoch (early stopping, divergence), or null.</summary>
    string? StopReason { get; }
}
