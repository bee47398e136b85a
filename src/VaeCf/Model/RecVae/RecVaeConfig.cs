namespace VaeCf.Model.RecVae;

/// <summary>
/// RecVAE's architecture (Shenbin et al., WSDM 2020): <see cref="EncoderLayers"/> dense layers of
/// width <see cref="HiddenSize"/>, each swish then layer norm, each pre-activation adding the
/// outputs of all earlier layers; linear heads for the mean and log-variance of a
/// <see cref="LatentSize"/>-dimensional Gaussian; one linear decoder layer to the items. Also what
/// a saved model's config.json needs to rebuild the network.
/// </summary>
public sealed record RecVaeConfig
{
    /// <summary>Width of the input and decoder output: the item vocabulary size. Must be positive; the trainer replaces it with the data's.</summary>
    public int ItemCount { get; init; }
    /// <summary>Width of every encoder layer; the authors' 600.</summary>
    public int HiddenSize { get; init; } = 600;
    /// <summary>Dimension of the Gaussian code z (and rows of the decoder weight); the authors' 200.</summary>
    public int LatentSize { get; init; } = 200;
    /// <summary>Number of dense encoder layers (swish, layer norm, dense connections) before the mean and log-variance heads; the authors' 5.</summary>
    public int EncoderLayers { get; init; } = 5;
    /// <summary>Drop probability on the L2-normalized input during encoder passes (training only).</summary>
    public float InputDropout { get; init; } = 0.5f;
    /// <summary>The eps added to each row's variance in every layer norm; the authors' 0.1, far above PyTorch's default 1e-5. Must be positive and finite.</summary>
    public float LayerNormEpsilon { get; init; } = 0.1f;
    /// <summary>Weights of the prior's standard normal, old posterior and wide normal; they must sum to 1.</summary>
    public double[] MixtureWeights { get; init; } = [.. CompositePrior.DefaultWeights];

    /// <summary>Throws a <see cref="VaeCfException"/> naming the field when the architecture is impossible.</summary>
    public void Validate()
    {
        if (ItemCount <= 0) throw new VaeCfException($"RecVAE item count must be positive, got {ItemCount}.");
        if (HiddenSize <= 0) throw new VaeCfException($"RecVAE hidden size must be positive, got {HiddenSize}.");
        if (LatentSize <= 0) throw new VaeCfException($"RecVAE latent size must be positive, got {LatentSize}.");
        if (EncoderLayers <= 0) throw new VaeCfException($"RecVAE encoder layers must be positive, got {EncoderLayers}.");
        if (InputDropout is < 0f or >= 1f || float.IsNaN(InputDropout)) throw new VaeCfException($"RecVAE input dropout must be in [0, 1), got {InputDropout}.");
        if (!(LayerNormEpsilon > 0) || float.IsInfinity(LayerNormEpsilon)) throw new VaeCfException($"RecVAE layer-norm epsilon must be positive, got {LayerNormEpsilon}.");
        if (MixtureWeights is not { Length: 3 } || MixtureWeights.Any(w => !(w > 0)) || Math.Abs(MixtureWeights.Sum() - 1) > 1e-6)
            throw new VaeCfException($"RecVAE mixture weights must be three positive numbers summing to 1, got [{string.Join(", ", MixtureWeights ?? [])}].");
    }
}
