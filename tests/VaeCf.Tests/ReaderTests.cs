using System.IO.Compression;
using System.Text;
using Parquet.Serialization;
using VaeCf.Data;

namespace VaeCf.Tests;

public class ReaderTests
{
    private static void AssertEvents(InteractionLog log, params (string User, string Item, float Rating, long Time)[] expected)
    {
        Assert.Equal(expected.Length, log.Count);
        for (int e = 0; e < expected.Length; e++)
        {
            Assert.Equal(expected[e].User, log.UserIds[log.Users[e]]);
            Assert.Equal(expected[e].Item, log.ItemIds[log.Items[e]]);
            Assert.Equal(expected[e].Rating, log.Ratings[e]);
            Assert.Equal(expected[e].Time, log.Timestamps[e]);
        }
    }

    [Fact]
    public void MovieLensCsvIsDetectedAndRead()
    {
        using var files = new DataTestFiles();
        string path = files.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n2,10,4.0,835355493\n");
        var log = InteractionReader.Read(path, new ReaderOptions(), out var report);
        Assert.Equal(InputFormat.MovieLensCsv, report.Format);
        AssertEvents(log, ("1", "31", 2.5f, 1260759144), ("1", "1029", 3f, 1260759179), ("2", "10", 4f, 835355493));
        Assert.Equal(2, log.UserIds.Count);
    }

    [Fact]
    public void MovieLensDatIsDetectedAndRead()
    {
        using var files = new DataTestFiles();
        string path = files.Write("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n\n2::914::4::978301968\n");
        var log = InteractionReader.Read(path, new ReaderOptions(), out var report);
        Assert.Equal(InputFormat.MovieLensDat, report.Format);
        AssertEvents(log, ("1", "1193", 5, 978300760), ("1", "661", 3, 978302109), ("2", "914", 4, 978301968));
    }

    [Fact]
    public void MovieLens100KIsDetectedAndRead()
    {
        using var files = new DataTestFiles();
        string path = files.Write("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
        var log = InteractionReader.Read(path, new ReaderOptions(), out var report);
        Assert.Equal(InputFormat.MovieLens100K, report.Format);
        AssertEvents(log, ("196", "242", 3, 881250949), ("186", "302", 3, 891717742));
    }

    private const string AmazonLines =
        "{\"reviewerID\": \"A3R5OBKS7OM2IR\", \"asin\": \"0000143502\", \"reviewerName\": \"Rebecca\", \"helpful\": [0, 0], \"reviewText\": \"A {tricky} \\\"text\\\"\", \"overall\": 5.0, \"summary\": \"ok\", \"unixReviewTime\": 1358380800, \"reviewTime\": \"01 17, 2013\"}\n" +
        "{\"overall\": 3.0, \"style\": {\"Format:\": \" DVD\"}, \"reviewerID\": \"AH3QC2PC1VTGP\", \"asin\": \"0000143561\", \"unixReviewTime\": 1216252800}\n";

    [Fact]
    public void AmazonJsonLinesAreReadPlainAndGzipped()
    {
        using var files = new DataTestFiles();
        string plain = files.Write("reviews_Movies_and_TV_5.json", AmazonLines);
        string gz = files.PathOf("reviews_Movies_and_TV_5.json.gz");
        using (var stream = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            stream.Write(Encoding.UTF8.GetBytes(AmazonLines));

        foreach (string path in new[] { plain, gz })
        {
            var log = InteractionReader.Read(path, new ReaderOptions(), out var report);
            Assert.Equal(InputFormat.AmazonJson, report.Format);
            AssertEvents(log, ("A3R5OBKS7OM2IR", "0000143502", 5, 1358380800), ("AH3QC2PC1VTGP", "0000143561", 3, 1216252800));
        }
    }

    [Fact]
    public void AmazonJsonReportsMissingFieldsAndInvalidJsonByLine()
    {
        using var files = new DataTestFiles();
        string path = files.Write("reviews.json", AmazonLines + "{\"asin\": \"X\", \"overall\": 4.0}\n{\"reviewerID\": \"A\", \"asin\": \"X\", \"overall\": \"great\"}\n{not json\n");
        var ex = Assert.Throws<DataFormatException>(() => InteractionReader.Read(path));
        Assert.Equal(3, ex.Line);
        Assert.Contains("reviewerID", ex.Message);

        var log = InteractionReader.Read(path, new ReaderOptions { SkipBadLines = true }, out var report);
        Assert.Equal(2, log.Count);
        Assert.Equal(3, report.SkippedLines);
        Assert.Contains("reviews.json:4: non-numeric rating", report.SkippedExamples[1]);
        Assert.Contains("reviews.json:5: invalid JSON", report.SkippedExamples[2]);
    }

    [Fact]
    public void AmazonCsvReadsBothColumnOrders()
    {
        using var files = new DataTestFiles();
        string path = files.Write("ratings_Movies.csv", "AH3QC2PC1VTGP,0000143561,2.0,1216252800\nA3LKP6WPMP9UKX,0000143588,5.0,1045094400\n");
        var log = InteractionReader.Read(path, new ReaderOptions(), out var report);
        Assert.Equal(InputFormat.AmazonCsv, report.Format);
        AssertEvents(log, ("AH3QC2PC1VTGP", "0000143561", 2, 1216252800), ("A3LKP6WPMP9UKX", "0000143588", 5, 1045094400));

        string swapped = files.Write("Movies_and_TV.csv", "0000143561,AH3QC2PC1VTGP,2.0,1216252800\n");
        var log2018 = InteractionReader.Read(swapped, new ReaderOptions { ItemUserOrder = true });
        AssertEvents(log2018, ("AH3QC2PC1VTGP", "0000143561", 2, 1216252800));
    }

    [Fact]
    public void DelimitedFileWithNamedColumnsAndSeparator()
    {
        using var files = new DataTestFiles();
        string path = files.Write("clicks.txt", "when;who;what;stars\n100;u1;\"item;1\";4.5\n200;u2;i2;1\n");
        var options = new ReaderOptions
        {
            UserColumn = ColumnSelector.Parse("who"), ItemColumn = ColumnSelector.Parse("what"),
            RatingColumn = ColumnSelector.Parse("stars"), TimestampColumn = ColumnSelector.Parse("when"), Separator = ';',
        };
        var log = InteractionReader.Read(path, options, out var report);
        Assert.Equal(InputFormat.Delimited, report.Format);
        AssertEvents(log, ("u1", "item;1", 4.5f, 100), ("u2", "i2", 1, 200));
    }

    [Fact]
    public void DelimitedFileWithIndexedColumnsAndNoRating()
    {
        using var files = new DataTestFiles();
        string path = files.Write("clicks.tsv", "x\ti1\tu1\nx\ti2\tu1\n");
        var options = new ReaderOptions { Format = InputFormat.Delimited, UserColumn = ColumnSelector.ByIndex(2), ItemColumn = ColumnSelector.ByIndex(1) };
        var log = InteractionReader.Read(path, options);
        AssertEvents(log, ("u1", "i1", 1, 0), ("u1", "i2", 1, 0));
    }

    [Fact]
    public void DelimitedFileWithCommonHeaderNamesIsDetected()
    {
        using var files = new DataTestFiles();
        string path = files.Write("interactions.csv", "user_id,item_id,rating\nu,i,5\n");
        var log = InteractionReader.Read(path, new ReaderOptions(), out var report);
        Assert.Equal(InputFormat.Delimited, report.Format);
        AssertEvents(log, ("u", "i", 5, 0));
    }

    public sealed class ParquetRow
    {
        public string? Reviewer { get; set; }
        public long Product { get; set; }
        public double? Score { get; set; }
    }

    [Fact]
    public async Task ParquetWithNamedColumns()
    {
        using var files = new DataTestFiles();
        string path = files.PathOf("events.parquet");
        var rows = new[]
        {
            new ParquetRow { Reviewer = "a", Product = 7, Score = 4 },
            new ParquetRow { Reviewer = "b", Product = 8, Score = 2.5 },
            new ParquetRow { Reviewer = "c", Product = 9, Score = null },
        };
        await ParquetSerializer.SerializeAsync(rows, path);
        var options = new ReaderOptions { UserColumn = ColumnSelector.Parse("Reviewer"), ItemColumn = ColumnSelector.Parse("Product"), RatingColumn = ColumnSelector.Parse("Score") };

        var ex = Assert.Throws<DataFormatException>(() => InteractionReader.Read(path, options));
        Assert.Equal(3, ex.Line);

        var log = InteractionReader.Read(path, options with { SkipBadLines = true }, out var report);
        Assert.Equal(InputFormat.Parquet, report.Format);
        AssertEvents(log, ("a", "7", 4, 0), ("b", "8", 2.5f, 0));
        Assert.Equal(1, report.SkippedLines);
    }

    [Fact]
    public void MalformedLinesNameFileAndLine()
    {
        using var files = new DataTestFiles();
        string path = files.Write("ratings.csv", "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029\n1,50,abc,1\n2,,4,1\n");
        var ex = Assert.Throws<DataFormatException>(() => InteractionReader.Read(path));
        Assert.Equal(path, ex.File);
        Assert.Equal(3, ex.Line);
        Assert.StartsWith($"{path}:3:", ex.Message);
        Assert.Contains("columns", ex.Message);

        var log = InteractionReader.Read(path, new ReaderOptions { SkipBadLines = true, MaxBadLineExamples = 2 }, out var report);
        Assert.Equal(1, log.Count);
        Assert.Equal(3, report.SkippedLines);
        Assert.Equal(2, report.SkippedExamples.Count);
        Assert.Contains(":4: non-numeric rating 'abc'", report.SkippedExamples[1]);
    }

    [Fact]
    public void NonNumericRatingFailsWithItsLine()
    {
        using var files = new DataTestFiles();
        string path = files.Write("u.data", "1\t2\t3\t4\n1\t3\tfive\t4\n");
        var ex = Assert.Throws<DataFormatException>(() => InteractionReader.Read(path));
        Assert.Equal(2, ex.Line);
        Assert.Contains("non-numeric rating 'five'", ex.Message);
    }

    [Fact]
    public void MalformedDatLineFailsWithItsLine()
    {
        using var files = new DataTestFiles();
        string path = files.Write("ratings.dat", "1::1193::5::978300760\n1::661\n");
        var ex = Assert.Throws<DataFormatException>(() => InteractionReader.Read(path));
        Assert.Equal(2, ex.Line);
        Assert.Contains("'::'", ex.Message);
    }

    [Fact]
    public void MissingNamedColumnIsReported()
    {
        using var files = new DataTestFiles();
        string path = files.Write("events.csv", "user,item,score\na,b,1\n");
        var ex = Assert.Throws<DataFormatException>(() => InteractionReader.Read(path, new ReaderOptions { RatingColumn = ColumnSelector.Parse("rating") }));
        Assert.Equal(1, ex.Line);
        Assert.Contains("missing rating column 'rating'", ex.Message);
    }

    [Fact]
    public void EmptyHeaderOnlyAndAllBadFilesAreClearErrors()
    {
        using var files = new DataTestFiles();
        string empty = files.Write("ratings.csv", "");
        Assert.Contains("is empty", Assert.Throws<VaeCfException>(() => InteractionReader.Read(empty)).Message);
        string blank = files.Write("blank.csv", "\n  \n");
        Assert.Contains("is empty", Assert.Throws<VaeCfException>(() => InteractionReader.Read(blank, new ReaderOptions { Format = InputFormat.MovieLensCsv })).Message);

        string headerOnly = files.Write("h/ratings.csv", "userId,movieId,rating,timestamp\n");
        Assert.Contains("no data rows", Assert.Throws<VaeCfException>(() => InteractionReader.Read(headerOnly)).Message);

        string allBad = files.Write("bad/ratings.csv", "userId,movieId,rating,timestamp\n1,2,x,3\n");
        var ex = Assert.Throws<VaeCfException>(() => InteractionReader.Read(allBad, new ReaderOptions { SkipBadLines = true }));
        Assert.Contains("all 1 data lines are malformed", ex.Message);
    }

    [Fact]
    public void UndetectableFormatAsksForOne()
    {
        using var files = new DataTestFiles();
        string path = files.Write("mystery.txt", "hello world\n");
        var ex = Assert.Throws<VaeCfException>(() => InteractionReader.Read(path));
        Assert.Contains("Cannot tell the format", ex.Message);
        Assert.Throws<VaeCfException>(() => InteractionReader.Read(files.PathOf("missing.csv")));
    }
}
