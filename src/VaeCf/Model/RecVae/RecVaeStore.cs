using VaeCf.Numerics;
using VaeCf.Persistence;

namespace VaeCf.Model.RecVae;

/// <summary>
/// A RecVAE model folder: model.safetensors with every tensor under the names of
/// <see cref="RecVaeEncoder.Layout"/> plus "decoder.weight" [latent x items] and "decoder.bias"
/// [items]; config.json with model "recvae", the item vocabulary, and the architecture in
/// <see cref="ModelManifest.Hyperparameters"/> (see <see cref="ArchitectureKeys"/>). The prior's
/// frozen encoder is training state and is not saved: scoring needs only the encoder and decoder.
/// </summary>
public static class RecVaeStore
{
    /// <summary>"recvae": config.json's <c>model</c> field for this kind.</summary>
    public const string ModelName = "recvae";

    /// <summary>The hyper-parameter keys that rebuild the network; training options are stored beside them for the record.</summary>
    public static readonly string[] ArchitectureKeys =
        ["hidden_size", "latent_size", "encoder_layers", "input_dropout", "layer_norm_epsilon", "prior_weight_standard", "prior_weight_posterior", "prior_weight_wide"];

    /// <summary>
    /// config.json's hyperparameters: the <see cref="ArchitectureKeys"/> always, and with
    /// <paramref name="training"/> its learning rate, batch size, epochs, passes, seed and either beta (constant)
    /// or gamma (per-user weight). A new dictionary each call.
    /// </summary>
    public static Dictionary<string, double> Hyperparameters(RecVaeConfig config, RecVaeTrainingOptions? training)
    {
        var values = new Dictionary<string, double>
        {
            ["hidden_size"] = config.HiddenSize,
            ["latent_size"] = config.LatentSize,
            ["encoder_layers"] = config.EncoderLayers,
            ["input_dropout"] = config.InputDropout,
            ["layer_norm_epsilon"] = config.LayerNormEpsilon,
            ["prior_weight_standard"] = config.MixtureWeights[0],
            ["prior_weight_posterior"] = config.MixtureWeights[1],
            ["prior_weight_wide"] = config.MixtureWeights[2],
        };
        if (training is null) return values;
        values["learning_rate"] = training.LearningRate;
        values["batch_size"] = training.BatchSize;
        values["epochs"] = training.Epochs;
        values["encoder_passes"] = training.EncoderPasses;
        values["decoder_passes"] = training.DecoderPasses;
        if (training.Beta is { } beta) values["beta"] = beta;
        else values["gamma"] = training.Gamma;
        values["seed"] = training.Seed;
        return values;
    }

    /// <summary>Writes the folder; the manifest's model name and architecture entries are set here.</summary>
    public static void Save(string directory, RecVaeNetwork network, ModelManifest manifest, RecVaeTrainingOptions? training = null)
    {
        if (manifest.Items.Length != network.ItemCount)
            throw new ArgumentException($"Manifest lists {manifest.Items.Length} items but the network has {network.ItemCount}.");
        var tensors = Tensors(network);
        var hyper = new Dictionary<string, double>(manifest.Hyperparameters ?? []);
        foreach (var (key, value) in Hyperparameters(network.Config, training)) hyper[key] = value;
        ModelStore.Save(directory, manifest with { Model = ModelName, Architecture = null, Hyperparameters = hyper }, tensors);
    }

    /// <summary>Every parameter as a named tensor, encoder first.</summary>
    public static IReadOnlyList<NamedTensor> Tensors(RecVaeNetwork network) =>
        network.Tensors.Select(t => new NamedTensor(t.Slot.Name, t.Slot.Shape, t.Set.View(t.Slot).ToArray())).ToList();

    /// <summary>Reads a folder written by <see cref="Save"/> into a new network, checking the model name and each tensor's presence and shape.</summary>
    /// <exception cref="VaeCfException">The folder is not a RecVAE model, or a file, field or tensor is missing or wrong (the message names it).</exception>
    public static (RecVaeNetwork Network, ModelManifest Manifest) Load(string directory, GemmEngine? gemm = null)
    {
        var manifest = ModelStore.ReadManifest(directory);
        string configPath = Path.Combine(directory, ModelStore.ConfigFile), weightsPath = Path.Combine(directory, ModelStore.WeightsFile);
        if (manifest.Model != ModelName) throw new VaeCfException($"{configPath}: model '{manifest.Model}' is not a RecVAE.");
        var config = ReadConfig(manifest, configPath);
        var network = new RecVaeNetwork(config, gemm ?? new GemmEngine());
        var tensors = ModelStore.ReadTensors(directory);
        foreach (var (slot, set) in network.Tensors)
        {
            if (!tensors.TryGetValue(slot.Name, out var t))
                throw new VaeCfException($"{weightsPath}: tensor '{slot.Name}' is missing.");
            if (t.Data.Length != slot.Length || !t.Shape.SequenceEqual(slot.Shape))
                throw new VaeCfException($"{weightsPath}: tensor '{slot.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", slot.Shape)}].");
            t.Data.CopyTo(set.View(slot));
        }
        return (network, manifest);
    }

    internal static RecVaeConfig ReadConfig(ModelManifest manifest, string configPath)
    {
        var h = manifest.Hyperparameters ?? throw new VaeCfException($"{configPath}: 'hyperparameters' is missing.");
        double Get(string key) => h.TryGetValue(key, out double v) ? v
            : throw new VaeCfException($"{configPath}: hyperparameters.{key} is missing.");
        int GetInt(string key)
        {
            double v = Get(key);
            if (v != Math.Floor(v) || v is < 1 or > int.MaxValue) throw new VaeCfException($"{configPath}: hyperparameters.{key} must be a positive whole number, got {v}.");
            return (int)v;
        }
        var config = new RecVaeConfig
        {
            ItemCount = manifest.Items.Length,
            HiddenSize = GetInt("hidden_size"),
            LatentSize = GetInt("latent_size"),
            EncoderLayers = GetInt("encoder_layers"),
            InputDropout = (float)Get("input_dropout"),
            LayerNormEpsilon = (float)Get("layer_norm_epsilon"),
            MixtureWeights = [Get("prior_weight_standard"), Get("prior_weight_posterior"), Get("prior_weight_wide")],
        };
        try { config.Validate(); }
        catch (VaeCfException e) { throw new VaeCfException($"{configPath}: {e.Message}"); }
        return config;
    }
}
