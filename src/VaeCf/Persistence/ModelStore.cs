using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace VaeCf.Persistence;

/// <summary>
/// A model folder: model.safetensors (weights), config.json (<see cref="ModelManifest"/>) and, as
/// a model kind needs, other files (history.csv, experiment.json). The folder is built beside its
/// final place and swapped in whole, so a reader sees the old folder or the new one, never a mix;
/// config.json carries the SHA-256 of every other file, checked on load, so a folder mixed or
/// damaged by hand or by a fault is refused with the name of the file.
/// </summary>
public static class ModelStore
{
    /// <summary>The weights of every kind, in safetensors.</summary>
    public const string WeightsFile = "model.safetensors";
    /// <summary>The manifest; written last, so its presence marks a complete folder.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>A trained kind's per-epoch history.</summary>
    public const string HistoryFile = "history.csv";
    private const string PartialMarker = ".partial-";
    private const string OldMarker = ".old-";

    /// <summary>
    /// Files a model folder is made of: the three every kind may write, the extra files of this save,
    /// and those the folder's own config.json lists. Anything else in a target folder is someone
    /// else's and is never swapped away.
    /// </summary>
    private static HashSet<string> ModelFiles(string folder, IEnumerable<string>? extra)
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { WeightsFile, ConfigFile, HistoryFile };
        if (extra is not null) names.UnionWith(extra);
        if (IsComplete(folder))
        {
            try { if (ReadManifest(folder).Files is { } listed) names.UnionWith(listed.Keys); }
            catch (VaeCfException) { } // a damaged config.json lists nothing; its folder's other files stay protected
        }
        return names;
    }

    /// <summary>Whether <paramref name="directory"/> holds a complete model folder (its config.json).</summary>
    public static bool IsComplete(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    /// <summary>
    /// Refuses, before any long fit, an output the save would fail on: an existing file, a folder
    /// holding a model without <paramref name="overwrite"/>, a folder holding other files, or a
    /// place that cannot be written.
    /// </summary>
    public static void CheckWritable(string directory, bool overwrite)
    {
        string full = Path.GetFullPath(directory);
        // A save killed between its renames left the folder's last model beside it: put it back
        // first, so that model counts as existing and is not replaced without --overwrite.
        RecoverInterruptedSave(full);
        if (File.Exists(full)) throw new VaeCfException($"Output '{directory}' is a file; a model is saved as a folder.");
        if (Directory.Exists(full))
        {
            if (IsComplete(full) && !overwrite) throw new VaeCfException($"'{directory}' already holds a model; pass --overwrite or choose another --output.");
            CheckOnlyModelFiles(full, directory, null);
        }
        string parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar)) ?? full;
        string probe = Path.Combine(parent, $".{Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar))}.probe-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(parent);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VaeCfException($"Cannot write the model folder '{directory}': {e.Message}");
        }
    }

    private static void CheckOnlyModelFiles(string full, string shown, IEnumerable<string>? extra)
    {
        var allowed = ModelFiles(full, extra);
        var foreign = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).FirstOrDefault(n => !allowed.Contains(n!) || Directory.Exists(Path.Combine(full, n!)));
        if (foreign is not null)
            throw new VaeCfException($"'{shown}' holds '{foreign}', which is not part of a model folder; a model folder is replaced whole, so choose an empty or new folder.");
    }

    /// <summary>
    /// Writes the folder: weights, <paramref name="textFiles"/> and config.json (with their
    /// checksums) into a hidden sibling, then swaps it in for <paramref name="directory"/>.
    /// </summary>
    public static ModelManifest Save(string directory, ModelManifest manifest, IReadOnlyList<NamedTensor> tensors,
        IReadOnlyDictionary<string, string>? textFiles = null)
    {
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!;
        string name = Path.GetFileName(full);
        Directory.CreateDirectory(parent);
        if (Directory.Exists(full)) CheckOnlyModelFiles(full, directory, textFiles?.Keys);
        RecoverInterruptedSave(full);
        string staging = Path.Combine(parent, $".{name}{PartialMarker}{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            FaultInjection.Reached("save: staging folder created");
            // The writer hashes what it writes, so the weights (6.7 GB for EASE at 40k items) are not read back to be hashed.
            string weightsSha256 = SafeTensors.Write(Path.Combine(staging, WeightsFile), tensors, new Dictionary<string, string>
            {
                ["format"] = ModelManifest.FormatName,
                ["model"] = manifest.Model,
            });
            FaultInjection.Reached("save: weights written");
            foreach (var (file, text) in textFiles ?? new Dictionary<string, string>())
            {
                if (file == ConfigFile || file == WeightsFile || file != Path.GetFileName(file) || file.StartsWith('.'))
                    throw new ArgumentException($"'{file}' cannot be written as an extra file of a model folder.", nameof(textFiles));
                AtomicFile.WriteText(Path.Combine(staging, file), text);
                FaultInjection.Reached($"save: {file} written");
            }
            var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var path in Directory.GetFiles(staging))
                files[Path.GetFileName(path)] = Path.GetFileName(path) == WeightsFile ? weightsSha256 : Sha256(path);
            var saved = manifest with { Version = ModelManifest.CurrentVersion, Files = new Dictionary<string, string>(files) };
            AtomicFile.WriteText(Path.Combine(staging, ConfigFile), JsonSerializer.Serialize(ManifestDocument.From(saved), ModelManifest.Json));
            FaultInjection.Reached("save: config.json written");
            SwapIn(staging, full);
            return saved;
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    /// <summary>The old folder is moved aside, the new one moved in, the old one deleted: two renames, never a mixed folder.</summary>
    private static void SwapIn(string staging, string full)
    {
        string? old = null;
        if (Directory.Exists(full))
        {
            old = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}{OldMarker}{Guid.NewGuid():N}");
            Directory.Move(full, old);
            FaultInjection.Reached("save: old folder moved aside");
        }
        try { Directory.Move(staging, full); }
        catch
        {
            if (old is not null) Directory.Move(old, full);
            throw;
        }
        FaultInjection.Reached("save: new folder moved in");
        if (old is not null)
        {
            TryDelete(old);
            FaultInjection.Reached("save: old folder deleted");
        }
    }

    /// <summary>
    /// The folder to read for <paramref name="directory"/>: itself, or, when a save was killed between
    /// its two renames (the folder gone, its complete predecessor still beside it under a hidden
    /// name), that predecessor, read where it lies; the next save puts it back.
    /// </summary>
    public static string ReadableFolder(string directory)
    {
        if (Directory.Exists(directory)) return directory;
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(parent)) return directory;
        return Directory.GetDirectories(parent, $".{Path.GetFileName(full)}{OldMarker}*").FirstOrDefault(IsComplete) ?? directory;
    }

    /// <summary>
    /// Tidies what a killed save left beside <paramref name="directory"/>: a partial build is
    /// garbage; an old folder whose replacement never arrived is the last complete save, so it is
    /// put back. Callers that decide by whether a folder is complete (the grid runner) call this first.
    /// </summary>
    public static void RecoverInterruptedSave(string directory)
    {
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!, name = Path.GetFileName(full);
        if (!Directory.Exists(parent)) return;
        foreach (var dir in Directory.GetDirectories(parent, $".{name}{PartialMarker}*")) TryDelete(dir);
        foreach (var dir in Directory.GetDirectories(parent, $".{name}{OldMarker}*"))
        {
            if (!Directory.Exists(full) && IsComplete(dir)) Directory.Move(dir, full);
            else TryDelete(dir);
        }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The file's SHA-256 in lower-case hex, as config.json's "files" lists it.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>Reads and checks config.json of <paramref name="directory"/> without loading the weights; a missing or damaged file is a user error naming it.</summary>
    public static ModelManifest ReadManifest(string directory)
    {
        string path = Path.Combine(directory, ConfigFile);
        if (!Directory.Exists(directory)) throw new VaeCfException($"Model folder '{directory}' does not exist.");
        if (!File.Exists(path)) throw new VaeCfException($"'{directory}' is not a complete VaeCf model folder: {ConfigFile} is missing.");
        ManifestDocument? document;
        try { document = JsonSerializer.Deserialize<ManifestDocument>(File.ReadAllText(path, Encoding.UTF8), ModelManifest.Json); }
        catch (JsonException e) { throw new VaeCfException($"{path}: not a valid model config ({e.Message})."); }
        if (document is null) throw new VaeCfException($"{path}: not a VaeCf model config.");
        return document.ToManifest(path);
    }

    /// <summary>
    /// Checks every file config.json lists against its checksum (version 1 folders list none);
    /// without <paramref name="includeWeights"/> the weights are left to <see cref="ReadTensors"/>,
    /// which checks them on the pass that reads them.
    /// </summary>
    public static void VerifyFiles(string directory, ModelManifest manifest, bool includeWeights = true)
    {
        if (manifest.Files is null) return;
        foreach (var (file, expected) in manifest.Files)
        {
            if (!includeWeights && file == WeightsFile) continue;
            string path = Path.Combine(directory, file);
            if (file != Path.GetFileName(file) || file == ConfigFile) throw new VaeCfException($"{Path.Combine(directory, ConfigFile)}: 'files' names '{file}', which is not a file of the folder.");
            if (!File.Exists(path)) throw new VaeCfException($"{path} is missing, though {ConfigFile} lists it.");
            if (!string.Equals(Sha256(path), expected, StringComparison.OrdinalIgnoreCase))
                throw new VaeCfException($"{path} does not match the checksum in {ConfigFile}: the file is damaged or comes from another save.");
        }
    }

    /// <summary>The weights, refused unless their content hashes to <paramref name="expectedSha256"/> when one is given.</summary>
    public static Dictionary<string, NamedTensor> ReadTensors(string directory, string? expectedSha256 = null)
    {
        string path = Path.Combine(directory, WeightsFile);
        if (!File.Exists(path)) throw new VaeCfException($"'{directory}' has no {WeightsFile}.");
        return SafeTensors.Read(path, expectedSha256).Tensors;
    }

    /// <summary>The tensor <paramref name="name"/> with exactly <paramref name="shape"/>, or an error naming the file.</summary>
    public static NamedTensor Require(IReadOnlyDictionary<string, NamedTensor> tensors, string directory, string name, int[] shape)
    {
        string path = Path.Combine(directory, WeightsFile);
        if (!tensors.TryGetValue(name, out var t)) throw new VaeCfException($"{path}: tensor '{name}' is missing.");
        if (!t.Shape.SequenceEqual(shape) || t.Data.LongLength != t.ElementCount)
            throw new VaeCfException($"{path}: tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}].");
        return t;
    }
}
