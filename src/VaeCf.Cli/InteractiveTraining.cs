using Spectre.Console;
using VaeCf.Model;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Cli;

/// <summary>
/// One training run on the console: a progress bar on a terminal, one line per epoch everywhere,
/// and Ctrl-C ending the run after the current batch with the best model so far kept.
/// </summary>
public static class InteractiveTraining
{
    public static TrainingResult Run(IAnsiConsole console, TrainingOptions options, SplitDataset data, ModelConfig config, CancellationToken cancellationToken)
    {
        var observer = new ConsoleTrainingObserver(console, options.Epochs);
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); console.MarkupLine("[yellow]stopping after this batch; the best model so far will be saved[/]"); };
        Console.CancelKeyPress += onCancel;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, cancellationToken);
        try
        {
            var trainer = new Trainer(options, observer);
            if (!console.Profile.Capabilities.Interactive) return trainer.Train(data, config, linked.Token);
            TrainingResult? captured = null;
            console.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => { observer.Progress = ctx; captured = trainer.Train(data, config, linked.Token); });
            return captured!;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
