using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Persistence;

/// <summary>Writes a finished training run as a model folder: weights, config.json with metrics, history.csv.</summary>
public static class TrainingRunStore
{
    public const string HistoryFile = "history.csv";

    public static ModelManifest Save(string directory, TrainingResult result, TrainingOptions options, SplitDataset data, string? source)
    {
        var manifest = new ModelManifest
        {
            Model = ModelManifest.ModelName(result.Network.Config.Kind),
            Training = options,
            Items = data.ItemIds,
            Dataset = DatasetInfo.Describe(data, source),
            BestEpoch = result.BestEpoch,
            ValidationMetrics = ModelManifest.Metrics(result.BestValidation),
            TestMetrics = ModelManifest.Metrics(result.Test),
            TrainingSeconds = result.TrainingSeconds,
            Notes = result.StopReason,
        };
        Directory.CreateDirectory(directory);
        AtomicFile.WriteText(Path.Combine(directory, HistoryFile), HistoryCsv.Format(result.History));
        ModelStore.SaveAutoencoder(directory, result.Network, manifest);
        return manifest;
    }
}
