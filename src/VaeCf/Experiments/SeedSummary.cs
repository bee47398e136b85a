using System.Globalization;
using System.Text;

namespace VaeCf.Experiments;

/// <summary>Mean and sample standard deviation across the seeds of one configuration.</summary>
public sealed record SeedSummary(string Stage, string ConfigId, string Model, string Dataset, double Lambda, string PDims, double AnnealCap, int Seeds,
    (double Mean, double Sd) ValN100, (double Mean, double Sd) N100, (double Mean, double Sd) R20, (double Mean, double Sd) R50)
{
    /// <summary>The file's name in an experiment's output folder.</summary>
    public const string FileName = "summary.csv";

    /// <summary>One summary per (stage, configuration), over the seeds <paramref name="rows"/> hold.</summary>
    public static List<SeedSummary> Of(IEnumerable<ResultRow> rows) => rows
        .GroupBy(r => (r.Stage, r.ConfigId.Length > 0 ? r.ConfigId : r.RunId))
        .Select(g =>
        {
            var first = g.First();
            return new SeedSummary(first.Stage, g.Key.Item2, first.Model, first.Dataset, first.Lambda, first.PDims, first.AnnealCap, g.Count(),
                MeanSd(g.Select(r => r.ValN100)), MeanSd(g.Select(r => r.N100)), MeanSd(g.Select(r => r.R20)), MeanSd(g.Select(r => r.R50)));
        })
        .ToList();

    /// <summary>Mean and sample standard deviation (n - 1) of the finite <paramref name="values"/>; NaN for none, a standard deviation of 0 for one.</summary>
    public static (double Mean, double Sd) MeanSd(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN);
        double mean = v.Average();
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return (mean, sd);
    }

    /// <summary>summary.csv's text for <paramref name="summaries"/>, header included.</summary>
    public static string Format(IEnumerable<SeedSummary> summaries)
    {
        var text = new StringBuilder("stage,config_id,model,dataset,lambda,p_dims,anneal_cap,seeds,val_n100_mean,val_n100_sd,n100_mean,n100_sd,r20_mean,r20_sd,r50_mean,r50_sd\n");
        static string D(double v) => double.IsNaN(v) ? "" : v.ToString("G9", CultureInfo.InvariantCulture);
        foreach (var s in summaries)
            text.Append(string.Join(",", s.Stage, s.ConfigId, s.Model, s.Dataset, D(s.Lambda), s.PDims, D(s.AnnealCap), s.Seeds.ToString(CultureInfo.InvariantCulture),
                D(s.ValN100.Mean), D(s.ValN100.Sd), D(s.N100.Mean), D(s.N100.Sd), D(s.R20.Mean), D(s.R20.Sd), D(s.R50.Mean), D(s.R50.Sd))).Append('\n');
        return text.ToString();
    }
}
