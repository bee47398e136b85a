using System.Globalization;
using System.Text.Json;
using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Experiments;
using VaeCf.Numerics;
using VaeCf.Persistence;

namespace VaeCf.Tests;

/// <summary>Model folders written by an earlier release (Fixtures/v1-models) load and score as they did then.</summary>
public class SavedFormatTests
{
    public static readonly string[] Kinds = ["mult-vae", "mult-dae", "ease", "popularity"];

    private static string V1 => Path.Combine(TestData.RepoRoot, "tests", "VaeCf.Tests", "Fixtures", "v1-models");

    private sealed record Probe(int Items, int[][] Histories, Dictionary<string, string[]> Scores);

    private static Probe ReadProbe() =>
        JsonSerializer.Deserialize<Probe>(File.ReadAllText(Path.Combine(V1, "probe.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    private static CsrMatrix Histories(Probe probe)
    {
        var pointers = new int[probe.Histories.Length + 1];
        for (int u = 0; u < probe.Histories.Length; u++) pointers[u + 1] = pointers[u] + probe.Histories[u].Length;
        var columns = probe.Histories.SelectMany(h => h).ToArray();
        return new CsrMatrix(probe.Histories.Length, probe.Items, pointers, columns, null);
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void AVersionOneFolderLoadsAndScoresAsWhenItWasSaved(string kind)
    {
        var probe = ReadProbe();
        var histories = Histories(probe);
        var (scorer, manifest) = ModelFolder.Load(Path.Combine(V1, kind), new GemmEngine(1));
        Assert.Equal(kind, manifest.Model);
        Assert.Equal(probe.Items, scorer.ItemCount);
        var scores = new float[histories.Rows * probe.Items];
        scorer.Score(histories, 0, histories.Rows, scores);
        var expected = probe.Scores[kind].Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        // Bit-identical is the contract of a round trip in one build (ModelContractTests); across
        // releases the GEMM kernels may reorder sums, so a few float32 ulps are allowed here.
        for (int i = 0; i < scores.Length; i++)
            Assert.True(Math.Abs(scores[i] - expected[i]) <= 1e-5f * Math.Max(1f, Math.Abs(expected[i])), $"{kind} score {i}: {scores[i]} vs {expected[i]}");
    }

    public static TheoryData<string> KindData() => new(Kinds);

    [Fact]
    public void ResultsRowsOfVersionOneFoldersAreUnchanged()
    {
        var rows = Kinds.Select(k => ResultRow.FromRunFolder(Path.Combine(V1, k)));
        Assert.Equal(File.ReadAllText(Path.Combine(V1, "results.csv")), ResultsCsv.Format(rows));
    }
}
