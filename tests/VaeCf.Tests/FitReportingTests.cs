using Microsoft.Extensions.Logging;
using VaeCf.Catalogue;
using VaeCf.Catalogue.Kinds;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Tests;

public class FitReportingTests
{
    private sealed class Captured : ILogger, IProgress<FitProgress>, ITrainingObserver
    {
        public List<(LogLevel Level, string Text)> Logs { get; } = [];
        public List<FitProgress> Reports { get; } = [];
        public int ObservedBatches { get; private set; }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) Logs.Add((logLevel, formatter(state, exception)));
        }
        public void Report(FitProgress value) => Reports.Add(value);
        public void OnBatch(int epoch, int batch, int batches, double loss) => ObservedBatches++;
    }

    [Fact]
    public void ATrainedKindReportsEveryEpochAndBatchToProgressLoggerAndObserver()
    {
        var data = new ServingFixture().Data; // 150 training users
        var captured = new Captured();
        var settings = new ModelSettings
        {
            Architecture = new ModelConfig { Kind = ModelKind.MultVae, PDims = [16, 32] },
            Training = new TrainingOptions { Epochs = 2, BatchSize = 50, Threads = 1, Seed = 5 },
        };
        var result = FitPipeline.Fit(ModelCatalogue.MultVae, data, settings, captured, logger: captured, progress: captured);

        // Per epoch: started (3 batches of 50), 3 batches, validation, ended.
        FitPhase[] epoch = [FitPhase.EpochStarted, FitPhase.Batch, FitPhase.Batch, FitPhase.Batch, FitPhase.Evaluating, FitPhase.EpochEnded];
        Assert.Equal([.. epoch, .. epoch], captured.Reports.Select(r => r.Phase));
        Assert.All(captured.Reports.Where(r => r.Phase == FitPhase.Batch), r => Assert.Equal(3, r.Batches));
        Assert.Equal([1, 2, 3, 1, 2, 3], captured.Reports.Where(r => r.Phase == FitPhase.Batch).Select(r => r.Batch));
        Assert.Equal(result.History, captured.Reports.Where(r => r.Phase == FitPhase.EpochEnded).Select(r => r.Record!));
        Assert.Equal(6, captured.ObservedBatches); // the observer still hears everything

        var info = captured.Logs.Where(l => l.Level == LogLevel.Information).Select(l => l.Text).ToList();
        Assert.Equal(4, info.Count); // start, two epochs, test metrics
        Assert.StartsWith("Fitting mult-vae on 150 training users and 160 items", info[0]);
        Assert.StartsWith("Epoch 1: train loss ", info[1]);
        Assert.StartsWith("Epoch 2: train loss ", info[2]);
        Assert.Contains("NDCG@100", info[3]);
    }

    [Fact]
    public void AClosedFormKindReportsItsStagesAndNothingWithoutLoggerOrProgress()
    {
        var data = new ServingFixture().Data;
        var captured = new Captured();
        FitPipeline.Fit(ModelCatalogue.Ease, data, new ModelSettings().With(EaseModel.Lambda, 50f), logger: captured, progress: captured);
        Assert.NotEmpty(captured.Reports);
        Assert.All(captured.Reports, r => Assert.Equal(FitPhase.Stage, r.Phase));
        Assert.Equal(captured.Reports.Count + 2, captured.Logs.Count); // each stage, plus start and test metrics
    }
}
