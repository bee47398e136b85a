using VaeCf.Catalogue;
using VaeCf.Model;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Experiments;

/// <summary>The epoch of best validation NDCG@100 and the beta that was in force then.</summary>
public sealed record BetaPick(int Epoch, float Beta, double ValidationNdcg100);

/// <summary>The two stages of <see cref="BetaTuning.Tune"/>: the run annealed to 1.0, the beta picked from it, and the run retrained with that cap.</summary>
public sealed class BetaTuningResult
{
    /// <summary>Stage 1: the run whose anneal goes to 1.0.</summary>
    public required FitResult Anneal { get; init; }
    /// <summary>Stage 1's training options.</summary>
    public required TrainingOptions AnnealOptions { get; init; }
    /// <summary>Null, like the rest, when the first stage was cancelled.</summary>
    public BetaPick? Pick { get; init; }
    /// <summary>Stage 2: the run with <see cref="Pick"/>'s beta as the cap.</summary>
    public FitResult? Retrain { get; init; }
    /// <summary>Stage 2's training options.</summary>
    public TrainingOptions? RetrainOptions { get; init; }
}

/// <summary>
/// The paper's procedure for the KL weight: anneal beta towards 1.0, read beta at the epoch of best
/// validation NDCG@100, then train again with that beta as the cap.
/// </summary>
public static class BetaTuning
{
    /// <summary>
    /// The best evaluated epoch (ties go to the earlier one, which has the smaller beta) and its beta.
    /// Epochs without evaluation (NaN NDCG) are ignored.
    /// </summary>
    public static BetaPick PickBeta(IReadOnlyList<EpochRecord> history)
    {
        EpochRecord? best = null;
        foreach (var record in history)
            if (!double.IsNaN(record.Ndcg100) && (best is null || record.Ndcg100 > best.Ndcg100)) best = record;
        if (best is null) throw new VaeCfException("The annealing run has no validation NDCG@100 to pick beta from (no validation users, or no evaluated epoch).");
        return new BetaPick(best.Epoch, best.Beta, best.Ndcg100);
    }

    /// <summary>Stage 1: the same options with the cap raised to 1.0.</summary>
    public static TrainingOptions AnnealOptions(TrainingOptions options) => options with { AnnealCap = 1f };

    /// <summary>Stage 2: the same schedule capped at the picked beta.</summary>
    public static TrainingOptions RetrainOptions(TrainingOptions options, BetaPick pick) => options with { AnnealCap = pick.Beta };

    /// <param name="observer">Epoch progress; an <see cref="IBetaTuningObserver"/> also hears of each stage and the pick.</param>
    public static BetaTuningResult Tune(SplitDataset data, ModelConfig config, TrainingOptions options, ITrainingObserver? observer = null,
        CancellationToken cancellation = default)
    {
        if (config.Kind != ModelKind.MultVae) throw new VaeCfException("Beta tuning needs a Mult-VAE (--model vae): Mult-DAE has no KL term.");
        if (data.Validation.UserCount == 0) throw new VaeCfException("Beta tuning needs validation users to pick beta on.");
        var stages = observer as IBetaTuningObserver;
        var annealOptions = AnnealOptions(options);
        stages?.OnStageStart(1, annealOptions);
        var anneal = FitPipeline.Fit(ModelCatalogue.MultVae, data, new ModelSettings { Architecture = config, Training = annealOptions }, observer, cancellation);
        stages?.OnStageFinished(1, anneal);
        if (anneal.Cancelled) return new BetaTuningResult { Anneal = anneal, AnnealOptions = annealOptions };
        var pick = PickBeta(anneal.History);
        stages?.OnBetaPicked(pick, annealOptions);
        var retrainOptions = RetrainOptions(options, pick);
        stages?.OnStageStart(2, retrainOptions);
        var retrain = FitPipeline.Fit(ModelCatalogue.MultVae, data, new ModelSettings { Architecture = config, Training = retrainOptions }, observer, cancellation);
        stages?.OnStageFinished(2, retrain);
        return new BetaTuningResult { Anneal = anneal, AnnealOptions = annealOptions, Pick = pick, Retrain = retrain, RetrainOptions = retrainOptions };
    }
}
