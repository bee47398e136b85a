using VaeCf.Data;
using VaeCf.Split;

namespace VaeCf.Tests;

public class OriginalLayoutTests
{
    [Fact]
    public void WriteThenReadGivesTheSameSplit()
    {
        using var files = new DataTestFiles();
        var split = StrongGeneralizationSplitter.Split(SplitTests.Synthetic(), new SplitOptions());
        string folder = files.PathOf("split");
        OriginalLayout.Write(split, folder);

        Assert.True(OriginalLayout.IsLayoutFolder(folder));
        Assert.Equal("uid,sid", File.ReadLines(Path.Combine(folder, OriginalLayout.TrainFile)).First());
        SplitAssert.Identical(split, OriginalLayout.Read(folder));
        Assert.Equal([Path.GetFileName(folder)], Directory.GetFileSystemEntries(files.Folder).Select(Path.GetFileName));
    }

    [Fact]
    public void RefusesToOverwriteUnlessAsked()
    {
        using var files = new DataTestFiles();
        var split = StrongGeneralizationSplitter.Split(SplitTests.Synthetic(), new SplitOptions());
        string folder = files.PathOf("split");
        files.Write("split/notes.txt", "keep me");
        var ex = Assert.Throws<VaeCfException>(() => OriginalLayout.Write(split, folder));
        Assert.Contains("--overwrite", ex.Message);
        Assert.False(OriginalLayout.IsLayoutFolder(folder));

        OriginalLayout.Write(split, folder, overwrite: true);
        Assert.False(File.Exists(Path.Combine(folder, "notes.txt")));
        SplitAssert.Identical(split, OriginalLayout.Read(folder));
        Assert.Single(Directory.GetFileSystemEntries(files.Folder));

        // An existing empty folder is fine to fill.
        string empty = files.PathOf("empty");
        Directory.CreateDirectory(empty);
        OriginalLayout.Write(split, empty);
        Assert.True(OriginalLayout.IsLayoutFolder(empty));
    }

    [Fact]
    public void ReadsAFolderWrittenByPython()
    {
        // As the notebook writes it: rows in event order, held-out uids continuing after training uids,
        // a held-out user missing from the files (no events left), pandas floats, no unique_uid.txt.
        using var files = new DataTestFiles();
        files.Write("py/unique_sid.txt", "50\n20\n70\n");
        files.Write("py/train.csv", "uid,sid\n1,2\n0,0\n0,1\n1,0\n");
        files.Write("py/validation_tr.csv", "uid,sid\n2,0\n4,1\n4.0,2\n");
        files.Write("py/validation_te.csv", "uid,sid\n4,0\n");
        files.Write("py/test_tr.csv", "uid,sid\n5,1\n");
        files.Write("py/test_te.csv", "sid,uid\n2,5\n");
        var split = OriginalLayout.Read(files.PathOf("py"));

        Assert.Equal(["50", "20", "70"], split.ItemIds);
        Assert.Equal(["0", "1"], split.TrainUserIds);
        Assert.Equal([0, 1], split.Train.RowIndices(0).ToArray());
        Assert.Equal([0, 2], split.Train.RowIndices(1).ToArray());
        Assert.Equal(["2", "4"], split.Validation.UserIds);
        Assert.Equal([0], split.Validation.FoldIn.RowIndices(0).ToArray());
        Assert.Equal(0, split.Validation.Targets.RowLength(0));
        Assert.Equal([1, 2], split.Validation.FoldIn.RowIndices(1).ToArray());
        Assert.Equal([0], split.Validation.Targets.RowIndices(1).ToArray());
        Assert.Equal(["5"], split.Test.UserIds);
        Assert.Equal([2], split.Test.Targets.RowIndices(0).ToArray());

        files.Write("py/unique_uid.txt", "u0\nu1\nu2\nu3\nu4\nu5\n");
        Assert.Equal(["u2", "u4"], OriginalLayout.Read(files.PathOf("py")).Validation.UserIds);
    }

    [Fact]
    public void BadLayoutFilesNameFileAndLine()
    {
        using var files = new DataTestFiles();
        files.Write("py/unique_sid.txt", "50\n20\n");
        files.Write("py/train.csv", "uid,sid\n0,0\n0,5\n");
        foreach (string f in new[] { "validation_tr.csv", "validation_te.csv", "test_tr.csv", "test_te.csv" }) files.Write("py/" + f, "uid,sid\n");
        var ex = Assert.Throws<DataFormatException>(() => OriginalLayout.Read(files.PathOf("py")));
        Assert.Equal(3, ex.Line);
        Assert.Contains("sid 5", ex.Message);

        files.Write("py/train.csv", "uid,sid\n0,x\n");
        Assert.Equal(2, Assert.Throws<DataFormatException>(() => OriginalLayout.Read(files.PathOf("py"))).Line);

        File.Delete(files.PathOf("py/test_te.csv"));
        Assert.Contains("test_te.csv", Assert.Throws<VaeCfException>(() => OriginalLayout.Read(files.PathOf("py"))).Message);
    }
}
