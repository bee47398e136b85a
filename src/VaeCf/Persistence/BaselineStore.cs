using VaeCf.Baselines;
using VaeCf.Evaluation;
using VaeCf.Split;

namespace VaeCf.Persistence;

/// <summary>Model folders for the baselines, in the same format as the autoencoders: one tensor plus config.json.</summary>
public static class BaselineStore
{
    public const string EaseTensor = "ease.weights";
    public const string PopularityTensor = "popularity.counts";

    public static ModelManifest SaveEase(string directory, EaseScorer ease, SplitDataset data, string? source,
        EvaluationResult? validation, EvaluationResult? test, double seconds)
    {
        var manifest = Manifest("ease", data, source, validation, test, seconds) with
        {
            Hyperparameters = new Dictionary<string, double> { ["lambda"] = ease.Lambda },
        };
        ModelStore.Save(directory, manifest, [new NamedTensor(EaseTensor, [ease.ItemCount, ease.ItemCount], ease.Weights)]);
        return manifest;
    }

    public static ModelManifest SavePopularity(string directory, PopularityScorer popularity, SplitDataset data, string? source,
        EvaluationResult? validation, EvaluationResult? test, double seconds)
    {
        var manifest = Manifest("popularity", data, source, validation, test, seconds);
        ModelStore.Save(directory, manifest, [new NamedTensor(PopularityTensor, [popularity.ItemCount], popularity.Counts)]);
        return manifest;
    }

    private static ModelManifest Manifest(string model, SplitDataset data, string? source, EvaluationResult? validation, EvaluationResult? test, double seconds) => new()
    {
        Model = model,
        Items = data.ItemIds,
        Dataset = DatasetInfo.Describe(data, source),
        ValidationMetrics = ModelManifest.Metrics(validation),
        TestMetrics = ModelManifest.Metrics(test),
        TrainingSeconds = seconds,
    };

    public static EaseScorer LoadEase(string directory, ModelManifest manifest, int threads = 0)
    {
        var tensor = Single(directory, EaseTensor, [manifest.Items.Length, manifest.Items.Length]);
        double lambda = manifest.Hyperparameters?.GetValueOrDefault("lambda") ?? double.NaN;
        return new EaseScorer(manifest.Items.Length, tensor.Data, (float)lambda, threads);
    }

    public static PopularityScorer LoadPopularity(string directory, ModelManifest manifest) =>
        new(Single(directory, PopularityTensor, [manifest.Items.Length]).Data);

    private static NamedTensor Single(string directory, string name, int[] shape)
    {
        var tensors = ModelStore.ReadTensors(directory);
        if (!tensors.TryGetValue(name, out var t))
            throw new VaeCfException($"{Path.Combine(directory, ModelStore.WeightsFile)}: tensor '{name}' is missing.");
        if (!t.Shape.SequenceEqual(shape))
            throw new VaeCfException($"{Path.Combine(directory, ModelStore.WeightsFile)}: tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}].");
        return t;
    }
}
