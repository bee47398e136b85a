using System.IO.Compression;
using System.Text;
using VaeCf.Data;

namespace VaeCf.Tests.Reliability;

/// <summary>
/// Raw interaction files damaged the ways files get damaged (cut downloads, binary files under the
/// wrong name, runaway lines, broken quoting): each is refused with a one-line error naming the file,
/// never read as complete and never answered with an unexpected exception.
/// </summary>
public class DamagedRawFileTests
{
    private static byte[] GzipOf(string text)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        return buffer.ToArray();
    }

    private static string Ratings(int lines)
    {
        var text = new StringBuilder("userId,movieId,rating,timestamp\n");
        var random = new Random(7);
        for (int i = 0; i < lines; i++) text.Append($"{random.Next(1, 500)},{random.Next(1, 3000)},{random.Next(1, 6)},{1000 + i}\n");
        return text.ToString();
    }

    [Fact]
    public void ACompleteGzipFileReadsEveryLine()
    {
        using var files = new DataTestFiles();
        string path = files.PathOf("ratings.csv.gz");
        File.WriteAllBytes(path, GzipOf(Ratings(20_000)));
        Assert.Equal(20_000, InteractionReader.Read(path).Count);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(-8)]   // the whole deflate stream, without the CRC and length trailer
    [InlineData(-1)]
    public void ATruncatedGzipFileIsRefused(double cut)
    {
        using var files = new DataTestFiles();
        byte[] whole = GzipOf(Ratings(20_000));
        int length = cut < 0 ? whole.Length + (int)cut : (int)(whole.Length * cut);
        string path = files.PathOf("ratings.csv.gz");
        File.WriteAllBytes(path, whole[..length]);
        var error = Assert.ThrowsAny<VaeCfException>(() => InteractionReader.Read(path));
        Assert.Contains("ratings.csv.gz", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void ATruncatedGzipJsonDumpIsRefused()
    {
        using var files = new DataTestFiles();
        var text = new StringBuilder();
        for (int i = 0; i < 5000; i++) text.Append($"{{\"reviewerID\": \"A{i:D12}\", \"asin\": \"B00{i:D7}\", \"overall\": 5.0, \"unixReviewTime\": {1000 + i}}}\n");
        byte[] whole = GzipOf(text.ToString());
        string path = files.PathOf("reviews.json.gz");
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        Assert.Contains("truncated", Assert.ThrowsAny<VaeCfException>(() => InteractionReader.Read(path)).Message);
    }

    /// <summary>Damaged files by name; the bytes are made in the test (megabytes of theory data would slow test discovery).</summary>
    public static TheoryData<string> DamagedFiles => new()
    {
        "random bytes", "gzip magic then noise", "gzip header only", "valid lines then binary", "unterminated quote",
        "text after a closing quote", "3 MB field", "2 million empty fields", "1 MB of '::'", "JSON nested 100,000 deep",
        "invalid UTF-8 in JSON", "BOM and NaN rating",
    };

    private static (string Name, byte[] Content) DamagedFile(string problem)
    {
        var random = new Random(12);
        byte[] Garbage(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
        byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
        const string header = "userId,movieId,rating,timestamp\n";
        return problem switch
        {
            "random bytes" => ("ratings.csv", Garbage(4096)),
            "gzip magic then noise" => ("ratings.csv", [0x1f, 0x8b, .. Garbage(4096)]),
            "gzip header only" => ("ratings.csv.gz", [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]),
            "valid lines then binary" => ("ratings.csv", [.. Text(header + "1,2,5,3\n"), .. Garbage(2048)]),
            "unterminated quote" => ("ratings.csv", Text(header + "1,\"2,5,100\n2,3,5,100\n")),
            "text after a closing quote" => ("ratings.csv", Text(header + "1,2,\"5\"x,100\n")),
            "3 MB field" => ("ratings.csv", Text(header + "1,2," + new string('9', 3_000_000) + "x,100\n")),
            "2 million empty fields" => ("ratings.csv", Text(header + new string(',', 2_000_000) + "\n")),
            "1 MB of '::'" => ("ratings.dat", Text("1::2::5::100\n1::" + new string(':', 1_000_000) + "\n")),
            "JSON nested 100,000 deep" => ("reviews.json", Text("{\"reviewerID\": \"A1\", \"asin\": \"B1\", \"overall\": 5}\n{\"reviewerID\": " + new string('[', 100_000) + "\n")),
            "invalid UTF-8 in JSON" => ("reviews.json", [.. Text("{\"reviewerID\": \"A1\", \"asin\": \""), 0xff, 0xfe, .. Text("\", \"overall\": \"x\"}\n")]),
            "BOM and NaN rating" => ("ratings.csv", [0xef, 0xbb, 0xbf, .. Text("userId,movieId,rating\n1,2,NaN\n")]),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
    }

    [Theory]
    [MemberData(nameof(DamagedFiles))]
    public void DamagedFileGivesOneShortLineNamingTheFile(string problem)
    {
        using var files = new DataTestFiles();
        var (name, content) = DamagedFile(problem);
        string path = files.PathOf(name);
        File.WriteAllBytes(path, content);
        var error = Assert.ThrowsAny<VaeCfException>(() => InteractionReader.Read(path));
        Assert.Contains(name, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(error.Message.Length < 400, error.Message);
    }

    [Fact]
    public void AmazonCsvInTheItemUserOrderIsDetectedFromTheIds()
    {
        using var files = new DataTestFiles();
        // The 2018 dumps: asin,reviewerID,rating,ts. ASINs are ten characters (B0... or ISBN-like digits).
        string path = files.Write("Movies_and_TV.csv",
            "0001527665,A3478QRKQDOPQ2,5.0,1361145600\nB00005N5PF,A2VHSG6TZHU1OB,4.0,1388016000\n0001527665,A1TCEOYVZ0IB8W,3.0,1107561600\n");
        var log = InteractionReader.Read(path, new ReaderOptions(), out var report);
        Assert.Equal("A3478QRKQDOPQ2", log.UserIds[log.Users[0]]);
        Assert.Equal("0001527665", log.ItemIds[log.Items[0]]);
        Assert.Contains("user = column 1", report.Layout);
        Assert.Contains("item = column 0", report.Layout);

        // The 2014 order reads the other way round, and says so.
        string older = files.Write("ratings_Books.csv", "A3478QRKQDOPQ2,0001527665,5.0,1361145600\nA2VHSG6TZHU1OB,B00005N5PF,4.0,1388016000\n");
        var log2014 = InteractionReader.Read(older, new ReaderOptions(), out var report2014);
        Assert.Equal("A3478QRKQDOPQ2", log2014.UserIds[log2014.Users[0]]);
        Assert.Contains("user = column 0", report2014.Layout);
    }

    [Fact]
    public void AmazonCsvWithUnrecognizableIdsAsksForTheOrder()
    {
        using var files = new DataTestFiles();
        string path = files.Write("ratings.csv", "u1,i1,5.0,1361145600\nu2,i7,4.0,1388016000\n");
        var error = Assert.ThrowsAny<VaeCfException>(() => InteractionReader.Read(path, new ReaderOptions { Format = InputFormat.AmazonCsv }));
        Assert.Contains("--item-user-order", error.Message);

        // Told the order, it reads.
        var log = InteractionReader.Read(path, new ReaderOptions { Format = InputFormat.AmazonCsv, ItemUserOrder = false });
        Assert.Equal("u1", log.UserIds[log.Users[0]]);
    }
}
