using System.Globalization;
using System.Text;
using nietras.SeparatedValues;
using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>
/// The original notebook's on-disk split: train.csv, validation_tr.csv, validation_te.csv,
/// test_tr.csv, test_te.csv (header uid,sid), unique_sid.txt and unique_uid.txt.
/// sid indexes unique_sid.txt; uid indexes unique_uid.txt, which lists training users, then
/// validation users, then test users. Training uids therefore run 0..n_train-1, and a held-out
/// file's rows are its distinct uids in ascending order (the Python loaders subtract the minimum).
/// </summary>
public static class OriginalLayout
{
    public const string TrainFile = "train.csv";
    public const string ValidationFoldInFile = "validation_tr.csv";
    public const string ValidationTargetsFile = "validation_te.csv";
    public const string TestFoldInFile = "test_tr.csv";
    public const string TestTargetsFile = "test_te.csv";
    public const string ItemIdsFile = "unique_sid.txt";
    public const string UserIdsFile = "unique_uid.txt";

    /// <summary>True when the folder holds a split in this layout (unique_sid.txt and train.csv).</summary>
    public static bool IsLayoutFolder(string folder) =>
        File.Exists(Path.Combine(folder, ItemIdsFile)) && File.Exists(Path.Combine(folder, TrainFile));

    /// <summary>
    /// Writes into a temporary sibling folder, then renames it into place, so an interrupted write never
    /// leaves a folder that looks complete. An existing non-empty folder is replaced only with <paramref name="overwrite"/>.
    /// </summary>
    public static void Write(SplitDataset data, string folder, bool overwrite = false)
    {
        string target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        if (File.Exists(target)) throw new VaeCfException($"Output '{folder}' is a file, not a folder.");
        bool exists = Directory.Exists(target);
        if (exists && Directory.EnumerateFileSystemEntries(target).Any() && !overwrite)
            throw new VaeCfException($"Output folder '{folder}' already exists and is not empty; pass --overwrite to replace it.");

        string parent = Path.GetDirectoryName(target) ?? throw new VaeCfException($"Output '{folder}' has no parent folder.");
        Directory.CreateDirectory(parent);
        string name = Path.GetFileName(target);
        string temporary = Path.Combine(parent, $".{name}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            WriteFiles(data, temporary);
            if (exists)
            {
                string old = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
                Directory.Move(target, old);
                Directory.Move(temporary, target);
                Directory.Delete(old, recursive: true);
            }
            else Directory.Move(temporary, target);
        }
        catch
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    private static void WriteFiles(SplitDataset data, string folder)
    {
        // The splitter's rows in the notebook's order, written as pandas' to_csv writes them (header
        // uid,sid, "\n" line ends, plain integers): its files byte for byte. Else rows from the matrices.
        var rows = data.FileRows ?? SplitFileRows.FromMatrices(data);
        WritePairs(Path.Combine(folder, TrainFile), rows.Train);
        WritePairs(Path.Combine(folder, ValidationFoldInFile), rows.ValidationFoldIn);
        WritePairs(Path.Combine(folder, ValidationTargetsFile), rows.ValidationTargets);
        WritePairs(Path.Combine(folder, TestFoldInFile), rows.TestFoldIn);
        WritePairs(Path.Combine(folder, TestTargetsFile), rows.TestTargets);
        WriteLines(Path.Combine(folder, ItemIdsFile), data.ItemIds);
        WriteLines(Path.Combine(folder, UserIdsFile), rows.UserIds);
    }

    private static void WritePairs(string path, UidSidRows rows)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("uid,sid\n");
        Span<char> number = stackalloc char[11];
        for (int r = 0; r < rows.Count; r++)
        {
            rows.Uids[r].TryFormat(number, out int length, default, CultureInfo.InvariantCulture);
            writer.Write(number[..length]);
            writer.Write(',');
            rows.Sids[r].TryFormat(number, out length, default, CultureInfo.InvariantCulture);
            writer.Write(number[..length]);
            writer.Write('\n');
        }
    }

    private static void WriteLines(string path, IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        foreach (string line in lines)
        {
            if (line.Contains('\n') || line.Contains('\r')) throw new VaeCfException($"Id '{line}' contains a line break and cannot be written to {Path.GetFileName(path)}.");
            writer.Write(line);
            writer.Write('\n');
        }
    }

    /// <summary>Reads a split written here or by the Python implementations.</summary>
    public static SplitDataset Read(string folder)
    {
        if (!IsLayoutFolder(folder))
            throw new VaeCfException($"'{folder}' is not a split folder: it needs {ItemIdsFile} and {TrainFile}.");
        foreach (string file in new[] { ValidationFoldInFile, ValidationTargetsFile, TestFoldInFile, TestTargetsFile })
            if (!File.Exists(Path.Combine(folder, file))) throw new VaeCfException($"Split folder '{folder}' lacks {file}.");

        string[] itemIds = ReadLines(Path.Combine(folder, ItemIdsFile));
        if (itemIds.Length == 0) throw new VaeCfException($"{Path.Combine(folder, ItemIdsFile)} is empty: the split has no items.");
        string userIdsPath = Path.Combine(folder, UserIdsFile);
        // Without unique_uid.txt the uid numbers themselves serve as user ids.
        string[]? userIds = File.Exists(userIdsPath) ? ReadLines(userIdsPath) : null;
        string UserId(int uid, string file) =>
            userIds is null ? uid.ToString(CultureInfo.InvariantCulture)
            : uid < userIds.Length ? userIds[uid]
            : throw new VaeCfException($"{Path.Combine(folder, file)} has uid {uid}, but {UserIdsFile} lists only {userIds.Length} users.");

        var (trainUids, trainSids) = ReadPairs(Path.Combine(folder, TrainFile), itemIds.Length);
        int trainRows = trainUids.Count == 0 ? 0 : trainUids.Max() + 1;
        var train = new CsrAssembler(itemIds.Length);
        foreach (var row in GroupRows(trainUids, trainSids, Enumerable.Range(0, trainRows).ToArray()))
        {
            foreach (int sid in row) train.Add(sid);
            train.EndRow();
        }
        var trainUserIds = Enumerable.Range(0, trainRows).Select(uid => UserId(uid, TrainFile)).ToArray();

        HeldOutSet ReadHeldOut(string foldInFile, string targetsFile)
        {
            var (foldUids, foldSids) = ReadPairs(Path.Combine(folder, foldInFile), itemIds.Length);
            var (targetUids, targetSids) = ReadPairs(Path.Combine(folder, targetsFile), itemIds.Length);
            int[] uids = foldUids.Concat(targetUids).Distinct().Order().ToArray();
            var foldIn = new CsrAssembler(itemIds.Length);
            foreach (var row in GroupRows(foldUids, foldSids, uids)) { foreach (int sid in row) foldIn.Add(sid); foldIn.EndRow(); }
            var targets = new CsrAssembler(itemIds.Length);
            foreach (var row in GroupRows(targetUids, targetSids, uids)) { foreach (int sid in row) targets.Add(sid); targets.EndRow(); }
            return new HeldOutSet { UserIds = uids.Select(uid => UserId(uid, foldInFile)).ToArray(), FoldIn = foldIn.Build(), Targets = targets.Build() };
        }

        return new SplitDataset
        {
            ItemIds = itemIds,
            TrainUserIds = trainUserIds,
            Train = train.Build(),
            Validation = ReadHeldOut(ValidationFoldInFile, ValidationTargetsFile),
            Test = ReadHeldOut(TestFoldInFile, TestTargetsFile),
        };
    }

    /// <summary>The sids of each uid in <paramref name="rowUids"/> (ascending), in that order.</summary>
    private static IEnumerable<List<int>> GroupRows(List<int> uids, List<int> sids, int[] rowUids)
    {
        var rowOf = new Dictionary<int, int>(rowUids.Length);
        for (int r = 0; r < rowUids.Length; r++) rowOf[rowUids[r]] = r;
        var rows = new List<int>[rowUids.Length];
        for (int r = 0; r < rows.Length; r++) rows[r] = new List<int>();
        for (int e = 0; e < uids.Count; e++) rows[rowOf[uids[e]]].Add(sids[e]);
        return rows;
    }

    private static (List<int> Uids, List<int> Sids) ReadPairs(string path, int itemCount)
    {
        var uids = new List<int>();
        var sids = new List<int>();
        using var reader = Sep.New(',').Reader(o => o with { HasHeader = true, DisableColCountCheck = true }).FromFile(path);
        var header = reader.Header.ColNames;
        int uidColumn = IndexOf(header, "uid", path), sidColumn = IndexOf(header, "sid", path);
        int needed = Math.Max(uidColumn, sidColumn) + 1;
        foreach (var row in reader)
        {
            if (row.Span.IsWhiteSpace()) continue;
            long line = row.LineNumberFrom;
            if (row.ColCount < needed) throw new DataFormatException(path, line, $"expected at least {needed} columns, found {row.ColCount}");
            if (!TryParseIndex(row[uidColumn].Span, out int uid)) throw new DataFormatException(path, line, $"uid '{EventParsing.Shorten(row[uidColumn].Span)}' is not a non-negative integer");
            if (!TryParseIndex(row[sidColumn].Span, out int sid)) throw new DataFormatException(path, line, $"sid '{EventParsing.Shorten(row[sidColumn].Span)}' is not a non-negative integer");
            if (sid >= itemCount) throw new DataFormatException(path, line, $"sid {sid} is outside {ItemIdsFile}, which lists {itemCount} items");
            uids.Add(uid);
            sids.Add(sid);
        }
        return (uids, sids);
    }

    /// <summary>pandas may write integer columns as floats ("12.0"); accept those when they are whole.</summary>
    private static bool TryParseIndex(ReadOnlySpan<char> text, out int value)
    {
        text = text.Trim();
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value)) return value >= 0;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d >= 0 && d <= int.MaxValue && d == Math.Floor(d))
        {
            value = (int)d;
            return true;
        }
        return false;
    }

    private static int IndexOf(IReadOnlyList<string> header, string name, string path)
    {
        for (int i = 0; i < header.Count; i++)
            if (string.Equals(header[i].Trim(), name, StringComparison.OrdinalIgnoreCase)) return i;
        throw new DataFormatException(path, 1, $"missing column '{name}'; the header has [{string.Join(", ", header)}]");
    }

    private static string[] ReadLines(string path)
    {
        var lines = File.ReadAllLines(path).Select(l => l.TrimEnd('\r')).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines.ToArray();
    }
}
