using VaeCf.Experiments;

namespace VaeCf.Tests.Reliability;

/// <summary>Grid files cannot make the parser or the planner exhaust memory: alias expansion and run counts are bounded up front.</summary>
public class GridBoundsTests
{
    [Fact]
    public void AYamlAliasBombIsRefusedCheaply()
    {
        // Each level repeats the previous one ten times: 10^6 values from a few hundred bytes.
        var yaml = new System.Text.StringBuilder("datasets: [data]\nlevels:\n  l0: &l0 [1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3]\n");
        for (int level = 1; level < 6; level++)
            yaml.Append($"  l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))}]\n");
        yaml.Append("lr: *l5\n");
        using var files = new DataTestFiles();
        string path = files.Write("bomb.yaml", yaml.ToString());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsAny<VaeCfException>(() => ExperimentGrid.Load(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("bomb.yaml", error.Message);
        Assert.True(allocated < 64 << 20, $"allocated {allocated:N0} bytes before refusing");
    }

    [Fact]
    public void AGridAboveTheRunCapIsRefusedBeforeItsRunsAreBuilt()
    {
        // 10 x 10 x 10 x 20 = 20,000 runs: over the default cap of 10,000.
        using var files = new DataTestFiles();
        string path = files.Write("big.yaml",
            "datasets: [data]\nlr: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\ndropout: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.05]\n" +
            "anneal_cap: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]\n" +
            "batch_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\n");
        var error = Assert.ThrowsAny<VaeCfException>(() => ExperimentGrid.Load(path));
        Assert.Contains("20,000", error.Message);
        Assert.Contains("--max-runs", error.Message);
    }
}
