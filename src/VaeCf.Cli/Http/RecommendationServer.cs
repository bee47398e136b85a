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
        builder.Services.AddOpenApi(openApi => openApi.AddSchemaTransformer(ServingOpenApi.DescribeItemIds));
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // The web defaults read numbers from strings; the endpoints parse with ServingJson, which
            // does not, and the OpenAPI document is generated from these options: keep them alike.
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServingJson.Default);
        });
        builder.Services.AddSingleton(new ModelSlot(new ServingModel(recommender, options.Batching) { TitlesPath = options.TitlesPath }));

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        Map(app, options);
        return app;
    }

    /// <summary>Starts listening; an address that cannot be bound (in use, not allowed) is a one-line user error.</summary>
    public static async Task StartAsync(WebApplication app, ServeOptions options, CancellationToken cancellationToken = default)
    {
        try { await app.StartAsync(cancellationToken); }
        catch (IOException e)
        {
            throw new VaeCfException($"--urls {options.Urls}: cannot listen ({FirstLine(e.Message)}); choose a free port or stop the other server.", e);
        }
        catch (Exception e) when (e is InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            throw new VaeCfException($"--urls {options.Urls}: cannot listen ({FirstLine(e.Message)}).", e);
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim().TrimEnd('.');

    private static void Map(WebApplication app, ServeOptions options)
    {
        var limits = options.Limits;
        app.MapOpenApi();

        app.MapPost("/recommend", async (HttpContext http, ModelSlot slot) =>
        {
            if (NotJson(http) is { } unsupported) return unsupported;
            var (body, problem) = await ReadAsync(http, ServingJson.Default.RecommendBody);
            if (problem is not null) return problem;
            if (ToRequest(body!, limits, "", out var request) is { } invalid) return BadRequest(invalid);
            var model = slot.Current;
            try { return new RecommendationJsonResult(await model.RecommendAsync(request!)); }
            catch (NonFiniteScoreException e) { return ModelFault(e); }
            catch (VaeCfException e) { return BadRequest(e.Message); }
        })
        .WithSummary("Top-k items for one history of original item IDs (micro-batched with concurrent requests).")
        .Accepts<RecommendBody>("application/json")
        .Produces<RecommendationResult>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status500InternalServerError);

        app.MapPost("/recommend/batch", async (HttpContext http, ModelSlot slot) =>
        {
            if (NotJson(http) is { } unsupported) return unsupported;
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
            catch (NonFiniteScoreException e) { return ModelFault(e); }
            catch (VaeCfException e) { return BadRequest(e.Message); }
        })
        .WithSummary("Top-k items for many histories in one call.")
        .Accepts<RecommendBatchBody>("application/json")
        .Produces<RecommendBatchResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status500InternalServerError);

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
            // No body at all (no Content-Length, not chunked), an empty one, or whitespace: reload the served folder.
            var (reload, problem) = await ReadReloadAsync(http);
            if (problem is not null) return problem;
            var current = slot.Current;
            string? folder = reload!.Model ?? current.Recommender.Source;
            if (folder is null) return BadRequest("'model' is required: the served model was not loaded from a folder.");
            // Titles stay those of the served model unless the body names others.
            string? titles = reload.Titles ?? current.TitlesPath;
            try
            {
                var fresh = await slot.ReloadAsync(() =>
                    new ServingModel(Recommender.Load(folder, titles, new GemmEngine(options.Threads)), options.Batching) { TitlesPath = titles });
                return Results.Json(Describe(fresh, limits), ModelInfoJson);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever stops the load, the request named something that cannot be served: 400,
                // and the old model keeps serving. Only our own messages (which name files and say
                // what was expected, never quote their content) reach the client.
                string reason = e switch
                {
                    VaeCfException => e.Message,
                    UnauthorizedAccessException => $"a file of '{folder}'{(titles is null ? "" : $" or '{titles}'")} is not readable (permission denied).",
                    IOException => $"reading '{folder}'{(titles is null ? "" : $" or '{titles}'")} failed ({e.GetType().Name}).",
                    _ => $"loading '{folder}' failed unexpectedly ({e.GetType().Name}); the server log has the details.",
                };
                if (e is not VaeCfException)
                    app.Logger.LogError(e, "/admin/reload could not load {Folder}", folder);
                return BadRequest($"The model was not replaced: {reason}");
            }
        })
        .WithSummary("Loads a model folder and swaps it in atomically; loopback only. Body: {model?, titles?}, or none to reload the served folder (keeping its titles).")
        .Accepts<ReloadBody>("application/json")
        .Produces<Dictionary<string, object>>(StatusCodes.Status200OK, "application/json")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
    }

    /// <summary>415 for a request whose body is not declared JSON (no Content-Type counts as not JSON), else null.</summary>
    private static IResult? NotJson(HttpContext http) => http.Request.HasJsonContentType() ? null
        : Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported Media Type",
            detail: http.Request.ContentType is null
                ? "The request has no Content-Type; send the body as application/json."
                : "The body must be application/json.");

    /// <summary>The served model, not the request, is at fault: 500 with a detail saying so.</summary>
    private static IResult ModelFault(NonFiniteScoreException e) =>
        Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Model Fault", detail: e.Message);

    /// <summary>/admin/reload's body: none or blank means {} (reload the served folder); anything else must be JSON and declared so.</summary>
    private static async Task<(ReloadBody? Value, IResult? Problem)> ReadReloadAsync(HttpContext http)
    {
        bool noBody = http.Request.ContentLength == 0
            || http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false };
        if (noBody) return (new ReloadBody(), null);
        var buffer = new MemoryStream();
        try { await http.Request.Body.CopyToAsync(buffer, http.RequestAborted); }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Results.Problem(statusCode: e.StatusCode, title: "Payload Too Large", detail: "The body exceeds the server's --max-body-bytes."));
        }
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) return (new ReloadBody(), null);
        if (NotJson(http) is { } unsupported) return (null, unsupported);
        buffer.Position = 0;
        try
        {
            var body = await JsonSerializer.DeserializeAsync(buffer, ServingJson.Default.ReloadBody, http.RequestAborted);
            return (body ?? new ReloadBody(), null);
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 1 } path ? $" at {path}" : "";
            return (null, BadRequest($"The body is not valid JSON for this endpoint{where}: {FirstSentence(e.Message)} Expected {{\"model\": \"DIR\"?, \"titles\": \"FILE\"?}}."));
        }
    }

    /// <summary>Reads and parses the body; a problem result for malformed JSON, wrong types or an oversized body.</summary>
    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(http.Request.Body, type, http.RequestAborted);
            if (value is null) return (null, BadRequest("The body is JSON null; expected an object."));
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
