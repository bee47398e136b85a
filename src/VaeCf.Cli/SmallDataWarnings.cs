using System.Globalization;
using Spectre.Console;
using VaeCf.Training;

namespace VaeCf.Cli;

/// <summary>The small-data check in the CLI's words: what is wrong, and which flag to change.</summary>
public static class SmallDataWarnings
{
    /// <summary>The warning lines (plain text) for these options on <paramref name="trainUsers"/> training users; empty when nothing is wrong.</summary>
    public static IReadOnlyList<string> For(TrainingOptions options, int trainUsers, bool annealsBeta)
    {
        var check = SmallDataCheck.Of(options, trainUsers, annealsBeta);
        var lines = new List<string>();
        if (check.FewUpdates)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"batch size {options.BatchSize} on {trainUsers:N0} training users makes {check.UpdatesPerEpoch} update{(check.UpdatesPerEpoch == 1 ? "" : "s")} per epoch ({check.TotalUpdates:N0} in all); for {SmallDataCheck.MinUpdatesPerEpoch} or more, use --batch-size {check.SuggestedBatchSize} or less."));
        if (check.BetaStaysSmall)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"the paper's anneal schedule ends at beta {check.FinalBeta:G3} (cap {options.AnnealCap:G3}) after {check.TotalUpdates:N0} updates of --total-anneal-steps {options.TotalAnnealSteps:N0}; use --anneal seed85 (the cap at 85% of the epochs) or --total-anneal-steps {check.SuggestedTotalAnnealSteps}."));
        return lines;
    }

    /// <summary>Prints each warning as one yellow line.</summary>
    public static void Write(IAnsiConsole console, TrainingOptions options, int trainUsers, bool annealsBeta)
    {
        foreach (string line in For(options, trainUsers, annealsBeta))
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(line)}");
    }
}
