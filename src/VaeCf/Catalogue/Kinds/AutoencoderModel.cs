using System.Globalization;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Catalogue.Kinds;

/// <summary>Mult-VAE and Mult-DAE (Liang et al. 2018): trained by <see cref="Trainer"/>, saved as their parameter slots plus history.csv.</summary>
public sealed class AutoencoderModel(ModelKind network) : ModelDefinition
{
    /// <summary>Which of the two networks this entry fits.</summary>
    public ModelKind Network { get; } = network;

    /// <inheritdoc/>
    public override string Name => Network == ModelKind.MultVae ? "mult-vae" : "mult-dae";
    /// <inheritdoc/>
    public override string ShortName => Network == ModelKind.MultVae ? "vae" : "dae";
    /// <inheritdoc/>
    public override string DisplayName => Network == ModelKind.MultVae ? "Mult-VAE" : "Mult-DAE";
    /// <inheritdoc/>
    public override bool IsTrained => true;
    /// <inheritdoc/>
    public override bool TrainsDataParallel => true;

    /// <inheritdoc/>
    public override IReadOnlySet<string> OptionKeys { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "p_dims", "q_dims", "dropout", "hidden_dropout", "optimizer", "lr", "weight_decay", "batch_size", "epochs", "anneal", "anneal_cap",
        "total_anneal_steps", "lr_patience", "lr_factor", "lr_monitor", "early_stop_patience", "early_stop_monitor", "evaluate_every", "seed",
    };

    /// <inheritdoc/>
    public override ModelConfig DefaultArchitecture => ModelConfig.Default(Network, 0);

    /// <summary>The architecture <paramref name="settings"/> asks for on <paramref name="items"/> items.</summary>
    public ModelConfig Architecture(ModelSettings settings, int items) =>
        (settings.Architecture ?? ModelConfig.Default(Network, items)) with { Kind = Network, ItemCount = items };

    /// <inheritdoc/>
    public override void Validate(ModelSettings settings)
    {
        Architecture(settings, Math.Max(1, settings.Architecture?.ItemCount ?? 1)).Validate();
        settings.Training.Validate();
    }

    /// <inheritdoc/>
    public override string Describe(ModelSettings settings, int itemCount)
    {
        var config = Architecture(settings, itemCount);
        var o = settings.Training;
        string shape = $"[{itemCount}-{string.Join("-", config.EffectiveQDims)}-{string.Join("-", config.PDims.Skip(1))}{(config.PDims.Length > 1 ? "-" : "")}{itemCount}]";
        // A Mult-DAE has no KL term, so it has no beta to anneal; its decay is the one thing to show instead.
        string regularizer = Network == ModelKind.MultVae
            ? $"anneal {OptionNames.Name(o.Anneal)} cap {o.AnnealCap.ToString(CultureInfo.InvariantCulture)}"
            : $"weight decay {EffectiveWeightDecay(o).ToString(CultureInfo.InvariantCulture)}";
        return $"{Name} {shape}, {o.Epochs} epochs, batch {o.BatchSize}, lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}, {regularizer}";
    }

    /// <summary>The decay the trainer uses: the option if given, else the model's default.</summary>
    public float EffectiveWeightDecay(TrainingOptions o) => o.WeightDecay ?? Trainer.DefaultWeightDecay(Network, o.BatchSize, o.Optimizer);

    /// <inheritdoc/>
    public override FittedModel Fit(SplitDataset data, ModelSettings settings, IFitObserver observer, CancellationToken cancellation)
    {
        var result = new Trainer(settings.Training, observer, settings.Communicator).Train(data, Architecture(settings, data.ItemCount), cancellation);
        return FittedModel.Trained(result);
    }

    /// <inheritdoc/>
    public override SavedModel ToSaved(FitResult result, ModelManifest manifest)
    {
        var network = (AutoencoderNetwork)result.Scorer;
        var options = result.Settings.Training;
        return new SavedModel(
            manifest with { Architecture = network.Config, Training = options with { WeightDecay = EffectiveWeightDecay(options) } },
            Tensors(network),
            new Dictionary<string, string> { [ModelStore.HistoryFile] = HistoryCsv.Format(result.History) });
    }

    /// <summary>Every parameter slot as a named tensor, in the network's order.</summary>
    public static IReadOnlyList<NamedTensor> Tensors(AutoencoderNetwork network) =>
        network.Parameters.Slots.Select(s => new NamedTensor(s.Name, s.Shape, network.Parameters.View(s).ToArray())).ToList();

    /// <summary>Saves a network that did not come out of a fit (a synthetic or hand-built one) as a model folder.</summary>
    public static ModelManifest SaveNetwork(string directory, AutoencoderNetwork network, ModelManifest manifest)
    {
        if (manifest.Items.Length != network.ItemCount)
            throw new ArgumentException($"Manifest lists {manifest.Items.Length} items but the network has {network.ItemCount}.");
        return ModelStore.Save(directory, manifest with { Architecture = network.Config }, Tensors(network));
    }

    /// <inheritdoc/>
    public override IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm)
    {
        string config = Path.Combine(directory, ModelStore.ConfigFile);
        var architecture = manifest.Architecture ?? throw new VaeCfException($"{config}: a {DisplayName} needs its 'architecture'.");
        if (architecture.Kind != Network) throw new VaeCfException($"{config}: model '{manifest.Model}' but architecture.kind is {architecture.Kind}.");
        if (architecture.ItemCount != manifest.Items.Length)
            throw new VaeCfException($"{config}: architecture.item_count is {architecture.ItemCount} but 'items' lists {manifest.Items.Length}.");
        try { architecture.Validate(); }
        catch (VaeCfException e) { throw new VaeCfException($"{config}: {e.Message}"); }
        var network = new AutoencoderNetwork(architecture, gemm ?? new GemmEngine());
        foreach (var slot in network.Parameters.Slots)
            ModelStore.Require(tensors, directory, slot.Name, slot.Shape).Data.CopyTo(network.Parameters.View(slot));
        return network;
    }
}
