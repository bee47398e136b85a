using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using VaeCf.Baselines;
using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Experiments;

/// <summary>
/// An experiment grid file (YAML or JSON). Top-level option keys are defaults for every stage;
/// <c>grids:</c> lists stages whose keys replace them; lists expand as a cartesian product;
/// <c>datasets:</c> lists the data. Every key is checked: a misspelled key is an error, not a silent default.
/// </summary>
public sealed class ExperimentGrid
{
    /// <summary>The grid file, as given.</summary>
    public string SourcePath { get; }
    /// <summary>The grid's name (its "name" key, else the file name).</summary>
    public string Name { get; }
    /// <summary>The grid's "description", if any.</summary>
    public string? Description { get; }
    /// <summary>The stages in file order (one when the file has no "grids" list).</summary>
    public IReadOnlyList<GridStage> Stages { get; }

    private readonly ModelCatalogue _catalogue;

    private ExperimentGrid(string sourcePath, string name, string? description, IReadOnlyList<GridStage> stages, ModelCatalogue catalogue)
    {
        _catalogue = catalogue;
        SourcePath = sourcePath;
        Name = name;
        Description = description;
        Stages = stages;
    }

    /// <summary>
    /// Keys of the shared option groups (the network's architecture and training options), each with
    /// how it changes the draft; "model" is applied first. Options a kind declares itself
    /// (<see cref="ModelDefinition.Options"/>) are read from their declarations instead.
    /// </summary>
    private static readonly Dictionary<string, Action<RunDraft, GridNode, string>> OptionKeys = new(StringComparer.Ordinal)
    {
        ["model"] = (d, v, f) => d.Kind = ParseModel(v, f, d.Catalogue),
        ["p_dims"] = (d, v, f) => d.PDims = Dims(v, f),
        ["q_dims"] = (d, v, f) => d.QDims = Dims(v, f),
        ["dropout"] = (d, v, f) => d.Dropout = Float(v, f),
        ["hidden_dropout"] = (d, v, f) => d.HiddenDropout = Float(v, f),
        ["optimizer"] = (d, v, f) => d.Training = d.Training with { Optimizer = OptionNames.ParseOptimizer(Text(v, f), Where(f, v)) },
        ["lr"] = (d, v, f) => d.Training = d.Training with { LearningRate = Float(v, f) },
        ["weight_decay"] = (d, v, f) => d.Training = d.Training with { WeightDecay = Text(v, f) == "default" ? null : Float(v, f) },
        ["batch_size"] = (d, v, f) => d.Training = d.Training with { BatchSize = Int(v, f) },
        ["epochs"] = (d, v, f) => d.Training = d.Training with { Epochs = Int(v, f) },
        ["anneal"] = (d, v, f) => d.Training = d.Training with { Anneal = OptionNames.ParseAnneal(Text(v, f), Where(f, v)) },
        ["anneal_cap"] = (d, v, f) => d.Training = d.Training with { AnnealCap = Float(v, f) },
        ["total_anneal_steps"] = (d, v, f) => d.Training = d.Training with { TotalAnnealSteps = Int(v, f) },
        ["lr_patience"] = (d, v, f) => d.Training = d.Training with { LrPatience = Int(v, f) },
        ["lr_factor"] = (d, v, f) => d.Training = d.Training with { LrFactor = Float(v, f) },
        ["lr_monitor"] = (d, v, f) => d.Training = d.Training with { LrMonitor = OptionNames.ParseMonitor(Text(v, f), Where(f, v)) },
        ["early_stop_patience"] = (d, v, f) => d.Training = d.Training with { EarlyStopPatience = Int(v, f) },
        ["early_stop_monitor"] = (d, v, f) => d.Training = d.Training with { EarlyStopMonitor = OptionNames.ParseMonitor(Text(v, f), Where(f, v)) },
        ["evaluate_every"] = (d, v, f) => d.Training = d.Training with { EvaluateEvery = Int(v, f) },
        ["seed"] = (d, v, f) => d.Training = d.Training with { Seed = Int(v, f) },
        ["threads"] = (d, v, f) => d.Training = d.Training with { Threads = Int(v, f) },
    };

    private static ModelDefinition ParseModel(GridNode node, string file, ModelCatalogue catalogue) => catalogue.Parse(Text(node, file), Where(file, node));

    /// <summary>Every option key a grid accepts: the shared groups' and those any kind of <paramref name="catalogue"/> declares.</summary>
    private static HashSet<string> AllOptionKeys(ModelCatalogue catalogue) =>
        OptionKeys.Keys.Concat(catalogue.Kinds.SelectMany(k => k.Options).Select(o => o.Key)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Sets <paramref name="key"/> on the draft: through the draft's kind's own declaration when it has one, else the shared groups.</summary>
    private static void Apply(RunDraft draft, string key, GridNode value, string file)
    {
        if (draft.Kind.Option(key) is { } option) draft.Options = draft.Options.WithParsed(option, Text(value, file), Where(file, value));
        else
        {
            OptionKeys[key](draft, value, file);
            draft.Given.Add(key);
        }
    }

    private static readonly string[] StageKeys = ["name", "description", "datasets"];
    private static readonly string[] TopKeys = ["name", "description", "datasets", "grids"];
    private static readonly string[] DatasetKeys = ["path", "name", "format", "threshold", "min_user_count", "min_item_count", "heldout_users", "validation_users", "test_users", "split_seed"];

    /// <summary>Every option key a grid accepts, for help texts and docs.</summary>
    public static IReadOnlyCollection<string> OptionKeyNames => AllOptionKeys(ModelCatalogue.Default);

    private sealed class RunDraft(ModelCatalogue catalogue)
    {
        public readonly ModelCatalogue Catalogue = catalogue;
        public ModelDefinition Kind = ModelCatalogue.MultVae;
        public OptionValues Options = OptionValues.None;
        public int[]? PDims;
        public int[]? QDims;
        public float Dropout = ModelConfig.DefaultInputDropout;
        public float HiddenDropout;
        public TrainingOptions Training = new();
        /// <summary>Shared keys the file or the command line set: they win over the kind's own defaults.</summary>
        public readonly HashSet<string> Given = new(StringComparer.Ordinal);

        /// <summary>The training options with the kind's defaults (<see cref="ModelDefinition.DefaultTraining"/>) where nothing was given.</summary>
        public TrainingOptions ResolvedTraining => Kind.WithDefaults(new ModelSettings { Training = Training, GivenTrainingKeys = Given }).Training;
    }

    /// <summary>Most runs a grid may expand to unless the caller lifts the cap (<c>--max-runs</c>): a typo such as one key too many multiplies the work, and the plan itself takes memory.</summary>
    public const long DefaultMaxRuns = 10_000;

    /// <summary>The cap on runs this grid was loaded with; <see cref="Expand"/> refuses more.</summary>
    public long MaxRuns { get; private init; } = DefaultMaxRuns;

    /// <param name="catalogue">The model kinds its "model" key may name; default <see cref="ModelCatalogue.Default"/>.</param>
    public static ExperimentGrid Load(string path, long maxRuns = DefaultMaxRuns, ModelCatalogue? catalogue = null) =>
        Parse(GridDocument.Read(path), path, maxRuns, catalogue);

    /// <summary>Reads a grid from an already parsed <paramref name="root"/> (see <see cref="GridDocument.Read"/>); errors name <paramref name="sourcePath"/> and the key.</summary>
    public static ExperimentGrid Parse(GridMap root, string sourcePath, long maxRuns = DefaultMaxRuns, ModelCatalogue? catalogue = null)
    {
        if (maxRuns < 1) throw new VaeCfException($"The cap on runs must be at least 1, got {maxRuns}.");
        catalogue ??= ModelCatalogue.Default;
        var optionKeys = AllOptionKeys(catalogue);
        CheckKeys(root, TopKeys.Concat(optionKeys), sourcePath);
        string name = OptionalText(root, "name", sourcePath) ?? Path.GetFileNameWithoutExtension(sourcePath);
        string? description = OptionalText(root, "description", sourcePath);
        string baseFolder = Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? ".";
        var topDatasets = Find(root, "datasets") is { } d ? ParseDatasets(d, sourcePath, baseFolder) : null;
        var topAxes = Axes(root, sourcePath, optionKeys);

        var stages = new List<GridStage>();
        if (Find(root, "grids") is { } grids)
        {
            if (grids is not GridList list || list.Items.Count == 0) throw new VaeCfException($"{sourcePath}: 'grids' must be a non-empty list of stages.");
            foreach (var item in list.Items)
            {
                if (item is not GridMap stage) throw new VaeCfException($"{sourcePath}: '{item.Where}' must be a mapping of keys.");
                CheckKeys(stage, StageKeys.Concat(optionKeys), sourcePath);
                string stageName = OptionalText(stage, "name", sourcePath) ?? $"stage{stages.Count + 1}";
                var datasets = Find(stage, "datasets") is { } sd ? ParseDatasets(sd, sourcePath, baseFolder)
                    : topDatasets ?? throw new VaeCfException($"{sourcePath}: '{stage.Where}' has no datasets and the file gives none at the top.");
                var ownAxes = Axes(stage, sourcePath, optionKeys);
                var axes = topAxes.Where(a => Find(stage, a.Key) is null).Concat(ownAxes).ToList();
                CheckKeysApply(stageName, axes, ownAxes, sourcePath, catalogue);
                stages.Add(new GridStage(CheckSlug(stageName, sourcePath), OptionalText(stage, "description", sourcePath), datasets, axes));
            }
        }
        else
        {
            var datasets = topDatasets ?? throw new VaeCfException($"{sourcePath}: no 'datasets' given (a list of paths, or of {{path, name, threshold, ...}}).");
            CheckKeysApply(name, topAxes, topAxes, sourcePath, catalogue);
            stages.Add(new GridStage(CheckSlug(name, sourcePath), description, datasets, topAxes));
        }
        var duplicate = stages.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new VaeCfException($"{sourcePath}: two stages are named '{duplicate.Key}'.");
        var grid = new ExperimentGrid(sourcePath, name, description, stages, catalogue) { MaxRuns = maxRuns };
        _ = grid.Expand(); // Values are checked now, with the file's name, rather than hours into a run.
        return grid;
    }

    /// <summary>
    /// A key written in a stage must configure at least one of that stage's models: p_dims on an
    /// EASE-only stage, or lambda on a Mult-VAE one, would otherwise be dropped without a word.
    /// Top-level defaults of a file with stages are exempt; they apply only where they fit.
    /// </summary>
    private static void CheckKeysApply(string stage, IReadOnlyList<GridAxis> axes, IReadOnlyList<GridAxis> own, string file, ModelCatalogue catalogue)
    {
        var models = axes.FirstOrDefault(a => a.Key == "model")?.Values.Select(v => ParseModel(v, file, catalogue)).ToList()
            ?? [ModelCatalogue.MultVae];
        foreach (var axis in own)
        {
            if (models.Any(m => m.Reads(axis.Key))) continue;
            string what = string.Join("/", catalogue.Kinds.Where(k => k.Reads(axis.Key)).Select(k => k.DisplayName));
            throw new VaeCfException($"{file}: stage '{stage}': key '{axis.Key}' does not apply to model {string.Join(", ", models.Select(m => m.ShortName).Distinct())} (it configures {what} only); remove it or give those runs a stage of their own.");
        }
    }

    /// <summary>All runs, in file order: stage, then dataset, then axes with the first key outermost, seed innermost.</summary>
    public IReadOnlyList<RunSpec> Expand(GridOverrides? overrides = null)
    {
        double count = CountRuns(overrides);
        if (count > MaxRuns)
            throw new VaeCfException(string.Create(CultureInfo.InvariantCulture,
                $"{SourcePath}: the grid expands to {count:N0} runs, more than the cap of {MaxRuns:N0}; pass --max-runs {count:F0} if that many are meant, or trim the lists."));
        var runs = new List<RunSpec>();
        var ids = new HashSet<string>();
        foreach (var stage in Stages)
        {
            var axes = stage.Axes.Where(a => a.Key != "seed").ToList();
            // "model" is applied first so that p_dims left unset fall back to that model's default.
            var applyOrder = Enumerable.Range(0, axes.Count).OrderBy(i => axes[i].Key == "model" ? 0 : 1).ToArray();
            IReadOnlyList<GridNode?> seedValues = overrides?.Seeds is { Count: > 0 } seeds
                ? seeds.Select(s => (GridNode?)new GridScalar("--seeds", s.ToString(CultureInfo.InvariantCulture))).ToList()
                : stage.Axes.FirstOrDefault(a => a.Key == "seed")?.Values.Cast<GridNode?>().ToList() ?? [null];
            foreach (var dataset in stage.Datasets)
                foreach (var combination in Cartesian(axes.Select(a => a.Values).ToList()))
                    foreach (var seed in seedValues)
                    {
                        var draft = new RunDraft(_catalogue);
                        // After "model", keys that do not configure this run's model are skipped: top-level
                        // defaults and, in a mixed stage, the other models' keys (the explicit ones were
                        // checked to fit some model of the stage when the file was read).
                        foreach (int i in applyOrder)
                            if (draft.Kind.Reads(axes[i].Key)) Apply(draft, axes[i].Key, combination[i], SourcePath);
                        bool network = draft.Kind.IsTrained;
                        if (seed is not null && network) Apply(draft, "seed", seed, SourcePath);
                        if (overrides?.Epochs is { } epochs && network)
                            Apply(draft, "epochs", new GridScalar("--epochs", epochs.ToString(CultureInfo.InvariantCulture)), SourcePath);
                        if (overrides?.Threads is { } threads) draft.Training = draft.Training with { Threads = threads };
                        var run = Resolve(stage.Name, dataset, draft);
                        // Combinations that differ only in keys this model ignores (popularity across
                        // lambdas, a baseline across seeds) are one run.
                        if (ids.Add(run.RunId)) runs.Add(run);
                    }
        }
        return runs;
    }

    /// <summary>
    /// How many runs <see cref="Expand"/> would build at most (before merging combinations that are the same
    /// run), counted from the list lengths without building any; a double, so 10^10 is a number, not an overflow.
    /// </summary>
    public double CountRuns(GridOverrides? overrides = null)
    {
        double total = 0;
        foreach (var stage in Stages)
        {
            double runs = stage.Datasets.Count;
            foreach (var axis in stage.Axes.Where(a => a.Key != "seed")) runs *= axis.Values.Count;
            runs *= overrides?.Seeds is { Count: > 0 } seeds ? seeds.Count : stage.Axes.FirstOrDefault(a => a.Key == "seed")?.Values.Count ?? 1;
            total += runs;
        }
        return total;
    }

    private RunSpec Resolve(string stage, DatasetSpec dataset, RunDraft draft)
    {
        if (!draft.Kind.IsTrained || draft.Kind.DefaultArchitecture is null)
        {
            // A closed-form kind takes only threads from the shared groups; a trained kind without the
            // shared architecture declares its options and takes the training group's seed and threads.
            var training = draft.Kind.IsTrained ? draft.ResolvedTraining : new TrainingOptions { Threads = draft.Training.Threads };
            var settings = new ModelSettings { Training = training, Options = draft.Options };
            try { draft.Kind.Validate(settings); }
            catch (VaeCfException e) { throw new VaeCfException($"{SourcePath}: stage '{stage}': {e.Message}"); }
            return DescribeDeclared(stage, dataset, draft.Kind, settings);
        }
        var model = (draft.Kind.DefaultArchitecture ?? throw new InvalidOperationException($"{draft.Kind} trains but has no architecture.")) with { InputDropout = draft.Dropout, HiddenDropout = draft.HiddenDropout };
        if (draft.PDims is not null) model = model with { PDims = draft.PDims };
        if (draft.QDims is not null) model = model with { QDims = draft.QDims };
        var resolved = draft.ResolvedTraining;
        try
        {
            (model with { ItemCount = 1 }).Validate();
            resolved.Validate();
            // Hidden dropout skips the latent code, so on I-200-I it would silently change nothing.
            if (model.HiddenDropout > 0 && model.PDims.Length == 1 && model.EffectiveQDims.Length == 1)
                throw new VaeCfException($"hidden_dropout {model.HiddenDropout} has no effect on p_dims [{model.PDims[0]}]: the only hidden layer is the latent code, which is never dropped; give deeper p_dims such as [200, 600].");
        }
        catch (VaeCfException e) { throw new VaeCfException($"{SourcePath}: stage '{stage}': {e.Message}"); }
        return Describe(stage, dataset, model, resolved, draft.Kind, draft.Options);
    }

    /// <summary>
    /// Names a network run: the same configuration always gets the same id, whichever grid or command
    /// produced it. <paramref name="kind"/> defaults to the Mult-VAE or Mult-DAE that <paramref name="model"/> names;
    /// the kind's declared options (<paramref name="options"/>), if it has any, are part of the id.
    /// </summary>
    public static RunSpec Describe(string stage, DatasetSpec dataset, ModelConfig model, TrainingOptions training, ModelDefinition? kind = null,
        OptionValues? options = null)
    {
        model = model with { ItemCount = 0 };
        kind ??= model.Kind == ModelKind.MultVae ? ModelCatalogue.MultVae : ModelCatalogue.MultDae;
        options ??= OptionValues.None;
        string withoutSeed = Canonical(dataset, kind, model, training with { Seed = 0 })
            + string.Concat(kind.Options.Select(o => $";{o.Key}={o.Format(options.GetValue(o))}"));
        string full = withoutSeed + $";seed={training.Seed}";
        string slug = $"{stage}-{kind.ShortName}-{string.Join("x", model.PDims)}-{dataset.Name}-s{training.Seed}";
        return new RunSpec
        {
            Stage = stage,
            Dataset = dataset,
            Kind = kind,
            Settings = new ModelSettings { Architecture = model, Training = training, Options = options },
            RunId = $"{Slugify(slug)}-{ShortHash(full)}",
            ConfigId = ShortHash(withoutSeed),
        };
    }

    /// <summary>
    /// Names a run of a kind described by its declared options: dataset, kind and every declared
    /// option's value, in declaration order (a closed-form fit: threads and seeds change nothing);
    /// a trained kind adds its seed, outside the configuration id.
    /// </summary>
    public static RunSpec DescribeDeclared(string stage, DatasetSpec dataset, ModelDefinition kind, ModelSettings settings)
    {
        var options = kind.Options.Where(o => o.Key != "seed").ToList();
        string canonical = $"{dataset.Canonical};model={kind.ShortName}" + string.Concat(options.Select(o => $";{o.Key}={o.Format(settings.Options.GetValue(o))}"));
        string slug = $"{stage}-{kind.ShortName}" + string.Concat(options.Take(3).Select(o => $"-{o.Key[0]}{o.Format(settings.Options.GetValue(o))}")) + $"-{dataset.Name}";
        string configId = ShortHash(canonical);
        if (!kind.IsTrained) return new RunSpec { Stage = stage, Dataset = dataset, Kind = kind, Settings = settings, RunId = $"{Slugify(slug)}-{configId}", ConfigId = configId };
        int seed = kind.Option("seed") is ModelOption<int> declared ? settings.Get(declared) : settings.Training.Seed;
        string full = canonical + $";seed={seed}";
        return new RunSpec { Stage = stage, Dataset = dataset, Kind = kind, Settings = settings, RunId = $"{Slugify(slug + $"-s{seed}")}-{ShortHash(full)}", ConfigId = configId };
    }

    private static string Canonical(DatasetSpec dataset, ModelDefinition kind, ModelConfig m, TrainingOptions t)
    {
        static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"{dataset.Canonical};model={kind.ShortName};p_dims={string.Join(",", m.PDims)};q_dims={string.Join(",", m.EffectiveQDims)};" +
            $"dropout={F(m.InputDropout)};hidden_dropout={F(m.HiddenDropout)};optimizer={t.Optimizer};lr={F(t.LearningRate)};" +
            $"weight_decay={(t.WeightDecay is { } w ? F(w) : "default")};batch_size={t.BatchSize};epochs={t.Epochs};anneal={t.Anneal};anneal_cap={F(t.AnnealCap)};" +
            $"total_anneal_steps={t.TotalAnnealSteps};lr_patience={t.LrPatience};lr_factor={F(t.LrFactor)};lr_monitor={t.LrMonitor};" +
            $"early_stop_patience={t.EarlyStopPatience};early_stop_monitor={t.EarlyStopMonitor};evaluate_every={t.EvaluateEvery};evaluation_batch_size={t.EvaluationBatchSize}");
    }

    private static string ShortHash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8].ToLowerInvariant();

    /// <summary>Lower-case letters, digits, '-' and '.', so a run id is a safe folder name everywhere.</summary>
    public static string Slugify(string text)
    {
        var slug = new StringBuilder();
        foreach (char c in text.ToLowerInvariant())
            slug.Append(char.IsAsciiLetterOrDigit(c) || c is '.' ? c : '-');
        return string.Join("-", slug.ToString().Split('-', StringSplitOptions.RemoveEmptyEntries));
    }

    private static IEnumerable<GridNode[]> Cartesian(IReadOnlyList<IReadOnlyList<GridNode>> axes)
    {
        var indices = new int[axes.Count];
        while (true)
        {
            yield return axes.Select((values, i) => values[indices[i]]).ToArray();
            int k = axes.Count - 1;
            while (k >= 0 && ++indices[k] == axes[k].Count) indices[k--] = 0;
            if (k < 0) yield break;
        }
    }

    private static List<GridAxis> Axes(GridMap map, string file, IReadOnlySet<string> optionKeys) => map.Entries
        .Where(e => optionKeys.Contains(e.Key))
        .Select(e => new GridAxis(e.Key, Values(e.Key, e.Value, file)))
        .ToList();

    /// <summary>
    /// A list is a sweep, except for p_dims/q_dims where a flat list of sizes ([200, 600]) is one
    /// architecture and a list of lists ([[200, 600], [100, 300]]) or of "200,600" strings is a sweep.
    /// </summary>
    private static IReadOnlyList<GridNode> Values(string key, GridNode node, string file)
    {
        if (node is GridMap) throw new VaeCfException($"{file}: '{node.Where}' must be a value or a list of values, not a mapping.");
        if (node is not GridList list) return [node];
        if (list.Items.Count == 0) throw new VaeCfException($"{file}: '{node.Where}' is an empty list; give at least one value.");
        bool dims = key is "p_dims" or "q_dims";
        if (dims && list.Items.All(i => i is GridScalar s && !s.Text.Contains(','))) return [node];
        foreach (var item in list.Items)
            if (item is GridMap || (item is GridList && !dims))
                throw new VaeCfException($"{file}: '{item.Where}' must be a single value.");
        return list.Items;
    }

    private static IReadOnlyList<DatasetSpec> ParseDatasets(GridNode node, string file, string baseFolder)
    {
        var items = node is GridList list ? list.Items : [node];
        if (items.Count == 0) throw new VaeCfException($"{file}: 'datasets' is empty.");
        var datasets = items.Select(item => ParseDataset(item, file, baseFolder)).ToList();
        var clash = datasets.GroupBy(d => d.Name).FirstOrDefault(g => g.Count() > 1 && g.Select(d => d.Canonical).Distinct().Count() > 1);
        if (clash is not null) throw new VaeCfException($"{file}: two different datasets are named '{clash.Key}'; give each a distinct 'name'.");
        return datasets;
    }

    private static DatasetSpec ParseDataset(GridNode node, string file, string baseFolder)
    {
        if (node is GridScalar scalar) return WithBase(DatasetSpec.FromPath(scalar.Text), baseFolder);
        if (node is not GridMap map) throw new VaeCfException($"{file}: '{node.Where}' must be a path or a mapping with 'path'.");
        CheckKeys(map, DatasetKeys, file);
        string path = OptionalText(map, "path", file) ?? throw new VaeCfException($"{file}: '{map.Where}' needs a 'path'.");
        var prepare = new PrepareOptions();
        try
        {
            var reader = prepare.Reader;
            if (OptionalText(map, "format", file) is { } format) reader = reader with { Format = InputFormatNames.Parse(format) };
            var pre = prepare.Preprocess;
            if (OptionalText(map, "threshold", file) is { } threshold)
                pre = pre with { RatingThreshold = threshold.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : FloatText(threshold, $"{map.Where}.threshold", file) };
            if (Find(map, "min_user_count") is { } muc) pre = pre with { MinUserCount = Int(muc, file) };
            if (Find(map, "min_item_count") is { } mic) pre = pre with { MinItemCount = Int(mic, file) };
            var split = prepare.Split;
            if (OptionalText(map, "heldout_users", file) is { } heldOut) split = split with { ValidationUsers = HeldOutSize.Parse(heldOut), TestUsers = HeldOutSize.Parse(heldOut) };
            if (OptionalText(map, "validation_users", file) is { } v) split = split with { ValidationUsers = HeldOutSize.Parse(v) };
            if (OptionalText(map, "test_users", file) is { } t) split = split with { TestUsers = HeldOutSize.Parse(t) };
            if (Find(map, "split_seed") is { } seed) split = split with { Seed = Int(seed, file) };
            prepare = new PrepareOptions { Reader = reader, Preprocess = pre, Split = split };
            prepare.Validate();
        }
        catch (VaeCfException e) when (!e.Message.StartsWith(file, StringComparison.Ordinal)) { throw new VaeCfException($"{file}: '{map.Where}': {e.Message}"); }
        string name = OptionalText(map, "name", file) is { } given ? CheckSlug(given, file) : DatasetSpec.NameFromPath(path);
        return WithBase(new DatasetSpec { Path = path, ResolvedPath = path, Name = name, Prepare = prepare }, baseFolder);
    }

    private static DatasetSpec WithBase(DatasetSpec spec, string baseFolder) =>
        spec with { ResolvedPath = Path.IsPathRooted(spec.Path) ? spec.Path : Path.GetFullPath(Path.Combine(baseFolder, spec.Path)) };

    private static void CheckKeys(GridMap map, IEnumerable<string> allowed, string file)
    {
        var known = allowed.ToHashSet(StringComparer.Ordinal);
        foreach (var (key, _) in map.Entries)
        {
            if (known.Contains(key)) continue;
            string? near = known.OrderBy(k => EditDistance.Of(k, key)).FirstOrDefault(k => EditDistance.Of(k, key) <= 3);
            string where = map.Where.Length == 0 ? "" : $" in '{map.Where}'";
            throw new VaeCfException($"{file}: unknown key '{key}'{where}{(near is null ? "" : $" (did you mean '{near}'?)")}. Known keys: {string.Join(", ", known.Order())}.");
        }
    }

    private static string CheckSlug(string name, string file) =>
        Slugify(name) == name.ToLowerInvariant() && name.Length > 0 ? name
            : throw new VaeCfException($"{file}: the name '{name}' may hold only letters, digits, '-' and '.' (it becomes part of folder names).");

    private static GridNode? Find(GridMap map, string key) => map.Entries.FirstOrDefault(e => e.Key == key).Value;

    private static string? OptionalText(GridMap map, string key, string file) => Find(map, key) is { } node ? Text(node, file) : null;

    private static string Where(string file, GridNode node) => $"{file}: '{node.Where}'";

    private static string Text(GridNode node, string file) =>
        node is GridScalar s ? s.Text : throw new VaeCfException($"{file}: '{node.Where}' must be a single value.");

    private static float Float(GridNode node, string file) => FloatText(Text(node, file), node.Where, file);

    private static float FloatText(string text, string where, string file) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v)
            ? v : throw new VaeCfException($"{file}: '{where}' must be a number, got '{text}'.");

    private static int Int(GridNode node, string file) =>
        int.TryParse(Text(node, file), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new VaeCfException($"{file}: '{node.Where}' must be an integer, got '{Text(node, file)}'.");

    private static int[] Dims(GridNode node, string file) => node switch
    {
        GridScalar s => OptionNames.ParseDims(s.Text, Where(file, node)),
        GridList l => l.Items.Select(i => i is GridScalar ? Int(i, file) : throw new VaeCfException($"{file}: '{i.Where}' must be a size.")).ToArray() is { Length: > 0 } dims && dims.All(d => d > 0)
            ? dims : throw new VaeCfException($"{file}: '{node.Where}' must list positive sizes."),
        _ => throw new VaeCfException($"{file}: '{node.Where}' must be sizes such as [200, 600]."),
    };
}
