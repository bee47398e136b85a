using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Catalogue;

/// <summary>
/// Everything VaeCf knows about one kind of model: its names, which options configure it, how to
/// fit it, and how to save and load it. The CLI, grid files, results.csv, the model folder and the
/// loader all read this; a new kind is one subclass registered in <see cref="ModelCatalogue"/>.
/// </summary>
public abstract class ModelDefinition
{
    /// <summary>Option keys every kind reads (grid keys; the CLI flags are the same words with dashes).</summary>
    public static readonly IReadOnlySet<string> CommonOptionKeys = new HashSet<string>(StringComparer.Ordinal) { "model", "threads" };

    /// <summary>The name in config.json's "model" field: "mult-vae", "ease".</summary>
    public abstract string Name { get; }

    /// <summary>The short name: the CLI's --model value, the grid's model value, results.csv's model column.</summary>
    public abstract string ShortName { get; }

    /// <summary>For help texts and headers: "Mult-VAE".</summary>
    public abstract string DisplayName { get; }

    /// <summary>Other spellings accepted when parsing (e.g. "pop").</summary>
    public virtual IReadOnlyList<string> Aliases => [];

    /// <summary>
    /// Options this kind declares itself (key, type, default, description, validity), e.g. EASE's
    /// lambda: grid files accept their keys, <c>train --option KEY=VALUE</c> sets them, run ids,
    /// config.json's "hyperparameters" and results.csv record them. A declared key that is also a
    /// network key (e.g. "lr") is this kind's own, with its own default.
    /// </summary>
    public virtual IReadOnlyList<ModelOption> Options => [];

    /// <summary>The declared option <paramref name="key"/>, or null.</summary>
    public ModelOption? Option(string key) => Options.FirstOrDefault(o => o.Key == key);

    /// <summary>
    /// Option keys beyond <see cref="CommonOptionKeys"/> that configure this kind: its declared
    /// <see cref="Options"/>' keys, plus, for a kind trained through the shared network groups of
    /// <see cref="ModelSettings"/>, those groups' keys. A grid key outside these is ignored for it.
    /// </summary>
    public virtual IReadOnlySet<string> OptionKeys => Options.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);

    /// <summary>Whether the kind trains over epochs (a history.csv, seeds and training options) rather than solving in closed form.</summary>
    public abstract bool IsTrained { get; }

    /// <summary>Whether its fit trains one model across the processes of <see cref="ModelSettings.Communicator"/> (docs/distributed.md).</summary>
    public virtual bool TrainsDataParallel => false;

    /// <summary>Whether option <paramref name="optionKey"/> (a grid key) configures this kind.</summary>
    public bool Reads(string optionKey) => CommonOptionKeys.Contains(optionKey) || OptionKeys.Contains(optionKey);

    /// <summary>A trained network's architecture before its item count is known; null for kinds without one.</summary>
    public virtual ModelConfig? DefaultArchitecture => null;

    /// <summary>
    /// This kind's defaults for the shared training options: the paper's Mult-VAE settings
    /// (<see cref="TrainingOptions"/>'s own) unless the kind's authors trained it otherwise
    /// (RecVAE: lr 5e-4, 50 epochs). <see cref="WithDefaults"/> applies them to what a caller left unset.
    /// </summary>
    public virtual TrainingOptions DefaultTraining => new();

    /// <summary>
    /// <paramref name="settings"/> with this kind's <see cref="DefaultTraining"/> in every shared
    /// training option the caller did not set (see <see cref="ModelSettings.GivenTrainingKeys"/>);
    /// a value set explicitly always wins. <see cref="FitPipeline"/>, the CLI and grid runs call it,
    /// so the run header, the run id and config.json show the values the fit used.
    /// </summary>
    public ModelSettings WithDefaults(ModelSettings settings)
    {
        var training = SharedTrainingKeys.Apply(settings.Training, DefaultTraining, settings.GivenTrainingKeys);
        return training == settings.Training ? settings : settings with { Training = training };
    }

    /// <summary>Throws a <see cref="VaeCfException"/> naming the option when <paramref name="settings"/> cannot be fitted.</summary>
    public virtual void Validate(ModelSettings settings)
    {
        settings.Training.Validate();
        foreach (var option in Options) option.Check(settings.Options.GetValue(option), option.Key);
    }

    /// <summary>
    /// Sets declared options from <c>KEY=VALUE</c> texts (the CLI's <c>--option</c>); a key this
    /// kind does not declare is an error naming the keys it does (and the near miss).
    /// </summary>
    public OptionValues ParseOptions(IEnumerable<string> assignments, string what, OptionValues? start = null)
    {
        var values = start ?? OptionValues.None;
        foreach (string assignment in assignments)
        {
            int equals = assignment.IndexOf('=');
            if (equals <= 0) throw new VaeCfException($"{what} takes KEY=VALUE, got '{assignment}'.");
            string key = assignment[..equals].Trim().Replace('-', '_');
            var option = Option(key);
            if (option is null)
            {
                string known = Options.Count == 0 ? $"{DisplayName} declares no options" : $"{DisplayName} declares {string.Join(", ", Options.Select(o => o.Key))}";
                string? near = Options.Select(o => o.Key).FirstOrDefault(k => EditDistance.Of(k, key) <= 2);
                throw new VaeCfException($"{what} {assignment}: unknown option '{key}'{(near is null ? "" : $" (did you mean '{near}'?)")}; {known}.");
            }
            values = values.WithParsed(option, assignment[(equals + 1)..], $"{what} {key}");
        }
        return values;
    }

    /// <summary>One line for a run header, e.g. "mult-vae [100-600-200-600-100], 200 epochs, ...".</summary>
    public abstract string Describe(ModelSettings settings, int itemCount);

    /// <summary>Hyper-parameters recorded in config.json's "hyperparameters" and in run ids: every declared option's value (EASE: lambda).</summary>
    public IReadOnlyDictionary<string, double> Hyperparameters(ModelSettings settings) =>
        Options.ToDictionary(o => o.Key, o => o.ToNumber(settings.Options.GetValue(o)), StringComparer.Ordinal);

    /// <summary>Trains or solves on <paramref name="data"/>'s training users.</summary>
    public abstract FittedModel Fit(SplitDataset data, ModelSettings settings, IFitObserver observer, CancellationToken cancellation);

    /// <summary>The model folder's tensors, extra files and kind-specific manifest fields for <paramref name="result"/>.</summary>
    public abstract SavedModel ToSaved(FitResult result, ModelManifest manifest);

    /// <summary>Rebuilds the scorer from a model folder whose config.json names this kind.</summary>
    public abstract IScorer Load(string directory, ModelManifest manifest, IReadOnlyDictionary<string, NamedTensor> tensors, GemmEngine? gemm);

    /// <inheritdoc/>
    public override string ToString() => Name;
}
