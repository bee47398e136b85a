using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Distributed;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Persistence;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Cli.Commands;

/// <summary>vaecf train: data -> trained Mult-VAE / Mult-DAE folder (weights, config, history) with test metrics.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : TrainingSettings
    {
        [CommandOption("-o|--output <DIR>")]
        [Description("Model folder to write (default runs/<model>-<time>).")]
        public string? Output { get; init; }

        [CommandOption("--overwrite")]
        [Description("Replace an existing model folder.")]
        public bool Overwrite { get; init; }

        [CommandOption("--titles <FILE>")]
        [Description("Item metadata (e.g. movies.csv) for the example recommendations; found beside the data when omitted.")]
        public string? Titles { get; init; }

        // Kept as its own flag (it predates --option); its text and default are EASE's declaration's.
        [CommandOption("--lambda <L>")]
        [Description(Catalogue.Kinds.EaseModel.LambdaDescription + " With --kind ease; the same as --option lambda=L.")]
        [DefaultValue(Baselines.EaseOptions.DefaultLambda)]
        public float EaseLambda { get; init; } = Baselines.EaseOptions.DefaultLambda;

        protected override float Lambda => EaseLambda;

        protected override bool AcceptsKind(ModelDefinition kind) => true;

        [CommandOption("--no-example")]
        [Description("Skip the example recommendations for a held-out user.")]
        public bool NoExample { get; init; }

        [CommandOption("--distributed <MODE>")]
        [Description("auto (MPI when started by mpiexec or srun), off, or mpi (join MPI even without a launcher).")]
        [DefaultValue(DistributedMode.Auto)]
        public DistributedMode Distributed { get; init; } = DistributedMode.Auto;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var communicator = CommunicatorFactory.Create(settings.Distributed);
        if (communicator.Size == 1) return Execute(AnsiConsole.Console, communicator, settings, cancellationToken);
        // Only rank 0 prints and writes; the others run the same code on a console that goes nowhere.
        var console = communicator.IsRoot ? AnsiConsole.Console
            : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Interactive = InteractionSupport.No });
        try
        {
            return Execute(console, communicator, settings, cancellationToken);
        }
        catch (Exception e)
        {
            // One failing process must end the job: the others would wait in the next collective forever.
            bool userError = e is VaeCfException || e.InnerException is VaeCfException;
            string message = e is VaeCfException ? e.Message : e.InnerException is VaeCfException inner ? inner.Message : e.ToString();
            Console.Error.WriteLine($"error (process {communicator.Rank} of {communicator.Size}): {message}");
            communicator.Abort(userError ? 2 : 1);
            throw;
        }
    }

    private static int Execute(IAnsiConsole console, ICommunicator communicator, Settings settings, CancellationToken cancellationToken)
    {
        string output = settings.Output ?? Path.Combine("runs", $"{settings.ModelName}-{DateTime.Now:yyyyMMdd-HHmmss}");
        OutputPaths.EnsureNotAnInput(output, settings.Data, settings.Titles);
        // Before the fit, not after: a run of hours must not end in "cannot write".
        if (communicator.IsRoot) ModelStore.CheckWritable(output, settings.Overwrite);

        var data = DatasetLoader.Load(settings.Data, settings.ToOptions(), out var summary);
        console.MarkupLine($"[bold]{Markup.Escape(summary.Source)}[/]: {data.Train.Rows:N0} training users, {data.Validation.UserCount:N0} validation, {data.Test.UserCount:N0} test, {data.ItemCount:N0} items");
        var titles = settings.Titles is not null ? ItemMetadata.Load(settings.Titles) : ItemMetadata.FindBeside(settings.Data);
        var kind = settings.Kind;
        if (!kind.TrainsDataParallel && communicator.Size > 1)
            throw new VaeCfException(kind.IsTrained
                ? $"--model {settings.ModelName} does not train across processes yet (Mult-VAE, Mult-DAE and RecVAE do); run it without mpiexec (or with --distributed off)."
                : $"--model {settings.ModelName} is a closed-form fit on one process; run it without mpiexec (or with --distributed off).");
        var modelSettings = settings.ToModelSettings(data.ItemCount) with { Communicator = communicator };
        using var logging = CliLogging.CreateFactory();
        var logger = logging.CreateLogger("VaeCf.Fit");
        FitResult result;
        if (kind.IsTrained)
        {
            if (communicator.Size > 1) console.MarkupLine($"data parallel: {Markup.Escape(communicator.Description)}, global batch {modelSettings.Training.BatchSize}");
            console.MarkupLine(Markup.Escape(kind.Describe(modelSettings, data.ItemCount)));
            SmallDataWarnings.Write(console, modelSettings.Training, data.Train.Rows, annealsBeta: ReferenceEquals(kind, ModelCatalogue.MultVae));
            result = InteractiveTraining.Run(console, modelSettings.Training.Epochs,
                (observer, token) => FitPipeline.Fit(kind, data, modelSettings, observer, token, logger), cancellationToken);
        }
        else result = FitPipeline.Fit(kind, data, modelSettings, new StageObserver(console), cancellationToken, logger);

        // The full path, so evaluate can find the data from any folder. Only rank 0 writes.
        string saved = communicator.IsRoot ? SaveOrRescue(console, output, result, data, Path.GetFullPath(summary.Source)) : output;
        if (kind.IsTrained)
        {
            if (result.StopReason is not null && !result.Diverged) console.MarkupLine($"[yellow]stopped: {Markup.Escape(result.StopReason)}[/]");
            int epochs = result.History.Count;
            console.MarkupLine($"trained {epochs} epochs in {result.Seconds:F1} s ({result.Seconds / Math.Max(1, epochs):F2} s/epoch); best epoch {result.BestEpoch}");
        }
        else console.MarkupLine($"fitted {kind.ShortName} in {result.Seconds:F1} s");
        Report(console, result.Validation, result.Test, saved);
        if (!settings.NoExample && result.Test is not null && communicator.IsRoot) ShowExample(console, result.Scorer, data, titles);
        if (saved != output) return ExitCodes.UserError;
        if (result.Diverged)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(result.StopReason!)}");
            return ExitCodes.Diverged;
        }
        return result.Cancelled ? ExitCodes.Interrupted : ExitCodes.Success;
    }

    /// <summary>
    /// Saves to <paramref name="output"/>; if that fails after all (disk full, the folder changed
    /// during the fit), the metrics are still shown and the model goes to a fresh folder under the
    /// system's temporary folder, so the fit is not lost. Returns where the model is.
    /// </summary>
    private static string SaveOrRescue(IAnsiConsole console, string output, FitResult result, SplitDataset data, string source)
    {
        try
        {
            ModelFolder.Save(output, result, data, source);
            return output;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or VaeCfException)
        {
            string fallback = Path.Combine(Path.GetTempPath(), $"vaecf-rescued-{result.Kind.ShortName}-{DateTime.Now:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
            ModelFolder.Save(fallback, result, data, source);
            console.MarkupLine($"[red]error:[/] could not save the model to '{Markup.Escape(output)}' ({Markup.Escape(e.Message)}); saved it to [green]{Markup.Escape(fallback)}[/] instead.");
            return fallback;
        }
    }

    /// <summary>A closed-form fit's stages, one grey line each.</summary>
    private sealed class StageObserver(IAnsiConsole console) : IFitObserver
    {
        public void OnFitStage(TimeSpan elapsed, string message) => console.MarkupLine($"[grey]{elapsed.TotalSeconds,7:F1} s  {Markup.Escape(message)}[/]");
    }

    private static void Report(IAnsiConsole console, EvaluationResult? validation, EvaluationResult? test, string output)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("split").AddColumn("users").AddColumn("NDCG@100").AddColumn("Recall@20").AddColumn("Recall@50");
        void Row(string name, EvaluationResult? r)
        {
            if (r is null) return;
            string Cell(MetricKind kind, int k) { var v = r.Get(kind, k); return $"{v.Mean:F4} ±{v.StandardError:F3}"; }
            table.AddRow(name, $"{r.UsersEvaluated}", Cell(MetricKind.Ndcg, 100), Cell(MetricKind.Recall, 20), Cell(MetricKind.Recall, 50));
        }
        Row("validation", validation);
        Row("test", test);
        console.Write(table);
        console.MarkupLine($"model saved to [green]{Markup.Escape(Path.GetFullPath(output))}[/]");
    }

    /// <summary>The first test user with at least five held-out items: top-10 next to what they actually liked.</summary>
    private static void ShowExample(IAnsiConsole console, IScorer network, SplitDataset data, ItemMetadata? titles)
    {
        var test = data.Test;
        int user = Enumerable.Range(0, test.UserCount).FirstOrDefault(u => test.Targets.RowLength(u) >= 5, -1);
        if (user < 0) return;
        var scores = new float[data.ItemCount];
        network.Score(test.FoldIn, user, 1, scores);
        foreach (int seen in test.FoldIn.RowIndices(user)) scores[seen] = float.NegativeInfinity;
        var top = new int[10];
        int n = TopK.Select(scores, 10, top);
        var liked = test.Targets.RowIndices(user);
        string Title(int item) => Markup.Escape(titles?.TitleOf(data.ItemIds[item]) ?? data.ItemIds[item]);
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"test user {Markup.Escape(test.UserIds[user])}: {test.FoldIn.RowLength(user)} items folded in, {liked.Length} held out")
            .AddColumn("#").AddColumn("recommended").AddColumn("held out (what the user liked)");
        for (int r = 0; r < Math.Max(n, Math.Min(10, liked.Length)); r++)
        {
            string rec = r < n ? (liked.BinarySearch(top[r]) >= 0 ? $"[green]{Title(top[r])} ✓[/]" : Title(top[r])) : "";
            string held = r < liked.Length ? Title(liked[r]) : "";
            table.AddRow($"{r + 1}", rec, held);
        }
        console.Write(table);
    }
}
