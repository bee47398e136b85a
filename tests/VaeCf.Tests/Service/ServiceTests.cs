using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VaeCf.AspNetCore;
using VaeCf.Cli.Commands;
using VaeCf.Serving;

namespace VaeCf.Tests.Service;

public class ServiceTests
{
    private static readonly ServingFixture Model = new();

    private static Task<HttpResponseMessage> PostJson(HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task TheReadmeProgramServesRecommendationsAndItsHealthCheck()
    {
        string folder = Model.SaveToTemp();
        try
        {
            await using var app = ServiceExample.Create(["--urls", "http://127.0.0.1:0", $"--VaeCf:Model={folder}", "--VaeCf:MaxK=7"]);
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

            var response = await PostJson(client, "/recommend", """{"items":[100,"105"],"k":5}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(
                JsonSerializer.Serialize(Model.NewRecommender().Recommend(["100", "105"], 5), ServingJson.Default.RecommendationResult),
                await response.Content.ReadAsStringAsync());
            // The bound option is in force: k above VaeCf:MaxK is a 400 problem.
            var tooMany = await PostJson(client, "/recommend", """{"items":[100],"k":8}""");
            Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
            Assert.Equal("application/problem+json", tooMany.Content.Headers.ContentType?.MediaType);

            Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
            var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            var entry = health.Entries[VaeCfServiceCollectionExtensions.HealthCheckName];
            Assert.Equal(HealthStatus.Healthy, entry.Status);
            Assert.Equal(ServingFixture.Items, entry.Data["items"]);
            Assert.Equal("mult-vae", entry.Data["model"]);
            await app.StopAsync();
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void TheReadmeQuotesTheCompiledProgram()
    {
        string root = TestData.RepoRoot;
        var source = File.ReadAllLines(Path.Combine(root, "tests/VaeCf.Tests/Service/ServiceExample.cs"));
        int from = Array.FindIndex(source, l => l.Trim() == "#region program"), to = Array.FindIndex(source, l => l.Trim() == "#endregion");
        var region = source[(from + 1)..to].Select(l => l.Trim()).ToList();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        const string marker = "<!-- quoted from tests/VaeCf.Tests/Service/ServiceExample.cs, region program -->";
        int at = readme.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, "README lacks the service example marker.");
        var block = readme[at..].Split("```csharp", 2)[1].Split("```", 2)[0].Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)
            .Where(l => !l.StartsWith("using ", StringComparison.Ordinal) && !l.StartsWith("app.Run", StringComparison.Ordinal)).ToList();
        Assert.Equal(region, block);
    }

    [Fact]
    public async Task BadOptionsStopTheStartWithOneLinePerProblem()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddVaeCfRecommender(o => { o.MaxBatch = 0; o.MaxWaitMs = double.NaN; o.MaxBodyBytes = 10; });
        await using var app = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Equal(
        [
            "VaeCf:Model is required: a folder written by vaecf train.",
            "VaeCf:MaxBatch must be at least 1, got 0.",
            "VaeCf:MaxWaitMs must be a number of milliseconds from 0 to 1000, got NaN.",
            "VaeCf:MaxBodyBytes must be at least 64, got 10.",
        ], error.Failures);
    }

    [Fact]
    public void ServeReadsTheVaeCfSectionAndFlagsOverrideIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VaeCf:Model"] = "runs/vae", ["VaeCf:MaxBatch"] = "7", ["VaeCf:MaxK"] = "30", ["VaeCf:Threads"] = "2", ["Urls"] = "http://127.0.0.1:6000",
        }).Build();
        var fromFile = new ServeCommand.Settings().ToOptions(configuration);
        Assert.Equal("runs/vae", fromFile.ModelDirectory);
        Assert.Equal(7, fromFile.Batching!.MaxBatch);
        Assert.Equal(30, fromFile.Limits.MaxK);
        Assert.Equal(2, fromFile.Threads);
        Assert.Equal(1_000, fromFile.Limits.MaxBatchSize);
        Assert.Equal("http://127.0.0.1:6000", fromFile.Urls);

        var flags = new ServeCommand.Settings { Model = "runs/dae", MaxBatch = 9, Urls = "http://127.0.0.1:7000", NoBatching = false, LogRequests = true }.ToOptions(configuration);
        Assert.Equal(("runs/dae", 9, 30, "http://127.0.0.1:7000", true), (flags.ModelDirectory, flags.Batching!.MaxBatch, flags.Limits.MaxK, flags.Urls, flags.LogRequests));
        Assert.Null(new ServeCommand.Settings { NoBatching = true }.ToOptions(configuration).Batching);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["VaeCf:MaxBatch"] = "many" }).Build();
        Assert.StartsWith("appsettings.json / environment, section VaeCf:", Assert.Throws<VaeCfException>(() => new ServeCommand.Settings().ToOptions(bad)).Message);
    }

    [Fact]
    public async Task MetricsCountEveryAnswerByEndpointAndCode()
    {
        string folder = Model.SaveToTemp();
        try
        {
            var options = new ServeOptions { ModelDirectory = folder, Urls = "http://127.0.0.1:0" };
            await using var app = RecommendationServer.Build(options);
            await RecommendationServer.StartAsync(app, options);
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            for (int i = 0; i < 3; i++)
                Assert.Equal(HttpStatusCode.OK, (await PostJson(client, "/recommend", $$"""{"items":[{{100 + i}}],"k":3}""")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await PostJson(client, "/recommend", """{"items":[100],"k":0}""")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await PostJson(client, "/recommend/batch", """{"requests":[{"items":[1]},{"items":[2]}]}""")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

            var lines = (await client.GetStringAsync("/metrics")).Split('\n');
            void Has(string line) => Assert.Contains(line, lines);
            Has("""vaecf_http_requests_total{endpoint="/recommend",code="200"} 3""");
            Has("""vaecf_http_requests_total{endpoint="/recommend",code="400"} 1""");
            Has("""vaecf_http_requests_total{endpoint="/recommend/batch",code="200"} 1""");
            Has("""vaecf_http_requests_total{endpoint="/health",code="200"} 1""");
            Has("""vaecf_http_request_duration_seconds_count{endpoint="/recommend"} 4""");
            // One request at a time: each valid /recommend is a pass of one.
            Has("vaecf_microbatch_pass_requests_sum 3");
            Has("vaecf_microbatch_pass_requests_count 3");
            Has("vaecf_batch_call_requests_sum 2");
            Has("vaecf_batch_call_requests_count 1");
            Has($"vaecf_model_items {ServingFixture.Items}");
            Assert.Single(lines, l => l.StartsWith("vaecf_model_info{model=\"mult-vae\",source=", StringComparison.Ordinal) && l.EndsWith("} 1", StringComparison.Ordinal));
            await app.StopAsync();
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
