using VaeCf.Model;

namespace VaeCf.Persistence;

/// <summary>The "architecture" section: a Mult-VAE/DAE's sizes and dropout.</summary>
public sealed class ArchitectureSection
{
    /// <summary>"kind": "mult_vae" or "mult_dae".</summary>
    public string? Kind { get; set; }
    /// <summary>"item_count": the width of the input and output layers.</summary>
    public int ItemCount { get; set; }
    /// <summary>"p_dims": decoder sizes from the latent code out.</summary>
    public int[]? PDims { get; set; }
    /// <summary>"q_dims": encoder sizes from the input in; null when mirrored from p_dims.</summary>
    public int[]? QDims { get; set; }
    /// <summary>"input_dropout".</summary>
    public float InputDropout { get; set; }
    /// <summary>"hidden_dropout".</summary>
    public float HiddenDropout { get; set; }

    private static readonly EnumText<ModelKind> Kinds = new("architecture.kind", (ModelKind.MultVae, "mult_vae"), (ModelKind.MultDae, "mult_dae"));

    /// <summary>The section for <paramref name="c"/>.</summary>
    public static ArchitectureSection From(ModelConfig c) => new()
    {
        Kind = Kinds.Text(c.Kind), ItemCount = c.ItemCount, PDims = c.PDims, QDims = c.QDims, InputDropout = c.InputDropout, HiddenDropout = c.HiddenDropout,
    };

    /// <summary>The architecture the section describes; a missing or unknown field is a user error naming <paramref name="path"/>.</summary>
    public ModelConfig ToConfig(string path) => new()
    {
        Kind = Kinds.Parse(Kind, path),
        ItemCount = ItemCount,
        PDims = PDims ?? throw new VaeCfException($"{path}: 'architecture.p_dims' is missing."),
        QDims = QDims,
        InputDropout = InputDropout,
        HiddenDropout = HiddenDropout,
    };
}
