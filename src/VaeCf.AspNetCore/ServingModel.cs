using VaeCf.Serving;

namespace VaeCf.AspNetCore;

/// <summary>One loaded model as the server uses it: the recommender and, when batching, its micro-batcher.</summary>
public sealed class ServingModel : IAsyncDisposable
{
    /// <summary>Scores and ranks for this model.</summary>
    public Recommender Recommender { get; }
    /// <summary>Groups concurrent requests into passes; null when batching is off.</summary>
    public MicroBatcher? Batcher { get; }
    /// <summary>When this model was loaded (UTC).</summary>
    public DateTime LoadedUtc { get; } = DateTime.UtcNow;
    /// <summary>The titles file loaded with the model, kept by a reload that names none.</summary>
    public string? TitlesPath { get; init; }

    /// <param name="passCompleted">Told each micro-batched pass's request count (the metrics' batch-size histogram).</param>
    public ServingModel(Recommender recommender, MicroBatcherOptions? batching, Action<int>? passCompleted = null)
    {
        Recommender = recommender;
        // Before the model takes requests (at start, or before a reload swaps it in), not on the first one.
        recommender.PrepareForServing();
        Batcher = batching is null ? null : new MicroBatcher(recommender, batching, passCompleted: passCompleted);
    }

    /// <summary>Answers <paramref name="request"/>, through the micro-batcher when there is one.</summary>
    public Task<RecommendationResult> RecommendAsync(RecommendationRequest request) =>
        Batcher is { } batcher ? batcher.RecommendAsync(request) : Task.FromResult(Recommender.Recommend(request));

    /// <summary>Drains the micro-batcher's queue (requests already taken are answered) and stops it.</summary>
    public ValueTask DisposeAsync() => Batcher?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>
/// The model currently served. A request reads the reference once and finishes on that model, so
/// a swap never changes the model under a request; the old model's queue is drained, not dropped.
/// </summary>
public sealed class ModelSlot(ServingModel initial, Action<ServingModel>? swapped = null)
{
    private ServingModel _current = initial;
    private readonly SemaphoreSlim _reloading = new(1, 1);

    /// <summary>The model to answer with now; read it once per request.</summary>
    public ServingModel Current => Volatile.Read(ref _current);

    /// <summary>Loads with <paramref name="load"/> (off the request threads) and swaps; one reload at a time.</summary>
    public async Task<ServingModel> ReloadAsync(Func<ServingModel> load)
    {
        await _reloading.WaitAsync().ConfigureAwait(false);
        try
        {
            var fresh = await Task.Run(load).ConfigureAwait(false);
            var old = Interlocked.Exchange(ref _current, fresh);
            swapped?.Invoke(fresh);
            // Queued requests of the old model are still answered by it; later stragglers fall back
            // to its unbatched path, so nothing in flight fails.
            _ = old.DisposeAsync().AsTask();
            return fresh;
        }
        finally { _reloading.Release(); }
    }
}
