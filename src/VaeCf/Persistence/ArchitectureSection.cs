using VaeCf.Model;

namespace VaeCf.Persistence;

/// <summary>The "architecture" section: a Mult-VAE/DAE's sizes and dropout.</summary>
public sealed class ArchitectureSection
{
    public string? Kind { get; set; }
    public int ItemCount { get; set; }
    public int[]? PDims { get; set; }
    public int[]? QDims { get; set; }
    public float InputDropout { get; set; }
    public float HiddenDropout { get; set; }

    private static readonly EnumText<ModelKind> Kinds = new("architecture.kind", (ModelKind.MultVae, "mult_vae"), (ModelKind.MultDae, "mult_dae"));

    public static ArchitectureSection From(ModelConfig c) => new()
    {
        Kind = Kinds.Text(c.Kind), ItemCount = c.ItemCount, PDims = c.PDims, QDims = c.QDims, InputDropout = c.InputDropout, HiddenDropout = c.HiddenDropout,
    };

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
