using System.Text.Json;
using VaeCf.Split;

namespace VaeCf.Tests;

/// <summary>
/// Every case replays a call printed by numpy's legacy RandomState (Fixtures/numpy/legacy-random.json,
/// written by tools/numpy_random_fixtures.py; numpy version inside) and must match it number for number.
/// </summary>
public class NumpyRandomStateTests
{
    private static readonly Lazy<JsonElement> Fixture = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestData.RepoRoot, "tests", "VaeCf.Tests", "Fixtures", "numpy", "legacy-random.json"))).RootElement);

    /// <summary>The same call in C#, returning what numpy's .tolist() would print (nested lists for lists of arrays).</summary>
    private static object Replay(string call, NumpyRandomState rs) => call switch
    {
        "rs.randint(0, 2**32, size=20, dtype=np.uint32)" => Draw(20, () => (decimal)rs.NextUInt32()),
        "rs.randint(0, 2**32, size=10, dtype=np.uint32)" => Draw(10, () => (decimal)rs.NextUInt32()),
        "rs.randint(0, 2**64, size=10, dtype=np.uint64)" => Draw(10, () => (decimal)rs.NextUInt64()),
        "rs.random_sample(10)" => Enumerable.Range(0, 10).Select(_ => (object)rs.NextDouble()).ToList(),
        "rs.randint(0, 7, size=30)" => Draw(30, () => rs.RandInt(0, 7)),
        "rs.randint(-5, 1000000, size=20)" => Draw(20, () => rs.RandInt(-5, 1_000_000)),
        "rs.randint(0, 2**40 + 3, size=10)" => Draw(10, () => rs.RandInt(0, (1L << 40) + 3)),
        "rs.randint(0, 2**32 + 1, size=10, dtype=np.uint64)" => Draw(10, () => (decimal)rs.NextBounded(1UL << 32)),
        "rs.permutation(10)" => Numbers(rs.Permutation(10)),
        "rs.permutation(603)" => Numbers(rs.Permutation(603)),
        "rs.permutation(1)" => Numbers(rs.Permutation(1)),
        "rs.permutation(100000)[:50]" => Numbers(rs.Permutation(100_000)[..50]),
        "[(rs.permutation(n), int(rs.randint(0, 2**32, dtype=np.uint32)))[1] for n in (5, 17, 1000)]" =>
            new[] { 5, 17, 1000 }.Select(n => { rs.Permutation(n); return (object)(decimal)rs.NextUInt32(); }).ToList(),
        "rs.choice(23, size=4, replace=False)" => Numbers(rs.ChoiceWithoutReplacement(23, 4)),
        "[rs.choice(n, size=int(0.2 * n), replace=False).tolist() for n in (5, 6, 9, 10, 31, 250)]" =>
            new[] { 5, 6, 9, 10, 31, 250 }.Select(n => (object)Numbers(rs.ChoiceWithoutReplacement(n, (int)(0.2 * n)))).ToList(),
        "[rs.choice(5, size=0, replace=False).tolist(), int(rs.randint(0, 2**32, dtype=np.uint32))]" =>
            new List<object> { Numbers(rs.ChoiceWithoutReplacement(5, 0)), (decimal)rs.NextUInt32() },
        "(lambda a: (rs.shuffle(a), a)[1])(np.arange(12) * 10)" => Shuffled(rs),
        _ => throw new InvalidOperationException($"No C# replay for the fixture call '{call}'."),
    };

    private static List<object> Draw(int count, Func<decimal> next) => Enumerable.Range(0, count).Select(_ => (object)next()).ToList();
    private static List<object> Draw(int count, Func<long> next) => Enumerable.Range(0, count).Select(_ => (object)(decimal)next()).ToList();
    private static List<object> Numbers(IEnumerable<int> values) => values.Select(v => (object)(decimal)v).ToList();

    private static List<object> Shuffled(NumpyRandomState rs)
    {
        var values = Enumerable.Range(0, 12).Select(i => i * 10).ToArray();
        rs.Shuffle<int>(values);
        return Numbers(values);
    }

    /// <summary>JSON numbers as decimals (exact up to 2^64), float texts as doubles, arrays as lists.</summary>
    private static object FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Number => e.GetDecimal(),
        JsonValueKind.String => double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"Unexpected fixture value {e}."),
    };

    private static void AssertSame(object expected, object actual, string call)
    {
        if (expected is List<object> e)
        {
            var a = Assert.IsType<List<object>>(actual);
            Assert.True(e.Count == a.Count, $"{call}: {a.Count} values, numpy printed {e.Count}");
            for (int i = 0; i < e.Count; i++) AssertSame(e[i], a[i], $"{call}[{i}]");
        }
        else Assert.True(expected.Equals(actual), $"{call}: got {actual}, numpy printed {expected}");
    }

    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Fixture.Value.GetProperty("cases").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesNumpyLegacyRandomState(int index)
    {
        var fixture = Fixture.Value.GetProperty("cases")[index];
        string call = fixture.GetProperty("call").GetString()!;
        var rs = new NumpyRandomState(fixture.GetProperty("seed").GetUInt32());
        AssertSame(FromJson(fixture.GetProperty("values")), Replay(call, rs), $"seed {fixture.GetProperty("seed")}: {call}");
    }

    [Fact]
    public void ReseedingRestartsTheStreamAndTheNonAllocatingChoiceDrawsTheSame()
    {
        var a = new NumpyRandomState(98765);
        var first = a.Permutation(50);
        a.Seed(98765);
        Assert.Equal(first, a.Permutation(50));

        var b = new NumpyRandomState(3);
        var c = new NumpyRandomState(3);
        var scratch = new int[31];
        var chosen = new int[6];
        foreach (int n in new[] { 31, 5, 12 })
        {
            b.ChoiceWithoutReplacement(scratch.AsSpan(0, n), (int)(0.2 * n), chosen);
            Assert.Equal(c.ChoiceWithoutReplacement(n, (int)(0.2 * n)), chosen[..(int)(0.2 * n)]);
        }
        Assert.Equal(c.NextUInt32(), b.NextUInt32());
    }
}
