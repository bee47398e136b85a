using System.Runtime.InteropServices;
using VaeCf.Model;
using VaeCf.Split;

namespace VaeCf.Distributed;

/// <summary>
/// Confirms that every process holds the same thing: a 64-bit hash, its maximum and minimum over
/// processes compared. Data parallelism is only correct while the parameters (and, at the start,
/// the data and options) are equal, so a difference stops training on every process alike, with a
/// message instead of a hang or a silently wrong model.
/// </summary>
public static class ParameterCheck
{
    /// <summary>A hash of the exact bits, in order, the same on every machine.</summary>
    public static long Hash(ReadOnlySpan<float> values) => Hash(MemoryMarshal.Cast<float, uint>(values), 0x6A09E667F3BCC908UL);

    /// <summary>A hash of the integers in order, continuing from <paramref name="seed"/> (chain several arrays through it).</summary>
    public static long Hash(ReadOnlySpan<int> values, long seed = 0) => Hash(MemoryMarshal.Cast<int, uint>(values), (ulong)seed ^ 0xBB67AE8584CAA73BUL);

    /// <summary>A hash of the text's UTF-16 code units in order, continuing from <paramref name="seed"/>.</summary>
    public static long Hash(string text, long seed = 0) =>
        Hash(MemoryMarshal.Cast<char, ushort>(text.AsSpan()).ToArray().Select(c => (int)c).ToArray(), seed);

    private static long Hash(ReadOnlySpan<uint> bits, ulong seed)
    {
        ulong h = SplitMix.Mix(seed ^ (ulong)bits.Length);
        for (int i = 0; i < bits.Length; i++) h = SplitMix.Mix(h ^ (bits[i] + ((ulong)i << 32)));
        return (long)h;
    }

    /// <summary>Throws (on every process alike) when the processes' parameters differ after <paramref name="epoch"/>.</summary>
    public static void Confirm(ICommunicator communicator, ReadOnlySpan<float> parameters, int epoch)
    {
        if (communicator.Size == 1) return;
        ConfirmSame(communicator, Hash(parameters), epoch == 0
            ? "different initial parameters: the processes ran different builds or model options"
            : $"different parameters after epoch {epoch}: the processes ran different builds or on different machines' arithmetic");
    }

    /// <summary>
    /// Throws (on every process alike) unless every process loaded the same training data and split
    /// sizes and passed the same <paramref name="options"/> text: different data or flags would
    /// otherwise desynchronize the collectives (a hang) or the model.
    /// </summary>
    public static void ConfirmSameSetup(ICommunicator communicator, SplitDataset data, string options)
    {
        if (communicator.Size == 1) return;
        var train = data.Train;
        long setup = Hash(train.RowPointers, Hash(train.ColumnIndices, Hash(options)));
        setup = Hash([data.Validation.UserCount, data.Test.UserCount, train.Columns], setup);
        ConfirmSame(communicator, setup, "different data or training options");
    }

    /// <summary>Throws (on every process alike) unless every process passed the same <paramref name="hash"/>.</summary>
    public static void ConfirmSame(ICommunicator communicator, long hash, string problem)
    {
        if (communicator.Size == 1) return;
        Span<long> high = [hash], low = [hash];
        communicator.Max(high);
        communicator.Min(low);
        if (high[0] != low[0])
            throw new VaeCfException($"The {communicator.Size} processes hold {problem} (hashes {low[0]:x16} to {high[0]:x16}; this process {hash:x16}). " +
                "Every node needs the same build and the same data at the same path.");
    }
}
