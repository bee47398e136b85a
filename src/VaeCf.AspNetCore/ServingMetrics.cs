using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Prometheus;

namespace VaeCf.AspNetCore;

/// <summary>
/// The service's Prometheus metrics, in a registry of its own (no process-wide state: two servers
/// in one process count apart; the host's own prometheus-net metrics are untouched).
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>What GET /metrics exposes (<c>app.MapMetrics("/metrics", metrics.Registry)</c>).</summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    private readonly Counter _requests;
    private readonly Histogram _duration;
    private readonly Histogram _passSize;
    private readonly Histogram _batchCallSize;
    private readonly Gauge _modelInfo;
    private readonly Gauge _modelItems;
    private string[]? _infoLabels;
    private readonly Lock _infoLock = new();

    /// <summary>Metrics in a registry of their own, so two servers in one process (tests) keep separate counts.</summary>
    public ServingMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("vaecf_http_requests_total", "Requests answered by the VaeCf endpoints, by endpoint and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "code"] });
        _duration = factory.CreateHistogram("vaecf_http_request_duration_seconds", "Time from a VaeCf endpoint taking a request to its answer starting, by endpoint.",
            new HistogramConfiguration { LabelNames = ["endpoint"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        _passSize = factory.CreateHistogram("vaecf_microbatch_pass_requests", "Requests scored in one micro-batched forward pass of POST /recommend.",
            new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _batchCallSize = factory.CreateHistogram("vaecf_batch_call_requests", "Requests in one POST /recommend/batch call that was answered.",
            new HistogramConfiguration { Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
        _modelInfo = factory.CreateGauge("vaecf_model_info", "The served model (1 for the current one): kind, source folder and training date.",
            new GaugeConfiguration { LabelNames = ["model", "source", "created_utc"] });
        _modelItems = factory.CreateGauge("vaecf_model_items", "Items the served model ranks.");
    }

    /// <summary>Counts the request under <paramref name="endpoint"/> once its status code is final (when the answer starts, so before the client can see it).</summary>
    internal void Track(HttpContext http, string endpoint)
    {
        long start = Stopwatch.GetTimestamp();
        http.Response.OnStarting(() =>
        {
            _duration.WithLabels(endpoint).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            _requests.WithLabels(endpoint, http.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            return Task.CompletedTask;
        });
    }

    internal void ObservePass(int requests) => _passSize.Observe(requests);

    internal void ObserveBatchCall(int requests) => _batchCallSize.Observe(requests);

    /// <summary>Publishes the served model; a reload replaces the previous one's series.</summary>
    internal void SetModel(ServingModel model)
    {
        var manifest = model.Recommender.Manifest;
        string[] labels = [manifest.Model, model.Recommender.Source ?? "", manifest.CreatedUtc.ToString("O", System.Globalization.CultureInfo.InvariantCulture)];
        lock (_infoLock)
        {
            if (_infoLabels is { } old && !old.SequenceEqual(labels)) _modelInfo.RemoveLabelled(old);
            _modelInfo.WithLabels(labels).Set(1);
            _infoLabels = labels;
        }
        _modelItems.Set(model.Recommender.ItemCount);
    }
}
