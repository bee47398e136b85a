using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>One fit of one model kind, evaluated on the validation and test users: what every command and the API get.</summary>
public sealed class FitResult
{
    /// <summary>The kind fitted.</summary>
    public required ModelDefinition Kind { get; init; }
    /// <summary>The settings the fit used, the kind's defaults filled in (what config.json records).</summary>
    public required ModelSettings Settings { get; init; }
    /// <summary>What the kind's fit returned.</summary>
    public required FittedModel Fitted { get; init; }
    /// <summary>Metrics on the validation users (a trained kind's best epoch); null without validation users.</summary>
    public EvaluationResult? Validation { get; init; }
    /// <summary>Metrics on the test users; null without test users.</summary>
    public EvaluationResult? Test { get; init; }

    /// <summary>The fitted model, ready to score histories.</summary>
    public IScorer Scorer => Fitted.Scorer;
    /// <inheritdoc/>
    public IReadOnlyList<EpochRecord> History => Fitted.History;
    /// <summary>The epoch whose model <see cref="Scorer"/> holds; null for a closed-form fit.</summary>
    public int? BestEpoch => Fitted.BestEpoch;
    /// <summary>Wall-clock seconds of the fit, evaluation excluded.</summary>
    public double Seconds => Fitted.Seconds;
    /// <summary>The fit was stopped on request; <see cref="Scorer"/> holds the best model so far.</summary>
    public bool Cancelled => Fitted.Cancelled;
    /// <summary>The loss stopped being a number; <see cref="Scorer"/> holds the best model from before.</summary>
    public bool Diverged => Fitted.Diverged;
    /// <summary>Why training ended early (early stopping, divergence), or null.</summary>
    public string? StopReason => Fitted.StopReason;
}
