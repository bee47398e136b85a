namespace VaeCf.Training;

/// <summary>Hooks for progress display; every method is optional.</summary>
public interface ITrainingObserver
{
    void OnEpochStart(int epoch, int batches) { }
    void OnBatch(int epoch, int batch, int batches, double loss) { }
    void OnEvaluationStart(int epoch) { }
    void OnEpochEnd(EpochRecord record) { }
}
