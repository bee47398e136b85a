using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Catalogue;
using VaeCf.Model;
using VaeCf.Training;

namespace VaeCf.Cli.Commands;

/// <summary>
/// Model and training flags shared by every command that trains (train, tune-beta), so a flag means
/// the same thing in each and maps to <see cref="ModelConfig"/> / <see cref="TrainingOptions"/> in one place.
/// </summary>
public abstract class TrainingSettings : DataSettings
{
    [CommandOption("-d|--data <PATH>")]
    [Description("Ratings file, a folder holding one, or a prepared split folder.")]
    [DefaultValue("data/ml-latest-small")]
    public string Data { get; init; } = "data/ml-latest-small";

    // A kind is --kind and a folder is --model, in every command (evaluate, recommend, serve and
    // export take --model DIR). --model KIND was this option's name and is still read, unlisted.
    [CommandOption("--kind <KIND>")]
    [Description("Model kind: vae (Mult-VAE, the default), dae (Mult-DAE) or recvae (RecVAE: --p-dims LATENT,HIDDEN, KL weight 0.005 x |history| unless --anneal constant); train also fits ease and popularity.")]
    public string? KindName { get; init; }

    /// <summary>The former name of --kind, still read so existing scripts run; not listed in --help.</summary>
    [CommandOption("-m|--model <KIND>", IsHidden = true)]
    public string? Model { get; init; }

    private string KindText => KindName ?? Model ?? "vae";

    [CommandOption("--p-dims <SIZES>")]
    [Description("Decoder hidden sizes from the latent code out, comma-separated (vae: 200,600; dae: 200).")]
    public string? PDims { get; init; }

    [CommandOption("--q-dims <SIZES>")]
    [Description("Encoder hidden sizes from the input in; mirrored from --p-dims when omitted.")]
    public string? QDims { get; init; }

    [CommandOption("--dropout <P>")]
    [Description("Drop probability on the normalized input.")]
    [DefaultValue(ModelConfig.DefaultInputDropout)]
    public float Dropout { get; init; } = ModelConfig.DefaultInputDropout;

    [CommandOption("--hidden-dropout <P>")]
    [Description("Drop probability on hidden layers (not the code).")]
    [DefaultValue(0f)]
    public float HiddenDropout { get; init; }

    [CommandOption("--optimizer <NAME>")]
    [Description("adam or adamw.")]
    [DefaultValue("adam")]
    public string Optimizer { get; init; } = "adam";

    // --lr, --batch-size and --epochs have no fixed default: a kind may declare its own
    // (ModelDefinition.DefaultTraining), and a value typed here must win even when it equals 0.001.
    [CommandOption("--lr <RATE>")]
    [Description("Learning rate (default 0.001; recvae 0.0005, its authors').")]
    public float? LearningRate { get; init; }

    [CommandOption("--weight-decay <W>")]
    [Description("adam: L2 penalty W*||weights||^2 (dae default 0.01/batch-size); adamw: decoupled decay.")]
    public float? WeightDecay { get; init; }

    [CommandOption("--batch-size <N>")]
    [Description("Users per batch (default 500).")]
    public int? BatchSize { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Passes over the training users (default 200; recvae 50, its authors').")]
    public int? Epochs { get; init; }

    [CommandOption("--anneal <SCHEDULE>")]
    [Description("paper (min(cap, step/total-anneal-steps)), seed85 (cap reached at 85% of epochs) or constant. Default: train paper, tune-beta seed85.")]
    public string? Anneal { get; init; }

    [CommandOption("--anneal-cap <BETA>")]
    [Description("Largest beta (default 0.2).")]
    public float? AnnealCap { get; init; }

    [CommandOption("--total-anneal-steps <N>")]
    [Description("Updates for beta to reach 1 under --anneal paper (default 200000); an error with the other schedules, which set their own.")]
    public int? TotalAnnealSteps { get; init; }

    [CommandOption("--lr-patience <N>")]
    [Description("ReduceLROnPlateau patience in evaluations; 0 = off.")]
    [DefaultValue(0)]
    public int LrPatience { get; init; }

    [CommandOption("--lr-factor <F>")]
    [DefaultValue(TrainingDefaults.LrFactor)]
    public float LrFactor { get; init; } = TrainingDefaults.LrFactor;

    [CommandOption("--lr-monitor <WHAT>")]
    [Description("ndcg (maximized) or loss (minimized).")]
    [DefaultValue("ndcg")]
    public string LrMonitor { get; init; } = "ndcg";

    [CommandOption("--early-stop <N>")]
    [Description("Stop after N evaluations without improvement; 0 = off.")]
    [DefaultValue(0)]
    public int EarlyStopPatience { get; init; }

    [CommandOption("--early-stop-monitor <WHAT>")]
    [Description("ndcg or loss.")]
    [DefaultValue("ndcg")]
    public string EarlyStopMonitor { get; init; } = "ndcg";

    [CommandOption("--eval-every <N>")]
    [DefaultValue(TrainingDefaults.EvaluateEvery)]
    public int EvaluateEvery { get; init; } = TrainingDefaults.EvaluateEvery;

    [CommandOption("--train-seed <SEED>")]
    [Description("Seed of initialization, batch order, dropout and noise (default: --seed).")]
    public int? TrainSeed { get; init; }

    [CommandOption("--option <KEY=VALUE>")]
    [Description("An option the model kind declares itself (repeatable), e.g. --option lambda=200 with --kind ease; an unknown key lists the kind's options.")]
    public string[] OptionAssignments { get; init; } = [];

    [CommandOption("--threads <N>")]
    [Description("Worker threads; 0 = all cores.")]
    [DefaultValue(0)]
    public int Threads { get; init; }

    /// <summary>The schedule used when --anneal is not given.</summary>
    protected virtual string DefaultAnneal => "paper";

    public override ValidationResult Validate()
    {
        try
        {
            if (Kind.DefaultArchitecture is not null) _ = ModelConfigFor(1);
            Kind.Validate(ToModelSettings(1));
            var options = ToTrainingOptions();
            options.Validate();
            if (TotalAnnealSteps is not null && options.Anneal != AnnealSchedule.Paper)
                return ValidationResult.Error($"--total-anneal-steps only applies to --anneal paper; the {OptionNames.Name(options.Anneal)} schedule sets its own.");
        }
        catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
        return ValidateData();
    }

    /// <summary>The model kind --kind names, from the catalogue.</summary>
    public ModelDefinition Kind => ModelCatalogue.Default.Parse(KindText, KindName is null && Model is not null ? "--model" : "--kind", AcceptsKind);

    /// <summary>Which kinds --kind may name here: trained ones by default; train also fits the closed-form ones.</summary>
    protected virtual bool AcceptsKind(ModelDefinition kind) => kind.IsTrained;

    public bool IsBaseline => !Kind.IsTrained;

    /// <summary>vae, dae, ease or popularity: names output folders.</summary>
    public string ModelName => Kind.ShortName;

    /// <summary>EASE's lambda where the command has the flag; the library default otherwise.</summary>
    protected virtual float Lambda => Baselines.EaseOptions.DefaultLambda;

    /// <summary>
    /// Every flag as the one settings record the fit pipeline takes, with the kind's own training
    /// defaults (<see cref="ModelDefinition.DefaultTraining"/>) where a flag was not given.
    /// </summary>
    public ModelSettings ToModelSettings(int items) => Kind.WithDefaults(new()
    {
        Architecture = Kind.DefaultArchitecture is not null ? ModelConfigFor(items) : null,
        Training = ToTrainingOptions(),
        GivenTrainingKeys = GivenTrainingKeys(),
        Options = Kind.ParseOptions(OptionAssignments, "--option", ForwardedFlags()),
    });

    /// <summary>The shared training options typed on the command line, by grid key.</summary>
    private HashSet<string> GivenTrainingKeys()
    {
        var given = new HashSet<string>(StringComparer.Ordinal);
        if (LearningRate is not null) given.Add("lr");
        if (BatchSize is not null) given.Add("batch_size");
        if (Epochs is not null) given.Add("epochs");
        if (WeightDecay is not null) given.Add("weight_decay");
        if (Anneal is not null) given.Add("anneal");
        if (AnnealCap is not null) given.Add("anneal_cap");
        if (TotalAnnealSteps is not null) given.Add("total_anneal_steps");
        return given;
    }

    /// <summary>
    /// Typed flags whose key the kind declares as its own option (EASE's --lambda; a kind with its
    /// own lr, batch_size, epochs or dropout): a value given is that option's value, so --epochs 5 is
    /// never silently ignored; --lambda and --dropout, which have fixed defaults, count as given
    /// when away from them. An --option for the same key wins.
    /// </summary>
    private OptionValues ForwardedFlags()
    {
        var values = OptionValues.None;
        void Forward(string key, string flag, float? value, float? flagDefault = null)
        {
            if (value is { } given && given != flagDefault && Kind.Option(key) is { } option)
                values = values.WithParsed(option, given.ToString("R", CultureInfo.InvariantCulture), flag);
        }
        Forward("lambda", "--lambda", Lambda, Baselines.EaseOptions.DefaultLambda);
        Forward("lr", "--lr", LearningRate);
        Forward("batch_size", "--batch-size", BatchSize);
        Forward("epochs", "--epochs", Epochs);
        Forward("dropout", "--dropout", Dropout, ModelConfig.DefaultInputDropout);
        return values;
    }

    public ModelConfig ModelConfigFor(int items)
    {
        var config = (Kind.DefaultArchitecture ?? throw new VaeCfException($"--kind {Kind.ShortName} has no network architecture.")) with
        {
            ItemCount = items, InputDropout = Dropout, HiddenDropout = HiddenDropout,
        };
        if (PDims is not null) config = config with { PDims = OptionNames.ParseDims(PDims, "--p-dims") };
        if (QDims is not null) config = config with { QDims = OptionNames.ParseDims(QDims, "--q-dims") };
        config.Validate();
        return config;
    }

    /// <summary>The training flags as given, the shared defaults elsewhere (<see cref="ToModelSettings"/> adds the kind's own).</summary>
    public TrainingOptions ToTrainingOptions() => new()
    {
        Optimizer = OptionNames.ParseOptimizer(Optimizer, "--optimizer"),
        LearningRate = LearningRate ?? TrainingDefaults.LearningRate,
        WeightDecay = WeightDecay,
        BatchSize = BatchSize ?? TrainingDefaults.BatchSize,
        Epochs = Epochs ?? TrainingDefaults.Epochs,
        Anneal = OptionNames.ParseAnneal(Anneal ?? DefaultAnneal, "--anneal"),
        AnnealCap = AnnealCap ?? TrainingDefaults.AnnealCap,
        TotalAnnealSteps = TotalAnnealSteps ?? TrainingDefaults.TotalAnnealSteps,
        LrPatience = LrPatience,
        LrFactor = LrFactor,
        LrMonitor = OptionNames.ParseMonitor(LrMonitor, "--lr-monitor"),
        EarlyStopPatience = EarlyStopPatience,
        EarlyStopMonitor = OptionNames.ParseMonitor(EarlyStopMonitor, "--early-stop-monitor"),
        EvaluateEvery = EvaluateEvery,
        Seed = TrainSeed ?? Seed,
        Threads = Threads,
    };
}
