using System.Text.Json;
using Spectre.Console.Cli;
using VaeCf.Benchmarks;
using VaeCf.Cli;
using VaeCf.Model;

namespace VaeCf.Tests;

/// <summary>The training-memory run on a tiny shape: one record per epoch, every part accounted. Never a size assertion on RSS.</summary>
[Collection(ConsoleOutput.Name)]
public class TrainingMemoryBenchmarkTests
{
    private static readonly BenchmarkOptions Tiny = new()
    {
        Items = 400, Users = 300, BatchSize = 100, EvalUsers = 120, EvalBatchSize = 50, Threads = 2, Models = [ModelKind.MultVae],
        MeanClicksPerUser = 20,
    };

    [Fact]
    public void ReportsEveryEpochAndEveryPart()
    {
        var report = Assert.Single(TrainingMemoryBenchmark.Run(Tiny, epochs: 3));
        Assert.Equal([1, 2, 3], report.Epochs.Select(e => e.Epoch));
        Assert.Equal(300, report.Users);
        Assert.Equal(120, report.ValidationUsers);
        Assert.All(report.Epochs, e => Assert.True(double.IsFinite(e.ValidationNdcg100) && e.AllocatedMb >= 0 && e.GcHeapMb > 0, e.ToString()));
        if (OperatingSystem.IsLinux()) Assert.All(report.Epochs, e => Assert.True(e.PeakRssMb >= e.RssMb && e.RssMb > 0, e.ToString()));
        var parts = report.Parts.ToDictionary(p => p.Name, p => p.Mb);
        double parameterMb = parts["parameters"];
        Assert.Equal(2 * parameterMb, parts["Adam moments"], 9);
        Assert.Equal(parameterMb, parts["gradients"], 9);
        // A 100-row batch against a 50-row evaluation batch: the training workspace is the larger.
        Assert.True(parts["training workspace"] > parts["evaluation workspace"] - 0.01);
        using var json = JsonDocument.Parse(TrainingMemoryBenchmark.ToJson([report]));
        Assert.Equal(3, json.RootElement.GetProperty("training_memory")[0].GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public void CliRunsTheTrainingMemoryMode()
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        Assert.Equal(0, app.Run(["bench", "--training-memory", "--items", "300", "--users", "200", "--batch", "50", "--eval-users", "60",
            "--epochs", "2", "--model", "dae", "--clicks-per-user", "12", "--json"]));
    }
}
