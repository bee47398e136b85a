using System.Security.Cryptography;
using VaeCf.Split;

namespace VaeCf.Persistence;

/// <summary>What data a model was trained on, so a mismatch can be noticed later.</summary>
public sealed record DatasetInfo
{
    /// <summary>The data path given at training time, made absolute; where evaluate looks by default.</summary>
    public string? Source { get; init; }
    /// <summary>SHA-256 over the training matrix and item vocabulary: equal fingerprints mean the same training split.</summary>
    public string Fingerprint { get; init; } = "";
    /// <summary>Training users.</summary>
    public int TrainUsers { get; init; }
    /// <summary>Validation users.</summary>
    public int ValidationUsers { get; init; }
    /// <summary>Test users.</summary>
    public int TestUsers { get; init; }
    /// <summary>Items in the vocabulary.</summary>
    public int Items { get; init; }
    /// <summary>Training events (clicks).</summary>
    public long TrainInteractions { get; init; }

    /// <summary>The record of <paramref name="data"/>, read from <paramref name="source"/>.</summary>
    public static DatasetInfo Describe(SplitDataset data, string? source) => new()
    {
        Source = source,
        Fingerprint = ComputeFingerprint(data),
        TrainUsers = data.Train.Rows,
        ValidationUsers = data.Validation.UserCount,
        TestUsers = data.Test.UserCount,
        Items = data.ItemCount,
        TrainInteractions = data.Train.NonZeros,
    };

    /// <summary>SHA-256 over the item vocabulary and the training matrix, shortened to 16 hex digits.</summary>
    public static string ComputeFingerprint(SplitDataset data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in data.ItemIds) { hash.AppendData(System.Text.Encoding.UTF8.GetBytes(id)); hash.AppendData([0]); }
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Train.RowPointers.AsSpan()));
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Train.ColumnIndices.AsSpan()));
        return Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
