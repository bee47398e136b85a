using System.Buffers.Binary;
using CsCheck;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Spectre.Console.Cli;
using VaeCf.Cli;
using VaeCf.AspNetCore;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Serving;

namespace VaeCf.Tests;

/// <summary>A server over the serving fixture's model with a titles file, for the reload, content-type and OpenAPI contracts.</summary>
public sealed class TitledServerFixture : IAsyncLifetime
{
    public ServingFixture Model { get; } = new();
    public WebApplication App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string ModelDirectory { get; private set; } = null!;
    public string TitlesPath { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ModelDirectory = Model.SaveToTemp();
        TitlesPath = Path.Combine(ModelDirectory + "-titles", "movies.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(TitlesPath)!);
        File.WriteAllLines(TitlesPath, ["movieId,title,genres", .. Model.Data.ItemIds.Select(id => $"{id},Film {id},Drama")]);
        var options = new ServeOptions
        {
            ModelDirectory = ModelDirectory,
            TitlesPath = TitlesPath,
            Urls = "http://127.0.0.1:0",
            Batching = new MicroBatcherOptions { MaxBatch = 8, MaxWait = TimeSpan.FromMilliseconds(1) },
        };
        App = RecommendationServer.Build(options);
        await RecommendationServer.StartAsync(App, options);
        Client = new HttpClient { BaseAddress = new Uri(App.Urls.Single()) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(ModelDirectory, recursive: true);
        Directory.Delete(Path.GetDirectoryName(TitlesPath)!, recursive: true);
    }
}

/// <summary>Issue 12's serving defects: reload without a body, titles kept, 415, OpenAPI types, damaged models refused with 400 while the old one serves, no file content in errors, no non-finite scores.</summary>
public class HttpReliabilityTests(TitledServerFixture server) : IClassFixture<TitledServerFixture>
{
    private HttpClient Client => server.Client;

    private Task<HttpResponseMessage> PostJson(string path, string json) =>
        Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task<JsonElement> ModelInfo() => JsonDocument.Parse(await Client.GetStringAsync("/model")).RootElement;

    private async Task<string> Answer(string history = "[100, 101, 150]") =>
        await (await PostJson("/recommend", $$"""{"items":{{history}},"k":5}""")).Content.ReadAsStringAsync();

    private static async Task<string> Detail(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    /// <summary>A raw HTTP/1.1 request, so the test controls every header (HttpClient always adds a Content-Length to a POST).</summary>
    private async Task<(int Status, string Body)> RawPost(string path, string headers = "", string body = "")
    {
        var uri = new Uri(server.App.Urls.Single());
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: {uri.Authority}\r\nConnection: close\r\n{headers}\r\n{body}"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync();
        int status = int.Parse(response.Split(' ', 3)[1]);
        int split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string head = response[..split], content = response[(split + 4)..];
        if (!head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)) return (status, content);
        var decoded = new StringBuilder(); // chunk-size line, chunk, CRLF, ... , 0
        for (int at = 0; ;)
        {
            int eol = content.IndexOf("\r\n", at, StringComparison.Ordinal);
            int size = Convert.ToInt32(content[at..eol], 16);
            if (size == 0) return (status, decoded.ToString());
            decoded.Append(content, eol + 2, size);
            at = eol + 2 + size + 2;
        }
    }

    [Fact]
    public async Task ReloadWithNoBodyAndNoContentLengthReloadsTheServedFolderKeepingTitles()
    {
        var before = (await ModelInfo()).GetProperty("loaded_utc").GetDateTime();
        var (status, body) = await RawPost("/admin/reload");
        Assert.Equal(200, status);
        using var info = JsonDocument.Parse(body);
        Assert.True(info.RootElement.GetProperty("loaded_utc").GetDateTime() >= before);
        Assert.Equal(ServingFixture.Items, info.RootElement.GetProperty("titles").GetInt32());

        // Empty chunked body, and whitespace without a Content-Type: also "reload what is served".
        Assert.Equal(200, (await RawPost("/admin/reload", "Transfer-Encoding: chunked\r\n", "0\r\n\r\n")).Status);
        Assert.Equal(200, (await RawPost("/admin/reload", "Content-Length: 2\r\n", "  ")).Status);
        Assert.Equal(HttpStatusCode.OK, (await Client.PostAsync("/admin/reload", null)).StatusCode);
    }

    [Fact]
    public async Task ReloadNamingOnlyTheModelKeepsTheTitlesFile()
    {
        var response = await PostJson("/admin/reload", $$"""{"model":{{JsonSerializer.Serialize(server.ModelDirectory)}}}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ServingFixture.Items, (await ModelInfo()).GetProperty("titles").GetInt32());
        Assert.Contains("\"title\":\"Film ", await Answer());
    }

    [Fact]
    public async Task BodiesWithoutAJsonContentTypeAre415()
    {
        foreach (var path in new[] { "/recommend", "/recommend/batch" })
        {
            var noType = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"items":[100]}"""));
            Assert.Null(noType.Headers.ContentType);
            var response = await Client.PostAsync(path, noType);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("application/json", await Detail(response));
            var text = await Client.PostAsync(path, new StringContent("""{"items":[100]}""", Encoding.UTF8, "text/plain"));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        }
        // A reload body must be JSON too, unless there is none.
        Assert.Equal(415, (await RawPost("/admin/reload", "Content-Length: 2\r\n", "{}")).Status);
    }

    [Fact]
    public async Task OpenApiDescribesWhatTheServerAccepts()
    {
        using var document = JsonDocument.Parse(await Client.GetStringAsync("/openapi/v1.json"));
        var root = document.RootElement;
        var body = root.GetProperty("components").GetProperty("schemas").GetProperty("RecommendBody").GetProperty("properties");
        string Types(JsonElement schema) => schema.GetProperty("type") is { ValueKind: JsonValueKind.Array } array
            ? string.Join(",", array.EnumerateArray().Select(t => t.GetString()).Order())
            : schema.GetProperty("type").GetString()!;
        Assert.DoesNotContain("string", Types(body.GetProperty("k")));
        Assert.Contains("integer", Types(body.GetProperty("k")));
        Assert.False(body.GetProperty("k").TryGetProperty("pattern", out _));
        foreach (var list in new[] { "items", "exclude" })
        {
            string element = Types(body.GetProperty(list).GetProperty("items"));
            Assert.Contains("string", element);
            Assert.Contains("number", element);
        }
        var paths = root.GetProperty("paths");
        var reload = paths.GetProperty("/admin/reload").GetProperty("post").GetProperty("responses");
        foreach (var status in new[] { "200", "400", "403", "413", "415" }) Assert.True(reload.TryGetProperty(status, out _), $"reload documents {status}");
        foreach (var path in new[] { "/recommend", "/recommend/batch" })
        {
            var responses = paths.GetProperty(path).GetProperty("post").GetProperty("responses");
            foreach (var status in new[] { "200", "400", "413", "415", "500" }) Assert.True(responses.TryGetProperty(status, out _), $"{path} documents {status}");
        }
    }

    /// <summary>A copy of the served model folder with its weights file changed by <paramref name="damage"/>.</summary>
    private string DamagedCopy(Func<byte[], byte[]> damage)
    {
        string dir = server.Model.SaveToTemp();
        string weights = Path.Combine(dir, "model.safetensors");
        File.WriteAllBytes(weights, damage(File.ReadAllBytes(weights)));
        return dir;
    }

    private static byte[] WithHeader(byte[] file, string json)
    {
        int dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = Encoding.UTF8.GetBytes(json);
        var result = new byte[8 + header.Length + file.Length - dataStart];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)header.Length);
        header.CopyTo(result, 8);
        file.AsSpan(dataStart).CopyTo(result.AsSpan(8 + header.Length));
        return result;
    }

    private static byte[] WithNaN(byte[] file)
    {
        var copy = (byte[])file.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(copy.Length - 4), float.PositiveInfinity); // the last output bias
        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(file)), float.NaN);
        return copy;
    }

    public static TheoryData<string> Damages => ["top-level array", "null entry", "negative offsets", "NaN and Inf", "truncated", "huge shape", "non-string metadata"];

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task ReloadOfADamagedModelIs400AndTheOldModelKeepsServing(string damage)
    {
        string before = await Answer();
        string dir = DamagedCopy(file => damage switch
        {
            "top-level array" => WithHeader(file, "[]"),
            "null entry" => WithHeader(file, """{"layers.0.weight":null}"""),
            "negative offsets" => WithHeader(file, """{"layers.0.weight":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"""),
            "NaN and Inf" => WithNaN(file),
            "truncated" => file[..(file.Length / 2)],
            "huge shape" => WithHeader(file, """{"layers.0.weight":{"dtype":"F32","shape":[99999999999],"data_offsets":[0,4]}}"""),
            "non-string metadata" => WithHeader(file, """{"__metadata__":{"format":7}}"""),
            _ => throw new ArgumentException(damage),
        });
        try
        {
            var response = await PostJson("/admin/reload", $$"""{"model":{{JsonSerializer.Serialize(dir)}}}""");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            string detail = await Detail(response);
            Assert.StartsWith("The model was not replaced:", detail);
            Assert.Contains("model.safetensors", detail);
            Assert.Equal(before, await Answer());
            Assert.Equal(server.ModelDirectory, (await ModelInfo()).GetProperty("source").GetString());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task ReloadErrorsNeverQuoteTheFilesTheyRead()
    {
        string dir = Directory.CreateTempSubdirectory("vaecf-secret-").FullName;
        try
        {
            string secret = Path.Combine(dir, "shadow");
            File.WriteAllText(secret, "root:$6$SECRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n");
            var response = await PostJson("/admin/reload", $$"""{"titles":{{JsonSerializer.Serialize(secret)}}}""");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            string detail = await Detail(response);
            Assert.DoesNotContain("SECRET", detail);
            Assert.DoesNotContain("root", detail);
            Assert.Contains("movieId", detail); // says what was expected instead

            File.WriteAllBytes(Path.Combine(dir, "config.json"), Encoding.UTF8.GetBytes("root:$6$SECRETHASH"));
            File.Copy(secret, Path.Combine(dir, "model.safetensors"));
            var folder = await PostJson("/admin/reload", $$"""{"model":{{JsonSerializer.Serialize(dir)}}}""");
            Assert.Equal(HttpStatusCode.BadRequest, folder.StatusCode);
            Assert.DoesNotContain("SECRET", await Detail(folder));
            Assert.Equal(ServingFixture.Items, (await ModelInfo()).GetProperty("titles").GetInt32());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

/// <summary>
/// Random request bodies (CsCheck generators, fixed seed, fixed count): objects with the endpoint's
/// fields and misspellings holding values of every JSON kind, and raw bytes. The server must answer
/// each with 200 (finite scores only) or a 4xx problem, never 5xx.
/// </summary>
public class HttpFuzzTests(TitledServerFixture server) : IClassFixture<TitledServerFixture>
{
    private static readonly Gen<string> AnyValue = Gen.OneOf<string>(
        Gen.OneOf<string>("null", "true", "\"\"", "[]", "{}", "[null]", "[[1]]", "\"100\"", "1e400", "-0", "2147483648", "[100,\"101\",{\"a\":1}]"),
        Gen.Int[-5, 60].Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "1"),
        Gen.Int[90, 270].Array[0, 12].Select(ids => "[" + string.Join(",", ids.Select((id, i) => i % 2 == 0 ? $"{id}" : $"\"{id}\"")) + "]"),
        Gen.Char["ab\"\\{}[]:,\u00e9\u0000 01"].Array[0, 12].Select(chars => JsonSerializer.Serialize(new string(chars))));

    private static readonly Gen<string> AnyObject =
        from fields in Gen.Select(Gen.OneOf<string>("items", "k", "exclude", "exclude_history", "requests", "kk", "Items", "model"), AnyValue).Array[0, 5]
        select "{" + string.Join(",", fields.Select(f => $"\"{f.Item1}\":{f.Item2}")) + "}";

    private static readonly Gen<string> AnyBody = Gen.OneOf<string>(
        AnyObject,
        AnyObject.Array[0, 4].Select(entries => "{\"requests\":[" + string.Join(",", entries) + "]}"),
        AnyValue,
        Gen.Byte.Array[0, 40].Select(bytes => Encoding.Latin1.GetString(bytes)));

    [Fact]
    public async Task RandomBodiesAreAnsweredWithoutServerErrors()
    {
        var pcg = new PCG(11, 2026);
        var statuses = new SortedDictionary<int, int>();
        for (int i = 0; i < 400; i++)
        {
            string body = AnyBody.Generate(pcg, null!, out _);
            string path = i % 2 == 0 ? "/recommend" : "/recommend/batch";
            var response = await server.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            int status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(status is 200 or 400 or 413, $"{path} answered {status} to {body}: {text}");
            if (status != 200) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            else AssertScoresAreNumbers(JsonDocument.Parse(text).RootElement);
        }
        Assert.True(statuses.GetValueOrDefault(200) > 0 && statuses.GetValueOrDefault(400) > 0, string.Join(", ", statuses));
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);
    }

    private static void AssertScoresAreNumbers(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "score") Assert.Equal(JsonValueKind.Number, property.Value.ValueKind);
                else AssertScoresAreNumbers(property.Value);
            }
        else if (element.ValueKind == JsonValueKind.Array)
            foreach (var item in element.EnumerateArray()) AssertScoresAreNumbers(item);
    }
}

/// <summary>
/// A scorer whose scores overflow, as finite but absurd weights would make them: item
/// <paramref name="overflowing"/> scores <paramref name="value"/> for every history, or (with
/// <paramref name="onlyWithHistory"/>) only for non-empty ones, so a server's empty-history warm-up passes.
/// </summary>
internal sealed class OverflowingScorer(int items, int overflowing, float value, bool onlyWithHistory = false) : IScorer
{
    public int ItemCount => items;

    public void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
    {
        for (int r = 0; r < rowCount; r++)
        {
            var row = scores.Slice(r * items, items);
            for (int i = 0; i < items; i++) row[i] = -i;
            bool empty = histories.RowPointers[rowStart + r + 1] == histories.RowPointers[rowStart + r];
            if (!(onlyWithHistory && empty)) row[overflowing] = value;
        }
    }
}

public class NonFiniteScoreTests
{
    private static Recommender Overflowing(float value, bool onlyWithHistory = false) =>
        new(new OverflowingScorer(20, 7, value, onlyWithHistory), new Persistence.ModelManifest { Model = "popularity", Items = Enumerable.Range(0, 20).Select(i => $"i{i}").ToArray() });

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void TheRecommenderRefusesToAnswerANonFiniteScore(float value)
    {
        var recommender = Overflowing(value);
        var error = Assert.Throws<NonFiniteScoreException>(() => recommender.Recommend(["i1"], 10));
        Assert.Equal("i7", error.ItemId);
        Assert.Throws<NonFiniteScoreException>(() => recommender.RecommendBatch([new RecommendationRequest(["i1"], 3), new RecommendationRequest([], 20)]));
        // Excluding the item leaves only finite scores: answered.
        Assert.Equal(["i0", "i2"], recommender.Recommend(["i1"], 2, exclude: ["i7"]).Items.Select(i => i.Id));
    }

    [Fact]
    public async Task OverHttpANonFiniteScoreIs500WithADetailNeverAScore()
    {
        // A model that overflows even on an empty history is refused before serving (the warm-up answers some).
        Assert.Throws<NonFiniteScoreException>(() => RecommendationServer.Build(new ServeOptions { ModelDirectory = "(in memory)", Urls = "http://127.0.0.1:0" }, Overflowing(float.PositiveInfinity)));
        await using var app = RecommendationServer.Build(new ServeOptions { ModelDirectory = "(in memory)", Urls = "http://127.0.0.1:0" }, Overflowing(float.PositiveInfinity, onlyWithHistory: true));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        foreach (var (path, body) in new[] { ("/recommend", """{"items":["i1"],"k":3}"""), ("/recommend/batch", """{"requests":[{"items":["i1"],"k":3}]}""") })
        {
            var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            string text = await response.Content.ReadAsStringAsync();
            string detail = JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString()!;
            Assert.Contains("'i7'", detail);
            Assert.Contains("overflow float32", detail);
            Assert.DoesNotContain("\"score\"", text);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        await app.StopAsync();
    }
}

/// <summary>
/// A Mult-VAE whose weights are all finite but whose scores overflow: the decoder's hidden units are
/// pinned at tanh(100) = 1 and item 107's output weights are 3e38, so its logit is 32 x 3e38 = +Inf.
/// Loading cannot refuse it; the answer must.
/// </summary>
[Collection(ConsoleOutput.Name)]
public class OverflowingModelTests(ServingFixture model) : IClassFixture<ServingFixture>
{
    private string SaveOverflowing()
    {
        var network = new AutoencoderNetwork(model.Network.Config, new Numerics.GemmEngine(1));
        network.Initialize(seed: 5);
        var parameters = network.Parameters;
        parameters.View(parameters.Slot("layers.2.weight")).Clear();
        parameters.View(parameters.Slot("layers.2.bias")).Fill(100f);
        var output = parameters.Slot("layers.3.weight");
        var weights = parameters.View(output);
        for (int row = 0; row < output.Rows; row++) weights[row * output.Columns + 7] = 3e38f;
        return model.SaveToTemp(network);
    }

    [Fact]
    public void RecommendRefusesTheInfiniteScoreInTheLibraryAndTheCli()
    {
        string dir = SaveOverflowing();
        try
        {
            var recommender = Recommender.Load(dir);
            foreach (int k in new[] { 1, 5, 100 }) // the 8-bit screen's pass sizes and full scoring
                Assert.Equal("107", Assert.Throws<NonFiniteScoreException>(() => recommender.Recommend(["100", "101"], k)).ItemId);
            Assert.Throws<NonFiniteScoreException>(() => recommender.RecommendBatch(
                Enumerable.Range(0, 40).Select(i => new RecommendationRequest([$"{100 + i}"], 10)).ToArray()));
            // Excluded, the item cannot be answered, and everything else is finite.
            Assert.DoesNotContain("107", recommender.Recommend(["100"], 10, exclude: ["107"]).Items.Select(i => i.Id));

            var app = new CommandApp();
            app.Configure(CliSetup.Configure);
            Assert.Equal(2, app.Run(["recommend", "--model", dir, "--items", "100,101", "--json"]));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

/// <summary>`vaecf serve` mistakes: one line, exit 2, before or instead of serving.</summary>
[Collection(ConsoleOutput.Name)]
public class ServeCommandErrorTests(ServingFixture model) : IClassFixture<ServingFixture>
{
    private static async Task<int> Serve(params string[] args)
    {
        var app = new CommandApp();
        app.Configure(CliSetup.Configure);
        // A safety net only: every case here fails before serving, in well under a second.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        return await app.RunAsync(["serve", .. args], cancel.Token);
    }

    [Theory]
    [InlineData("--urls", "notaurl")]
    [InlineData("--urls", "http://127.0.0.1:99999")]
    [InlineData("--urls", "ftp://127.0.0.1:5000")]
    [InlineData("--urls", ";")]
    [InlineData("--max-wait-ms", "NaN")]
    [InlineData("--max-wait-ms", "1e300")]
    [InlineData("--max-wait-ms", "-1")]
    public async Task BadOptionsExitWithTwo(string option, string value)
    {
        string dir = model.SaveToTemp();
        try { Assert.Equal(2, await Serve("--model", dir, option, value)); }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000")]
    [InlineData("http://localhost:0")]
    [InlineData("http://[::1]:8080")]
    [InlineData("http://*:5000")]
    [InlineData("http://+:80")]
    [InlineData("https://0.0.0.0:443;http://127.0.0.1:65535")]
    [InlineData("http://unix:/tmp/vaecf.sock")]
    public void UsualAddressesPassValidation(string urls) => ServeOptions.ValidateUrls(urls);

    [Theory]
    [InlineData("notaurl", "is not an address")]
    [InlineData("http://127.0.0.1:99999", "has port 99999")]
    [InlineData("http://127.0.0.1:-1", "")]
    [InlineData("ftp://127.0.0.1:21", "has scheme 'ftp'")]
    [InlineData(" ; ", "--urls is empty")]
    public void BadAddressesAreNamed(string urls, string expected)
    {
        var error = Assert.Throws<VaeCfException>(() => ServeOptions.ValidateUrls(urls));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("--urls", error.Message);
    }

    [Fact]
    public async Task APortInUseExitsWithTwo()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string dir = model.SaveToTemp();
        try { Assert.Equal(2, await Serve("--model", dir, "--urls", $"http://127.0.0.1:{port}")); }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task ACorruptModelExitsWithTwo()
    {
        string dir = model.SaveToTemp();
        try
        {
            string weights = Path.Combine(dir, "model.safetensors");
            var bytes = File.ReadAllBytes(weights);
            bytes[12] ^= 0x5A; // inside the header's JSON
            File.WriteAllBytes(weights, bytes);
            Assert.Equal(2, await Serve("--model", dir, "--urls", "http://127.0.0.1:0"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
