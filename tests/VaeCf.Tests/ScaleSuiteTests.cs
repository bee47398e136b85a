using VaeCf.Benchmarks;

namespace VaeCf.Tests;

public class ScaleSuiteTests
{
    [Fact]
    public void SizeListTakesThousandsSuffixAndKeepsOrder()
    {
        Assert.Equal([20000, 40981, 100000], ScaleOptions.ParseSizes("20k, 40981,100K"));
    }

    [Theory]
    [InlineData("20k,,40k", "empty entry")]
    [InlineData("20k,abc", "'abc' is not a catalogue size")]
    [InlineData("-5", "'-5' is not a catalogue size")]
    [InlineData("1", "out of range")]
    [InlineData("3000000k", "out of range")]
    [InlineData("20k,20000", "listed twice")]
    public void BadSizeListsNameTheEntry(string text, string message)
    {
        var e = Assert.Throws<VaeCfException>(() => ScaleOptions.ParseSizes(text));
        Assert.Contains("--items", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void FlagsOverrideDefaultsAndMistakesNameTheFlag()
    {
        var o = ScaleOptions.Parse(["--items", "5k", "--ease-items", "0", "--lone", "7", "-k", "10"]);
        Assert.Equal([5000], o.Items);
        Assert.Equal(0, o.EaseItems);
        Assert.Equal(7, o.LoneRequests);
        Assert.Equal(10, o.K);
        Assert.Equal(new ScaleOptions().EvalUsers, o.EvalUsers);
        Assert.Contains("--lone", Assert.Throws<VaeCfException>(() => ScaleOptions.Parse(["--lone", "0"])).Message);
        Assert.Contains("--eval-users needs a value", Assert.Throws<VaeCfException>(() => ScaleOptions.Parse(["--eval-users"])).Message);
        Assert.Contains("'--itmes'", Assert.Throws<VaeCfException>(() => ScaleOptions.Parse(["--itmes", "5"])).Message);
    }

    [Fact]
    public void StatusFieldsAreReadInMebibytes()
    {
        const string status = "Name:\tdotnet\nVmPeak:\t 4000000 kB\nVmHWM:\t  262144 kB\nVmRSS:\t  131072 kB\nThreads:\t12\n";
        Assert.Equal(256.0, ProcessMemory.StatusFieldMb(status, "VmHWM:"));
        Assert.Equal(128.0, ProcessMemory.StatusFieldMb(status, "VmRSS:"));
        Assert.True(double.IsNaN(ProcessMemory.StatusFieldMb(status, "VmSwap:")));
        Assert.True(double.IsNaN(ProcessMemory.StatusFieldMb("VmRSS:\t12 pages\n", "VmRSS:")));
    }

    [Fact]
    public void PeakResetStartsANewWindowBelowAnEarlierPeak()
    {
        if (!OperatingSystem.IsLinux() || !ProcessMemory.ResetPeak()) return; // the reset needs /proc/self/clear_refs
        // Touch 256 MiB, drop it, reset: the new peak is near the current RSS, not the old high.
        var big = new byte[256 << 20];
        for (int i = 0; i < big.Length; i += 4096) big[i] = 1;
        double withBuffer = ProcessMemory.PeakMb();
        GC.KeepAlive(big);
        big = null;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Assert.True(ProcessMemory.ResetPeak());
        double rss = ProcessMemory.RssMb(), peak = ProcessMemory.PeakMb();
        Assert.True(peak < withBuffer - 128, $"peak {peak:F0} MiB after the reset, {withBuffer:F0} MiB before it");
        Assert.True(peak >= rss - 64, $"peak {peak:F0} MiB below the RSS {rss:F0} MiB");
    }

    [Fact]
    public void PercentilesAreNearestRank()
    {
        var s = ScaleSuite.Summarize([5, 1, 4, 2, 3, 10, 9, 8, 7, 6], seconds: 2, meanBatch: 1.5);
        Assert.Equal(5, s.P50Ms);
        Assert.Equal(10, s.P95Ms);
        Assert.Equal(10, s.MaxMs);
        Assert.Equal(5, s.RequestsPerSecond);
        Assert.Equal(1.5, s.MeanBatch);
    }

    [Fact]
    public void TinySuiteRunsEveryStepAndTheLoadedModelsScoreAsSaved()
    {
        string work = Path.Combine(Path.GetTempPath(), "vaecf-scale-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var report = ScaleSuite.Run(new ScaleOptions
            {
                Items = [300], EaseItems = 200, TrainBatches = 1, BatchSize = 50, EvalUsers = 40, EaseUsers = 200,
                ClicksPerUser = 12, LoneRequests = 5, BurstRequests = 20, BurstConcurrency = 4, K = 10, Threads = 1, WorkDirectory = work,
            });
            Assert.Equal(["mult-vae", "ease"], report.Runs.Select(r => r.Model));
            string[] vaeSteps = ["generate", "train", "save", "load", "evaluate", "recommend", "warm-up", "lone", "burst"];
            Assert.Equal(vaeSteps, report.Runs[0].Steps.Select(s => s.Name));
            Assert.Equal(vaeSteps.Select(s => s == "train" ? "fit" : s), report.Runs[1].Steps.Select(s => s.Name));
            foreach (var run in report.Runs)
            {
                Assert.True(run.LoadedScoresIdentical, run.Model);
                Assert.InRange(run.Ndcg100, 0, 1);
                Assert.Equal(5, run.Lone.Requests);
                Assert.Equal(20, run.Burst!.Requests);
                Assert.True(File.Exists(Path.Combine(work, $"{(run.Model == "ease" ? "ease" : "vae")}-{run.Items}", "model.safetensors")));
            }
            Assert.Equal(200L * 200, report.Runs[1].Parameters);
            Assert.Equal(5, report.Runs[1].FitPhases!.Count);
            Assert.Contains("\"runs\"", report.ToJson());
        }
        finally { if (Directory.Exists(work)) Directory.Delete(work, recursive: true); }
    }
}
