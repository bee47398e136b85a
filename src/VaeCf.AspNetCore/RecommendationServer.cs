using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using Scalar.AspNetCore;
using VaeCf.Serving;

namespace VaeCf.AspNetCore;

/// <summary>
/// The app of <c>vaecf serve</c>: <see cref="VaeCfServiceCollectionExtensions.AddVaeCfRecommender(IServiceCollection, Action{VaeCfRecommenderOptions})"/>
/// and <see cref="VaeCfServiceCollectionExtensions.MapVaeCfRecommender"/> on a slim host, plus
/// GET /openapi/v1.json, the API page at <see cref="ApiPagePath"/> and Prometheus metrics at
/// GET /metrics. Anything unexpected is caught by the exception handler and answered as problem
/// JSON, so no request can take the server down.
/// </summary>
public static class RecommendationServer
{
    /// <summary>Requests without a k get this many items.</summary>
    public const int DefaultK = 10;

    /// <summary>The interactive API page (Scalar, assets served by the app itself: works offline).</summary>
    public const string ApiPagePath = "/docs";

    /// <summary>The OpenAPI document's title.</summary>
    public const string ApiTitle = "VaeCf recommendations API";

    /// <summary>Builds (does not start) the server; <paramref name="preloaded"/> skips loading options.ModelDirectory.</summary>
    public static WebApplication Build(ServeOptions options, Recommender? preloaded = null)
    {
        options.Validate();
        // appsettings.json, appsettings.{Environment}.json and environment variables are read as by
        // any ASP.NET Core app (Logging, Kestrel...); the serve command has already merged the VaeCf section into options.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.Limits.MaxBodyBytes;
            kestrel.AddServerHeader = false;
        });
        // Per-request Information logs would cost more than the forward pass at thousands of requests/s:
        // off unless asked for (--log-requests, or a Logging:LogLevel entry in appsettings.json).
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (options.LogRequests) builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information);
        builder.Services.AddOpenApi(openApi =>
        {
            openApi.AddVaeCfRecommenderSchemas();
            openApi.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = ApiTitle;
                document.Info.Description = "Top-k recommendations from a Mult-VAE, Mult-DAE, RecVAE, EASE or popularity model trained by vaecf.";
                return Task.CompletedTask;
            });
        });
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            // The web defaults read numbers from strings; the endpoints parse with ServingJson, which
            // does not, and the OpenAPI document is generated from these options: keep them alike.
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        builder.Services.AddVaeCfRecommender(recommender =>
        {
            recommender.Model = options.ModelDirectory;
            recommender.Titles = options.TitlesPath;
            recommender.Recommender = preloaded;
            recommender.Batching = options.Batching is not null;
            recommender.MaxBatch = options.Batching?.MaxBatch ?? 1;
            recommender.MaxWaitMs = options.Batching?.MaxWait.TotalMilliseconds ?? 0;
            recommender.Threads = options.Threads;
            recommender.MaxItems = options.Limits.MaxItems;
            recommender.MaxK = options.Limits.MaxK;
            recommender.MaxBatchSize = options.Limits.MaxBatchSize;
            recommender.MaxBodyBytes = options.Limits.MaxBodyBytes;
        });

        var app = builder.Build();
        // Load now: a missing, damaged or non-finite model is the caller's error before anything listens.
        app.Services.GetRequiredService<ModelSlot>();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapScalarApiReference(ApiPagePath, scalar => scalar.WithTitle(ApiTitle));
        app.MapMetrics("/metrics", app.Services.GetRequiredService<ServingMetrics>().Registry);
        app.MapVaeCfRecommender();
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

    /// <summary>Whether /admin/reload may answer this remote address (IPv4-mapped IPv6 loopback included).</summary>
    public static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
