using System.Globalization;
using Spectre.Console;
using VaeCf.Benchmarks;

namespace VaeCf.Bench;

/// <summary>
/// The scale suite (<see cref="ScaleSuite"/>): Mult-VAE at 20k, 41k and 100k items and EASE at
/// 25k, each saved, loaded, evaluated, recommended from and served, with time and peak RSS per
/// step; tables for people, or one JSON object with --json (progress then goes to stderr).
/// </summary>
public static class ScaleBench
{
    public static int Run(string[] args)
    {
        bool json = args.Contains("--json");
        ScaleOptions options;
        try { options = ScaleOptions.Parse(args.Where(a => a != "--json").ToArray()); }
        catch (VaeCfException e) { Console.Error.WriteLine(e.Message); return 2; }

        var progress = json ? Console.Error : Console.Out;
        progress.WriteLine($"scale suite: mult-vae at {string.Join(", ", options.Items.Select(i => i.ToString("N0", CultureInfo.InvariantCulture)))} items"
            + (options.EaseItems > 0 ? $", ease at {options.EaseItems:N0}" : "") + $"; load average {LoadAverage()}");
        var report = ScaleSuite.Run(options, line => { progress.WriteLine(line); progress.Flush(); });
        if (json) { Console.WriteLine(report.ToJson()); return 0; }

        var console = Console.IsOutputRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(Console.Out) })
            : AnsiConsole.Console;
        if (Console.IsOutputRedirected) console.Profile.Width = 4096;
        var border = Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded;
        console.WriteLine();
        console.WriteLine($"{report.Cpu}, {report.LogicalCores} logical cores, {report.Threads} thread(s), {report.Runtime}; " +
            $"load average {report.LoadAverageBefore:F2} before, {report.LoadAverageAfter:F2} after; {report.TotalSeconds:F0} s in all" +
            (report.PeakResetPerStep ? "" : "; peak RSS could not be reset per step (no /proc/self/clear_refs): peaks are cumulative"));

        var summary = new Table { Border = border }.AddColumns("model", "items", "parameters", "file MB", "save s", "load s",
            "evaluate s", "NDCG@100", "recommend users/s", "lone p50 / p95 ms", "burst req/s", "burst p50 / p95 ms", "peak RSS MiB", "load avg");
        foreach (var r in report.Runs)
        {
            double Seconds(string step) => r.Steps.FirstOrDefault(s => s.Name == step)?.Seconds ?? double.NaN;
            double recommendSeconds = Seconds("recommend");
            summary.AddRow(r.Model, r.Items.ToString("N0", CultureInfo.InvariantCulture), r.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                F(r.ModelFileMb, 0), F(Seconds("save"), 2), F(Seconds("load"), 2) + (r.LoadedScoresIdentical ? "" : " (scores differ!)"),
                F(Seconds("evaluate"), 2), $"{F(r.Ndcg100, 4)} ±{F(r.Ndcg100StandardError, 4)}", F(r.EvalUsers / recommendSeconds, 0),
                $"{F(r.Lone.P50Ms, 2)} / {F(r.Lone.P95Ms, 2)}", r.Burst is null ? "-" : F(r.Burst.RequestsPerSecond, 0),
                r.Burst is null ? "-" : $"{F(r.Burst.P50Ms, 1)} / {F(r.Burst.P95Ms, 1)}", F(r.PeakRssMb, 0),
                $"{F(r.LoadAverageBefore, 1)} -> {F(r.LoadAverageAfter, 1)}");
        }
        console.Write(summary);

        var steps = new Table { Border = border }.AddColumns("model", "items", "step", "s", "RSS at start MiB", "peak RSS MiB", "detail");
        foreach (var r in report.Runs)
            foreach (var s in r.Steps)
                steps.AddRow(r.Model, r.Items.ToString("N0", CultureInfo.InvariantCulture), s.Name, F(s.Seconds, 2), F(s.RssAtStartMb, 0), F(s.PeakRssMb, 0), Markup.Escape(s.Detail));
        console.Write(steps);
        return 0;
    }

    private static string F(double value, int decimals) => double.IsFinite(value) ? value.ToString("N" + decimals, CultureInfo.InvariantCulture) : "n/a";

    private static string LoadAverage()
    {
        try { return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }
}
