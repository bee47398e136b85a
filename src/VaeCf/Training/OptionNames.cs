using System.Globalization;

namespace VaeCf.Training;

/// <summary>
/// Text names of the training choices, shared by the CLI flags and grid files so "adamw", "seed85" or
/// "200,600" mean the same everywhere. <c>what</c> names the flag or key in the error message.
/// </summary>
public static class OptionNames
{
    /// <summary>"adam" or "adamw", trimmed, any case.</summary>
    /// <exception cref="VaeCfException">Any other text; the message starts with <paramref name="what"/>.</exception>
    public static OptimizerKind ParseOptimizer(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "adam" => OptimizerKind.Adam,
        "adamw" => OptimizerKind.AdamW,
        _ => throw new VaeCfException($"{what} must be adam or adamw, got '{text}'."),
    };

    /// <summary>"paper", "seed85" (or "85") or "constant", trimmed, any case.</summary>
    /// <exception cref="VaeCfException">Any other text; the message starts with <paramref name="what"/>.</exception>
    public static AnnealSchedule ParseAnneal(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "paper" => AnnealSchedule.Paper,
        "seed85" or "85" => AnnealSchedule.Seed85,
        "constant" => AnnealSchedule.Constant,
        _ => throw new VaeCfException($"{what} must be paper, seed85 or constant, got '{text}'."),
    };

    /// <summary>The schedule's name as <see cref="ParseAnneal"/> reads it and results.csv writes it: "paper", "seed85" or "constant".</summary>
    public static string Name(AnnealSchedule schedule) => schedule.ToString().ToLowerInvariant();

    /// <summary>"ndcg" (or "ndcg@100") or "loss", trimmed, any case.</summary>
    /// <exception cref="VaeCfException">Any other text; the message starts with <paramref name="what"/>.</exception>
    public static MonitoredMetric ParseMonitor(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "ndcg" or "ndcg@100" => MonitoredMetric.Ndcg,
        "loss" => MonitoredMetric.Loss,
        _ => throw new VaeCfException($"{what} must be ndcg or loss, got '{text}'."),
    };

    /// <summary>"200,600" -> [200, 600]; every size must be a positive integer.</summary>
    public static int[] ParseDims(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new VaeCfException($"{what} needs at least one size, e.g. 200,600.");
        return parts.Select(p => ParsePositiveInt(p, what, text)).ToArray();
    }

    private static int ParsePositiveInt(string part, string what, string whole) =>
        int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int d) && d > 0
            ? d : throw new VaeCfException($"{what}: '{part}' is not a positive integer (got '{whole}').");

    /// <summary>Comma-separated integers such as "1,2,3" (seeds).</summary>
    public static int[] ParseIntList(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new VaeCfException($"{what} needs at least one integer, e.g. 1,2,3.");
        return parts.Select(p => int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            ? v : throw new VaeCfException($"{what}: '{p}' is not an integer (got '{text}').")).ToArray();
    }
}
