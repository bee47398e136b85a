using System.Diagnostics;
using System.Globalization;
using VaeCf.Baselines;
using VaeCf.Data;

namespace VaeCf.Bench;

/// <summary>
/// Times an EASE fit on a synthetic click matrix (ML-20M-shaped by default: 116,677 users, about
/// 86 clicks each) and reports each stage and the peak resident memory, so the timing table in
/// docs/ease.md comes from a committed command rather than a throwaway program.
/// </summary>
public static class EaseBench
{
    public static int Run(string[] args)
    {
        int items = 10000, users = 116677, threads = 0, seed = 98765;
        double clicksPerUser = 86;
        float lambda = EaseOptions.DefaultLambda;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--items": items = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--users": users = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--clicks-per-user": clicksPerUser = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--lambda": lambda = float.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option '{args[i]}'"); return 2;
            }
        }
        if (items < 1 || users < 1 || !(clicksPerUser > 0)) { Console.Error.WriteLine("--items, --users and --clicks-per-user must be positive."); return 2; }
        var options = new EaseOptions { Lambda = lambda, Threads = threads };
        options.Validate();

        string loadBefore = LoadAverage();
        var clock = Stopwatch.StartNew();
        var clicks = SyntheticClicks.Generate(users, items, clicksPerUser, seed: seed);
        double generateSeconds = clock.Elapsed.TotalSeconds;
        // The generator's peak is taken apart from the fit's: its lists and sets are garbage by now.
        long peakBeforeFit = Process.GetCurrentProcess().PeakWorkingSet64;
        // Process CPU time per stage beside the wall time: on a shared machine it says how much of a
        // stage's wall time the fit actually ran (with 2 threads it also counts the threads' wait-spinning).
        var process = Process.GetCurrentProcess();
        double cpuMark = process.TotalProcessorTime.TotalSeconds;
        var ease = EaseScorer.Fit(clicks, options, onEvent: e =>
        {
            process.Refresh();
            double cpu = process.TotalProcessorTime.TotalSeconds;
            Console.WriteLine($"{e.Elapsed.TotalSeconds,8:F2} s  {cpu - cpuMark,8:F2} CPU s  {e.Message}  (load {LoadAverage()})");
            cpuMark = cpu;
        });
        var t = ease.FitTimings!;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        string loadAfter = LoadAverage();

        static string S(TimeSpan span) => span.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture);
        static string Mb(long bytes) => (bytes / (double)(1 << 20)).ToString("F0", CultureInfo.InvariantCulture);
        Console.WriteLine($"items x users              {items:N0} x {users:N0}");
        Console.WriteLine($"clicks                     {clicks.NonZeros:N0} (generated in {generateSeconds:F1} s)");
        Console.WriteLine($"threads                    {(threads == 0 ? Environment.ProcessorCount : threads)} of {Environment.ProcessorCount} cores");
        Console.WriteLine($"X^T X + lambda I           {S(t.Gram)} s");
        Console.WriteLine($"Cholesky                   {S(t.Factor)} s");
        Console.WriteLine($"L^-1                       {S(t.InvertFactor)} s");
        Console.WriteLine($"P = L^-T L^-1              {S(t.MultiplyInverse)} s");
        Console.WriteLine($"B from P                   {S(t.Weights)} s");
        Console.WriteLine($"fit total                  {S(t.Total)} s");
        Console.WriteLine($"planned memory             {Mb(t.PlannedBytes)} MiB");
        Console.WriteLine($"peak RSS                   {Mb(peak)} MiB ({Mb(peakBeforeFit)} MiB before the fit)");
        Console.WriteLine($"load average (1/5/15 min)  {loadBefore} before, {loadAfter} after");
        // One Markdown row in docs/ease.md's column order, to paste as is.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {items:N0} | {users:N0} | {clicks.NonZeros:N0} | {S(t.Gram)} | {S(t.Factor)} | {S(t.InvertFactor)} | {S(t.MultiplyInverse)} | {S(t.Weights)} | **{S(t.Total)}** | {Mb(peak)} MiB | {loadBefore} |"));
        return 0;
    }

    /// <summary>The 1, 5 and 15 minute load averages where Linux reports them; timings on a shared machine mean little without.</summary>
    private static string LoadAverage()
    {
        try { return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }
}
