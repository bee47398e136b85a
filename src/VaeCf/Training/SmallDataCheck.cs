namespace VaeCf.Training;

/// <summary>
/// Settings that run without error but waste a run on a small dataset: the paper's batch of 500
/// on 483 training users is one update per epoch, and its schedule beta = min(cap, step / 200,000)
/// then ends near 0.001 instead of the cap. Computed from the options and the number of training
/// users before training starts, so a front end can say what to change.
/// </summary>
/// <param name="UpdatesPerEpoch">Batches (optimizer steps) per epoch: ceil(users / batch size).</param>
/// <param name="TotalUpdates">Updates over all epochs.</param>
/// <param name="FewUpdates">Fewer than <see cref="MinUpdatesPerEpoch"/> updates per epoch.</param>
/// <param name="SuggestedBatchSize">The largest batch size that gives <see cref="MinUpdatesPerEpoch"/> updates per epoch.</param>
/// <param name="FinalBeta">Beta at the last update (NaN for a model without beta).</param>
/// <param name="BetaStaysSmall">The paper's schedule ends below half its cap.</param>
/// <param name="SuggestedTotalAnnealSteps">Total anneal steps that reach the cap at 85% of the updates.</param>
public sealed record SmallDataCheck(int UpdatesPerEpoch, long TotalUpdates, bool FewUpdates, int SuggestedBatchSize,
    double FinalBeta, bool BetaStaysSmall, long SuggestedTotalAnnealSteps)
{
    /// <summary>Below this many updates per epoch, an "epoch" says little and the optimizer barely moves.</summary>
    public const int MinUpdatesPerEpoch = 10;

    /// <summary>True when either problem applies.</summary>
    public bool AnyProblem => FewUpdates || BetaStaysSmall;

    /// <param name="options">The training options as they will be used.</param>
    /// <param name="trainUsers">Rows of the training matrix.</param>
    /// <param name="annealsBeta">Whether the model has a KL term (Mult-VAE); beta is not checked otherwise.</param>
    public static SmallDataCheck Of(TrainingOptions options, int trainUsers, bool annealsBeta)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trainUsers);
        int updatesPerEpoch = (int)((trainUsers + (long)options.BatchSize - 1) / options.BatchSize);
        long total = (long)updatesPerEpoch * options.Epochs;
        int suggestedBatch = Math.Max(1, trainUsers / MinUpdatesPerEpoch);
        double finalBeta = double.NaN;
        bool betaSmall = false;
        long suggestedSteps = 0;
        if (annealsBeta && options.Anneal == AnnealSchedule.Paper && options.AnnealCap > 0)
        {
            // beta = min(cap, step / total_anneal_steps) after `total` steps; 0 steps means the cap at once.
            finalBeta = options.TotalAnnealSteps == 0 ? options.AnnealCap : Math.Min(options.AnnealCap, total / (double)options.TotalAnnealSteps);
            betaSmall = finalBeta < 0.5 * options.AnnealCap;
            suggestedSteps = Math.Max(1, (long)Math.Round(0.85 * total / options.AnnealCap));
        }
        return new SmallDataCheck(updatesPerEpoch, total, trainUsers > 0 && updatesPerEpoch < MinUpdatesPerEpoch, suggestedBatch, finalBeta, betaSmall, suggestedSteps);
    }
}
