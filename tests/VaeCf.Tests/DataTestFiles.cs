namespace VaeCf.Tests;

/// <summary>A temporary folder for test fixtures, removed on dispose.</summary>
public sealed class DataTestFiles : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "vaecf-tests-" + Guid.NewGuid().ToString("N"));

    public DataTestFiles() => Directory.CreateDirectory(Folder);

    public string Write(string name, string content)
    {
        string path = Path.Combine(Folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }

    /// <summary>The repository root, found by walking up from the test assembly to the folder holding VaeCf.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "VaeCf.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (VaeCf.sln) above " + AppContext.BaseDirectory);
    }
}
