namespace VaeCf.Split;

/// <summary>
/// numpy's legacy <c>np.random.RandomState</c> (what <c>np.random.seed</c> / <c>np.random.permutation</c>
/// use), draw for draw: a 32-bit Mersenne Twister (MT19937) seeded from an integer by Matsumoto and
/// Nishimura's <c>init_genrand</c>, 64-bit draws made of two 32-bit ones (high word first), bounded
/// integers by masked rejection, and the Fisher-Yates shuffle behind <c>shuffle</c>,
/// <c>permutation</c> and <c>choice(replace=False)</c>. The original notebook's split is a pure function
/// of this stream, which is why it is reproduced exactly rather than approximated.
/// </summary>
public sealed class NumpyRandomState
{
    private const int StateLength = 624;
    private const int Shift = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    private readonly uint[] _key = new uint[StateLength];
    private int _position;

    /// <summary>As <c>np.random.RandomState(seed)</c> or <c>np.random.seed(seed)</c> with an integer seed (numpy accepts 0 .. 2^32-1).</summary>
    public NumpyRandomState(uint seed) => Seed(seed);

    /// <summary>Resets the stream, as <c>np.random.seed(seed)</c> does; the original notebook reseeds before each held-out set.</summary>
    public void Seed(uint seed)
    {
        // init_genrand: numpy's mt19937_seed, used for integer seeds (init_by_array is only for array seeds).
        _key[0] = seed;
        for (int i = 1; i < StateLength; i++)
        {
            uint previous = _key[i - 1];
            _key[i] = 1812433253u * (previous ^ (previous >> 30)) + (uint)i;
        }
        _position = StateLength;
    }

    /// <summary>The next raw 32-bit output (numpy: <c>randint(0, 2**32, dtype=np.uint32)</c>).</summary>
    public uint NextUInt32()
    {
        if (_position == StateLength) Regenerate();
        uint y = _key[_position++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>Two 32-bit outputs, the first as the high word (numpy: <c>randint(0, 2**64, dtype=np.uint64)</c>).</summary>
    public ulong NextUInt64()
    {
        ulong high = NextUInt32();
        return (high << 32) | NextUInt32();
    }

    /// <summary>A double in [0, 1) with 53 random bits from two outputs (numpy: <c>random_sample()</c>).</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="max"/>] (inclusive): draws masked to the smallest all-ones
    /// mask covering max until one is not above it; 32-bit draws while max fits 32 bits, 64-bit ones after.
    /// This is numpy's <c>random_interval</c> and its masked <c>randint</c> path.
    /// </summary>
    public ulong NextBounded(ulong max)
    {
        if (max == 0) return 0;
        ulong mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        ulong value;
        if (max <= uint.MaxValue)
            do value = NextUInt32() & mask; while (value > max);
        else
            do value = NextUInt64() & mask; while (value > max);
        return value;
    }

    /// <summary>numpy's legacy <c>randint(low, high)</c> for one int64 value in [low, high).</summary>
    public long RandInt(long low, long high)
    {
        if (high <= low) throw new ArgumentOutOfRangeException(nameof(high), $"randint needs low < high, got [{low}, {high}).");
        return low + (long)NextBounded((ulong)(high - low) - 1);
    }

    /// <summary>In-place Fisher-Yates from the last position down, as <c>np.random.shuffle</c> on a 1-d array.</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = (int)NextBounded((ulong)i);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary><c>np.random.permutation(n)</c>: 0..n-1 shuffled.</summary>
    public int[] Permutation(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var values = new int[n];
        for (int i = 0; i < n; i++) values[i] = i;
        Shuffle<int>(values);
        return values;
    }

    /// <summary>
    /// <c>np.random.choice(n, size, replace=False)</c>: legacy numpy takes the first <paramref name="size"/>
    /// entries of <c>permutation(n)</c>, so it always consumes a whole shuffle of n, even for size 0.
    /// </summary>
    public int[] ChoiceWithoutReplacement(int n, int size)
    {
        if (size < 0 || size > n) throw new ArgumentOutOfRangeException(nameof(size), $"Cannot choose {size} of {n} without replacement.");
        return Permutation(n)[..size];
    }

    /// <summary>
    /// The first <paramref name="size"/> entries of <c>permutation(n)</c> written into <paramref name="chosen"/>,
    /// with <paramref name="scratch"/> (length n) as the permutation buffer: the same draws as
    /// <see cref="ChoiceWithoutReplacement(int, int)"/> without allocating, for the per-user loop of a split.
    /// </summary>
    public void ChoiceWithoutReplacement(Span<int> scratch, int size, Span<int> chosen)
    {
        if (size < 0 || size > scratch.Length) throw new ArgumentOutOfRangeException(nameof(size), $"Cannot choose {size} of {scratch.Length} without replacement.");
        for (int i = 0; i < scratch.Length; i++) scratch[i] = i;
        Shuffle(scratch);
        scratch[..size].CopyTo(chosen);
    }

    private void Regenerate()
    {
        uint[] mt = _key;
        int k = 0;
        uint y;
        for (; k < StateLength - Shift; k++)
        {
            y = (mt[k] & UpperMask) | (mt[k + 1] & LowerMask);
            mt[k] = mt[k + Shift] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : MatrixA);
        }
        for (; k < StateLength - 1; k++)
        {
            y = (mt[k] & UpperMask) | (mt[k + 1] & LowerMask);
            mt[k] = mt[k + Shift - StateLength] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : MatrixA);
        }
        y = (mt[StateLength - 1] & UpperMask) | (mt[0] & LowerMask);
        mt[StateLength - 1] = mt[Shift - 1] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : MatrixA);
        _position = 0;
    }
}
