using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Serving;

namespace VaeCf.Cli.Http;

/// <summary>
/// The HTTP API over a <see cref="Recommender"/>: POST /recommend, POST /recommend/batch, GET /health,
/// GET /model, GET /openapi/v1.json and loopback-only POST /admin/reload. Every bad request is a
/// 4xx with an application/problem+json body; anything unexpected is caught by the exception
/// handler and answered as problem JSON, so no request can take the server down.
/// </summary>
public static class RecommendationServer
{
    /// <summary>Requests without a k get this many items.</summary>
    public const int DefaultK = 10;

    private static readonly JsonSerializerOptions ModelInfoJson = new(ModelManifest.Json) { WriteIndented = false };

    /// <summary>Builds (does not start) the server; <paramref name="preloaded"/> skips loading options.ModelDirectory.</summary>
    public static WebApplication Build(ServeOptions options, Recommender? preloaded = null)
    {
        options.Validate();
        var recommender = preloaded ?? Recommender.Load(options.ModelDirectory, options.TitlesPath, new GemmEngine(options.Threads));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.Limits.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });
        // Per-request Information logs would cost more than the forward pass at thousands of requests/s.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServingJson.Default);
        });
        builder.Services.AddSingleton(new ModelSlot(new ServingModel(recommender, options.Batching)));

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        Map(app, options);
        return app;
    }

    private static void Map(WebApplication app, ServeOptions options)
    {
        var limits = options.Limits;
        app.MapOpenApi();

        app.MapPost("/recommend", async (HttpContext http, ModelSlot slot) =>
        {
            var (body, problem) = await ReadAsync(http, ServingJson.Default.RecommendBody);
            if (problem is not null) return problem;
            if (ToRequest(body!, limits, "", out var request) is { } invalid) return BadRequest(invalid);
            var model = slot.Current;
            try { return new RecommendationJsonResult(await model.RecommendAsync(request!)); }
            catch (VaeCfException e) { return BadRequest(e.Message); }
        })
        .WithSummary("Top-k items for one history of original item IDs (micro-batched with concurrent requests).")
        .Accepts<RecommendBody>("application/json")
        .Produces<RecommendationResult>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        app.MapPost("/recommend/batch", async (HttpContext http, ModelSlot slot) =>
        {
            var (body, problem) = await ReadAsync(http, ServingJson.Default.RecommendBatchBody);
            if (problem is not null) return problem;
            if (body!.Requests is not { } entries) return BadRequest("'requests' is required: an array of {items, k, exclude?, exclude_history?}.");
            if (entries.Count > limits.MaxBatchSize)
                return BadRequest($"A batch holds at most {limits.MaxBatchSize:N0} requests, got {entries.Count:N0}.");
            var requests = new RecommendationRequest[entries.Count];
            for (int i = 0; i < entries.Count; i++)
            {
                if (entries[i] is not { } entry) return BadRequest($"requests[{i}] is null.");
                if (ToRequest(entry, limits, $"requests[{i}]: ", out requests[i]!) is { } invalid) return BadRequest(invalid);
            }
            var model = slot.Current;
            // Already one forward pass per chunk of rows; the micro-batcher has nothing to add.
            try { return Results.Json(new RecommendBatchResponse { Results = await Task.Run(() => model.Recommender.RecommendBatch(requests)) }, ServingJson.Default.RecommendBatchResponse); }
            catch (VaeCfException e) { return BadRequest(e.Message); }
        })
        .WithSummary("Top-k items for many histories in one call.")
        .Accepts<RecommendBatchBody>("application/json")
        .Produces<RecommendBatchResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge);

        app.MapGet("/health", (ModelSlot slot) =>
        {
            var r = slot.Current.Recommender;
            return Results.Json(new HealthResponse { Status = "ok", Model = r.Manifest.Model, Items = r.ItemCount }, ServingJson.Default.HealthResponse);
        })
        .WithSummary("Liveness: answers while the server can serve.")
        .Produces<HealthResponse>();

        app.MapGet("/model", (ModelSlot slot) => Results.Json(Describe(slot.Current, limits), ModelInfoJson))
            .WithSummary("The served model: kind, architecture, item count, metrics, training date, batching and limits.");

        app.MapPost("/admin/reload", async (HttpContext http, ModelSlot slot) =>
        {
            if (!IsLoopback(http.Connection.RemoteIpAddress))
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                    detail: "/admin/reload answers only requests from the loopback interface.");
            ReloadBody reload = new();
            if (http.Request.ContentLength is not 0)
            {
                var (body, problem) = await ReadAsync(http, ServingJson.Default.ReloadBody, allowEmpty: true);
                if (problem is not null) return problem;
                reload = body ?? reload;
            }
            var current = slot.Current;
            string? folder = reload.Model ?? current.Recommender.Source;
            if (folder is null) return BadRequest("'model' is required: the served model was not loaded from a folder.");
            string? titles = reload.Titles ?? (reload.Model is null ? options.TitlesPath : null);
            try
            {
                var fresh = await slot.ReloadAsync(() =>
                    new ServingModel(Recommender.Load(folder, titles, new GemmEngine(options.Threads)), options.Batching));
                return Results.Json(Describe(fresh, limits), ModelInfoJson);
            }
            catch (VaeCfException e) { return BadRequest($"The model was not replaced: {e.Message}"); }
        })
        .WithSummary("Loads a model folder and swaps it in atomically; loopback only. Body: {model?, titles?}.")
        .Accepts<ReloadBody>("application/json")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status403Forbidden);
    }

    /// <summary>Reads and parses the body; a problem result for malformed JSON, wrong types or an oversized body.</summary>
    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, bool allowEmpty = false) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(http.Request.Body, type, http.RequestAborted);
            if (value is null && !allowEmpty) return (null, BadRequest("The body is JSON null; expected an object."));
            return (value, null);
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            return (null, BadRequest($"The body is not valid JSON for this endpoint{where}: {FirstSentence(e.Message)}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Results.Problem(statusCode: e.StatusCode, title: "Payload Too Large",
                detail: $"The body exceeds the limit of {http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize:N0} bytes."));
        }
        catch (BadHttpRequestException e)
        {
            return (null, Results.Problem(statusCode: e.StatusCode, title: "Bad Request", detail: e.Message));
        }
    }

    /// <summary>Null when the body is a valid request (written to <paramref name="request"/>), else the problem.</summary>
    private static string? ToRequest(RecommendBody body, ServingLimits limits, string prefix, out RecommendationRequest? request)
    {
        request = null;
        if (body.Items is not { } items) return prefix + "'items' is required: the history as item IDs; [] for a user without history.";
        if (items.Count > limits.MaxItems) return prefix + $"'items' holds {items.Count:N0} IDs; the limit is {limits.MaxItems:N0}.";
        if (body.Exclude is { Count: var excluded } && excluded > limits.MaxItems)
            return prefix + $"'exclude' holds {excluded:N0} IDs; the limit is {limits.MaxItems:N0}.";
        int k = body.K ?? DefaultK;
        if (k < 1) return prefix + $"'k' must be at least 1, got {k}.";
        if (k > limits.MaxK) return prefix + $"'k' is {k:N0}; the limit is {limits.MaxK:N0}.";
        request = new RecommendationRequest(items, k) { Exclude = body.Exclude, ExcludeHistory = body.ExcludeHistory ?? true };
        return null;
    }

    private static Dictionary<string, object?> Describe(ServingModel model, ServingLimits limits)
    {
        var m = model.Recommender.Manifest;
        return new Dictionary<string, object?>
        {
            ["model"] = m.Model,
            ["source"] = model.Recommender.Source,
            ["loaded_utc"] = model.LoadedUtc,
            ["item_count"] = model.Recommender.ItemCount,
            ["titles"] = model.Recommender.Metadata?.Count,
            ["architecture"] = m.Architecture,
            ["hyperparameters"] = m.Hyperparameters,
            ["training"] = m.Training,
            ["dataset"] = m.Dataset,
            ["best_epoch"] = m.BestEpoch,
            ["validation_metrics"] = m.ValidationMetrics,
            ["test_metrics"] = m.TestMetrics,
            ["training_seconds"] = m.TrainingSeconds,
            ["created_utc"] = m.CreatedUtc,
            ["batching"] = model.Batcher is { } b
                ? new { enabled = true, max_batch = b.Options.MaxBatch, max_wait_ms = b.Options.MaxWait.TotalMilliseconds, batches = b.Batches, requests = b.Requests }
                : new { enabled = false, max_batch = 1, max_wait_ms = 0.0, batches = 0L, requests = 0L },
            ["screened_pass_rows"] = model.Recommender.ScreenedPassRows,
            ["limits"] = new { max_items = limits.MaxItems, max_k = limits.MaxK, max_batch_size = limits.MaxBatchSize, max_body_bytes = limits.MaxBodyBytes },
        };
    }

    /// <summary>Whether /admin/reload may answer this remote address (IPv4-mapped IPv6 loopback included).</summary>
    public static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static IResult BadRequest(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad Request", detail: detail);

    /// <summary>System.Text.Json appends path and position details the problem body already carries.</summary>
    private static string FirstSentence(string message)
    {
        if (message.Contains("could not be converted", StringComparison.Ordinal))
            return "wrong type (items and exclude: arrays of IDs; k: an integer; exclude_history: true or false; requests: an array of objects).";
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
