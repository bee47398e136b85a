using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>
/// The options of the shared training group (<see cref="TrainingOptions"/>) that a kind may give a
/// default of its own (<see cref="ModelDefinition.DefaultTraining"/>), by grid key. Seed, threads
/// and the evaluation batch size are where a run happens, not how the model learns: no kind
/// changes them.
/// </summary>
internal static class SharedTrainingKeys
{
    /// <summary>One option: its grid key, how to read it, and how to take it from another record.</summary>
    internal sealed record Key(string Name, Func<TrainingOptions, object?> Read, Func<TrainingOptions, TrainingOptions, TrainingOptions> TakeFrom);

    internal static readonly IReadOnlyList<Key> All =
    [
        new("optimizer", t => t.Optimizer, (t, d) => t with { Optimizer = d.Optimizer }),
        new("lr", t => t.LearningRate, (t, d) => t with { LearningRate = d.LearningRate }),
        new("weight_decay", t => t.WeightDecay, (t, d) => t with { WeightDecay = d.WeightDecay }),
        new("batch_size", t => t.BatchSize, (t, d) => t with { BatchSize = d.BatchSize }),
        new("epochs", t => t.Epochs, (t, d) => t with { Epochs = d.Epochs }),
        new("anneal", t => t.Anneal, (t, d) => t with { Anneal = d.Anneal }),
        new("anneal_cap", t => t.AnnealCap, (t, d) => t with { AnnealCap = d.AnnealCap }),
        new("total_anneal_steps", t => t.TotalAnnealSteps, (t, d) => t with { TotalAnnealSteps = d.TotalAnnealSteps }),
        new("lr_patience", t => t.LrPatience, (t, d) => t with { LrPatience = d.LrPatience }),
        new("lr_factor", t => t.LrFactor, (t, d) => t with { LrFactor = d.LrFactor }),
        new("lr_monitor", t => t.LrMonitor, (t, d) => t with { LrMonitor = d.LrMonitor }),
        new("early_stop_patience", t => t.EarlyStopPatience, (t, d) => t with { EarlyStopPatience = d.EarlyStopPatience }),
        new("early_stop_monitor", t => t.EarlyStopMonitor, (t, d) => t with { EarlyStopMonitor = d.EarlyStopMonitor }),
        new("evaluate_every", t => t.EvaluateEvery, (t, d) => t with { EvaluateEvery = d.EvaluateEvery }),
    ];

    private static readonly TrainingOptions Shared = new();

    /// <summary>
    /// <paramref name="training"/> with each option the caller left unset replaced by
    /// <paramref name="kindDefaults"/>' value. Unset: at the shared default and not named in
    /// <paramref name="given"/> (a value away from the shared default was set on purpose).
    /// </summary>
    internal static TrainingOptions Apply(TrainingOptions training, TrainingOptions kindDefaults, IReadOnlySet<string> given)
    {
        foreach (var key in All)
        {
            object? shared = key.Read(Shared);
            if (!given.Contains(key.Name) && Equals(key.Read(training), shared) && !Equals(key.Read(kindDefaults), shared))
                training = key.TakeFrom(training, kindDefaults);
        }
        return training;
    }
}
