using System.Text.Json.Serialization;

namespace VaeCf.Model;

/// <summary>Which of the two autoencoders of Liang et al. (WWW 2018) a <see cref="ModelConfig"/> describes.</summary>
public enum ModelKind
{
    /// <summary>Mult-VAE: Gaussian latent code; loss = multinomial NLL + beta x KL.</summary>
    MultVae,
    /// <summary>Mult-DAE: deterministic code trained on a dropout-corrupted input; no KL term.</summary>
    MultDae,
}

/// <summary>
/// Architecture of a Mult-VAE / Mult-DAE, in the paper's terms. <see cref="PDims"/> are the
/// decoder's hidden sizes from the latent code outwards, without the item count (the paper's
/// p_dims minus its last entry); <see cref="QDims"/> the encoder's from the input inwards, without
/// the item count, mirrored from PDims when null.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Mult-VAE (the default) or Mult-DAE; decides whether the last encoder layer emits a mean and a log-variance.</summary>
    public ModelKind Kind { get; init; } = ModelKind.MultVae;
    /// <summary>Width of the input and output layers: the item vocabulary size. Must be positive.</summary>
    public int ItemCount { get; init; }
    /// <summary>Decoder sizes from the latent code outwards, item count excluded: <c>[200, 600]</c> is the paper's [I-600-200-600-I] Mult-VAE. <c>PDims[0]</c> is the latent size.</summary>
    public int[] PDims { get; init; } = [200, 600];
    /// <summary>Encoder sizes from the input inwards, item count excluded; must end with <c>PDims[0]</c>. Null (the default) mirrors <see cref="PDims"/>.</summary>
    public int[]? QDims { get; init; }
    /// <summary>Drop probability on the normalized input (the paper keeps 0.5).</summary>
    public float InputDropout { get; init; } = DefaultInputDropout;

    /// <summary>The paper's input drop probability, 0.5; the CLI's <c>--dropout</c> default points here.</summary>
    public const float DefaultInputDropout = 0.5f;
    /// <summary>Drop probability on every hidden activation except the latent code (0 = off).</summary>
    public float HiddenDropout { get; init; }

    /// <summary>The paper's architecture for <paramref name="itemCount"/> items: [I-600-200-600-I] for Mult-VAE, [I-200-I] for Mult-DAE.</summary>
    public static ModelConfig Default(ModelKind kind, int itemCount) => kind == ModelKind.MultVae
        ? new ModelConfig { Kind = kind, ItemCount = itemCount, PDims = [200, 600] }
        : new ModelConfig { Kind = kind, ItemCount = itemCount, PDims = [200] };

    /// <summary><see cref="QDims"/>, or <see cref="PDims"/> reversed when it is null. Allocates a new array when mirrored.</summary>
    [JsonIgnore]
    public int[] EffectiveQDims => QDims ?? PDims.Reverse().ToArray();

    /// <summary>Size of the latent code (<c>PDims[0]</c>); the VAE's last encoder layer is twice as wide (mean and log-variance).</summary>
    [JsonIgnore]
    public int LatentSize => PDims[0];

    /// <summary>Every dense layer's (inputs, outputs), encoder first. Layer 0 reads the sparse input.</summary>
    public IReadOnlyList<(int Inputs, int Outputs)> LayerShapes()
    {
        var q = EffectiveQDims;
        var shapes = new List<(int, int)>();
        int previous = ItemCount;
        for (int i = 0; i < q.Length; i++)
        {
            bool last = i == q.Length - 1;
            // The VAE's last encoder layer emits mean and log-variance side by side.
            int outputs = last && Kind == ModelKind.MultVae ? 2 * q[i] : q[i];
            shapes.Add((previous, outputs));
            previous = q[i];
        }
        for (int i = 1; i < PDims.Length; i++) { shapes.Add((previous, PDims[i])); previous = PDims[i]; }
        shapes.Add((previous, ItemCount));
        return shapes;
    }

    /// <summary>The widest hidden or latent layer accepted; far above any useful size, low enough that no shape arithmetic overflows.</summary>
    public const int MaxLayerWidth = 1 << 20;

    /// <summary>Number of dense layers in the encoder; the decoder's are <c>PDims.Length</c>, so <see cref="LayerShapes"/> has the sum.</summary>
    [JsonIgnore]
    public int EncoderLayerCount => EffectiveQDims.Length;

    /// <summary>Throws a <see cref="VaeCfException"/> naming the field when the architecture is impossible.</summary>
    public void Validate()
    {
        if (ItemCount <= 0) throw new VaeCfException($"ItemCount must be positive, got {ItemCount}.");
        if (PDims is null || PDims.Length == 0) throw new VaeCfException("p_dims needs at least one hidden size (e.g. 200,600).");
        if (PDims.Any(d => d <= 0)) throw new VaeCfException($"p_dims sizes must be positive, got [{string.Join(", ", PDims)}].");
        var q = EffectiveQDims;
        if (q.Length == 0 || q.Any(d => d <= 0)) throw new VaeCfException($"q_dims sizes must be positive, got [{string.Join(", ", q)}].");
        if (q[^1] != PDims[0])
            throw new VaeCfException($"The encoder's last size (q_dims ends with {q[^1]}) must equal the latent size (p_dims starts with {PDims[0]}).");
        if (PDims.Concat(q).Any(d => d > MaxLayerWidth))
            throw new VaeCfException($"Layer sizes must be at most {MaxLayerWidth:N0}, got p_dims [{string.Join(", ", PDims)}], q_dims [{string.Join(", ", q)}].");
        long parameters = LayerShapes().Sum(shape => (long)shape.Inputs * shape.Outputs + shape.Outputs);
        // All parameters live in one flat buffer (and so do their gradients and Adam moments).
        if (parameters > Array.MaxLength)
            throw new VaeCfException(
                $"p_dims [{string.Join(", ", PDims)}] with {ItemCount:N0} items needs {parameters:N0} parameters; at most {Array.MaxLength:N0} fit (use smaller layers).");
        if (InputDropout is < 0f or >= 1f || float.IsNaN(InputDropout)) throw new VaeCfException($"Input dropout must be in [0, 1), got {InputDropout}.");
        if (HiddenDropout is < 0f or >= 1f || float.IsNaN(HiddenDropout)) throw new VaeCfException($"Hidden dropout must be in [0, 1), got {HiddenDropout}.");
    }
}
