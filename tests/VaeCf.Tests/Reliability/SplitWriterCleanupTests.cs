using VaeCf.Split;

namespace VaeCf.Tests.Reliability;

/// <summary>A prepare killed mid-write leaves hidden temporaries beside its output; the next write removes them, restoring a split that was moved aside.</summary>
public class SplitWriterCleanupTests
{
    [Fact]
    public void StaleTemporariesAreRemovedByTheNextWrite()
    {
        using var files = new DataTestFiles();
        var split = StrongGeneralizationSplitter.Split(SplitTests.Synthetic(), new SplitOptions());
        string output = files.PathOf("out");
        OriginalLayout.Write(split, output);
        Directory.CreateDirectory(files.PathOf(".out.partial-0123456789abcdef0123456789abcdef"));
        files.Write(".out.old-fedcba9876543210fedcba9876543210/train.csv", "uid,sid\n");

        OriginalLayout.Write(split, output, overwrite: true);
        Assert.Equal(["out"], Directory.GetFileSystemEntries(files.Folder).Select(Path.GetFileName));
    }

    [Fact]
    public void ASplitMovedAsideByAKilledOverwriteIsRestoredNotLost()
    {
        using var files = new DataTestFiles();
        var split = StrongGeneralizationSplitter.Split(SplitTests.Synthetic(), new SplitOptions());
        string output = files.PathOf("out");
        OriginalLayout.Write(split, output);
        // Killed between moving the old split aside and moving the new one in.
        string aside = files.PathOf(".out.old-fedcba9876543210fedcba9876543210");
        Directory.Move(output, aside);
        Directory.CreateDirectory(files.PathOf(".out.partial-0123456789abcdef0123456789abcdef"));

        // Without --overwrite the restored split is kept and the write refused.
        Assert.Throws<VaeCfException>(() => OriginalLayout.Write(split, output));
        SplitAssert.Identical(split, OriginalLayout.Read(output));
        Assert.Equal(["out"], Directory.GetFileSystemEntries(files.Folder).Select(Path.GetFileName));
    }
}
