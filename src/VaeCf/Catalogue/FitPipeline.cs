using VaeCf.Evaluation;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>
/// The one way a model is fitted: the kind trains or solves on the training users, then one
/// evaluator measures the result on the validation and test users. <c>train</c>, <c>experiment</c>,
/// <c>tune-beta</c> and library callers all come through here, so their figures agree.
/// </summary>
public static class FitPipeline
{
    public static FitResult Fit(ModelDefinition kind, SplitDataset data, ModelSettings settings, ITrainingObserver? observer = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(data);
        kind.Validate(settings);
        var fitted = kind.Fit(data, settings, TrainingObserverAdapter.Wrap(observer), cancellation);
        var evaluator = new Evaluator(settings.Training.EvaluationBatchSize, settings.Threads, communicator: settings.Communicator);
        var validation = fitted.ValidatedDuringFit ? fitted.Validation
            : data.Validation.UserCount > 0 ? evaluator.Evaluate(fitted.Scorer, data.Validation.FoldIn, data.Validation.Targets) : null;
        var test = data.Test.UserCount > 0 ? evaluator.Evaluate(fitted.Scorer, data.Test.FoldIn, data.Test.Targets) : null;
        return new FitResult { Kind = kind, Settings = settings, Fitted = fitted, Validation = validation, Test = test };
    }
}
