using VaeCf.Catalogue.Kinds;

namespace VaeCf.Catalogue;

/// <summary>
/// The closed list of model kinds. <see cref="Default"/> is what the CLI, grid files and loader use;
/// a test or an extension builds its own with <see cref="With"/> rather than changing a global one.
/// </summary>
public sealed class ModelCatalogue
{
    /// <summary>Mult-VAE (Liang et al. 2018).</summary>
    public static readonly ModelDefinition MultVae = new AutoencoderModel(Model.ModelKind.MultVae);
    /// <summary>Mult-DAE (Liang et al. 2018).</summary>
    public static readonly ModelDefinition MultDae = new AutoencoderModel(Model.ModelKind.MultDae);
    /// <summary>EASE (Steck 2019), closed form.</summary>
    public static readonly ModelDefinition Ease = new EaseModel();
    /// <summary>Popularity: the baseline every model must beat.</summary>
    public static readonly ModelDefinition Popularity = new PopularityModel();
    /// <summary>RecVAE (Shenbin et al. 2020).</summary>
    public static readonly ModelDefinition RecVae = new Model.RecVae.RecVaeModel();

    /// <summary>Every kind VaeCf ships, in the order help texts list them. Register a new kind here.</summary>
    public static readonly ModelCatalogue Default = new([MultVae, MultDae, Ease, Popularity, RecVae]);

    /// <summary>The kinds, in the order help texts list them.</summary>
    public IReadOnlyList<ModelDefinition> Kinds { get; }

    /// <summary>A catalogue of <paramref name="kinds"/>; two kinds answering to the same name are refused.</summary>
    public ModelCatalogue(IReadOnlyList<ModelDefinition> kinds)
    {
        var clash = kinds.SelectMany(k => Spellings(k).Select(s => (Spelling: s, Kind: k)))
            .GroupBy(x => x.Spelling).FirstOrDefault(g => g.Select(x => x.Kind).Distinct().Count() > 1);
        if (clash is not null) throw new ArgumentException($"Two model kinds answer to '{clash.Key}'.", nameof(kinds));
        Kinds = kinds;
    }

    /// <summary>This catalogue plus <paramref name="kind"/>.</summary>
    public ModelCatalogue With(ModelDefinition kind) => new([.. Kinds, kind]);

    private static IEnumerable<string> Spellings(ModelDefinition k) =>
        new[] { k.Name, k.ShortName, k.Name.Replace("-", "") }.Concat(k.Aliases).Select(s => s.ToLowerInvariant()).Distinct();

    /// <summary>The short names, as a user types them: "vae, dae, ease or popularity".</summary>
    public string ValidNames(Func<ModelDefinition, bool>? which = null)
    {
        var names = Kinds.Where(which ?? (_ => true)).Select(k => k.ShortName).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names.SkipLast(1)) + " or " + names[^1];
    }

    /// <summary>The kind <paramref name="text"/> names by any of its names (case-insensitive), or null; <see cref="Parse"/> gives a user error instead.</summary>
    public ModelDefinition? Find(string text)
    {
        string key = text.Trim().ToLowerInvariant();
        return Kinds.FirstOrDefault(k => Spellings(k).Contains(key));
    }

    /// <summary>The kind <paramref name="text"/> names, by any of its names; an error listing the valid ones (and the near miss) otherwise.</summary>
    /// <param name="what">The flag or grid key, for the message.</param>
    /// <param name="which">Restricts the accepted kinds (e.g. trained ones only).</param>
    public ModelDefinition Parse(string text, string what, Func<ModelDefinition, bool>? which = null)
    {
        var kind = Find(text);
        if (kind is not null && (which is null || which(kind))) return kind;
        string valid = ValidNames(which);
        if (kind is not null) throw new VaeCfException($"{what} must be {valid}, got '{text}' ({kind.DisplayName} is not accepted here).");
        string key = text.Trim().ToLowerInvariant();
        string? near = Kinds.Where(which ?? (_ => true)).SelectMany(k => Spellings(k).Select(s => (s, k)))
            .Select(x => (x.k, Distance: EditDistance.Of(x.s, key))).Where(x => x.Distance <= 2).OrderBy(x => x.Distance).Select(x => x.k.ShortName).FirstOrDefault();
        throw new VaeCfException($"{what} must be {valid}, got '{text}'{(near is null ? "" : $" (did you mean '{near}'?)")}.");
    }

    /// <summary>The kind config.json's "model" field names.</summary>
    public ModelDefinition ForManifest(string model, string configPath) =>
        Kinds.FirstOrDefault(k => k.Name == model)
        ?? throw new VaeCfException($"{configPath}: unknown model kind '{model}'; this VaeCf reads {string.Join(", ", Kinds.Select(k => k.Name))}.");
}
