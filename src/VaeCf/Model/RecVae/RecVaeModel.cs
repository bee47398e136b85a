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
/// --anneal-cap. Where --lr, --epochs and --batch-size are not given, the authors' ML-20M values
/// apply (lr 5e-4, 50 epochs, batch 500: <see cref="DefaultTraining"/>, from
/// <see cref="RecVaeTrainingOptions"/>'s defaults), not Mult-VAE's 1e-3 and 200.
/// </summary>
public sealed class RecVaeModel : ModelDefinition
{
    /// <summary>"recvae": the kind's name in config.json, grid files and <c>--kind</c>.</summary>
    public override string Name => RecVaeStore.ModelName;
    /// <summary>Also "recvae": the kind has no shorter alias.</summary>
    public override string ShortName => RecVaeStore.ModelName;
    /// <summary>"RecVAE", for tables and reports.</summary>
    public override string DisplayName => "RecVAE";
    /// <summary>True: RecVAE is fitted by gradient descent over epochs, with a history and a best epoch.</summary>
    public override bool IsTrained => true;
    /// <summary>True: under mpiexec each process trains on a slice of every batch (Distributed/RecVaeDataParallelStep.cs).</summary>
    public override bool TrainsDataParallel => true;

    /// <summary>User-specific KL weight: beta_u = gamma x |history| (unless --anneal constant).</summary>
    public static readonly ModelOption<float> Gamma = ModelOption.Number("gamma", new RecVaeTrainingOptions().Gamma,
        "RecVAE's user-specific KL weight: beta_u = gamma x |history| (unless --anneal constant).", v => v >= 0, "a number >= 0");
    /// <summary>Option <c>encoder_layers</c>: the number of dense encoder layers (<see cref="RecVaeConfig.EncoderLayers"/>), default 5.</summary>
    public static readonly ModelOption<int> EncoderLayers = ModelOption.Integer("encoder_layers", new RecVaeConfig().EncoderLayers,
        "RecVAE's dense encoder layers (swish, layer norm, dense connections).", v => v > 0, "an integer > 0");
    /// <summary>Option <c>encoder_passes</c>: encoder-only passes per epoch (<see cref="RecVaeTrainingOptions.EncoderPasses"/>), default 3.</summary>
    public static readonly ModelOption<int> EncoderPasses = ModelOption.Integer("encoder_passes", new RecVaeTrainingOptions().EncoderPasses,
        "RecVAE's encoder passes over the training users per epoch.", v => v > 0, "an integer > 0");
    /// <summary>Option <c>decoder_passes</c>: decoder-only passes per epoch (<see cref="RecVaeTrainingOptions.DecoderPasses"/>), default 1.</summary>
    public static readonly ModelOption<int> DecoderPasses = ModelOption.Integer("decoder_passes", new RecVaeTrainingOptions().DecoderPasses,
        "RecVAE's decoder passes over the training users per epoch.", v => v > 0, "an integer > 0");

    /// <summary>RecVAE's own options (grid keys, train --option KEY=VALUE); the shared ones are in <see cref="OptionKeys"/>.</summary>
    public override IReadOnlyList<ModelOption> Options { get; } = [Gamma, EncoderLayers, EncoderPasses, DecoderPasses];

    /// <summary>Every grid key and setting RecVAE reads: the shared network keys (p_dims, dropout, lr, batch_size, epochs, anneal, anneal_cap, seed) and its own options.</summary>
    public override IReadOnlySet<string> OptionKeys { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "p_dims", "dropout", "lr", "batch_size", "epochs", "anneal", "anneal_cap", "seed",
        Gamma.Key, EncoderLayers.Key, EncoderPasses.Key, DecoderPasses.Key,
    };

    /// <summary>The authors' learning rate, epochs and batch size, for the shared options a caller leaves unset.</summary>
    public override TrainingOptions DefaultTraining { get; } = AuthorsTraining(new RecVaeTrainingOptions());

    private static TrainingOptions AuthorsTraining(RecVaeTrainingOptions authors) =>
        new() { LearningRate = authors.LearningRate, Epochs = authors.Epochs, BatchSize = authors.BatchSize };

    /// <summary>p_dims = [latent, hidden], read as Mult-VAE's [latent, decoder hidden].</summary>
    public override ModelConfig DefaultArchitecture => new() { Kind = ModelKind.MultVae, PDims = [200, 600] };

    /// <summary>
    /// The architecture for <paramref name="items"/> items from the settings: p_dims read as [latent, hidden]
    /// (a single size leaves the hidden width at 600), the input dropout, and the <c>encoder_layers</c> option.
    /// Not validated here.
    /// </summary>
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
            EncoderLayers = settings.Get(EncoderLayers),
        };
    }

    /// <summary>The trainer's options: the shared training group's, plus RecVAE's declared gamma and passes.</summary>
    public static RecVaeTrainingOptions TrainingOptionsFor(ModelSettings settings) => TrainingOptionsFor(settings.Training) with
    {
        Gamma = settings.Get(Gamma),
        EncoderPasses = settings.Get(EncoderPasses),
        DecoderPasses = settings.Get(DecoderPasses),
    };

    /// <summary>The trainer's options from the shared training group alone (declared options at their defaults).</summary>
    public static RecVaeTrainingOptions TrainingOptionsFor(TrainingOptions o) => new()
    {
        LearningRate = o.LearningRate,
        BatchSize = o.BatchSize,
        Epochs = o.Epochs,
        Beta = o.Anneal == AnnealSchedule.Constant ? o.AnnealCap : null,
        EvaluationBatchSize = o.EvaluationBatchSize,
        Seed = o.Seed,
        Threads = o.Threads,
    };

    /// <summary>Checks the architecture and training options before any work.</summary>
    /// <exception cref="VaeCfException">p_dims has more than two sizes, or a size, rate or option is out of range.</exception>
    public override void Validate(ModelSettings settings)
    {
        if (settings.Architecture is { PDims.Length: > 2 } a)
            throw new VaeCfException($"RecVAE takes p_dims LATENT,HIDDEN (two sizes), got [{string.Join(", ", a.PDims)}].");
        Config(settings, 1).Validate();
        base.Validate(settings);
        TrainingOptionsFor(settings).Validate();
    }

    /// <summary>One line for the console: the shape [items-hidden x layers-latent-items], the epoch's passes, batch, learning rate and KL weight.</summary>
    public override string Describe(ModelSettings settings, int itemCount)
    {
        var c = Config(settings, itemCount);
        var o = TrainingOptionsFor(settings);
        string kl = o.Beta is { } beta ? $"KL weight {beta.ToString(CultureInfo.InvariantCulture)}" : $"KL weight {o.Gamma.ToString(CultureInfo.InvariantCulture)} x |history|";
        return $"{Name} [{itemCount}-{c.HiddenSize}x{c.EncoderLayers}-{c.LatentSize}-{itemCount}], {o.Epochs} epochs of {o.EncoderPasses} encoder + {o.DecoderPasses} decoder passes, " +
            $"batch {o.BatchSize}, lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}, {kl}";
    }

    /// <summary>
    /// Trains with <see cref="RecVaeTrainer"/>, validating every epoch and keeping the best one by NDCG@100.
    /// Cancellation stops after the current batch and returns the best model so far.
    /// </summary>
    public override FittedModel Fit(SplitDataset data, ModelSettings settings, IFitObserver observer, CancellationToken cancellation)
    {
        var result = new RecVaeTrainer(TrainingOptionsFor(settings), observer, settings.Communicator).Train(data, Config(settings, data.ItemCount), cancellation);
        return FittedModel.Trained(result);
    }

    /// <summary>
    /// The tensors (encoder and decoder; not the prior's frozen copy), the history file, and config.json's
    /// hyperparameters (<see cref="RecVaeStore.ArchitectureKeys"/> plus the training options); the shared
    /// architecture record is filled as [latent, hidden] so results.csv keeps its columns.
    /// </summary>
    public override SavedModel ToSaved(FitResult result, ModelManifest manifest)
    {
        var network = (RecVaeNetwork)result.Scorer;
        var c = network.Config;
        var training = result.Settings.Training;
        // The common architecture and training records keep results.csv's columns filled; the hyperparameters rebuild the network.
        var architecture = DefaultArchitecture with { ItemCount = c.ItemCount, PDims = [c.LatentSize, c.HiddenSize], InputDropout = c.InputDropout };
        var hyper = new Dictionary<string, double>(manifest.Hyperparameters ?? []);
        foreach (var (key, value) in RecVaeStore.Hyperparameters(c, TrainingOptionsFor(result.Settings))) hyper[key] = value;
        return new SavedModel(manifest with { Architecture = architecture, Training = training, Hyperparameters = hyper },
            RecVaeStore.Tensors(network), new Dictionary<string, string> { [ModelStore.HistoryFile] = HistoryCsv.Format(result.History) });
    }

    /// <summary>Rebuilds the <see cref="RecVaeNetwork"/> from config.json's hyperparameters and copies each tensor in; a new default <see cref="GemmEngine"/> when <paramref name="gemm"/> is null.</summary>
    /// <exception cref="VaeCfException">A hyperparameter or tensor is missing, or a tensor has the wrong shape (the message names the file).</exception>
    public override IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm)
    {
        var network = new RecVaeNetwork(RecVaeStore.ReadConfig(manifest, Path.Combine(directory, ModelStore.ConfigFile)), gemm ?? new GemmEngine());
        foreach (var (slot, set) in network.Tensors)
            ModelStore.Require(tensors, directory, slot.Name, slot.Shape).Data.CopyTo(set.View(slot));
        return network;
    }
}
