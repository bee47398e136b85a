using Spectre.Console;
using VaeCf.Benchmarks;

namespace VaeCf.Cli.Commands;

/// <summary>Prints what `vaecf bench --training-memory` measured: per-epoch peaks, then the buffer groups beside them.</summary>
internal static class TrainingMemoryOutput
{
    public static int Print(IReadOnlyList<TrainingMemoryReport> reports, bool json)
    {
        if (json)
        {
            Console.WriteLine(TrainingMemoryBenchmark.ToJson(reports));
            return 0;
        }
        foreach (var r in reports)
        {
            AnsiConsole.MarkupLine($"Mult-{r.Model.ToUpperInvariant()}: {r.Users:N0} users x {r.Items:N0} items, {r.NonZeros:N0} clicks, batch {r.BatchSize}, " +
                $"validation on {r.ValidationUsers:N0} users (batch {r.EvaluationBatchSize}) every epoch, {r.Threads} thread(s); load average {r.LoadAverageBefore:F1} -> {r.LoadAverageAfter:F1}");
            var epochs = new Table().Border(TableBorder.Rounded);
            foreach (var h in new[] { "epoch", "s", r.PeakResetPerEpoch ? "peak RSS MB (this epoch)" : "peak RSS MB (cumulative)", "RSS at end MB", "GC heap MB", "GC committed MB", "allocated MB", "val NDCG@100" })
                epochs.AddColumn(h);
            foreach (var e in r.Epochs)
                epochs.AddRow($"{e.Epoch}", $"{e.Seconds:F1}", $"{e.PeakRssMb:F0}", $"{e.RssMb:F0}", $"{e.GcHeapMb:F0}", $"{e.GcCommittedMb:F0}", $"{e.AllocatedMb:F2}", $"{e.ValidationNdcg100:F4}");
            AnsiConsole.Write(epochs);
            AnsiConsole.MarkupLine($"Peak spread from epoch 2 on: {r.PeakSpreadFromEpoch2:P1}; peak through the final test evaluation: {r.PeakWithTestMb:F0} MB");
            var parts = new Table().Border(TableBorder.Rounded).AddColumn("part").AddColumn("MB").AddColumn("what");
            parts.AddRow("runtime", $"{r.RuntimeRssMb:F0}", "RSS before any data: the .NET runtime and the loaded code");
            foreach (var p in r.Parts) parts.AddRow(Markup.Escape(p.Name), $"{p.Mb:F1}", Markup.Escape(p.Detail));
            parts.AddRow("[bold]accounted[/]", $"[bold]{r.AccountedMb:F0}[/]", $"against the largest epoch peak, {r.Epochs.Max(e => e.PeakRssMb):F0} MB");
            AnsiConsole.Write(parts);
        }
        return 0;
    }
}
