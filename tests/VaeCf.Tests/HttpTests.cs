using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using VaeCf.AspNetCore;
using VaeCf.Serving;

namespace VaeCf.Tests;

/// <summary>A real Kestrel server on 127.0.0.1 (free port) over the fixture's model, with small limits so they are cheap to hit.</summary>
public sealed class HttpServerFixture : IAsyncLifetime
{
    public ServingFixture Model { get; } = new();
    public WebApplication App { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public string ModelDirectory { get; private set; } = null!;
    public static readonly ServingLimits Limits = new() { MaxItems = 300, MaxK = 50, MaxBatchSize = 8, MaxBodyBytes = 16 * 1024 };

    public async Task InitializeAsync()
    {
        ModelDirectory = Model.SaveToTemp();
        App = RecommendationServer.Build(new ServeOptions
        {
            ModelDirectory = ModelDirectory,
            Urls = "http://127.0.0.1:0",
            Limits = Limits,
            Batching = new MicroBatcherOptions { MaxBatch = 16, MaxWait = TimeSpan.FromMilliseconds(1) },
        });
        await App.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(App.Urls.Single()) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(ModelDirectory, recursive: true);
    }
}

public class HttpTests(HttpServerFixture server) : IClassFixture<HttpServerFixture>
{
    private HttpClient Client => server.Client;

    private Task<HttpResponseMessage> PostJson(string path, string json) =>
        Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    private async Task AssertStillHealthy()
    {
        var health = await Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        await AssertStillHealthy();
    }

    [Fact]
    public async Task RecommendAnswersLikeTheLibraryAndReportsUnknownIds()
    {
        var response = await PostJson("/recommend", """{"items":[100, "105", 230, "nope"], "k": 5, "exclude": [101]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var expected = server.Model.NewRecommender().Recommend(["100", "105", "230"], 5, exclude: ["101"]);
        var items = body.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(expected.Items.Select(i => i.Id), items.Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(expected.Items.Select(i => i.Score), items.Select(i => i.GetProperty("score").GetSingle()));
        Assert.Equal(["nope"], body.RootElement.GetProperty("unknown_items").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, body.RootElement.GetProperty("unknown_count").GetInt32());
    }

    [Fact]
    public async Task EmptyHistoryIsAllowed()
    {
        var response = await PostJson("/recommend", """{"items":[],"k":4}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(4, body.RootElement.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task ExcludeHistoryFalseLetsHistoryItemsBack()
    {
        var expected = server.Model.NewRecommender().Recommend(["100", "101"], 3, excludeHistory: false);
        var response = await PostJson("/recommend", """{"items":["100","101"],"k":3,"exclude_history":false}""");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(expected.Items.Select(i => i.Id), body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task BatchEqualsSingles()
    {
        var response = await PostJson("/recommend/batch", """{"requests":[{"items":[100,101],"k":3},{"items":["150"],"k":2,"exclude":[151]},{"items":[]}]}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var results = body.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        var second = server.Model.NewRecommender().Recommend(["150"], 2, exclude: ["151"]);
        Assert.Equal(second.Items.Select(i => i.Id), results[1].GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(RecommendationServer.DefaultK, results[2].GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task ConcurrentRequestsAllSucceed()
    {
        var recommender = server.Model.NewRecommender();
        var tasks = Enumerable.Range(0, 64).Select(async u =>
        {
            var history = server.Model.TrainHistory(u);
            var response = await Client.PostAsJsonAsync("/recommend", new { items = history, k = 5 });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(recommender.Recommend(history, 5).Items.Select(i => i.Id),
                body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        });
        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task HealthModelAndOpenApiAnswer()
    {
        using var health = JsonDocument.Parse(await Client.GetStringAsync("/health"));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        Assert.Equal(ServingFixture.Items, health.RootElement.GetProperty("items").GetInt32());

        using var model = JsonDocument.Parse(await Client.GetStringAsync("/model"));
        Assert.Equal("mult-vae", model.RootElement.GetProperty("model").GetString());
        Assert.Equal(ServingFixture.Items, model.RootElement.GetProperty("item_count").GetInt32());
        Assert.Equal([16, 32], model.RootElement.GetProperty("architecture").GetProperty("p_dims").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(model.RootElement.TryGetProperty("created_utc", out _));
        Assert.True(model.RootElement.GetProperty("batching").GetProperty("enabled").GetBoolean());
        bool screens = VaeCf.Serving.ScreenedOutputLayer.Supported;
        Assert.Equal(screens ? 16 : 0, model.RootElement.GetProperty("screened_pass_rows").GetInt32());

        string openApi = await Client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("\"/recommend\"", openApi);
        Assert.Contains("\"/recommend/batch\"", openApi);
        Assert.Contains("unknown_items", openApi);
    }

    [Theory]
    [InlineData("/recommend", """{"items":[1,2""")]                       // malformed JSON
    [InlineData("/recommend", "")]                                        // no body
    [InlineData("/recommend", "null")]
    [InlineData("/recommend", "[1,2,3]")]                                 // not an object
    [InlineData("/recommend", """{"items":"100"}""")]                     // wrong type
    [InlineData("/recommend", """{"items":[100,{"id":1}]}""")]            // wrong element type
    [InlineData("/recommend", """{"items":[null]}""")]
    [InlineData("/recommend", """{"items":[100],"k":"5"}""")]
    [InlineData("/recommend", """{"items":[100],"k":5.5}""")]
    [InlineData("/recommend", """{"items":[100],"k":1e40}""")]
    [InlineData("/recommend", """{"items":[100],"exclude_history":"yes"}""")]
    [InlineData("/recommend", """{"items":[100],"kk":5}""")]              // misspelled field
    [InlineData("/recommend", """{"k":5}""")]                             // no history
    [InlineData("/recommend", """{"items":[100],"k":0}""")]
    [InlineData("/recommend", """{"items":[100],"k":-3}""")]
    [InlineData("/recommend", """{"items":[100],"k":51}""")]              // huge k (limit 50)
    [InlineData("/recommend", """{"items":[100],"k":2147483647}""")]
    [InlineData("/recommend/batch", """{"requests":"x"}""")]
    [InlineData("/recommend/batch", """{"requests":[null]}""")]
    [InlineData("/recommend/batch", """{"requests":[{"items":[1],"k":0}]}""")]
    [InlineData("/recommend/batch", """{}""")]
    [InlineData("/admin/reload", """{"model":"/definitely/not/a/model"}""")]
    [InlineData("/admin/reload", """{"model":5}""")]
    public async Task BadRequestsAre400(string path, string body) =>
        await AssertProblem(await PostJson(path, body), HttpStatusCode.BadRequest);

    [Fact]
    public async Task TooManyItemsOrRequestsAre400()
    {
        string items = string.Join(',', Enumerable.Range(0, HttpServerFixture.Limits.MaxItems + 1));
        await AssertProblem(await PostJson("/recommend", $$"""{"items":[{{items}}]}"""), HttpStatusCode.BadRequest);
        await AssertProblem(await PostJson("/recommend", $$"""{"items":[],"exclude":[{{items}}]}"""), HttpStatusCode.BadRequest);
        string requests = string.Join(',', Enumerable.Repeat("""{"items":[100]}""", HttpServerFixture.Limits.MaxBatchSize + 1));
        await AssertProblem(await PostJson("/recommend/batch", $$"""{"requests":[{{requests}}]}"""), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task HugeBodyIs413()
    {
        string items = string.Join(',', Enumerable.Repeat("\"100\"", 5000)); // ~30 KB, over the 16 KiB limit
        await AssertProblem(await PostJson("/recommend", $$"""{"items":[{{items}}]}"""), HttpStatusCode.RequestEntityTooLarge);
        // Without a Content-Length (chunked), the limit still holds while reading.
        var chunked = new StringContent($$"""{"items":[{{items}}]}""", Encoding.UTF8, "application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/recommend") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await AssertProblem(await Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task WrongMethodRouteOrContentTypeAreProblems()
    {
        await AssertProblem(await Client.GetAsync("/recommend"), HttpStatusCode.MethodNotAllowed);
        await AssertProblem(await Client.GetAsync("/nothing-here"), HttpStatusCode.NotFound);
        var form = new StringContent("items=1", Encoding.UTF8, "application/x-www-form-urlencoded");
        await AssertProblem(await Client.PostAsync("/recommend", form), HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public void ReloadIsLoopbackOnly()
    {
        Assert.True(RecommendationServer.IsLoopback(IPAddress.Loopback));
        Assert.True(RecommendationServer.IsLoopback(IPAddress.IPv6Loopback));
        Assert.True(RecommendationServer.IsLoopback(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(RecommendationServer.IsLoopback(IPAddress.Parse("192.168.1.20")));
        Assert.False(RecommendationServer.IsLoopback(IPAddress.Parse("::ffff:10.0.0.1")));
        Assert.False(RecommendationServer.IsLoopback(null));
    }

    [Fact]
    public async Task ReloadSwapsTheModelWithoutFailingInFlightRequests()
    {
        // A differently initialized network under the same items: answers must change after the swap.
        var other = new Model.AutoencoderNetwork(server.Model.Network.Config, new Numerics.GemmEngine(1));
        other.Initialize(seed: 77);
        string otherDir = server.Model.SaveToTemp(other);
        try
        {
            var load = Enumerable.Range(0, 100).Select(u => PostJson("/recommend", $$"""{"items":["{{100 + u % 50}}"],"k":3}""")).ToList();
            var reload = await PostJson("/admin/reload", $$"""{"model":{{JsonSerializer.Serialize(otherDir)}}}""");
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
            foreach (var response in await Task.WhenAll(load)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            var expected = new Recommender(other, server.Model.Manifest).Recommend(["120"], 3);
            using var body = JsonDocument.Parse(await (await PostJson("/recommend", """{"items":["120"],"k":3}""")).Content.ReadAsStringAsync());
            Assert.Equal(expected.Items.Select(i => i.Id), body.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        }
        finally
        {
            // Back to the fixture's model for the other tests; reloading the original folder by name.
            var back = await PostJson("/admin/reload", $$"""{"model":{{JsonSerializer.Serialize(server.ModelDirectory)}}}""");
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
            Directory.Delete(otherDir, recursive: true);
        }
    }
}

public class RecommendationJsonTests
{
    [Fact]
    public void HandWrittenAnswerIsTheSerializersJson()
    {
        // Titles present and absent, text that must be escaped, extreme and tiny scores, unknown IDs.
        var result = new RecommendationResult(
        [
            new RecommendedItem("260", 3.25f, "Star Wars: Episode IV \"A New Hope\" (1977)"),
            new RecommendedItem("é-1", 1.1754944E-38f, null),
            new RecommendedItem("7", float.MaxValue, "Amélie <b>"),
            new RecommendedItem("8", -0.008947853f, null),
        ], ["nope", "x\ty"]);
        Assert.Equal(JsonSerializer.Serialize(result, ServingJson.Default.RecommendationResult), Serialize(result));
        var empty = new RecommendationResult([], []);
        Assert.Equal(JsonSerializer.Serialize(empty, ServingJson.Default.RecommendationResult), Serialize(empty));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public async Task NonFiniteScoresAreNeverWritten(float score)
    {
        var result = new RecommendationResult([new RecommendedItem("1", 1f, null), new RecommendedItem("2", score, null)], []);
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        http.Response.Body = new MemoryStream();
        Assert.Contains("'2'", (await Assert.ThrowsAsync<NonFiniteScoreException>(() => new RecommendationJsonResult(result).ExecuteAsync(http))).Message);
        Assert.Equal(0, http.Response.Body.Length);
        Assert.ThrowsAny<ArgumentException>(() => JsonSerializer.Serialize(result, ServingJson.Default.RecommendationResult));
    }

    private static string Serialize(RecommendationResult result)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) RecommendationJson.Write(writer, result);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
