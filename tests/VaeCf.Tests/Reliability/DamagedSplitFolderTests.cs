using VaeCf.Split;

namespace VaeCf.Tests.Reliability;

/// <summary>
/// Split folders damaged one way each: every one is refused when read, with a one-line error that
/// names the file (and the line where there is one), and never costs memory in proportion to a bad id.
/// </summary>
public class DamagedSplitFolderTests
{
    /// <summary>A consistent split: 3 training users, 1 validation user, 2 test users (uid 5 has fold-in items only), 4 items.</summary>
    internal static Dictionary<string, string> ValidFiles() => new()
    {
        [OriginalLayout.ItemIdsFile] = "10\n11\n12\n13\n",
        [OriginalLayout.UserIdsFile] = "u0\nu1\nu2\nu3\nu4\nu5\n",
        [OriginalLayout.TrainFile] = "uid,sid\n0,0\n0,1\n1,1\n1,2\n2,0\n2,3\n",
        [OriginalLayout.ValidationFoldInFile] = "uid,sid\n3,0\n3,1\n",
        [OriginalLayout.ValidationTargetsFile] = "uid,sid\n3,2\n",
        [OriginalLayout.TestFoldInFile] = "uid,sid\n4,1\n4,2\n5,0\n",
        [OriginalLayout.TestTargetsFile] = "uid,sid\n4,3\n",
    };

    internal static string WriteFolder(DataTestFiles files, IReadOnlyDictionary<string, string> contents, string name = "split")
    {
        foreach (var (file, text) in contents) files.Write(Path.Combine(name, file), text);
        return files.PathOf(name);
    }

    [Fact]
    public void TheBaseFolderIsValid()
    {
        using var files = new DataTestFiles();
        var split = OriginalLayout.Read(WriteFolder(files, ValidFiles()));
        Assert.Equal(3, split.Train.Rows);
        Assert.Equal(["u3"], split.Validation.UserIds);
        Assert.Equal(["u4", "u5"], split.Test.UserIds);
    }

    /// <summary>Case name, file changed, its new content (null deletes it), text the error must contain.</summary>
    public static TheoryData<string, string, string?, string> Cases => new()
    {
        { "huge uid without unique_uid", OriginalLayout.TrainFile, "uid,sid\n0,0\n1,1\n2,2\n300000000,3\n", "train.csv:5" },
        { "int.MaxValue uid", OriginalLayout.TrainFile, "uid,sid\n0,0\n2147483647,3\n", "train.csv:3" },
        { "uid beyond unique_uid", OriginalLayout.TrainFile, "uid,sid\n0,0\n1,1\n2,2\n6,3\n", "train.csv:5" },
        { "negative uid", OriginalLayout.TrainFile, "uid,sid\n0,0\n-1,1\n", "train.csv:3" },
        { "sid outside unique_sid", OriginalLayout.TrainFile, "uid,sid\n0,0\n1,4\n", "train.csv:3" },
        { "missing sid column", OriginalLayout.TrainFile, "uid,item\n0,0\n", "train.csv:1" },
        { "duplicate pair", OriginalLayout.TrainFile, "uid,sid\n0,0\n0,1\n1,1\n1,2\n2,0\n2,3\n0,1\n", "train.csv:8" },
        { "training user without rows", OriginalLayout.TrainFile, "uid,sid\n0,0\n0,1\n2,0\n2,3\n", "uid 1" },
        { "blank line in unique_sid", OriginalLayout.ItemIdsFile, "10\n\n11\n12\n13\n", "unique_sid.txt:2" },
        { "duplicate in unique_sid", OriginalLayout.ItemIdsFile, "10\n11\n12\n13\n11\n", "unique_sid.txt:5" },
        { "empty unique_sid", OriginalLayout.ItemIdsFile, "", "unique_sid.txt" },
        { "duplicate in unique_uid", OriginalLayout.UserIdsFile, "u0\nu1\nu2\nu3\nu1\nu5\n", "unique_uid.txt:5" },
        { "blank line in unique_uid", OriginalLayout.UserIdsFile, "u0\nu1\n \nu3\nu4\nu5\n", "unique_uid.txt:3" },
        { "training user in test_tr", OriginalLayout.TestFoldInFile, "uid,sid\n4,1\n4,2\n5,0\n1,3\n", "test_tr.csv:5" },
        { "validation user in test_tr", OriginalLayout.TestFoldInFile, "uid,sid\n4,1\n4,2\n5,0\n3,3\n", "test_tr.csv:5" },
        { "targets without fold-in", OriginalLayout.TestTargetsFile, "uid,sid\n4,3\n5,1\n5,2\n", "test_te.csv:3" },
        { "item in fold-in and targets", OriginalLayout.ValidationTargetsFile, "uid,sid\n3,2\n3,0\n", "validation_te.csv:3" },
        { "missing file", OriginalLayout.ValidationTargetsFile, null, "validation_te.csv" },
        { "binary garbage", OriginalLayout.TestTargetsFile, "uid,sid\n\u0001\u00ff\"\u0000,\"\"\n\u0002", "test_te.csv" },
        { "unterminated quote", OriginalLayout.TrainFile, "uid,sid\n0,0\n\"1,1\n", "train.csv" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void DamagedFolderIsRefusedNamingFileAndLine(string problem, string file, string? content, string expected)
    {
        using var files = new DataTestFiles();
        var contents = ValidFiles();
        if (problem is "huge uid without unique_uid" or "int.MaxValue uid" or "negative uid") contents.Remove(OriginalLayout.UserIdsFile);
        if (problem == "targets without fold-in") contents[OriginalLayout.TestFoldInFile] = "uid,sid\n4,1\n4,2\n";
        if (content is null) contents.Remove(file);
        else contents[file] = content;
        string folder = WriteFolder(files, contents);
        var error = Assert.ThrowsAny<VaeCfException>(() => OriginalLayout.Read(folder));
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void AHugeUidIsRefusedWithoutAllocatingPerUser()
    {
        // 20 million rows' worth of per-user state would be hundreds of MB; the check costs nothing.
        using var files = new DataTestFiles();
        var contents = ValidFiles();
        contents.Remove(OriginalLayout.UserIdsFile);
        contents[OriginalLayout.TrainFile] += "20000000,3\n";
        string folder = WriteFolder(files, contents);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.ThrowsAny<VaeCfException>(() => OriginalLayout.Read(folder));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("train.csv:8", error.Message);
        Assert.True(allocated < 16 << 20, $"allocated {allocated:N0} bytes");
    }
}
