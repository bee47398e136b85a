using System.Text;
using CsCheck;
using VaeCf.Data;
using VaeCf.Experiments;
using VaeCf.Split;

namespace VaeCf.Tests.Reliability;

/// <summary>
/// Runs a CsCheck generator a fixed number of times from a fixed seed (no time budget, so a run does the
/// same work on any machine); a failure names the iteration's seed, which CsCheck's Sample(seed: ...) replays.
/// </summary>
internal static class Property
{
    public static void ForAll<T>(Gen<T> gen, Action<T> assert, int iterations, ulong seed)
    {
        for (int i = 0; i < iterations; i++)
        {
            var pcg = new PCG(1, seed + (ulong)i);
            string replay = pcg.ToString();
            var value = gen.Generate(pcg, null!, out _);
            try { assert(value); }
            catch (Exception e) { throw new Xunit.Sdk.XunitException($"iteration {i} (CsCheck seed {replay}) failed: {e}"); }
        }
    }
}

/// <summary>Property-based tests of the parsers: round trips on generated valid input, and only VaeCfException on generated damage.</summary>
public class PropertyTests
{
    private static readonly Gen<string> Id = Gen.String[Gen.Char["abcAB019,\"; é_-"], 1, 8]
        .Where(s => s.Trim().Length == s.Length && s.Length > 0);

    private static string Quote(string field, bool always) =>
        always || field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

    private sealed record Event(string User, string Item, int Rating, long Time);

    private static readonly Gen<(Event[] Events, bool[] QuoteAll)> Events =
        Gen.Select(Id, Id, Gen.Int[1, 5], Gen.Long[0, 2_000_000_000], (u, i, r, t) => new Event(u, i, r, t)).Array[1, 40]
            .SelectMany(events => Gen.Bool.Array[events.Length].Select(q => (events, q)));

    [Fact]
    public void DelimitedFilesRoundTripWhateverTheQuoting()
    {
        using var files = new DataTestFiles();
        string path = files.PathOf("ratings.csv");
        Property.ForAll(Events, sample =>
        {
            var (events, quoteAll) = sample;
            var text = new StringBuilder("userId,movieId,rating,timestamp\n");
            for (int e = 0; e < events.Length; e++)
                text.Append(Quote(events[e].User, quoteAll[e])).Append(',').Append(Quote(events[e].Item, quoteAll[e])).Append(',')
                    .Append(events[e].Rating).Append(',').Append(events[e].Time).Append('\n');
            File.WriteAllText(path, text.ToString());
            var log = InteractionReader.Read(path);
            Assert.Equal(events.Length, log.Count);
            for (int e = 0; e < events.Length; e++)
            {
                Assert.Equal(events[e].User, log.UserIds[log.Users[e]]);
                Assert.Equal(events[e].Item, log.ItemIds[log.Items[e]]);
                Assert.Equal(events[e].Rating, log.Ratings[e]);
                Assert.Equal(events[e].Time, log.Timestamps[e]);
            }
        }, iterations: 200, seed: 1201);
    }

    /// <summary>A valid file, then bytes flipped, cut, inserted: every reader either reads it or says what is wrong.</summary>
    private static readonly Gen<(int Format, int[] Edits, byte[] Noise)> Damage =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 1_000_000].Array[1, 6], Gen.Byte.Array[1, 6]);

    [Fact]
    public void DamagedInteractionFilesFailOnlyWithUserErrors()
    {
        using var files = new DataTestFiles();
        string[] names = ["ratings.csv", "ratings.dat", "reviews.json", "ratings_Books.csv", "ratings.csv.gz"];
        byte[][] valid =
        [
            Encoding.UTF8.GetBytes("userId,movieId,rating,timestamp\n1,2,5,100\n1,3,\"4\",101\n2,2,3.5,102\n"),
            Encoding.UTF8.GetBytes("1::2::5::100\n1::3::4::101\n2::2::3::102\n"),
            Encoding.UTF8.GetBytes("{\"reviewerID\": \"A1B2C3D4E5F6G7\", \"asin\": \"B000000001\", \"overall\": 5.0, \"unixReviewTime\": 100}\n{\"reviewerID\": \"A7B2C3D4E5F6G7\", \"asin\": \"0123456789\", \"overall\": 4, \"unixReviewTime\": 101}\n"),
            Encoding.UTF8.GetBytes("A1B2C3D4E5F6G7,B000000001,5.0,100\nA7B2C3D4E5F6G7,0123456789,4.0,101\n"),
            Gzip("userId,movieId,rating,timestamp\n1,2,5,100\n1,3,4,101\n"),
        ];
        Property.ForAll(Damage, sample =>
        {
            var (format, edits, noise) = sample;
            var bytes = valid[format].ToList();
            for (int k = 0; k < edits.Length; k++)
            {
                int at = edits[k] % (bytes.Count + 1);
                switch (edits[k] % 3)
                {
                    case 0 when at < bytes.Count: bytes[at] = noise[k % noise.Length]; break;
                    case 1: bytes.Insert(at, noise[k % noise.Length]); break;
                    default: bytes.RemoveRange(at, bytes.Count - at); break;
                }
            }
            string path = files.PathOf(names[format]);
            File.WriteAllBytes(path, bytes.ToArray());
            try { InteractionReader.Read(path, new ReaderOptions { SkipBadLines = edits[0] % 2 == 0 }); }
            catch (VaeCfException e) { Assert.DoesNotContain('\n', e.Message); }
        }, iterations: 400, seed: 1202);
    }

    private static byte[] Gzip(string text)
    {
        var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    /// <summary>A random consistent split: training users with items, held-out users with disjoint fold-in and targets.</summary>
    private static readonly Gen<SplitDataset> Splits =
        Gen.Select(Gen.Int[1, 12], Gen.Int[1, 8], Gen.Int[0, 4], Gen.Int[0, 4], Gen.Int[0, int.MaxValue])
            .Select(shape =>
            {
                var (items, trainUsers, validationUsers, testUsers, seed) = shape;
                var random = new Random(seed);
                CsrMatrix Rows(int rows, Func<int, int[]> pick)
                {
                    var pointers = new int[rows + 1];
                    var indices = new List<int>();
                    for (int r = 0; r < rows; r++) { indices.AddRange(pick(r)); pointers[r + 1] = indices.Count; }
                    return new CsrMatrix(rows, items, pointers, indices.ToArray());
                }
                int[] Subset(int min) { var s = Enumerable.Range(0, items).Where(_ => random.Next(2) == 0).ToList(); if (s.Count < min) s.Add(random.Next(items)); return s.Distinct().Order().ToArray(); }
                HeldOutSet HeldOut(int users, string prefix)
                {
                    var foldIns = Enumerable.Range(0, users).Select(_ => Subset(1)).ToArray();
                    var targets = foldIns.Select(f => Enumerable.Range(0, items).Where(i => !f.Contains(i) && random.Next(2) == 0).ToArray()).ToArray();
                    return new HeldOutSet { UserIds = Enumerable.Range(0, users).Select(u => $"{prefix}{u}").ToArray(), FoldIn = Rows(users, u => foldIns[u]), Targets = Rows(users, u => targets[u]) };
                }
                return new SplitDataset
                {
                    ItemIds = Enumerable.Range(0, items).Select(i => $"item{i}").ToArray(),
                    TrainUserIds = Enumerable.Range(0, trainUsers).Select(u => $"t{u}").ToArray(),
                    Train = Rows(trainUsers, _ => Subset(1)),
                    Validation = HeldOut(validationUsers, "v"),
                    Test = HeldOut(testUsers, "x"),
                };
            });

    [Fact]
    public void SplitFoldersRoundTripAndDamagedOnesAreRefusedOrConsistent()
    {
        using var files = new DataTestFiles();
        string[] layoutFiles = [OriginalLayout.TrainFile, OriginalLayout.ValidationFoldInFile, OriginalLayout.ValidationTargetsFile,
            OriginalLayout.TestFoldInFile, OriginalLayout.TestTargetsFile, OriginalLayout.ItemIdsFile, OriginalLayout.UserIdsFile];
        int iteration = 0;
        Property.ForAll(Gen.Select(Splits, Gen.Int[0, 6], Gen.Int[0, 3], Gen.Int[0, 1000], Gen.String[Gen.Char["0123456789,-x \n"], 0, 8]), sample =>
        {
            var (split, file, edit, position, noise) = sample;
            string folder = files.PathOf($"split{iteration++}");
            OriginalLayout.Write(split, folder);
            SplitAssert.Identical(split, OriginalLayout.Read(folder));

            // One edit to one file: a line dropped, repeated, replaced or added.
            string path = Path.Combine(folder, layoutFiles[file]);
            var lines = File.ReadAllLines(path).ToList();
            int at = lines.Count == 0 ? 0 : position % lines.Count;
            switch (edit)
            {
                case 0 when lines.Count > 0: lines.RemoveAt(at); break;
                case 1 when lines.Count > 0: lines.Insert(at, lines[at]); break;
                case 2 when lines.Count > 0: lines[at] = noise; break;
                default: lines.Insert(at, noise); break;
            }
            File.WriteAllText(path, string.Join('\n', lines) + "\n");
            try
            {
                var read = OriginalLayout.Read(folder);
                // Accepted: then it is a consistent split.
                foreach (var held in new[] { read.Validation, read.Test })
                    for (int u = 0; u < held.UserCount; u++)
                    {
                        Assert.True(held.FoldIn.RowLength(u) > 0 || held.Targets.RowLength(u) == 0);
                        foreach (int item in held.Targets.RowIndices(u)) Assert.True(held.FoldIn.RowIndices(u).BinarySearch(item) < 0);
                    }
                Assert.Empty(read.Validation.UserIds.Intersect(read.Test.UserIds));
                Assert.Empty(read.TrainUserIds.Intersect(read.Validation.UserIds.Concat(read.Test.UserIds)));
                Assert.Equal(read.ItemIds.Length, read.ItemIds.Distinct().Count());
            }
            catch (VaeCfException e) { Assert.DoesNotContain('\n', e.Message); }
            Directory.Delete(folder, recursive: true);
        }, iterations: 150, seed: 1203);
    }

    private static readonly string[] GridKeys = ["lr", "dropout", "anneal_cap", "batch_size", "epochs", "seed", "p_dims", "model", "lambda", "threshold", "lrr"];
    private static readonly string[] GridValues = ["0.001", "0.5", "1", "200", "-3", "abc", "[200, 600]", "vae", "ease", "", "1e400", "[]", "{a: 1}", "*x", "&x 5", "\"q"];

    [Fact]
    public void GridFilesParseOrFailWithUserErrors()
    {
        using var files = new DataTestFiles();
        var entries = Gen.Select(Gen.Int[0, GridKeys.Length - 1], Gen.Int[0, GridValues.Length - 1].Array[1, 4], Gen.Bool).Array[0, 6];
        Property.ForAll(Gen.Select(entries, Gen.Bool), sample =>
        {
            var (keys, withDatasets) = sample;
            var yaml = new StringBuilder(withDatasets ? "datasets: [data]\n" : "");
            foreach (var (key, values, asList) in keys)
                yaml.Append(GridKeys[key]).Append(": ")
                    .Append(asList ? "[" + string.Join(", ", values.Select(v => GridValues[v])) + "]" : GridValues[values[0]]).Append('\n');
            string path = files.Write("grid.yaml", yaml.ToString());
            try
            {
                var grid = ExperimentGrid.Load(path);
                var runs = grid.Expand();
                Assert.InRange(runs.Count, 1, (long)grid.CountRuns());
            }
            catch (VaeCfException e) { Assert.DoesNotContain('\n', e.Message); }
        }, iterations: 400, seed: 1204);
    }
}
