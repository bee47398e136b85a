namespace VaeCf.Training;

/// <summary>Hooks for progress display; every method is optional.</summary>
public interface ITrainingObserver
{
    /// <summary>Epoch <paramref name="epoch"/> (1-based) begins; it will have <paramref name="batches"/> updates (for RecVAE, over all its passes). Called on the training thread, as are all hooks.</summary>
    void OnEpochStart(int epoch, int batches) { }
    /// <summary>Update <paramref name="batch"/> of <paramref name="batches"/> (1-based) is done; <paramref name="loss"/> is that batch's mean training loss per user (with Adam's L2 penalty when there is one). Keep it cheap: it runs between updates.</summary>
    void OnBatch(int epoch, int batch, int batches, double loss) { }
    /// <summary>Validation of epoch <paramref name="epoch"/> begins (only on evaluated epochs).</summary>
    void OnEvaluationStart(int epoch) { }
    /// <summary>An epoch finished, validation included; <paramref name="record"/> is the row added to the history.</summary>
    void OnEpochEnd(EpochRecord record) { }
}
