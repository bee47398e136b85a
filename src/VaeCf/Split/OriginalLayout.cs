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
    /// <summary>Training users' events.</summary>
    public const string TrainFile = "train.csv";
    /// <summary>Validation users' fold-in events.</summary>
    public const string ValidationFoldInFile = "validation_tr.csv";
    /// <summary>Validation users' held-out targets.</summary>
    public const string ValidationTargetsFile = "validation_te.csv";
    /// <summary>Test users' fold-in events.</summary>
    public const string TestFoldInFile = "test_tr.csv";
    /// <summary>Test users' held-out targets.</summary>
    public const string TestTargetsFile = "test_te.csv";
    /// <summary>The item vocabulary, one original ID per line; line j is sid j.</summary>
    public const string ItemIdsFile = "unique_sid.txt";
    /// <summary>Every user, one original ID per line; line u is uid u.</summary>
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
        RecoverFromKilledWrite(target);
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

    /// <summary>
    /// A write killed part-way leaves hidden siblings: <c>.NAME.partial-*</c> (a split being written, never
    /// complete) and, when killed while replacing, <c>.NAME.old-*</c> (the previous split, moved aside).
    /// Partial folders are deleted; a moved-aside split goes back in place when nothing replaced it, so it
    /// is not lost, and is deleted otherwise.
    /// </summary>
    public static void RecoverFromKilledWrite(string folder)
    {
        string target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        string? parent = Path.GetDirectoryName(target);
        if (parent is null || !Directory.Exists(parent)) return;
        string name = Path.GetFileName(target);
        foreach (string partial in Directory.EnumerateDirectories(parent, $".{name}.partial-*").ToList())
            Directory.Delete(partial, recursive: true);
        foreach (string old in Directory.EnumerateDirectories(parent, $".{name}.old-*").OrderByDescending(Directory.GetLastWriteTimeUtc).ToList())
        {
            if (!Directory.Exists(target) && IsLayoutFolder(old)) Directory.Move(old, target);
            else Directory.Delete(old, recursive: true);
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

    /// <summary>
    /// Reads a split written here or by the Python implementations, checking the whole layout as it
    /// goes: every id list has no blank or repeated line; every uid and sid is within its list (checked
    /// per line, so one bad id costs nothing); training uids run 0..n-1 with rows for each; held-out
    /// uids come after them, a user is in one held-out set only, has fold-in items wherever it has
    /// targets, and never the same item in both; no (uid, sid) pair repeats. Any breach is a
    /// <see cref="VaeCfException"/> naming the file (and line).
    /// </summary>
    public static SplitDataset Read(string folder)
    {
        if (!IsLayoutFolder(folder))
            throw new VaeCfException($"'{folder}' is not a split folder: it needs {ItemIdsFile} and {TrainFile}.");
        foreach (string file in new[] { ValidationFoldInFile, ValidationTargetsFile, TestFoldInFile, TestTargetsFile })
            if (!File.Exists(Path.Combine(folder, file))) throw new VaeCfException($"Split folder '{folder}' lacks {file}.");

        string[] itemIds = ReadIdList(Path.Combine(folder, ItemIdsFile), "item");
        if (itemIds.Length == 0) throw new VaeCfException($"{Path.Combine(folder, ItemIdsFile)} is empty: the split has no items.");
        string userIdsPath = Path.Combine(folder, UserIdsFile);
        // Without unique_uid.txt the uid numbers themselves serve as user ids.
        string[]? userIds = File.Exists(userIdsPath) ? ReadIdList(userIdsPath, "user") : null;
        int uidLimit = userIds?.Length ?? int.MaxValue;
        string UserId(int uid) => userIds is null ? uid.ToString(CultureInfo.InvariantCulture) : userIds[uid];
        string UidProblem(int uid) => $"uid {uid} is outside {UserIdsFile}, which lists {uidLimit} users";

        // Training: uids 0..n-1, each with at least one row.
        string trainPath = Path.Combine(folder, TrainFile);
        var train = ReadPairs(trainPath, itemIds.Length, uid => uid >= uidLimit ? UidProblem(uid) : null);
        int trainRows = 0;
        if (train.Uids.Count > 0)
        {
            int maxUid = train.MaxUid;
            // More users than rows means some have none: refused before any per-user state is allocated.
            if (maxUid >= train.Uids.Count)
                throw new DataFormatException(trainPath, train.MaxUidLine, $"uid {maxUid} leaves training users without rows: training uids must run 0..n-1 ({train.Uids.Count} rows in all)");
            trainRows = maxUid + 1;
        }
        var trainMatrix = BuildRows(train, null, trainRows, trainPath, itemIds.Length);
        for (int uid = 0; uid < trainRows; uid++)
            if (trainMatrix.RowLength(uid) == 0)
                throw new VaeCfException($"{trainPath}: uid {uid} has no rows: training uids must run 0..n-1, each with items.");

        string? HeldOutProblem(int uid, IReadOnlySet<int>? other, string otherName) =>
            uid >= uidLimit ? UidProblem(uid)
            : uid < trainRows ? $"uid {uid} is a training user (train.csv has uids 0..{trainRows - 1}); held-out users must be new"
            : other is not null && other.Contains(uid) ? $"uid {uid} is also a {otherName} user; a user belongs to one held-out set"
            : null;

        HeldOutSet ReadHeldOut(string foldInFile, string targetsFile, IReadOnlySet<int>? other, string otherName, out HashSet<int> users)
        {
            string foldInPath = Path.Combine(folder, foldInFile), targetsPath = Path.Combine(folder, targetsFile);
            var foldIn = ReadPairs(foldInPath, itemIds.Length, uid => HeldOutProblem(uid, other, otherName));
            var uids = new HashSet<int>(foldIn.Uids);
            int[] rowUids = uids.Order().ToArray();
            var rowOf = new Dictionary<int, int>(rowUids.Length);
            for (int r = 0; r < rowUids.Length; r++) rowOf[rowUids[r]] = r;
            var foldInMatrix = BuildRows(foldIn, rowOf, rowUids.Length, foldInPath, itemIds.Length);
            // Targets are checked line by line against the fold-in rows just built.
            var targets = ReadPairs(targetsPath, itemIds.Length, (uid, sid) =>
                HeldOutProblem(uid, other, otherName)
                ?? (!rowOf.TryGetValue(uid, out int row) ? $"uid {uid} has held-out items but no fold-in items in {foldInFile}"
                : foldInMatrix.RowIndices(row).BinarySearch(sid) >= 0 ? $"uid {uid} has sid {sid} both here and in {foldInFile}"
                : null));
            users = uids;
            return new HeldOutSet
            {
                UserIds = rowUids.Select(UserId).ToArray(),
                FoldIn = foldInMatrix,
                Targets = BuildRows(targets, rowOf, rowUids.Length, targetsPath, itemIds.Length),
            };
        }

        var validation = ReadHeldOut(ValidationFoldInFile, ValidationTargetsFile, null, "", out var validationUsers);
        var test = ReadHeldOut(TestFoldInFile, TestTargetsFile, validationUsers, "validation", out _);
        return new SplitDataset
        {
            ItemIds = itemIds,
            TrainUserIds = Enumerable.Range(0, trainRows).Select(UserId).ToArray(),
            Train = trainMatrix,
            Validation = validation,
            Test = test,
        };
    }

    /// <summary>The (uid, sid) pairs of one file, in file order, with where the largest uid sits.</summary>
    private sealed class PairFile
    {
        public List<int> Uids { get; } = [];
        public List<int> Sids { get; } = [];
        public int MaxUid { get; set; } = -1;
        public long MaxUidLine { get; set; }
    }

    /// <summary>
    /// One CSR row per held-out user (<paramref name="rowOf"/>: uid -> row) or, without it, per training uid.
    /// A pair that repeats is refused, named by the line of its second occurrence.
    /// </summary>
    private static CsrMatrix BuildRows(PairFile pairs, IReadOnlyDictionary<int, int>? rowOf, int rows, string path, int itemCount)
    {
        // Counting sort by row: two passes over the pairs, no per-row collections.
        var pointers = new int[rows + 1];
        for (int e = 0; e < pairs.Uids.Count; e++) pointers[(rowOf is null ? pairs.Uids[e] : rowOf[pairs.Uids[e]]) + 1]++;
        for (int r = 0; r < rows; r++) pointers[r + 1] += pointers[r];
        var indices = new int[pairs.Uids.Count];
        var next = pointers[..rows];
        for (int e = 0; e < pairs.Uids.Count; e++)
        {
            int row = rowOf is null ? pairs.Uids[e] : rowOf[pairs.Uids[e]];
            indices[next[row]++] = pairs.Sids[e];
        }
        for (int r = 0; r < rows; r++)
        {
            var row = indices.AsSpan(pointers[r], pointers[r + 1] - pointers[r]);
            row.Sort();
            for (int k = 1; k < row.Length; k++)
                if (row[k] == row[k - 1]) ThrowRepeatedPair(pairs, path, rowOf, r, row[k]);
        }
        return new CsrMatrix(rows, itemCount, pointers, indices);
    }

    private static void ThrowRepeatedPair(PairFile pairs, string path, IReadOnlyDictionary<int, int>? rowOf, int row, int sid)
    {
        int uid = rowOf is null ? row : rowOf.First(kv => kv.Value == row).Key;
        // Only on this error path: find the line that repeats the pair.
        bool seen = false;
        foreach (var (line, u, s) in ReadRawPairs(path))
        {
            if (u != uid || s != sid) continue;
            if (seen) throw new DataFormatException(path, line, $"uid {uid}, sid {sid} appears twice");
            seen = true;
        }
        throw new VaeCfException($"{path}: uid {uid}, sid {sid} appears twice.");
    }

    private static PairFile ReadPairs(string path, int itemCount, Func<int, string?> checkUid) =>
        ReadPairs(path, itemCount, (uid, _) => checkUid(uid));

    /// <summary>Reads uid,sid pairs, checking each line as it comes: indices in range, then <paramref name="checkPair"/>'s rule.</summary>
    private static PairFile ReadPairs(string path, int itemCount, Func<int, int, string?> checkPair)
    {
        var pairs = new PairFile();
        foreach (var (line, uid, sid) in ReadRawPairs(path))
        {
            if (sid >= itemCount) throw new DataFormatException(path, line, $"sid {sid} is outside {ItemIdsFile}, which lists {itemCount} items");
            if (checkPair(uid, sid) is string problem) throw new DataFormatException(path, line, problem);
            if (uid > pairs.MaxUid) { pairs.MaxUid = uid; pairs.MaxUidLine = line; }
            pairs.Uids.Add(uid);
            pairs.Sids.Add(sid);
        }
        return pairs;
    }

    private static IEnumerable<(long Line, int Uid, int Sid)> ReadRawPairs(string path)
    {
        SepReader reader;
        try { reader = Sep.New(',').Reader(o => o with { HasHeader = true, DisableColCountCheck = true }).FromFile(path); }
        catch (Exception e) when (IsParseError(e)) { throw new DataFormatException(path, 1, $"cannot be read as comma-separated text ({Shorten(e.Message)})"); }
        using (reader)
        {
            var header = reader.Header.ColNames;
            int uidColumn = IndexOf(header, "uid", path), sidColumn = IndexOf(header, "sid", path);
            int needed = Math.Max(uidColumn, sidColumn) + 1;
            long lastLine = 1;
            var rows = reader.GetEnumerator();
            while (true)
            {
                (long Line, int Uid, int Sid)? pair;
                try
                {
                    if (!rows.MoveNext()) break;
                    var row = rows.Current;
                    lastLine = row.LineNumberFrom;
                    if (row.Span.IsWhiteSpace()) continue;
                    if (row.ColCount < needed) throw new DataFormatException(path, lastLine, $"expected at least {needed} columns, found {row.ColCount}");
                    if (!TryParseIndex(row[uidColumn].Span, out int uid)) throw new DataFormatException(path, lastLine, $"uid '{EventParsing.Shorten(row[uidColumn].Span)}' is not a non-negative integer");
                    if (!TryParseIndex(row[sidColumn].Span, out int sid)) throw new DataFormatException(path, lastLine, $"sid '{EventParsing.Shorten(row[sidColumn].Span)}' is not a non-negative integer");
                    pair = (lastLine, uid, sid);
                }
                catch (Exception e) when (IsParseError(e))
                {
                    throw new DataFormatException(path, lastLine, $"cannot be read as comma-separated text ({Shorten(e.Message)})");
                }
                yield return pair.Value;
            }
        }
    }

    private static bool IsParseError(Exception e) =>
        e is not VaeCfException && e is FormatException or InvalidDataException or ArgumentException or NotSupportedException or IndexOutOfRangeException;

    private static string Shorten(string message)
    {
        string line = message.ReplaceLineEndings(" ");
        return line.Length <= 120 ? line : line[..117] + "...";
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

    /// <summary>One id per line: a blank or repeated line is refused with its line number (the Python loaders would number it as an item).</summary>
    private static string[] ReadIdList(string path, string what)
    {
        var ids = new List<string>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string id = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(id)) throw new DataFormatException(path, lineNumber, $"blank line: every line must hold one {what} id");
            if (!firstLine.TryAdd(id, lineNumber))
                throw new DataFormatException(path, lineNumber, $"{what} id '{EventParsing.Shorten(id)}' repeats line {firstLine[id]}");
            ids.Add(id);
        }
        return ids.ToArray();
    }
}
