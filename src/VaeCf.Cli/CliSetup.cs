using Spectre.Console;
using Spectre.Console.Cli;

namespace VaeCf.Cli;

/// <summary>Registers every command; kept apart from Program so tests can run the CLI in-process.</summary>
public static class CliSetup
{
    /// <summary>Runs the CLI; the arguments also let an unknown option be matched against the options of its own command.</summary>
    public static int Run(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config => Configure(config, args));
        return app.Run(args);
    }

    public static void Configure(IConfigurator config) => Configure(config, []);

    private static void Configure(IConfigurator config, string[] args)
    {
        config.SetApplicationName("vaecf");
        // --version: the package version (and the commit, when the build knows it).
        config.SetApplicationVersion(typeof(CliSetup).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown");
        // A misspelled option is an error, not a silent default (train --epoch 1 would train 200 epochs).
        config.UseStrictParsing();
        // User errors become one line and exit code 2; bugs keep their stack trace (exit 1). See ExitCodes.
        config.SetExceptionHandler((ex, _) => ExitCodes.Report(ex, args));
        // Commands register here, one line each.
        config.AddCommand<Commands.PrepareCommand>("prepare").WithDescription("Preprocess and split raw interactions into the original notebook's layout.");
        config.AddCommand<Commands.TrainCommand>("train").WithDescription("Train Mult-VAE, Mult-DAE, RecVAE, EASE or popularity and report test metrics.");
        config.AddCommand<Commands.EvaluateCommand>("evaluate").WithDescription("Evaluate a saved model on held-out users (NDCG@k, Recall@k).");
        config.AddCommand<Commands.RecommendCommand>("recommend").WithDescription("Top-k items for a history, a dataset user, or a file of histories.");
        config.AddCommand<Commands.ServeCommand>("serve").WithDescription("Serve recommendations over HTTP (micro-batched, hot reload, OpenAPI).");
        config.AddCommand<Commands.ExportCommand>("export").WithDescription("Write a saved model's scoring path as an ONNX file (Mult-VAE, Mult-DAE, RecVAE, EASE, popularity).");
        config.AddCommand<Commands.TuneBetaCommand>("tune-beta").WithDescription("The paper's beta search: anneal to 1.0, pick beta at the best validation NDCG@100, retrain with it as the cap.");
        config.AddCommand<Commands.ExperimentCommand>("experiment").WithDescription("Run a grid file of configurations (resumable) into results.csv.");
        config.AddCommand<Commands.PlotCommand>("plot").WithDescription("Draw PNG figures (annealing, NDCG vs dimension, metrics vs loss, training curves) for runs.");
        config.AddCommand<Commands.ReportCommand>("report").WithDescription("Write a Markdown report with the results table, the best runs and the figures.");
        config.AddCommand<Commands.BenchCommand>("bench").WithDescription("Time training and evaluation on synthetic ML-20M-shaped data against the GEMM floor.");
    }
}
