using VaeCf.Catalogue;
using VaeCf.Training;

namespace VaeCf.Experiments;

/// <summary>Progress of <see cref="BetaTuning.Tune"/>; a stage's result arrives as soon as it ends, so a caller can save it before the next begins.</summary>
public interface IBetaTuningObserver : ITrainingObserver
{
    /// <summary>Stage <paramref name="stage"/> (1: anneal to 1.0, 2: retrain) starts with <paramref name="options"/>.</summary>
    void OnStageStart(int stage, TrainingOptions options) { }
    /// <summary>Stage <paramref name="stage"/> ended; save <paramref name="result"/> now to keep it.</summary>
    void OnStageFinished(int stage, FitResult result) { }
    /// <summary>Stage 1's best epoch and the beta in force there, the cap of stage 2.</summary>
    void OnBetaPicked(BetaPick pick, TrainingOptions annealOptions) { }
}
