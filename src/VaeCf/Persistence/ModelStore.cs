using System.Text.Json;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Persistence;

/// <summary>
/// A model folder: model.safetensors (weights) and config.json (<see cref="ModelManifest"/>).
/// Each file is written atomically and config.json last, so a folder with a config.json is complete.
/// </summary>
public static class ModelStore
{
    public const string WeightsFile = "model.safetensors";
    public const string ConfigFile = "config.json";

    public static void Save(string directory, ModelManifest manifest, IReadOnlyList<NamedTensor> tensors)
    {
        Directory.CreateDirectory(directory);
        SafeTensors.Write(Path.Combine(directory, WeightsFile), tensors, new Dictionary<string, string>
        {
            ["format"] = ModelManifest.FormatName,
            ["model"] = manifest.Model,
        });
        AtomicFile.WriteText(Path.Combine(directory, ConfigFile), JsonSerializer.Serialize(manifest, ModelManifest.Json));
    }

    public static void SaveAutoencoder(string directory, AutoencoderNetwork network, ModelManifest manifest)
    {
        if (manifest.Items.Length != network.ItemCount)
            throw new ArgumentException($"Manifest lists {manifest.Items.Length} items but the network has {network.ItemCount}.");
        var tensors = network.Parameters.Slots
            .Select(s => new NamedTensor(s.Name, s.Shape, network.Parameters.View(s).ToArray()))
            .ToList();
        Save(directory, manifest with { Architecture = network.Config }, tensors);
    }

    public static ModelManifest ReadManifest(string directory)
    {
        string path = Path.Combine(directory, ConfigFile);
        if (!Directory.Exists(directory)) throw new VaeCfException($"Model folder '{directory}' does not exist.");
        if (!File.Exists(path)) throw new VaeCfException($"'{directory}' is not a complete VaeCf model folder: {ConfigFile} is missing.");
        ModelManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), ModelManifest.Json); }
        catch (JsonException e) { throw new VaeCfException($"{path}: not a valid model config ({e.Message})."); }
        if (manifest is null || manifest.Format != ModelManifest.FormatName) throw new VaeCfException($"{path}: not a VaeCf model config.");
        return manifest;
    }

    public static Dictionary<string, NamedTensor> ReadTensors(string directory)
    {
        string path = Path.Combine(directory, WeightsFile);
        if (!File.Exists(path)) throw new VaeCfException($"'{directory}' has no {WeightsFile}.");
        return SafeTensors.Read(path).Tensors;
    }

    public static (AutoencoderNetwork Network, ModelManifest Manifest) LoadAutoencoder(string directory, GemmEngine? gemm = null)
    {
        var manifest = ReadManifest(directory);
        if (manifest.Architecture is null || manifest.Model is not ("mult-vae" or "mult-dae"))
            throw new VaeCfException($"{Path.Combine(directory, ConfigFile)}: model '{manifest.Model}' is not a Mult-VAE/Mult-DAE.");
        var network = new AutoencoderNetwork(manifest.Architecture, gemm ?? new GemmEngine());
        var tensors = ReadTensors(directory);
        foreach (var slot in network.Parameters.Slots)
        {
            if (!tensors.TryGetValue(slot.Name, out var t))
                throw new VaeCfException($"{Path.Combine(directory, WeightsFile)}: tensor '{slot.Name}' is missing.");
            if (t.Data.Length != slot.Length || !t.Shape.SequenceEqual(slot.Shape))
                throw new VaeCfException($"{Path.Combine(directory, WeightsFile)}: tensor '{slot.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", slot.Shape)}].");
            t.Data.CopyTo(network.Parameters.View(slot));
        }
        return (network, manifest);
    }
}
