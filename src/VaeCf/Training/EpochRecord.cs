using System.Globalization;
using System.Text;

namespace VaeCf.Training;

/// <summary>One row of the training history (one per epoch; validation fields are NaN on epochs without evaluation).</summary>
public sealed record EpochRecord(int Epoch, float Beta, double TrainLoss, double ValidationLoss, double Ndcg100, double Recall20,
    double Recall50, float LearningRate, double Seconds, bool IsBest);

/// <summary>history.csv in a model folder: one <see cref="EpochRecord"/> per line, invariant culture, floats written round-trip.</summary>
public static class HistoryCsv
{
    /// <summary>The first line; <see cref="Parse"/> refuses a file without it.</summary>
    public const string Header = "epoch,beta,train_loss,val_loss,ndcg@100,recall@20,recall@50,lr,seconds,best";

    /// <summary>The whole file as text: the header then one line per record, each ending in '\n'; seconds to the millisecond, best as 1 or 0, NaN for fields not measured.</summary>
    public static string Format(IEnumerable<EpochRecord> history)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var r in history)
            text.Append(string.Create(CultureInfo.InvariantCulture,
                $"{r.Epoch},{r.Beta:R},{r.TrainLoss:R},{r.ValidationLoss:R},{r.Ndcg100:R},{r.Recall20:R},{r.Recall50:R},{r.LearningRate:R},{r.Seconds:F3},{(r.IsBest ? 1 : 0)}\n"));
        return text.ToString();
    }

    /// <summary>Reads a file written by <see cref="Format"/>; blank lines are skipped.</summary>
    /// <exception cref="VaeCfException">The header is wrong, a line has other than 10 fields or a field is not a number (the message names file and line).</exception>
    public static List<EpochRecord> Parse(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0].Trim() != Header) throw new VaeCfException($"{path}:1: not a VaeCf history file (expected header '{Header}').");
        var records = new List<EpochRecord>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var f = lines[i].Split(',');
            if (f.Length != 10) throw new VaeCfException($"{path}:{i + 1}: expected 10 fields, found {f.Length}.");
            try
            {
                var c = CultureInfo.InvariantCulture;
                records.Add(new EpochRecord(int.Parse(f[0], c), float.Parse(f[1], c), double.Parse(f[2], c), double.Parse(f[3], c),
                    double.Parse(f[4], c), double.Parse(f[5], c), double.Parse(f[6], c), float.Parse(f[7], c), double.Parse(f[8], c), f[9] == "1"));
            }
            catch (FormatException) { throw new VaeCfException($"{path}:{i + 1}: a field is not a number."); }
        }
        return records;
    }
}
