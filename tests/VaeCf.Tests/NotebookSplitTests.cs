using System.Security.Cryptography;
using System.Text.Json;
using Spectre.Console.Cli;
using VaeCf.Cli;
using VaeCf.Data;
using VaeCf.Split;

namespace VaeCf.Tests;

/// <summary>
/// `vaecf prepare` writes the original notebook's files byte for byte: md5 sums printed by the notebook's
/// preprocessing cells (numpy 1.24.2, pandas 1.5.3) on the bundled data and on the generated inputs of
/// Fixtures/notebook-split (tools/notebook_split_fixtures.py); no Python runs here.
/// </summary>
public class NotebookSplitTests
{
    private static readonly string[] SplitFiles =
    [
        OriginalLayout.TrainFile, OriginalLayout.ValidationFoldInFile, OriginalLayout.ValidationTargetsFile,
        OriginalLayout.TestFoldInFile, OriginalLayout.TestTargetsFile, OriginalLayout.ItemIdsFile, OriginalLayout.UserIdsFile,
    ];

    private static string FixtureFolder => Path.Combine(TestData.RepoRoot, "tests", "VaeCf.Tests", "Fixtures", "notebook-split");

    private static string Md5(string path) => Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(path)));

    private static int DataRows(string path) => File.ReadAllLines(path).Length - (path.EndsWith(".csv", StringComparison.Ordinal) ? 1 : 0);

    [Fact]
    public void PrepareOnTheBundledDataWritesTheNotebooksFiles()
    {
        using var files = new DataTestFiles();
        string output = files.PathOf("split");
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        Assert.Equal(0, app.Run(["prepare", "--input", Path.Combine(TestData.MovieLensSmall, "ratings.csv"), "--output", output]));

        // The table (rows, md5), which the notebook prints for data/ml-latest-small/ratings.csv.
        var expected = new (string File, int Rows, string Md5)[]
        {
            ("train.csv", 38_246, "f4b99312c2058872a71218033297b06b"),
            ("validation_tr.csv", 3_875, "e2e16c9b789ecd9d96c8d2a81519330c"),
            ("validation_te.csv", 939, "3958ac9159a070ed2724e9acc0ce6e90"),
            ("test_tr.csv", 3_879, "6b51e5fdfba25a16f92b057e350b93af"),
            ("test_te.csv", 935, "852c7e75ea3bcd1aa0aee23df7dce5e6"),
            ("unique_sid.txt", 5_660, "7f86225981d9811f7abdea76268014da"),
            ("unique_uid.txt", 603, "40da7ba6aa0586de29fd2da0880bfcf5"),
        };
        foreach (var (file, rows, md5) in expected)
        {
            string path = Path.Combine(output, file);
            Assert.Equal(rows, DataRows(path));
            Assert.True(md5 == Md5(path), $"{file}: md5 {Md5(path)}, the notebook's is {md5}");
        }
    }

    public static TheoryData<string> FixtureRuns()
    {
        var data = new TheoryData<string>();
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureFolder, "expected.json")));
        foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray()) data.Add(run.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureRuns))]
    public void GeneratedInputsGiveTheNotebooksFiles(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureFolder, "expected.json")));
        var run = document.RootElement.GetProperty("runs").EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);
        var arguments = run.GetProperty("prepare").EnumerateArray().Select(a => a.GetString()!).ToArray();
        // The fixtures only vary the held-out size: "--heldout-users N|F" for both held-out sets.
        var heldOut = arguments.Length == 0 ? HeldOutSize.Share(0.1) : HeldOutSize.Parse(arguments[1]);
        var options = new PrepareOptions { Split = new SplitOptions { ValidationUsers = heldOut, TestUsers = heldOut } };

        var split = DatasetLoader.Prepare(Path.Combine(FixtureFolder, run.GetProperty("input").GetString()!), options, out var summary);
        Assert.Equal(run.GetProperty("users").GetInt32(), (int)summary.Preprocess!.Users);
        Assert.Equal(run.GetProperty("items").GetInt32(), split.ItemCount);

        using var files = new DataTestFiles();
        string output = files.PathOf("split");
        OriginalLayout.Write(split, output);
        foreach (string file in SplitFiles)
        {
            string expected = run.GetProperty("md5").GetProperty(file).GetString()!;
            Assert.True(expected == Md5(Path.Combine(output, file)), $"{name}/{file}: md5 differs from the notebook's");
        }

        // Reading the folder back gives the same matrices, even with held-out users left without events.
        SplitAssert.Identical(split, OriginalLayout.Read(output));
    }

    [Fact]
    public void UserIdsSortAsPandasSortsTheirColumn()
    {
        static string[] Sorted(params string[] ids)
        {
            var order = PandasIdComparer.For(ids);
            return ids.Order(order).ToArray();
        }

        // All integers: by value.
        Assert.Equal(["-3", "9", "10", "100"], Sorted("10", "100", "9", "-3"));
        // One id that is not a number makes the whole column text: "10" before "9".
        Assert.Equal(["10", "100", "9", "guest"], Sorted("10", "guest", "100", "9"));
        // Decimal numbers: float column, by value.
        Assert.Equal(["2", "10.5", "11"], Sorted("11", "10.5", "2"));
        // Integers past int64 but within uint64 stay numbers; past uint64 the column is text.
        Assert.Equal(["5", "18446744073709551615"], Sorted("18446744073709551615", "5"));
        Assert.Equal(["123456789012345678901234", "5"], Sorted("5", "123456789012345678901234"));
        // Text by code point, as Python compares strings: U+FFFD sorts before U+1F600 (a surrogate pair in
        // UTF-16, whose ordinal order would put it first), and upper case before lower case.
        Assert.Equal(["U1", "u1", "\uFFFD", "\U0001F600"], Sorted("\U0001F600", "u1", "\uFFFD", "U1"));
    }

    [Fact]
    public void HeldOutUsersLeftWithoutEventsKeepTheirUidsAndDrawNothing()
    {
        // np.random.seed(98765); np.random.permutation(11) gives each user's uid; the user at uid 10 (a test
        // user) rates only items no one else has, the others share items 0..4.
        int[] permutation = new NumpyRandomState(98765).Permutation(11);
        int lone = permutation[10];
        var eventUsers = new List<int>();
        var eventItems = new List<int>();
        for (int u = 0; u < 11; u++)
            for (int i = 0; i < 5; i++) { eventUsers.Add(u); eventItems.Add(u == lone ? 5 + i : i); }
        var data = new BinaryInteractions
        {
            UserIds = Enumerable.Range(0, 11).Select(u => u.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            ItemIds = Enumerable.Range(0, 10).Select(i => $"i{i}").ToArray(),
            EventUsers = eventUsers.ToArray(),
            EventItems = eventItems.ToArray(),
        };
        var options = new SplitOptions { ValidationUsers = HeldOutSize.Users(3), TestUsers = HeldOutSize.Users(3) };
        var split = StrongGeneralizationSplitter.Split(data, options, out var report);

        Assert.Equal(1, report.HeldOutUsersWithoutEvents);
        Assert.Equal(5, report.HeldOutEventsOutsideVocabulary);
        var rows = split.FileRows!;
        Assert.Equal(permutation.Select(u => u.ToString(System.Globalization.CultureInfo.InvariantCulture)), rows.UserIds);
        Assert.DoesNotContain(10, rows.TestFoldIn.Uids);
        Assert.Equal([8, 9], rows.TestFoldIn.Uids.Distinct().Order());  // test uids are 8..10
        Assert.DoesNotContain(data.UserIds[lone], split.Validation.UserIds.Concat(split.Test.UserIds));
        // The other held-out users all have 5 events, so each has int(0.2 * 5) = 1 target.
        Assert.Equal(5, split.Validation.UserCount + split.Test.UserCount);
        Assert.Equal(5, rows.ValidationTargets.Count + rows.TestTargets.Count);
    }

    [Fact]
    public void ASplitWithoutFileRowsIsWrittenFromItsMatricesAndReadsBackTheSame()
    {
        // Splits made by earlier versions (and any split built in code) have no file rows: rows come from
        // the matrices, uids counted on from the training users. Such folders still read, train and evaluate.
        var split = StrongGeneralizationSplitter.Split(SplitTests.Synthetic(), new SplitOptions());
        var matricesOnly = new SplitDataset
        {
            ItemIds = split.ItemIds, TrainUserIds = split.TrainUserIds, Train = split.Train,
            Validation = split.Validation, Test = split.Test,
        };
        using var files = new DataTestFiles();
        OriginalLayout.Write(matricesOnly, files.PathOf("split"));
        var read = OriginalLayout.Read(files.PathOf("split"));
        SplitAssert.Identical(split, read);
        Assert.Null(read.FileRows);
    }

    [Fact]
    public void TheSameEventsAsAmazonJsonLinesGiveTheSameFiles()
    {
        // The split depends on the events, not on the file format: the string-id fixture rewritten as
        // Amazon review JSON lines (reviewerID, asin, overall, unixReviewTime) gives the notebook's files.
        using var files = new DataTestFiles();
        var lines = File.ReadAllLines(Path.Combine(FixtureFolder, "string-ids", "ratings.csv")).Skip(1).Select(line =>
        {
            var f = line.Split(',');
            return JsonSerializer.Serialize(new { reviewerID = f[0], asin = f[1], overall = double.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture), unixReviewTime = long.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture) });
        });
        string input = files.Write("reviews.json", string.Join('\n', lines) + "\n");
        var options = new PrepareOptions { Reader = new ReaderOptions { Format = InputFormat.AmazonJson } };
        OriginalLayout.Write(DatasetLoader.Prepare(input, options, out _), files.PathOf("split"));

        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureFolder, "expected.json")));
        var run = document.RootElement.GetProperty("runs").EnumerateArray().Single(r => r.GetProperty("name").GetString() == "string-default");
        foreach (string file in SplitFiles)
            Assert.True(run.GetProperty("md5").GetProperty(file).GetString() == Md5(files.PathOf(Path.Combine("split", file))), $"{file}: md5 differs from the notebook's");
    }
}
