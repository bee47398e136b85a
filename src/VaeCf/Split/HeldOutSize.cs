using System.Globalization;

namespace VaeCf.Split;

/// <summary>How many users to hold out: an exact count (ML-20M: 10,000) or a share of all users (0 &lt; f &lt; 1).</summary>
public readonly record struct HeldOutSize
{
    /// <summary>The exact number of users, when given as a count.</summary>
    public int? Count { get; }
    /// <summary>The share of users, when given as a fraction.</summary>
    public double? Fraction { get; }

    private HeldOutSize(int? count, double? fraction) { Count = count; Fraction = fraction; }

    /// <summary>Exactly <paramref name="count"/> users (at least 1).</summary>
    public static HeldOutSize Users(int count) =>
        count < 1 ? throw new VaeCfException($"A held-out user count must be at least 1, got {count}.") : new(count, null);

    /// <summary>A share of the users, strictly between 0 and 1.</summary>
    public static HeldOutSize Share(double fraction) =>
        fraction > 0 && fraction < 1 ? new(null, fraction) : throw new VaeCfException($"A held-out fraction must be between 0 and 1 (exclusive), got {fraction}.");

    /// <summary>"10000" is a count, "0.1" a fraction; a whole number like "1.0" is rejected as ambiguous.</summary>
    public static HeldOutSize Parse(string text)
    {
        text = text.Trim();
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count)) return Users(count);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double fraction)) return Share(fraction);
        throw new VaeCfException($"'{text}' is neither a user count (e.g. 10000) nor a fraction of users (e.g. 0.1).");
    }

    /// <summary>The number of users for a population of <paramref name="totalUsers"/>; a fraction is rounded down, like int(f * n).</summary>
    public int Resolve(int totalUsers) =>
        Count ?? (Fraction is double f ? (int)Math.Floor(f * totalUsers) : throw new VaeCfException("A held-out size needs a count or a fraction."));

    /// <summary>As a user would type it: "10000" or "0.1".</summary>
    public override string ToString() => Count?.ToString(CultureInfo.InvariantCulture) ?? Fraction?.ToString(CultureInfo.InvariantCulture) ?? "unset";
}
