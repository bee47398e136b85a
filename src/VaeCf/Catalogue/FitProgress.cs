using System.Globalization;
using Microsoft.Extensions.Logging;
using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>What a fit is doing, as reported through <see cref="IProgress{T}"/>.</summary>
public enum FitPhase
{
    /// <summary>An epoch starts; <see cref="FitProgress.Batches"/> says how many updates it holds.</summary>
    EpochStarted,
    /// <summary>One update done; <see cref="FitProgress.Loss"/> is its loss.</summary>
    Batch,
    /// <summary>The epoch's updates are done and validation starts.</summary>
    Evaluating,
    /// <summary>The epoch is validated; <see cref="FitProgress.Epoch"/>'s record is in <see cref="FitProgress.Record"/>.</summary>
    EpochEnded,
    /// <summary>A closed-form kind's stage (<see cref="FitProgress.Message"/>).</summary>
    Stage,
}

/// <summary>One progress report of <see cref="FitPipeline.Fit"/>; epochs and batches count from 1, 0 where they do not apply.</summary>
public sealed record FitProgress(FitPhase Phase, int Epoch = 0, int Batch = 0, int Batches = 0, double Loss = double.NaN)
{
    /// <summary>The finished epoch's record, with <see cref="FitPhase.EpochEnded"/>.</summary>
    public EpochRecord? Record { get; init; }
    /// <summary>What the stage did, with <see cref="FitPhase.Stage"/>.</summary>
    public string? Message { get; init; }
    /// <summary>Time the stage took, with <see cref="FitPhase.Stage"/>.</summary>
    public TimeSpan Elapsed { get; init; }
}

/// <summary>
/// Passes a fit's events on to the caller's observer and also to an <see cref="ILogger"/>
/// (epochs and stages at Information, evaluation starts at Debug, batches at Trace) and an
/// <see cref="IProgress{T}"/>. Sits at the pipeline boundary, so the training loop knows nothing of either.
/// </summary>
internal sealed class ReportingFitObserver(IFitObserver inner, ILogger logger, IProgress<FitProgress>? progress) : IFitObserver
{
    public void OnEpochStart(int epoch, int batches)
    {
        inner.OnEpochStart(epoch, batches);
        progress?.Report(new FitProgress(FitPhase.EpochStarted, epoch, Batches: batches));
    }

    public void OnBatch(int epoch, int batch, int batches, double loss)
    {
        inner.OnBatch(epoch, batch, batches, loss);
        progress?.Report(new FitProgress(FitPhase.Batch, epoch, batch, batches, loss));
        if (logger.IsEnabled(LogLevel.Trace)) logger.LogTrace("Epoch {Epoch} batch {Batch}/{Batches}: loss {Loss}", epoch, batch, batches, loss);
    }

    public void OnEvaluationStart(int epoch)
    {
        inner.OnEvaluationStart(epoch);
        progress?.Report(new FitProgress(FitPhase.Evaluating, epoch));
        logger.LogDebug("Epoch {Epoch}: validating", epoch);
    }

    public void OnEpochEnd(EpochRecord record)
    {
        inner.OnEpochEnd(record);
        progress?.Report(new FitProgress(FitPhase.EpochEnded, record.Epoch) { Record = record, Elapsed = TimeSpan.FromSeconds(record.Seconds) });
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("Epoch {Epoch}: train loss {TrainLoss}, validation NDCG@100 {Ndcg100}, Recall@20 {Recall20}, beta {Beta}, {Seconds} s{Best}",
                record.Epoch, record.TrainLoss.ToString("F4", CultureInfo.InvariantCulture), record.Ndcg100.ToString("F4", CultureInfo.InvariantCulture),
                record.Recall20.ToString("F4", CultureInfo.InvariantCulture), record.Beta, record.Seconds.ToString("F1", CultureInfo.InvariantCulture), record.IsBest ? " (best)" : "");
    }

    public void OnFitStage(TimeSpan elapsed, string message)
    {
        inner.OnFitStage(elapsed, message);
        progress?.Report(new FitProgress(FitPhase.Stage) { Message = message, Elapsed = elapsed });
        logger.LogInformation("{Message} ({Seconds} s)", message, elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture));
    }
}
