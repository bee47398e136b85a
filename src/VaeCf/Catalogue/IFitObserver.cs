using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>Progress of a fit: a trained kind reports epochs (<see cref="ITrainingObserver"/>), a closed-form one its stages.</summary>
public interface IFitObserver : ITrainingObserver
{
    /// <summary>A closed-form fit finished a stage (EASE: the Gram matrix, the factorization, ...) after <paramref name="elapsed"/>.</summary>
    void OnFitStage(TimeSpan elapsed, string message) { }
}

internal sealed class NullFitObserver : IFitObserver
{
    public static readonly NullFitObserver Instance = new();
}

/// <summary>Passes epochs to a plain <see cref="ITrainingObserver"/> and drops stage messages.</summary>
internal sealed class TrainingObserverAdapter(ITrainingObserver inner) : IFitObserver
{
    public void OnEpochStart(int epoch, int batches) => inner.OnEpochStart(epoch, batches);
    public void OnBatch(int epoch, int batch, int batches, double loss) => inner.OnBatch(epoch, batch, batches, loss);
    public void OnEvaluationStart(int epoch) => inner.OnEvaluationStart(epoch);
    public void OnEpochEnd(EpochRecord record) => inner.OnEpochEnd(record);

    public static IFitObserver Wrap(ITrainingObserver? observer) => observer switch
    {
        null => NullFitObserver.Instance,
        IFitObserver fit => fit,
        _ => new TrainingObserverAdapter(observer),
    };
}
