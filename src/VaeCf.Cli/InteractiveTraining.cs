using System.Runtime.InteropServices;
using Spectre.Console;
using VaeCf.Training;

namespace VaeCf.Cli;

/// <summary>
/// One training run on the console: a progress bar on a terminal, one line per epoch everywhere,
/// and Ctrl-C or SIGTERM ending the run after the current batch with the best model so far kept.
/// </summary>
public static class InteractiveTraining
{
    /// <summary>Runs <paramref name="fit"/> with epoch progress on the console; Ctrl+C stops it after the current batch, keeping the best model.</summary>
    public static T Run<T>(IAnsiConsole console, int epochs, Func<ITrainingObserver, CancellationToken, T> fit, CancellationToken cancellationToken)
    {
        var observer = new ConsoleTrainingObserver(console, epochs);
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupt.Cancel(); console.MarkupLine("[yellow]stopping after this batch; the best model so far will be saved[/]"); };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (timeout, docker stop, systemd) is a request to stop, like Ctrl+C: keep the best model so far.
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            interrupt.Cancel();
            console.MarkupLine("[yellow]SIGTERM: stopping after this batch; the best model so far will be saved[/]");
        });
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token, cancellationToken);
        try
        {
            if (!console.Profile.Capabilities.Interactive) return fit(observer, linked.Token);
            T? captured = default;
            console.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => { observer.Progress = ctx; captured = fit(observer, linked.Token); });
            return captured!;
        }
        finally { Console.CancelKeyPress -= onCancel; }
    }
}
