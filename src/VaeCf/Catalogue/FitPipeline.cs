using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
    /// <param name="settings">What to fit; a shared training option left unset takes the kind's own default (<see cref="ModelDefinition.WithDefaults"/>), and the result's <see cref="FitResult.Settings"/> holds the values used.</param>
    /// <param name="observer">Told every epoch, batch and stage (the CLI's progress display).</param>
    /// <param name="logger">Epochs, stages and the final metrics as log entries; none by default.</param>
    /// <param name="progress">The same events as <see cref="FitProgress"/> reports, for callers that prefer <see cref="IProgress{T}"/>.</param>
    public static FitResult Fit(ModelDefinition kind, SplitDataset data, ModelSettings settings, ITrainingObserver? observer = null,
        CancellationToken cancellation = default, ILogger? logger = null, IProgress<FitProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(data);
        settings = kind.WithDefaults(settings);
        kind.Validate(settings);
        logger ??= NullLogger.Instance;
        var observed = TrainingObserverAdapter.Wrap(observer);
        if (progress is not null || logger is not NullLogger) observed = new ReportingFitObserver(observed, logger, progress);
        logger.LogInformation("Fitting {Kind} on {Users} training users and {Items} items", kind.Name, data.Train.Rows, data.ItemCount);
        var fitted = kind.Fit(data, settings, observed, cancellation);
        var evaluator = new Evaluator(settings.Training.EvaluationBatchSize, settings.Threads, communicator: settings.Communicator);
        var validation = fitted.ValidatedDuringFit ? fitted.Validation
            : data.Validation.UserCount > 0 ? evaluator.Evaluate(fitted.Scorer, data.Validation.FoldIn, data.Validation.Targets) : null;
        var test = data.Test.UserCount > 0 ? evaluator.Evaluate(fitted.Scorer, data.Test.FoldIn, data.Test.Targets) : null;
        if (test is not null && logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("{Kind} on {Users} test users: {Metrics}", kind.Name, test.UsersEvaluated,
                string.Join(", ", test.Metrics.Select(m => $"{m.Key} {m.Value.Mean.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}")));
        return new FitResult { Kind = kind, Settings = settings, Fitted = fitted, Validation = validation, Test = test };
    }
}
