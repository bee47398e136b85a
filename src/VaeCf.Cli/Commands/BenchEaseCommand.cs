using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Baselines;
using VaeCf.Data;

namespace VaeCf.Cli.Commands;

/// <summary>
/// Hidden: times an EASE fit on a synthetic click matrix (ML-20M-shaped by default: 116,677 users,
/// about 86 clicks each) and reports each stage and the peak resident memory, so the timing table in
/// docs/ease.md comes from a committed command rather than a throwaway program.
/// </summary>
public sealed class BenchEaseCommand : Command<BenchEaseCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--items <N>")]
        [DefaultValue(10000)]
        public int Items { get; init; } = 10000;

        [CommandOption("--users <N>")]
        [DefaultValue(116677)]
        public int Users { get; init; } = 116677;

        [CommandOption("--clicks-per-user <N>")]
        [DefaultValue(86.0)]
        public double ClicksPerUser { get; init; } = 86;

        [CommandOption("--lambda <L>")]
        [DefaultValue(500f)]
        public float Lambda { get; init; } = 500f;

        [CommandOption("--threads <N>")]
        [Description("0 = all cores.")]
        [DefaultValue(0)]
        public int Threads { get; init; }

        [CommandOption("--seed <SEED>")]
        [DefaultValue(98765)]
        public int Seed { get; init; } = 98765;

        public override ValidationResult Validate()
        {
            if (Items < 1) return ValidationResult.Error("--items must be positive.");
            if (Users < 1) return ValidationResult.Error("--users must be positive.");
            if (!(ClicksPerUser > 0)) return ValidationResult.Error("--clicks-per-user must be positive.");
            try { new EaseOptions { Lambda = Lambda, Threads = Threads }.Validate(); }
            catch (VaeCfException e) { return ValidationResult.Error(e.Message); }
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        string loadBefore = LoadAverage();
        var clock = Stopwatch.StartNew();
        var clicks = SyntheticClicks.Generate(settings.Users, settings.Items, settings.ClicksPerUser, seed: settings.Seed);
        double generateSeconds = clock.Elapsed.TotalSeconds;
        // The generator's peak is taken apart from the fit's: its lists and sets are garbage by now.
        long peakBeforeFit = Process.GetCurrentProcess().PeakWorkingSet64;

        var options = new EaseOptions { Lambda = settings.Lambda, Threads = settings.Threads };
        var ease = EaseScorer.Fit(clicks, options, onEvent: e =>
            console.MarkupLine($"[grey]{e.Elapsed.TotalSeconds,8:F2} s  {Markup.Escape(e.Message)}[/]"));
        var t = ease.FitTimings!;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        string loadAfter = LoadAverage();

        static string S(TimeSpan span) => span.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture);
        static string Mb(long bytes) => (bytes / (double)(1 << 20)).ToString("F0", CultureInfo.InvariantCulture);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("what", "value");
        table.AddRow("items x users", $"{settings.Items:N0} x {settings.Users:N0}");
        table.AddRow("clicks", $"{clicks.NonZeros:N0} (generated in {generateSeconds:F1} s)");
        table.AddRow("threads", $"{(settings.Threads == 0 ? Environment.ProcessorCount : settings.Threads)} of {Environment.ProcessorCount} cores");
        table.AddRow("X^T X + lambda I", S(t.Gram) + " s");
        table.AddRow("Cholesky", S(t.Factor) + " s");
        table.AddRow("L^-1", S(t.InvertFactor) + " s");
        table.AddRow("P = L^-T L^-1", S(t.MultiplyInverse) + " s");
        table.AddRow("B from P", S(t.Weights) + " s");
        table.AddRow("[bold]fit total[/]", $"[bold]{S(t.Total)} s[/]");
        table.AddRow("planned memory", Mb(t.PlannedBytes) + " MiB");
        table.AddRow("peak RSS", $"{Mb(peak)} MiB ({Mb(peakBeforeFit)} MiB before the fit)");
        table.AddRow("load average (1/5/15 min)", $"{loadBefore} before, {loadAfter} after");
        console.Write(table);
        // One Markdown row in docs/ease.md's column order, to paste as is.
        // System.Console, not the Spectre console, which wraps at the terminal width.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {settings.Items:N0} | {settings.Users:N0} | {clicks.NonZeros:N0} | {S(t.Gram)} | {S(t.Factor)} | {S(t.InvertFactor)} | {S(t.MultiplyInverse)} | {S(t.Weights)} | **{S(t.Total)}** | {Mb(peak)} MiB | {loadBefore} |"));
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
