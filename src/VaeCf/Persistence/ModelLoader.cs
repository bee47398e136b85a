using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Persistence;

/// <summary>Opens any saved model folder as an <see cref="IScorer"/>, whatever its kind.</summary>
public static class ModelLoader
{
    public static (IScorer Scorer, ModelManifest Manifest) Load(string directory, GemmEngine? gemm = null)
    {
        var manifest = ModelStore.ReadManifest(directory);
        return manifest.Model switch
        {
            "mult-vae" or "mult-dae" => Autoencoder(directory, gemm),
            "ease" => (BaselineStore.LoadEase(directory, manifest, gemm?.Threads ?? 0), manifest),
            "popularity" => (BaselineStore.LoadPopularity(directory, manifest), manifest),
            _ => throw new VaeCfException($"{Path.Combine(directory, ModelStore.ConfigFile)}: unknown model kind '{manifest.Model}'."),
        };
    }

    private static (IScorer, ModelManifest) Autoencoder(string directory, GemmEngine? gemm)
    {
        var (network, manifest) = ModelStore.LoadAutoencoder(directory, gemm);
        return (network, manifest);
    }
}
