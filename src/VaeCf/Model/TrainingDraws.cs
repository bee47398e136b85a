namespace VaeCf.Model;

/// <summary>
/// The random draws of one training epoch, addressed by user instead of taken from one stream in
/// batch order: user u's input-dropout mask, hidden-dropout masks and reparameterization noise are
/// a function of (run seed, epoch, u) alone. So how a batch is cut (one process or P slices, any
/// batch size) never changes a draw, and P processes reproduce the one-process run.
/// </summary>
/// <remarks>
/// A counter-based generator: draw n of a user is SplitMix64's output at position n from the user's
/// key (Steele, Lea and Flood, OOPSLA 2014), computable in any order with no state to carry.
/// </remarks>
public readonly record struct TrainingDraws(int Seed, int Epoch)
{
    /// <summary>Each kind of draw has its own range of counters so they never overlap.</summary>
    internal const ulong InputDropoutStream = 0, NoiseStream = 1, HiddenDropoutStream = 2;

    /// <summary>User <paramref name="user"/>'s draws in this epoch (the training row index, not a raw user id); cheap, pure and thread-safe.</summary>
    public UserDraws ForUser(int user)
    {
        ulong key = SplitMix.Mix((ulong)(uint)Seed + SplitMix.Golden);
        key = SplitMix.Mix(key ^ ((ulong)(uint)Epoch * 0xD1B54A32D192ED03UL));
        key = SplitMix.Mix(key ^ ((ulong)(uint)user * 0x8CB92BA72F3D8DD7UL + SplitMix.Golden));
        return new UserDraws(key);
    }
}

/// <summary>One user's draws for one epoch (see <see cref="TrainingDraws"/>).</summary>
public readonly struct UserDraws(ulong key)
{
    /// <summary>Counters of each stream; hidden layer l uses stream HiddenDropoutStream + l.</summary>
    private const int StreamShift = 40;

    /// <summary>64 random bits for counter <paramref name="index"/> of <paramref name="stream"/>.</summary>
    public ulong Bits(ulong stream, long index) => SplitMix.Mix(key + ((stream << StreamShift) + (ulong)index + 1) * SplitMix.Golden);

    /// <summary>A float in [0, 1) with 24 random bits.</summary>
    public float Uniform(ulong stream, long index) => (Bits(stream, index) >> 40) * (1f / (1 << 24));

    /// <summary>Fills <paramref name="output"/> with N(0, 1) draws (Box-Muller on two 53-bit uniforms per pair, both outputs used).</summary>
    public void Gaussians(ulong stream, Span<float> output)
    {
        const double scale = 1.0 / (1UL << 53);
        for (int i = 0; i < output.Length; i += 2)
        {
            double u1 = ((Bits(stream, i) >> 11) + 1) * scale; // (0, 1]: the log stays finite
            double u2 = (Bits(stream, i + 1) >> 11) * scale;
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            var (sin, cos) = Math.SinCos(2 * Math.PI * u2);
            output[i] = (float)(radius * cos);
            if (i + 1 < output.Length) output[i + 1] = (float)(radius * sin);
        }
    }
}

internal static class SplitMix
{
    public const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>SplitMix64's finalizer: a bijection on 64 bits whose outputs pass BigCrush for consecutive inputs.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
