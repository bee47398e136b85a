using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Serving;

namespace VaeCf.AspNetCore;

/// <summary>
/// VaeCf in any ASP.NET Core app: <c>builder.Services.AddVaeCfRecommender(...)</c> registers the
/// model (loaded when the host starts), its options, a health check and metrics;
/// <c>app.MapVaeCfRecommender()</c> maps the HTTP API that <c>vaecf serve</c> answers. Every bad
/// request is a 4xx with an application/problem+json body.
/// </summary>
public static class VaeCfServiceCollectionExtensions
{
    /// <summary>Name of the health check registered with ASP.NET Core health checks.</summary>
    public const string HealthCheckName = "vaecf";

    private static readonly JsonSerializerOptions ModelInfoJson = new(ModelManifest.Json) { WriteIndented = false };

    /// <summary>Options from the configuration section <c>VaeCf</c> (or <paramref name="section"/>), then <paramref name="configure"/>.</summary>
    public static IServiceCollection AddVaeCfRecommender(this IServiceCollection services, IConfiguration section, Action<VaeCfRecommenderOptions>? configure = null)
    {
        services.AddOptions<VaeCfRecommenderOptions>().Bind(section);
        return services.AddVaeCfRecommender(configure ?? (_ => { }));
    }

    /// <summary>Registers the recommender; options are validated and the model loaded when the host starts (a bad value or model stops the start with a one-line message).</summary>
    public static IServiceCollection AddVaeCfRecommender(this IServiceCollection services, Action<VaeCfRecommenderOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<VaeCfRecommenderOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VaeCfRecommenderOptions>, VaeCfRecommenderOptionsValidator>());
        services.TryAddSingleton<ServingMetrics>();
        services.TryAddSingleton<ServingModelFactory>();
        services.TryAddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<VaeCfRecommenderOptions>>().Value;
            var factory = provider.GetRequiredService<ServingModelFactory>();
            var recommender = settings.Recommender ?? Recommender.Load(settings.Model!, settings.Titles, new GemmEngine(settings.Threads));
            var metrics = provider.GetRequiredService<ServingMetrics>();
            var initial = factory.Create(recommender, settings.Titles);
            metrics.SetModel(initial);
            return new ModelSlot(initial, metrics.SetModel);
        });
        services.AddHostedService<ModelWarmup>();
        services.AddProblemDetails();
        // Our types through the source-generated snake_case metadata, also in the host's OpenAPI document.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServingJson.Default));
        services.AddHealthChecks().AddCheck<VaeCfHealthCheck>(HealthCheckName);
        return services;
    }

    /// <summary>
    /// Maps POST /recommend, POST /recommend/batch, GET /health, GET /model and loopback-only
    /// POST /admin/reload over the model <see cref="AddVaeCfRecommender(IServiceCollection, Action{VaeCfRecommenderOptions})"/>
    /// registered. Returns the group, so the host can add authorization, rate limits or CORS.
    /// </summary>
    public static RouteGroupBuilder MapVaeCfRecommender(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var settings = services.GetRequiredService<IOptions<VaeCfRecommenderOptions>>().Value;
        var limits = settings.ToLimits();
        var metrics = services.GetRequiredService<ServingMetrics>();
        var models = services.GetRequiredService<ServingModelFactory>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(VaeCfServiceCollectionExtensions).Namespace!);
        var group = endpoints.MapGroup("");
        group.AddEndpointFilter((context, next) =>
        {
            var http = context.HttpContext;
            // Per request, so a host's larger global limit does not widen ours.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limits.MaxBodyBytes;
            metrics.Track(http, (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "?");
            return next(context);
        });

        group.MapPost("/recommend", async (HttpContext http, ModelSlot slot) =>
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
        .WithTags("Recommendations")
        .WithSummary("Top-k items for one history of original item IDs (micro-batched with concurrent requests).")
        .Accepts<RecommendBody>("application/json")
        .Produces<RecommendationResult>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status500InternalServerError);

        group.MapPost("/recommend/batch", async (HttpContext http, ModelSlot slot) =>
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
            metrics.ObserveBatchCall(requests.Length);
            var model = slot.Current;
            // Already one forward pass per chunk of rows; the micro-batcher has nothing to add.
            try { return Results.Json(new RecommendBatchResponse { Results = await Task.Run(() => model.Recommender.RecommendBatch(requests)) }, ServingJson.Default.RecommendBatchResponse); }
            catch (NonFiniteScoreException e) { return ModelFault(e); }
            catch (VaeCfException e) { return BadRequest(e.Message); }
        })
        .WithTags("Recommendations")
        .WithSummary("Top-k items for many histories in one call.")
        .Accepts<RecommendBatchBody>("application/json")
        .Produces<RecommendBatchResponse>()
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status500InternalServerError);

        group.MapGet("/health", (ModelSlot slot) =>
        {
            var r = slot.Current.Recommender;
            return Results.Json(new HealthResponse { Status = "ok", Model = r.Manifest.Model, Items = r.ItemCount }, ServingJson.Default.HealthResponse);
        })
        .WithTags("Model")
        .WithSummary("Liveness: answers while the server can serve.")
        .Produces<HealthResponse>();

        group.MapGet("/model", (ModelSlot slot) => Results.Json(Describe(slot.Current, limits), ModelInfoJson))
            .WithTags("Model")
        .WithSummary("The served model: kind, architecture, item count, metrics, training date, batching and limits.")
            .Produces<ModelDescription>();

        group.MapPost("/admin/reload", async (HttpContext http, ModelSlot slot) =>
        {
            if (!RecommendationServer.IsLoopback(http.Connection.RemoteIpAddress))
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
                    models.Create(Recommender.Load(folder, titles, new GemmEngine(settings.Threads)), titles));
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
                    logger.LogError(e, "/admin/reload could not load {Folder}", folder);
                return BadRequest($"The model was not replaced: {reason}");
            }
        })
        .WithTags("Administration")
        .WithSummary("Loads a model folder and swaps it in atomically; loopback only. Body: {model?, titles?}, or none to reload the served folder (keeping its titles).")
        .Accepts<ReloadBody>("application/json")
        .Produces<ModelDescription>(StatusCodes.Status200OK, "application/json")
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
            return group;
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
        int k = body.K ?? RecommendationServer.DefaultK;
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

    internal static IResult BadRequest(string detail) =>
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

/// <summary>Builds a <see cref="ServingModel"/> with the configured batching and the metrics' pass hook.</summary>
internal sealed class ServingModelFactory(IOptions<VaeCfRecommenderOptions> options, ServingMetrics metrics)
{
    private readonly MicroBatcherOptions? _batching = options.Value.ToBatching();

    public ServingModel Create(Recommender recommender, string? titles) =>
        new(recommender, _batching, metrics.ObservePass) { TitlesPath = titles };
}

/// <summary>Loads the model as the host starts, so the first request does not pay for it and a bad folder stops the start.</summary>
internal sealed class ModelWarmup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<ModelSlot>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
