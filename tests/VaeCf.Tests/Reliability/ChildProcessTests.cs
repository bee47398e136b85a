using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using VaeCf.Persistence;
using VaeCf.Split;

namespace VaeCf.Tests.Reliability;

/// <summary>The built CLI as a child process, stopped by signals: what it leaves behind must be whole or absent.</summary>
public class ChildProcessTests
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private const int SigTerm = 15;

    /// <summary>Starts the CLI; its output (stdout and stderr) goes line by line to <paramref name="onLine"/>, so neither pipe can fill up.</summary>
    private static Process Start(string[] args, Action<string>? onLine = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliRunner.CliDll);
        foreach (string arg in args) info.ArgumentList.Add(arg);
        info.Environment["NO_COLOR"] = "1";
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) onLine?.Invoke(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) onLine?.Invoke(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static int RunToEnd(params string[] args)
    {
        var output = new StringBuilder();
        using var process = Start(args, line => { lock (output) output.AppendLine(line); });
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output}");
        return process.ExitCode;
    }

    [Fact]
    public void SigTermDuringTrainingSavesTheBestModelSoFar()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        using var files = new DataTestFiles();
        string output = files.PathOf("model");
        var seen = new StringBuilder();
        using var firstEpoch = new ManualResetEventSlim();
        using var child = Start(["train", "--data", TestData.MovieLensSmall, "--model", "dae", "--p-dims", "50", "--epochs", "100000",
            "--output", output, "--no-example", "--threads", "1"], line =>
            {
                lock (seen) seen.AppendLine(line);
                // An epoch's line starts with its number; the first one means there is a model to save.
                if (line.TrimStart().StartsWith("1 ", StringComparison.Ordinal)) firstEpoch.Set();
            });
        try
        {
            // Generous safety limits only: the test waits for events, not for a time.
            Assert.True(firstEpoch.Wait(TimeSpan.FromMinutes(5)), "no epoch line: " + seen);
            Assert.Equal(0, kill(child.Id, SigTerm));
            Assert.True(child.WaitForExit(TimeSpan.FromMinutes(5)), "still running after SIGTERM: " + seen);
            child.WaitForExit();
            Assert.Equal(130, child.ExitCode);
            Assert.True(File.Exists(Path.Combine(output, ModelStore.ConfigFile)), seen.ToString());
            Assert.True(File.Exists(Path.Combine(output, ModelStore.WeightsFile)));
        }
        finally { if (!child.HasExited) child.Kill(); }
    }

    [Fact]
    public void APrepareKilledAtRandomPointsLeavesAWholeSplitOrNone()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        using var files = new DataTestFiles();
        // Big enough that writing the split takes a noticeable share of the run.
        var text = new StringBuilder("userId,movieId,rating,timestamp\n");
        var random = new Random(5);
        for (int u = 1; u <= 20_000; u++)
            for (int k = 0; k < 12; k++) text.Append(u).Append(',').Append(random.Next(1, 4000)).Append(",5,").Append(k).Append('\n');
        string input = files.Write("in/ratings.csv", text.ToString());
        string output = files.PathOf("out");

        // One undisturbed run: the reference split, and how long a run takes on this machine.
        var clock = Stopwatch.StartNew();
        RunToEnd("prepare", "--input", input, "--output", files.PathOf("reference"));
        double seconds = clock.Elapsed.TotalSeconds;
        var reference = OriginalLayout.Read(files.PathOf("reference"));

        // Kill points are drawn with a fixed seed over the run's length; the check does not depend on where they land.
        var killAt = new Random(20261130);
        for (int attempt = 0; attempt < 6; attempt++)
        {
            using var child = Start(["prepare", "--input", input, "--output", output, "--overwrite"]);
            try { Thread.Sleep(TimeSpan.FromSeconds(seconds * (0.3 + 0.8 * killAt.NextDouble()))); }
            finally { if (!child.HasExited) child.Kill(); }
            child.WaitForExit();
            if (Directory.Exists(output)) SplitAssert.Identical(reference, OriginalLayout.Read(output));
        }

        // The next run cleans up whatever hidden temporaries the killed ones left beside the output.
        RunToEnd("prepare", "--input", input, "--output", output, "--overwrite");
        SplitAssert.Identical(reference, OriginalLayout.Read(output));
        Assert.DoesNotContain(Directory.GetDirectories(files.Folder), d => Path.GetFileName(d).StartsWith(".out.", StringComparison.Ordinal));
    }
}
