using VaeCf.Catalogue;
using VaeCf.Training;

namespace VaeCf.Experiments;

/// <summary>Progress of <see cref="BetaTuning.Tune"/>; a stage's result arrives as soon as it ends, so a caller can save it before the next begins.</summary>
public interface IBetaTuningObserver : ITrainingObserver
{
    void OnStageStart(int stage, TrainingOptions options) { }
    void OnStageFinished(int stage, FitResult result) { }
    void OnBetaPicked(BetaPick pick, TrainingOptions annealOptions) { }
}
