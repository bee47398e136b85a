namespace VaeCf.Data;

/// <summary>
/// Seeded synthetic click matrices with power-law item popularity, shaped like real logs
/// (ML-20M: 116,677 users x 20,108 items, about 86 clicks per user). Used by benchmarks and
/// tests that need scale but no download.
/// </summary>
public static class SyntheticClicks
{
    /// <param name="users">Rows.</param>
    /// <param name="items">Columns.</param>
    /// <param name="meanClicksPerUser">Average row length; per-user counts vary geometrically around it.</param>
    /// <param name="popularityExponent">Zipf exponent of item popularity (about 1 for MovieLens).</param>
    public static CsrMatrix Generate(int users, int items, double meanClicksPerUser = 86, double popularityExponent = 1.0, int seed = 98765)
    {
        if (users < 0 || items <= 0) throw new ArgumentOutOfRangeException(nameof(items), "Need at least one item and a non-negative user count.");
        if (meanClicksPerUser <= 0) throw new ArgumentOutOfRangeException(nameof(meanClicksPerUser), "Mean clicks per user must be positive.");
        var rng = new Random(seed);

        // Cumulative Zipf weights over a random permutation of items, so popular items are not the low indices.
        var permutation = Enumerable.Range(0, items).ToArray();
        rng.Shuffle(permutation);
        var cumulative = new double[items];
        double total = 0;
        for (int r = 0; r < items; r++) { total += 1.0 / Math.Pow(r + 1, popularityExponent); cumulative[r] = total; }

        var pointers = new int[users + 1];
        var indices = new List<int>(checked((int)Math.Min(int.MaxValue, users * (long)Math.Ceiling(meanClicksPerUser))));
        var row = new HashSet<int>();
        var sorted = new List<int>();
        for (int u = 0; u < users; u++)
        {
            // Geometric-ish length: at least one click, never more than the catalogue.
            int length = (int)Math.Clamp(Math.Round(-meanClicksPerUser * Math.Log(1 - rng.NextDouble())), 1, items);
            row.Clear();
            int attempts = 0;
            while (row.Count < length && attempts++ < length * 20)
            {
                double x = rng.NextDouble() * total;
                int rank = Array.BinarySearch(cumulative, x);
                if (rank < 0) rank = ~rank;
                row.Add(permutation[Math.Min(rank, items - 1)]);
            }
            sorted.Clear();
            sorted.AddRange(row);
            sorted.Sort();
            indices.AddRange(sorted);
            pointers[u + 1] = indices.Count;
        }
        return new CsrMatrix(users, items, pointers, indices.ToArray());
    }
}
