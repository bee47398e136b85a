using System.Globalization;
using VaeCf.Catalogue;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Model.RecVae;

/// <summary>
/// RecVAE in the model catalogue. It reads the options every network reads, in the same words:
/// --p-dims LATENT,HIDDEN (default 200,600, the authors' sizes, as Mult-VAE's), --dropout,
/// --lr, --batch-size, --epochs, --train-seed, --threads. The KL weight is the authors'
/// gamma * |history| (gamma 0.005) unless --anneal constant, which makes it the constant
/// --anneal-cap. The common --lr and --epochs defaults (1e-3, 200) apply; the authors' ML-20M values
/// are --lr 5e-4 --epochs 50 (<see cref="RecVaeTrainingOptions"/>'s defaults).
/// </summary>
public sealed class RecVaeModel : ModelDefinition
{
    public override string Name => RecVaeStore.ModelName;
    public override string ShortName => RecVaeStore.ModelName;
    public override string DisplayName => "RecVAE";
    public override bool IsTrained => true;

    public override IReadOnlySet<string> OptionKeys { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "p_dims", "dropout", "lr", "batch_size", "epochs", "anneal", "anneal_cap", "seed",
    };

    /// <summary>p_dims = [latent, hidden], read as Mult-VAE's [latent, decoder hidden].</summary>
    public override ModelConfig DefaultArchitecture => new() { Kind = ModelKind.MultVae, PDims = [200, 600] };

    public RecVaeConfig Config(ModelSettings settings, int items)
    {
        var architecture = settings.Architecture ?? DefaultArchitecture;
        var defaults = new RecVaeConfig();
        return defaults with
        {
            ItemCount = items,
            LatentSize = architecture.PDims[0],
            HiddenSize = architecture.PDims.Length > 1 ? architecture.PDims[1] : defaults.HiddenSize,
            InputDropout = architecture.InputDropout,
        };
    }

    public static RecVaeTrainingOptions Options(TrainingOptions o) => new()
    {
        LearningRate = o.LearningRate,
        BatchSize = o.BatchSize,
        Epochs = o.Epochs,
        Beta = o.Anneal == AnnealSchedule.Constant ? o.AnnealCap : null,
        EvaluationBatchSize = o.EvaluationBatchSize,
        Seed = o.Seed,
        Threads = o.Threads,
    };

    public override void Validate(ModelSettings settings)
    {
        if (settings.Architecture is { PDims.Length: > 2 } a)
            throw new VaeCfException($"RecVAE takes p_dims LATENT,HIDDEN (two sizes), got [{string.Join(", ", a.PDims)}].");
        Config(settings, 1).Validate();
        settings.Training.Validate();
        Options(settings.Training).Validate();
    }

    public override string Describe(ModelSettings settings, int itemCount)
    {
        var c = Config(settings, itemCount);
        var o = Options(settings.Training);
        string kl = o.Beta is { } beta ? $"KL weight {beta.ToString(CultureInfo.InvariantCulture)}" : $"KL weight {o.Gamma.ToString(CultureInfo.InvariantCulture)} x |history|";
        return $"{Name} [{itemCount}-{c.HiddenSize}x{c.EncoderLayers}-{c.LatentSize}-{itemCount}], {o.Epochs} epochs of {o.EncoderPasses} encoder + {o.DecoderPasses} decoder passes, " +
            $"batch {o.BatchSize}, lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}, {kl}";
    }

    public override FittedModel Fit(SplitDataset data, ModelSettings settings, IFitObserver observer, CancellationToken cancellation)
    {
        var result = new RecVaeTrainer(Options(settings.Training), observer).Train(data, Config(settings, data.ItemCount), cancellation);
        return new FittedModel
        {
            Scorer = result.Network,
            Seconds = result.TrainingSeconds,
            History = result.History,
            BestEpoch = result.BestEpoch,
            ValidatedDuringFit = true,
            Validation = result.BestValidation,
            Cancelled = result.Cancelled,
            Diverged = result.Diverged,
            StopReason = result.StopReason,
            Details = result,
        };
    }

    public override SavedModel ToSaved(FitResult result, ModelManifest manifest)
    {
        var network = (RecVaeNetwork)result.Scorer;
        var c = network.Config;
        var training = result.Settings.Training;
        // The common architecture and training records keep results.csv's columns filled; the hyperparameters rebuild the network.
        var architecture = DefaultArchitecture with { ItemCount = c.ItemCount, PDims = [c.LatentSize, c.HiddenSize], InputDropout = c.InputDropout };
        var hyper = new Dictionary<string, double>(manifest.Hyperparameters ?? []);
        foreach (var (key, value) in RecVaeStore.Hyperparameters(c, Options(training))) hyper[key] = value;
        return new SavedModel(manifest with { Architecture = architecture, Training = training, Hyperparameters = hyper },
            RecVaeStore.Tensors(network), new Dictionary<string, string> { [ModelStore.HistoryFile] = HistoryCsv.Format(result.History) });
    }

    public override IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm)
    {
        var network = new RecVaeNetwork(RecVaeStore.ReadConfig(manifest, Path.Combine(directory, ModelStore.ConfigFile)), gemm ?? new GemmEngine());
        foreach (var (slot, set) in network.Tensors)
            ModelStore.Require(tensors, directory, slot.Name, slot.Shape).Data.CopyTo(set.View(slot));
        return network;
    }
}
