using System.Diagnostics;
using System.Text.Json;
using VaeCf.Serving;

namespace VaeCf.Tests;

/// <summary>
/// tools/score_model.py (plain numpy, the forward pass of docs/model-format.md) recommends what
/// VaeCf recommends, for every model kind. Needs Debian's python3 with numpy (.ci/run installs
/// python3-numpy when it is missing); without it the test is skipped on a developer's machine and
/// fails in CI (CI=true), so the check can never go quietly missing there.
/// </summary>
public class PythonScorerTests(ModelFoldersFixture models) : IClassFixture<ModelFoldersFixture>
{
    private const string Python = "/usr/bin/python3";
    private const int K = 20;

    public static TheoryData<string> Kinds => new(ModelFoldersFixture.Kinds);

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void NumpyScorerRecommendsWhatVaeCfRecommends(string kind)
    {
        RequireNumpy();
        string folder = models.Folder(kind);
        var recommender = Recommender.Load(folder);
        var histories = new List<string[]> { Array.Empty<string>() };   // a brand-new user first
        for (int u = 0; u < 3; u++)
            histories.Add(models.Data.Test.FoldIn.RowIndices(u).ToArray().Select(c => models.Data.ItemIds[c]).ToArray());
        histories.Add([models.Data.ItemIds[0], "not-an-item", models.Data.ItemIds[7], models.Data.ItemIds[0]]);

        foreach (var history in histories)
        {
            var expected = recommender.Recommend(history, K);
            using var answer = JsonDocument.Parse(RunScript(folder, history));
            var items = answer.RootElement.GetProperty("items").EnumerateArray()
                .Select(e => (Id: e.GetProperty("id").GetString()!, Score: e.GetProperty("score").GetDouble())).ToList();
            string label = $"{kind}, history [{string.Join(",", history)}]";
            Assert.True(expected.Items.Select(i => i.Id).SequenceEqual(items.Select(i => i.Id)),
                $"{label}: numpy top {K} {string.Join(",", items.Select(i => i.Id))} vs VaeCf {string.Join(",", expected.Items.Select(i => i.Id))}");
            double scale = Math.Max(1e-30, expected.Items.Max(i => Math.Abs(i.Score)));
            foreach (var (want, got) in expected.Items.Zip(items))
                Assert.True(Math.Abs(want.Score - got.Score) <= 1e-5 * scale, $"{label}, item {want.Id}: numpy {got.Score} vs VaeCf {want.Score}");
            Assert.Equal(expected.UnknownItems, answer.RootElement.GetProperty("unknown_items").EnumerateArray().Select(e => e.GetString()));
        }
    }

    private static void RequireNumpy()
    {
        bool available = File.Exists(Python) && Run(Python, ["-c", "import numpy"], out _) == 0;
        if (available) return;
        const string missing = "/usr/bin/python3 with numpy is missing (Debian: apt-get install python3-numpy; .ci/run installs it).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail("CI must run the numpy scorer check: " + missing);
        Skip.If(true, missing);
    }

    private static string RunScript(string folder, string[] history)
    {
        string script = Path.Combine(TestData.RepoRoot, "tools", "score_model.py");
        int code = Run(Python, [script, folder, "--items", string.Join(",", history), "-k", K.ToString(), "--json"], out string output);
        Assert.True(code == 0, $"score_model.py exited with {code}: {output}");
        return output;
    }

    private static int Run(string file, string[] arguments, out string output)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) output += error.Result;
        return process.ExitCode;
    }
}
