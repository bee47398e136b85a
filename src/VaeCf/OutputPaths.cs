namespace VaeCf;

/// <summary>
/// Checks made before a command writes anything: it never writes over, or deletes, what it reads, and
/// replaces an existing output only when told to. Run before the work, so a long run is not lost to a
/// bad --output at the end.
/// </summary>
public static class OutputPaths
{
    private static readonly StringComparison PathComparison =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private static string Normalize(string path) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or lies inside it.</summary>
    public static bool IsSameOrInside(string inner, string outer)
    {
        string a = Normalize(inner), b = Normalize(outer);
        if (string.Equals(a, b, PathComparison)) return true;
        string prefix = b.EndsWith(Path.DirectorySeparatorChar) ? b : b + Path.DirectorySeparatorChar;
        return a.StartsWith(prefix, PathComparison);
    }

    /// <summary>
    /// Refuses an output that is one of the inputs or holds one (replacing it would delete the input).
    /// An output inside an input folder is allowed: it adds a new entry and leaves what is read alone.
    /// </summary>
    public static void EnsureNotAnInput(string output, params string?[] inputs)
    {
        foreach (string? input in inputs)
        {
            if (string.IsNullOrWhiteSpace(input)) continue;
            if (IsSameOrInside(input, output))
                throw new VaeCfException(string.Equals(Normalize(input), Normalize(output), PathComparison)
                    ? $"Output '{output}' is also an input of this command; choose another output."
                    : $"Output '{output}' holds the input '{input}', which writing there could destroy; choose another output.");
        }
    }

    /// <summary>A file to be written: not a folder, absent unless <paramref name="overwrite"/>, in a writable folder.</summary>
    public static void EnsureFileWritable(string file, bool overwrite)
    {
        if (Directory.Exists(file)) throw new VaeCfException($"Output '{file}' is a folder, not a file.");
        if (File.Exists(file) && !overwrite) throw new VaeCfException($"Output file '{file}' already exists; pass --overwrite to replace it.");
        ProbeParent(file);
    }

    private static void ProbeParent(string path)
    {
        string parent = Path.GetDirectoryName(Path.GetFullPath(path)) ?? throw new VaeCfException($"Output '{path}' has no parent folder.");
        string probe = Path.Combine(parent, $".vaecf-write-probe-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(parent);
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VaeCfException($"Cannot write to '{parent}' for output '{path}': {e.Message}");
        }
    }
}
