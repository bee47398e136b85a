using System.Globalization;
using System.Text;
using VaeCf.Catalogue;
using VaeCf.Persistence;

namespace VaeCf.Experiments;

/// <summary>results.csv: one row per completed run, always rebuilt whole from the run folders.</summary>
public static class ResultsCsv
{
    /// <summary>The file's name in an experiment's output folder.</summary>
    public const string FileName = "results.csv";

    /// <summary>The columns in file order: the seed project's names where they exist.</summary>
    public static readonly string[] Columns =
    [
        "run_id", "config_id", "stage", "model", "dataset", "lambda", "p_dims", "q_dims", "dropout_enc", "dropout_dec", "optimizer", "weight_decay",
        "lr", "lr_scheduler", "lr_patience", "early_stop_patience", "anneal", "anneal_cap", "total_anneal_steps", "batch_size", "epochs", "seed",
        "epochs_run", "best_epoch", "beta_at_best", "loss", "train_loss", "val_n100", "val_r20", "val_r50",
        "n100", "n100_se", "r20", "r20_se", "r50", "r50_se", "train_seconds",
    ];

    /// <summary>The header line.</summary>
    public static string Header => string.Join(",", Columns);

    /// <summary>The whole file for <paramref name="rows"/>, header included; empty fields for values a row lacks.</summary>
    public static string Format(IEnumerable<ResultRow> rows)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var r in rows) text.Append(string.Join(",", Fields(r))).Append('\n');
        return text.ToString();
    }

    private static IEnumerable<string> Fields(ResultRow r)
    {
        static string D(double v) => double.IsNaN(v) ? "" : v.ToString("G9", CultureInfo.InvariantCulture);
        static string I(int? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "";
        static string S(string v) => v.Contains(',') || v.Contains('"') || v.Contains('\n') ? $"\"{v.Replace("\"", "\"\"")}\"" : v;
        return
        [
            S(r.RunId), S(r.ConfigId), S(r.Stage), S(r.Model), S(r.Dataset), D(r.Lambda), S(r.PDims), S(r.QDims), D(r.DropoutEnc), D(r.DropoutDec), S(r.Optimizer), D(r.WeightDecay),
            D(r.Lr), S(r.LrScheduler), I(r.LrPatience), I(r.EarlyStopPatience), S(r.Anneal), D(r.AnnealCap), I(r.TotalAnnealSteps), I(r.BatchSize), I(r.Epochs), I(r.Seed),
            I(r.EpochsRun), I(r.BestEpoch), D(r.BetaAtBest), D(r.Loss), D(r.TrainLoss), D(r.ValN100), D(r.ValR20), D(r.ValR50),
            D(r.N100), D(r.N100Se), D(r.R20), D(r.R20Se), D(r.R50), D(r.R50Se), D(r.TrainSeconds),
        ];
    }

    /// <summary>Reads a results.csv back; a malformed line is a user error naming the file and line.</summary>
    public static List<ResultRow> Parse(string path)
    {
        if (!File.Exists(path)) throw new VaeCfException($"Results file '{path}' does not exist.");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header) throw new VaeCfException($"{path}:1: not a VaeCf results file (expected header '{Header}').");
        var rows = new List<ResultRow>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var f = SplitLine(lines[i]);
            if (f.Count != Columns.Length) throw new VaeCfException($"{path}:{i + 1}: expected {Columns.Length} fields, found {f.Count}.");
            try
            {
                static double D(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
                static int? I(string s) => s.Length == 0 ? null : int.Parse(s, CultureInfo.InvariantCulture);
                rows.Add(new ResultRow
                {
                    RunId = f[0], ConfigId = f[1], Stage = f[2], Model = f[3], Dataset = f[4], Lambda = D(f[5]), PDims = f[6], QDims = f[7], DropoutEnc = D(f[8]), DropoutDec = D(f[9]),
                    Optimizer = f[10], WeightDecay = D(f[11]), Lr = D(f[12]), LrScheduler = f[13], LrPatience = I(f[14]), EarlyStopPatience = I(f[15]), Anneal = f[16],
                    AnnealCap = D(f[17]), TotalAnnealSteps = I(f[18]), BatchSize = I(f[19]), Epochs = I(f[20]), Seed = I(f[21]), EpochsRun = I(f[22]), BestEpoch = I(f[23]),
                    BetaAtBest = D(f[24]), Loss = D(f[25]), TrainLoss = D(f[26]), ValN100 = D(f[27]), ValR20 = D(f[28]), ValR50 = D(f[29]),
                    N100 = D(f[30]), N100Se = D(f[31]), R20 = D(f[32]), R20Se = D(f[33]), R50 = D(f[34]), R50Se = D(f[35]), TrainSeconds = D(f[36]),
                });
            }
            catch (FormatException) { throw new VaeCfException($"{path}:{i + 1}: a numeric field is not a number."); }
        }
        return rows;
    }

    private static List<string> SplitLine(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    /// <summary>
    /// Every complete run folder directly under, or at, <paramref name="directory"/>, searched two
    /// levels deep: a trained kind's (config.json and history.csv) or a closed-form one's (config.json
    /// naming a kind without epochs, and so without history). Hidden folders are a save in progress
    /// or the one it replaces (see <see cref="ModelStore.Save"/>), never a run of their own.
    /// </summary>
    /// <param name="catalogue">The model kinds the folders may hold; default <see cref="ModelCatalogue.Default"/>.</param>
    public static List<string> FindRunFolders(string directory, ModelCatalogue? catalogue = null)
    {
        var kinds = catalogue ?? ModelCatalogue.Default;
        if (!Directory.Exists(directory)) throw new VaeCfException($"Runs folder '{directory}' does not exist.");
        bool IsRun(string d) => File.Exists(Path.Combine(d, ModelStore.ConfigFile))
            && (File.Exists(Path.Combine(d, ModelStore.HistoryFile))
                || kinds.Kinds.FirstOrDefault(k => k.Name == ModelStore.ReadManifest(d).Model) is { IsTrained: false });
        static IEnumerable<string> Children(string d) => Directory.GetDirectories(d).Where(c => !Path.GetFileName(c).StartsWith('.')).Order(StringComparer.Ordinal);
        if (IsRun(directory)) return [directory];
        var found = new List<string>();
        foreach (var child in Children(directory))
        {
            if (IsRun(child)) { found.Add(child); continue; }
            found.AddRange(Children(child).Where(IsRun));
        }
        return found;
    }

    /// <summary>Rows of every complete run under <paramref name="directory"/>, in the order they finished.</summary>
    public static List<ResultRow> FromRunFolders(string directory, ModelCatalogue? catalogue = null) => FindRunFolders(directory, catalogue)
        .Select(folder => (Row: ResultRow.FromRunFolder(folder, catalogue), Finished: File.GetLastWriteTimeUtc(Path.Combine(folder, ModelStore.ConfigFile))))
        .OrderBy(x => x.Finished).ThenBy(x => x.Row.RunId, StringComparer.Ordinal)
        .Select(x => x.Row)
        .ToList();
}
