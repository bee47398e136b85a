using ScottPlot;
using VaeCf.Experiments;
using VaeCf.Persistence;
using VaeCf.Training;

namespace VaeCf.Cli.Plotting;

/// <summary>Pixel size of every figure; one size for all keeps a report's figures aligned.</summary>
public readonly record struct FigureSize(int Width, int Height)
{
    public static readonly FigureSize Default = new(900, 560);
}

/// <summary>A written figure and what it shows, for reports.</summary>
public sealed record Figure(string Path, string Caption);

/// <summary>
/// The seed project's figures as PNGs: (a) the annealing curve of one run, (b) NDCG@100 against the
/// first decoder size, (c) ranking metrics against loss, (d) training curves.
/// Lives in the CLI, not the library, so library users do not inherit ScottPlot's native Skia assets.
/// </summary>
public static class ExperimentPlots
{
    /// <summary>
    /// (a) Validation NDCG@100 per epoch, beta on the right axis when the run annealed one, the kept
    /// epoch marked. The legend sits below the plot so it hides no line.
    /// </summary>
    public static Figure Annealing(string title, IReadOnlyList<EpochRecord> history, string path, FigureSize size)
    {
        var plot = new Plot();
        var evaluated = history.Where(h => !double.IsNaN(h.Ndcg100)).ToList();
        var ndcg = plot.Add.Scatter(evaluated.Select(h => (double)h.Epoch).ToArray(), evaluated.Select(h => h.Ndcg100).ToArray());
        ndcg.LegendText = "validation NDCG@100";
        ndcg.MarkerSize = 3;
        bool hasBeta = history.Any(h => h.Beta > 0);
        if (hasBeta)
        {
            var beta = plot.Add.Scatter(history.Select(h => (double)h.Epoch).ToArray(), history.Select(h => (double)h.Beta).ToArray());
            beta.LegendText = "beta (right axis)";
            beta.MarkerSize = 0;
            beta.LinePattern = LinePattern.Dashed;
            beta.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "beta";
        }
        var best = evaluated.Count == 0 ? null : evaluated.MaxBy(h => h.Ndcg100);
        if (best is not null)
        {
            var line = plot.Add.VerticalLine(best.Epoch);
            line.LinePattern = LinePattern.Dotted;
            line.Color = Colors.Black;
            line.LegendText = hasBeta ? $"best epoch {best.Epoch} (NDCG {best.Ndcg100:F3}, beta {best.Beta:F3})" : $"best epoch {best.Epoch} (NDCG {best.Ndcg100:F3})";
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("validation NDCG@100");
        plot.ShowLegend(Edge.Bottom);
        return Save(plot, path, size, hasBeta
            ? $"Annealing: validation NDCG@100 and beta per epoch, best epoch marked ({title})."
            : $"Validation NDCG@100 per epoch, best epoch marked ({title}).");
    }

    /// <summary>(d) Training and validation loss per epoch.</summary>
    public static Figure TrainingCurves(string title, IReadOnlyList<EpochRecord> history, string path, FigureSize size)
    {
        var plot = new Plot();
        var train = plot.Add.Scatter(history.Select(h => (double)h.Epoch).ToArray(), history.Select(h => h.TrainLoss).ToArray());
        train.LegendText = "training loss";
        train.MarkerSize = 0;
        var evaluated = history.Where(h => double.IsFinite(h.ValidationLoss)).ToList();
        if (evaluated.Count > 0)
        {
            var validation = plot.Add.Scatter(evaluated.Select(h => (double)h.Epoch).ToArray(), evaluated.Select(h => h.ValidationLoss).ToArray());
            validation.LegendText = "validation loss (fold-in, no dropout)";
            validation.MarkerSize = 0;
        }
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(history.Any(h => h.Beta > 0) ? "loss (NLL + beta KL)" : "loss (NLL)");
        plot.ShowLegend(Edge.Bottom);
        return Save(plot, path, size, $"Training curves: training and validation loss per epoch ({title}).");
    }

    /// <summary>(b) Test NDCG@100 against the first decoder size (the latent size), one series per model and dataset.</summary>
    public static Figure NdcgVsDimension(IReadOnlyList<ResultRow> rows, string path, FigureSize size)
    {
        var plot = new Plot();
        foreach (var group in rows.Where(r => double.IsFinite(r.N100) && r.FirstDecoderDim is not null).GroupBy(r => (r.Model, r.Dataset)).OrderBy(g => g.Key))
        {
            var points = group.OrderBy(r => r.FirstDecoderDim).ToList();
            var all = plot.Add.Scatter(points.Select(r => (double)r.FirstDecoderDim!.Value).ToArray(), points.Select(r => r.N100).ToArray());
            all.LineWidth = 0;
            all.MarkerSize = 6;
            all.LegendText = $"{ModelName(group.Key.Model)} on {group.Key.Dataset} (every run)";
            // The line joins the run chosen per size by validation NDCG, as one would pick it.
            var chosen = points.GroupBy(r => r.FirstDecoderDim).Select(g => g.MaxBy(r => r.ValN100)!).OrderBy(r => r.FirstDecoderDim).ToList();
            var line = plot.Add.Scatter(chosen.Select(r => (double)r.FirstDecoderDim!.Value).ToArray(), chosen.Select(r => r.N100).ToArray(), all.Color);
            line.MarkerSize = 0;
            line.LegendText = $"{ModelName(group.Key.Model)} on {group.Key.Dataset} (best by validation)";
        }
        // Baselines have no decoder: each is a horizontal reference at its run picked by validation.
        foreach (var group in rows.Where(r => r.IsBaseline && double.IsFinite(r.N100)).GroupBy(r => (r.Model, r.Dataset)).OrderBy(g => g.Key))
        {
            var picked = group.MaxBy(r => r.ValN100)!;
            var reference = plot.Add.HorizontalLine(picked.N100);
            reference.LinePattern = LinePattern.Dashed;
            reference.LegendText = double.IsFinite(picked.Lambda)
                ? $"{ModelName(group.Key.Model)} (lambda {picked.Lambda:G4}) on {group.Key.Dataset}"
                : $"{ModelName(group.Key.Model)} on {group.Key.Dataset}";
        }
        plot.Title("Test NDCG@100 vs first decoder dimension");
        plot.XLabel("first decoder dimension (latent size, p_dims[0])");
        plot.YLabel("test NDCG@100");
        plot.ShowLegend(Edge.Bottom);
        return Save(plot, path, size, "Test NDCG@100 against the first decoder dimension, per model and dataset; the line follows the run picked by validation NDCG@100 at each size; dashed lines are the baselines (EASE, popularity) picked by validation.");
    }

    /// <summary>
    /// (c) Test NDCG@100, Recall@20 and Recall@50 against the validation loss at the kept epoch, for
    /// the runs of one model: losses of different models are different quantities (Mult-VAE's holds
    /// beta x KL, Mult-DAE's does not), so they never share an axis. Colour is the run's stage (its
    /// grid), the marker shape the metric.
    /// </summary>
    public static Figure MetricsVsLoss(IReadOnlyList<ResultRow> rows, string model, string path, FigureSize size)
    {
        var plot = new Plot();
        var usable = rows.Where(r => r.Model == model && double.IsFinite(r.Loss)).OrderBy(r => r.Loss).ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var metrics = new (string Name, Func<ResultRow, double> Value, MarkerShape Shape)[]
        {
            ("NDCG@100", r => r.N100, MarkerShape.FilledCircle),
            ("Recall@20", r => r.R20, MarkerShape.FilledSquare),
            ("Recall@50", r => r.R50, MarkerShape.FilledTriangleUp),
        };
        var stages = rows.Where(r => r.Model == model).Select(r => r.Stage).Distinct().Where(s => usable.Any(r => r.Stage == s)).ToList(); // grid order
        for (int s = 0; s < stages.Count; s++)
        {
            var color = palette.GetColor(s);
            foreach (var (_, value, shape) in metrics)
            {
                var points = usable.Where(r => r.Stage == stages[s] && double.IsFinite(value(r))).ToList();
                if (points.Count == 0) continue;
                var series = plot.Add.Scatter(points.Select(r => r.Loss).ToArray(), points.Select(value).ToArray(), color);
                series.LineWidth = 0;
                series.MarkerSize = 8;
                series.MarkerShape = shape;
            }
        }
        // The legend names each colour once and each shape once, outside the data so it hides no point.
        var legend = stages.Select((stage, s) => new LegendItem { LabelText = $"stage {stage}", MarkerShape = MarkerShape.FilledCircle, MarkerColor = palette.GetColor(s), MarkerSize = 8 })
            .Concat(metrics.Select(m => new LegendItem { LabelText = m.Name, MarkerShape = m.Shape, MarkerColor = Colors.Gray, MarkerSize = 8 }))
            .ToList();
        plot.Legend.ManualItems.AddRange(legend);
        plot.ShowLegend(Edge.Right);
        string name = ModelName(model);
        plot.Title($"{name}: test ranking metrics vs validation loss");
        plot.XLabel($"{name} validation loss at the kept epoch ({LossMeaning(model)})");
        plot.YLabel("test metric");
        return Save(plot, path, size, $"{name}: test NDCG@100 (circles), Recall@20 (squares) and Recall@50 (triangles) of every run against its validation loss ({LossMeaning(model)}) at the kept epoch, coloured by stage.");
    }

    /// <summary>What a model's loss is made of, for axis labels.</summary>
    private static string LossMeaning(string model) => model.Contains("vae", StringComparison.OrdinalIgnoreCase) ? "NLL + beta KL" : "NLL";

    /// <summary>The model's name as papers write it.</summary>
    public static string ModelName(string model) => model.ToLowerInvariant() switch
    {
        "vae" or "mult-vae" => "Mult-VAE",
        "dae" or "mult-dae" => "Mult-DAE",
        "ease" => "EASE",
        _ => model,
    };

    /// <summary>A run's title in words: model, sizes, the settings that set it apart, its stage; no hash.</summary>
    public static string RunTitle(ResultRow row)
    {
        var parts = new List<string> { row.PDims.Length > 0 ? $"{ModelName(row.Model)} {row.PDims}" : ModelName(row.Model) };
        if (double.IsFinite(row.AnnealCap) && row.Model.Contains("vae", StringComparison.OrdinalIgnoreCase))
            parts.Add($"beta cap {row.AnnealCap:0.###} ({row.Anneal})");
        if (double.IsFinite(row.Lr)) parts.Add(row.LrScheduler == "plateau" ? $"lr {row.Lr:0.####} on plateau" : $"lr {row.Lr:0.####}");
        if (double.IsFinite(row.DropoutDec) && row.DropoutDec > 0) parts.Add($"hidden dropout {row.DropoutDec:0.##}");
        if (double.IsFinite(row.WeightDecay) && row.WeightDecay > 0) parts.Add($"weight decay {row.WeightDecay:0.#####}");
        if (double.IsFinite(row.Lambda)) parts.Add($"lambda {row.Lambda:G4}");
        if (row.Seed is not null) parts.Add($"seed {row.Seed}");
        if (row.Stage.Length > 0) parts.Add($"stage {row.Stage}");
        return string.Join(", ", parts);
    }

    /// <summary>
    /// Every figure for the runs under <paramref name="runsDirectory"/>: the two summary figures and,
    /// per run, the annealing and training curves (only for the <paramref name="topRuns"/> best by
    /// validation NDCG@100 when positive).
    /// </summary>
    public static List<Figure> PlotAll(string runsDirectory, string outputDirectory, FigureSize size, int topRuns = 0)
    {
        var folders = ResultsCsv.FindRunFolders(runsDirectory);
        if (folders.Count == 0) throw new VaeCfException($"No complete runs (folders with config.json and history.csv) under '{runsDirectory}'.");
        Directory.CreateDirectory(outputDirectory);
        var runs = folders.Select(f => (Folder: f, Row: ResultRow.FromRunFolder(f))).ToList();
        var rows = runs.Select(r => r.Row).ToList();
        var figures = new List<Figure> { NdcgVsDimension(rows, Path.Combine(outputDirectory, "ndcg-vs-dimension.png"), size) };
        // One metrics-vs-loss figure per model that has a loss: Mult-VAE's and Mult-DAE's are different quantities.
        foreach (string model in rows.Where(r => double.IsFinite(r.Loss)).Select(r => r.Model).Distinct().Order())
            figures.Add(MetricsVsLoss(rows, model, Path.Combine(outputDirectory, $"metrics-vs-loss-{ExperimentGrid.Slugify(model)}.png"), size));
        // Baselines are fitted in one step and have no per-epoch history: only networks get per-run figures.
        var trained = runs.Where(r => File.Exists(Path.Combine(r.Folder, ModelStore.HistoryFile))).ToList();
        var selected = topRuns > 0 ? trained.OrderByDescending(r => r.Row.ValN100).Take(topRuns).ToList() : trained;
        foreach (var (folder, row) in selected)
        {
            var history = HistoryCsv.Parse(Path.Combine(folder, ModelStore.HistoryFile));
            string name = ExperimentGrid.Slugify(Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar)));
            // "anneal-" only for runs that annealed a beta; a Mult-DAE's figure is its validation curve.
            string prefix = history.Any(h => h.Beta > 0) ? "anneal" : "validation";
            figures.Add(Annealing(RunTitle(row), history, Path.Combine(outputDirectory, $"{prefix}-{name}.png"), size));
            figures.Add(TrainingCurves(RunTitle(row), history, Path.Combine(outputDirectory, $"curves-{name}.png"), size));
        }
        return figures;
    }

    private static Figure Save(Plot plot, string path, FigureSize size, string caption)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        // Written beside and moved, so a reader never sees half a PNG.
        string temp = path + ".tmp.png";
        plot.SavePng(temp, size.Width, size.Height);
        File.Move(temp, path, overwrite: true);
        return new Figure(path, caption);
    }
}
