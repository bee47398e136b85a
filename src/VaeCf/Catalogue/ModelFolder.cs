using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Catalogue;

/// <summary>Saves a fit as a model folder and opens any model folder as a scorer, whatever its kind.</summary>
public static class ModelFolder
{
    /// <summary>
    /// Writes <paramref name="result"/> to <paramref name="directory"/> (replaced whole; see
    /// <see cref="ModelStore.Save"/>). <paramref name="extraFiles"/> (e.g. experiment.json) go into
    /// the same folder and under the same checksums.
    /// </summary>
    public static ModelManifest Save(string directory, FitResult result, SplitDataset data, string? source,
        IReadOnlyDictionary<string, string>? extraFiles = null)
    {
        var manifest = new ModelManifest
        {
            Model = result.Kind.Name,
            Items = data.ItemIds,
            Dataset = DatasetInfo.Describe(data, source),
            BestEpoch = result.BestEpoch,
            ValidationMetrics = ModelManifest.Metrics(result.Validation),
            TestMetrics = ModelManifest.Metrics(result.Test),
            TrainingSeconds = result.Seconds,
            Notes = result.StopReason,
            // The declared options' values; a kind's ToSaved may replace them with what the fit used.
            Hyperparameters = result.Kind.Options.Count == 0 ? null : new Dictionary<string, double>(result.Kind.Hyperparameters(result.Settings)),
        };
        var saved = result.Kind.ToSaved(result, manifest);
        var files = new Dictionary<string, string>(saved.TextFiles);
        foreach (var (name, text) in extraFiles ?? new Dictionary<string, string>()) files[name] = text;
        return ModelStore.Save(directory, saved.Manifest, saved.Tensors, files);
    }

    /// <summary>
    /// Opens a model folder: config.json, every file checked against its checksum, then the kind's own
    /// loader. A folder whose save was killed between its two renames is read from its predecessor
    /// (<see cref="ModelStore.ReadableFolder"/>).
    /// </summary>
    public static (IScorer Scorer, ModelManifest Manifest) Load(string directory, GemmEngine? gemm = null, ModelCatalogue? catalogue = null)
    {
        directory = ModelStore.ReadableFolder(directory);
        var manifest = ModelStore.ReadManifest(directory);
        var kind = (catalogue ?? ModelCatalogue.Default).ForManifest(manifest.Model, Path.Combine(directory, ModelStore.ConfigFile));
        // One pass over the weights: read, validated and checked against their checksum together.
        ModelStore.VerifyFiles(directory, manifest, includeWeights: false);
        var scorer = kind.Load(directory, manifest, ModelStore.ReadTensors(directory, manifest.Files?.GetValueOrDefault(ModelStore.WeightsFile)), gemm);
        return (scorer, manifest);
    }
}
