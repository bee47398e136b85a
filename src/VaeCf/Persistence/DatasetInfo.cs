using System.Security.Cryptography;
using VaeCf.Split;

namespace VaeCf.Persistence;

/// <summary>What data a model was trained on, so a mismatch can be noticed later.</summary>
public sealed record DatasetInfo
{
    public string? Source { get; init; }
    public string Fingerprint { get; init; } = "";
    public int TrainUsers { get; init; }
    public int ValidationUsers { get; init; }
    public int TestUsers { get; init; }
    public int Items { get; init; }
    public long TrainInteractions { get; init; }

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
