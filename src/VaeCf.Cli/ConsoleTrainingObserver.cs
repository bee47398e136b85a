using System.Globalization;
using Spectre.Console;
using VaeCf.Training;

namespace VaeCf.Cli;

/// <summary>
/// Shows training as it happens: a progress bar within each epoch (on a terminal) and one line per
/// epoch everywhere, so logs captured by CI or nohup keep the history too.
/// </summary>
public sealed class ConsoleTrainingObserver : ITrainingObserver
{
    private readonly IAnsiConsole _console;
    private readonly int _epochs;
    private ProgressTask? _task;
    private ProgressTask? _overall;
    private bool _headerWritten;

    public ConsoleTrainingObserver(IAnsiConsole console, int epochs)
    {
        _console = console;
        _epochs = epochs;
    }

    /// <summary>Set while a Spectre progress display is live; null when output is not interactive.</summary>
    public ProgressContext? Progress { get; set; }

    public void OnEpochStart(int epoch, int batches)
    {
        if (Progress is null) return;
        _overall ??= Progress.AddTask("training", maxValue: _epochs);
        _overall.Value = epoch - 1;
        _task ??= Progress.AddTask("epoch", maxValue: batches);
        _task.MaxValue = batches;
        _task.Value = 0;
        _task.Description = $"epoch {epoch}/{_epochs}";
    }

    public void OnBatch(int epoch, int batch, int batches, double loss)
    {
        if (_task is null) return;
        _task.Value = batch;
        _task.Description = $"epoch {epoch}/{_epochs} loss {loss:F2}";
    }

    public void OnEvaluationStart(int epoch)
    {
        if (_task is not null) _task.Description = $"epoch {epoch}/{_epochs} validating";
    }

    public void OnEpochEnd(EpochRecord r)
    {
        if (_overall is not null)
        {
            _overall.Value = r.Epoch;
            _overall.Description = double.IsNaN(r.Ndcg100) ? "training" : $"training (last val NDCG@100 {r.Ndcg100:F4})";
        }
        if (!_headerWritten)
        {
            _console.MarkupLine("[grey]epoch  beta    loss      val loss  NDCG@100 R@20   R@50   lr       s[/]");
            _headerWritten = true;
        }
        static string Num(double v, string format, int width) =>
            (double.IsNaN(v) ? "-" : v.ToString(format, CultureInfo.InvariantCulture)).PadRight(width);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{r.Epoch,5}  {r.Beta,-7:F4} {Num(r.TrainLoss, "F2", 9)} {Num(r.ValidationLoss, "F2", 9)} {Num(r.Ndcg100, "F4", 8)} {Num(r.Recall20, "F4", 6)} {Num(r.Recall50, "F4", 6)} {r.LearningRate,-8:G3} {r.Seconds:F2}");
        _console.MarkupLine(r.IsBest ? $"{Markup.Escape(line)} [green]*[/]" : Markup.Escape(line));
    }
}
