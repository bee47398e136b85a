using System.Globalization;
using System.Text;
using VaeCf.Catalogue;

namespace VaeCf.Experiments;

/// <summary>
/// A Markdown report of a results table: the run chosen per model and dataset (by validation
/// NDCG@100, reported on test), the mean and sd across seeds, every run, and the figures.
/// Baselines (EASE, popularity) sit in the same tables, with "-" where a training setting does not apply.
/// </summary>
public static class ReportWriter
{
    /// <param name="figures">Image paths relative to the report, with captions.</param>
    public static string Markdown(string title, IReadOnlyList<ResultRow> rows, IReadOnlyList<(string RelativePath, string Caption)> figures)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(title).Append("\n\n");
        md.Append(Inv($"{rows.Count} runs. Test metrics are means over test users ± standard error; a run is chosen by validation NDCG@100, never by test.\n\n"));

        md.Append("## Best run per model and dataset\n\n");
        md.Append("| model | dataset | run | p_dims | lambda | anneal cap | beta at best | best epoch | val NDCG@100 | test NDCG@100 | test R@20 | test R@50 |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        // Within a dataset, best first: the baselines land beside the networks they are measured against.
        foreach (var best in rows.GroupBy(r => (r.Model, r.Dataset)).Select(g => g.MaxBy(r => r.ValN100)!)
                     .OrderBy(r => r.Dataset, StringComparer.Ordinal).ThenByDescending(r => r.ValN100))
            md.Append(Inv($"| {best.Model} | {best.Dataset} | `{best.RunId}` | {Text(best.PDims)} | {Num(best.Lambda, 0)} | {Cap(best)} | {Num(best.BetaAtBest, 3)} | {Text(best.BestEpoch)} | {Num(best.ValN100)} | {Se(best.N100, best.N100Se)} | {Se(best.R20, best.R20Se)} | {Se(best.R50, best.R50Se)} |\n"));
        md.Append('\n');

        var summaries = SeedSummary.Of(rows);
        if (summaries.Any(s => s.Seeds > 1))
        {
            md.Append("## Across seeds (mean ± sd)\n\n| stage | model | dataset | p_dims | anneal cap | seeds | val NDCG@100 | test NDCG@100 | test R@20 | test R@50 |\n|---|---|---|---|---|---|---|---|---|---|\n");
            foreach (var s in summaries.Where(s => s.Seeds > 1))
                md.Append(Inv($"| {s.Stage} | {s.Model} | {s.Dataset} | {Text(s.PDims)} | {(s.Model == ModelCatalogue.MultVae.ShortName ? Num(s.AnnealCap, 3) : "-")} | {s.Seeds} | {Sd(s.ValN100)} | {Sd(s.N100)} | {Sd(s.R20)} | {Sd(s.R50)} |\n"));
            md.Append('\n');
        }

        md.Append("## All runs\n\n");
        md.Append("| run | stage | model | dataset | p_dims | lambda | dropout in/hidden | weight decay | lr | scheduler | anneal cap | epochs run | best epoch | beta at best | val loss | val NDCG@100 | test NDCG@100 | test R@20 | test R@50 | seconds |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows.OrderBy(r => r.Stage, StringComparer.Ordinal).ThenByDescending(r => r.ValN100))
            md.Append(Inv($"| `{r.RunId}` | {r.Stage} | {r.Model} | {r.Dataset} | {Text(r.PDims)} | {Num(r.Lambda, 0)} | {Dropout(r)} | {Num(r.WeightDecay, "G3")} | {Num(r.Lr, "G3")} | {Text(r.LrScheduler)} | {Cap(r)} | {Text(r.EpochsRun)} | {Text(r.BestEpoch)} | {Num(r.BetaAtBest, 3)} | {Num(r.Loss, 1)} | {Num(r.ValN100)} | {Se(r.N100, r.N100Se)} | {Se(r.R20, r.R20Se)} | {Se(r.R50, r.R50Se)} | {Num(r.TrainSeconds, r.TrainSeconds < 10 ? "F1" : "F0")} |\n"));
        md.Append('\n');

        if (figures.Count > 0)
        {
            md.Append("## Figures\n\n");
            foreach (var (path, caption) in figures)
                md.Append($"![{caption}]({path.Replace('\\', '/')})\n\n*{caption}*\n\n");
        }
        return md.ToString();
    }

    private static string Cap(ResultRow r) => r.Model == ModelCatalogue.MultVae.ShortName ? $"{Num(r.AnnealCap, 3)} ({r.Anneal})" : "-";
    private static string Dropout(ResultRow r) => r.IsBaseline ? "-" : $"{Num(r.DropoutEnc, "0.##")}/{Num(r.DropoutDec, "0.##")}";
    private static string Num(double v, int digits = 4) => Num(v, "F" + digits);
    private static string Num(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
    private static string Text(string v) => v.Length == 0 ? "-" : v;
    private static string Text(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "-";
    private static string Se(double mean, double se) => double.IsFinite(mean) ? Inv($"{mean:F4} ± {se:F3}") : "-";
    private static string Sd((double Mean, double Sd) v) => double.IsFinite(v.Mean) ? Inv($"{v.Mean:F4} ± {v.Sd:F4}") : "-";
    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
