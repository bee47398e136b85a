using System.Text.Json;
using Spectre.Console.Cli;
using VaeCf.Benchmarks;
using VaeCf.Cli;
using VaeCf.Model;

namespace VaeCf.Tests;

/// <summary>The benchmark's measuring code on a tiny shape: fields present and sane. Never a timing assertion.</summary>
// Shares a collection with the tests that capture Console.Out, so the CLI run's output cannot land in theirs.
[Collection(ConsoleOutput.Name)]
public class BenchmarkTests
{
    private static readonly BenchmarkOptions Tiny = new()
    {
        Items = 500, Users = 200, BatchSize = 100, Batches = 2, WarmupBatches = 1,
        EvalUsers = 150, EvalBatchSize = 64, PeakSize = 96, PeakSeconds = 0.01, UseOneDnn = false, Threads = 2,
    };

    [Fact]
    public void TinyRunReportsEveryFieldPositiveAndFinite()
    {
        var report = TrainingBenchmark.Run(Tiny);
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        foreach (string field in new[] { "epoch_seconds", "floor_seconds", "gemm_peak_gflops", "eval_seconds", "peak_rss_mb", "batch_seconds", "epoch_over_floor" })
            AssertPositive(root, field);
        Assert.Contains(root.GetProperty("simd_width_bits").GetInt32(), new[] { 0, 256, 512 });
        Assert.Equal(2, root.GetProperty("threads").GetInt32());
        var models = root.GetProperty("models");
        Assert.Equal(2, models.GetArrayLength());
        Assert.Equal("vae", models[0].GetProperty("model").GetString());
        Assert.Equal("dae", models[1].GetProperty("model").GetString());
        foreach (var m in models.EnumerateArray())
        {
            foreach (string field in new[] { "batch_seconds", "forward_seconds", "loss_seconds", "backward_seconds", "optimizer_seconds",
                         "epoch_seconds", "floor_seconds", "output_gemm_gflops", "eval_seconds", "output_layer_gflop_per_batch", "rss_after_training_mb" })
                AssertPositive(m, field);
            Assert.Equal(2, m.GetProperty("batches_per_epoch").GetInt32());
            // 200 users in 2 batches is short enough to be timed as a real epoch.
            AssertPositive(m, "epoch_seconds_measured");
            Assert.Equal(150, m.GetProperty("eval_users").GetInt32());
            Assert.InRange(m.GetProperty("eval_ndcg100").GetDouble(), 0, 1);
        }
        Assert.Equal(new[] { 500, 600, 200, 600, 500 }, models[0].GetProperty("architecture").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void ScalingCoversEveryItemCountAndThreadCount()
    {
        var points = TrainingBenchmark.Scaling(Tiny with { Models = [ModelKind.MultDae] }, [300, 600], [1, 2]);
        Assert.Equal(4, points.Count);
        Assert.Equal(new[] { (300, 1), (600, 1), (300, 2), (600, 2) }, points.Select(p => (p.Items, p.Threads)));
        Assert.All(points, p =>
        {
            Assert.True(double.IsFinite(p.BatchSeconds) && p.BatchSeconds > 0);
            Assert.True(double.IsFinite(p.FloorSeconds) && p.FloorSeconds > 0);
        });
    }

    [Theory]
    [InlineData("--model", "gan")]
    [InlineData("--kind", "gan")]
    [InlineData("--items", "1")]
    [InlineData("--batches", "0")]
    [InlineData("--scale-items", "5000,x")]
    public void BadBenchFlagsAreUserErrors(string flag, string value)
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        Assert.Equal(2, app.Run(["bench", flag, value]));
    }

    [Fact]
    public void CliRunsATinyBench()
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        Assert.Equal(0, app.Run(["bench", "--items", "300", "--users", "100", "--batch", "50", "--batches", "2", "--warmup", "1",
            "--eval-users", "60", "--peak-size", "64", "--model", "dae", "--no-onednn", "--json"]));
    }

    [Fact]
    public void RecVaeRunReportsBothStepsAndTheFloor()
    {
        var report = RecVaeBenchmark.Run(Tiny with { EvalUsers = 0 });
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        foreach (string field in new[] { "epoch_seconds", "floor_seconds", "epoch_over_floor", "gemm_peak_gflops", "output_gemm_seconds",
                     "output_gemm_gflops", "output_layer_gflop_per_batch", "peak_rss_mb" })
            AssertPositive(root, field);
        Assert.Equal(new[] { 500, 600, 200, 500 }, root.GetProperty("architecture").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(2, root.GetProperty("batches_per_pass").GetInt32());
        foreach (var (name, steps) in new[] { ("encoder", 6), ("decoder", 2) })
        {
            var s = root.GetProperty(name);
            Assert.Equal(name, s.GetProperty("step").GetString());
            foreach (string field in new[] { "step_seconds", "forward_seconds", "loss_seconds", "backward_seconds", "optimizer_seconds",
                         "epoch_share_seconds", "step_over_output_gemm" })
                AssertPositive(s, field);
            Assert.Equal(steps, s.GetProperty("steps_per_epoch").GetInt32());
        }
    }

    [Fact]
    public void CliRunsATinyRecVaeBench()
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        Assert.Equal(0, app.Run(["bench", "--kind", "recvae", "--items", "300", "--users", "100", "--batch-size", "50", "--batches", "2",
            "--warmup", "1", "--peak-size", "64", "--no-onednn", "--json"]));
    }

    private static void AssertPositive(JsonElement element, string field)
    {
        Assert.True(element.TryGetProperty(field, out var value), $"missing {field}");
        double x = value.GetDouble();
        Assert.True(double.IsFinite(x) && x > 0, $"{field} = {x}");
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleOutput
{
    public const string Name = "Console output";
}
