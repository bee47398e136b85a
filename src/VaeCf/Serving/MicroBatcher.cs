using System.Threading.Channels;

namespace VaeCf.Serving;

/// <summary>How <see cref="MicroBatcher"/> gathers concurrent requests into one forward pass.</summary>
public sealed record MicroBatcherOptions
{
    /// <summary>Most requests scored in one forward pass.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>
    /// Longest a batch waits for its next request while it is topped up. The wait restarts with
    /// each arrival, so a steady stream fills the batch, up to <see cref="WaitLimitFactor"/> times
    /// this in all after its first request; a pause this long ends it. Only spent while the
    /// previous batch held more than one request (a lone caller is never delayed), and only until
    /// the batch holds as many requests as were recently in flight at once.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>A batch's whole top-up is bounded by this many <see cref="MaxWait"/>s.</summary>
    public const int WaitLimitFactor = 4;

    /// <summary>Throws <see cref="VaeCfException"/> for a batch size under 1 or a wait outside 0-1000 ms.</summary>
    public void Validate()
    {
        if (MaxBatch < 1) throw new VaeCfException($"The micro-batch size must be at least 1, got {MaxBatch}.");
        if (MaxWait < TimeSpan.Zero || MaxWait > TimeSpan.FromSeconds(1))
            throw new VaeCfException($"The micro-batch wait must be between 0 and 1000 ms, got {MaxWait.TotalMilliseconds} ms.");
    }
}

/// <summary>
/// Gathers concurrent single-user requests into one <see cref="Recommender"/> call, so the decoder's
/// weights (the item-count-wide last layer dominates) are streamed from memory once per batch
/// instead of once per request. One loop drains a queue: whatever waits when the scorer becomes
/// free forms the next batch, topped up while there is concurrent traffic and requests keep
/// arriving (each within <see cref="MicroBatcherOptions.MaxWait"/> of the last), until it holds as
/// many requests as recently were in flight at once. Each caller gets its own result back through its own task.
/// </summary>
public sealed class MicroBatcher : IAsyncDisposable
{
    private readonly Recommender _recommender;
    private readonly MicroBatcherOptions _options;
    private readonly Channel<Pending> _queue;
    private readonly Task _loop;
    private readonly TimeProvider _time;
    private readonly Action<int>? _passCompleted;

    /// <summary>The recommender every batch is answered by.</summary>
    public Recommender Recommender => _recommender;
    /// <summary>The batch size and wait this batcher was made with.</summary>
    public MicroBatcherOptions Options => _options;
    /// <summary>Forward passes run so far and the requests they answered; their ratio is the mean batch size.</summary>
    public long Batches => Interlocked.Read(ref _batches);
    /// <summary>Requests answered so far (see <see cref="Batches"/>).</summary>
    public long Requests => Interlocked.Read(ref _requests);
    private long _batches, _requests;
    private int _inFlight; // requests accepted and not yet answered
    private int _lastBatch = 1; // requests in the latest pass
    private int _peakInFlight; // most requests in flight since the loop last formed a pass

    /// <summary>Starts the batching loop; dispose the batcher to stop it (queued requests are answered first).</summary>
    /// <param name="recommender">Answers each batch in one call.</param>
    /// <param name="options">Batch size and wait; <see cref="MicroBatcherOptions"/>'s defaults when null.</param>
    /// <param name="timeProvider">The clock the waits are measured on; <see cref="TimeProvider.System"/>
    /// by default. Tests pass a manual clock to check the batching rule without depending on timing.</param>
    /// <param name="passCompleted">Told each forward pass's request count (metrics: the batch-size histogram); must be cheap and not throw.</param>
    public MicroBatcher(Recommender recommender, MicroBatcherOptions? options = null, TimeProvider? timeProvider = null, Action<int>? passCompleted = null)
    {
        _passCompleted = passCompleted;
        ArgumentNullException.ThrowIfNull(recommender);
        _options = options ?? new MicroBatcherOptions();
        _options.Validate();
        _recommender = recommender;
        _time = timeProvider ?? TimeProvider.System;
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Queues one request and completes when its batch has been scored. Invalid requests throw
    /// here, before queueing, so one bad request never fails a batch. After disposal requests are
    /// answered directly (unbatched), so a request that raced a model swap still gets its answer.
    /// </summary>
    public Task<RecommendationResult> RecommendAsync(RecommendationRequest request)
    {
        var prepared = _recommender.Prepare(request);
        // A request with no other in flight (queued or being scored), after a pass that answered one
        // request, is scored on the caller's thread: for a lone caller the hop to the loop and back
        // costs more than batching saves. Requests arriving meanwhile see it in flight and queue;
        // once a pass answers several, requests queue again, so a burst after a batched pass is not
        // split into a lone pass plus the rest.
        int inFlight = Interlocked.Increment(ref _inFlight);
        RaisePeak(inFlight);
        if (inFlight == 1 && Volatile.Read(ref _lastBatch) <= 1)
        {
            try
            {
                var single = new RecommendationResult[1];
                _recommender.Complete([prepared], single);
                Interlocked.Increment(ref _batches);
                Interlocked.Increment(ref _requests);
                _passCompleted?.Invoke(1);
                return Task.FromResult(single[0]);
            }
            catch (Exception e) { return Task.FromException<RecommendationResult>(e); }
            finally { Interlocked.Decrement(ref _inFlight); }
        }
        var pending = new Pending(prepared);
        if (_queue.Writer.TryWrite(pending)) return pending.Task;
        Interlocked.Decrement(ref _inFlight);
        var results = new RecommendationResult[1];
        _recommender.Complete([pending.Request], results);
        return Task.FromResult(results[0]);
    }

    private async Task RunAsync()
    {
        int max = _options.MaxBatch;
        long waitTicks = (long)(_options.MaxWait.TotalSeconds * _time.TimestampFrequency);
        var pendings = new Pending[max];
        var requests = new PreparedRequest[max];
        var results = new RecommendationResult[max];
        int previousBatch = 0;
        var recentRounds = new int[4];
        int roundIndex = 0;
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            long first = _time.GetTimestamp();
            int n = 0;
            while (n < max && reader.TryRead(out var p)) pendings[n++] = p;
            if (n == 0) continue;
            // The most requests in flight since the last pass was formed is the concurrency: closed-loop
            // callers answered by the last pass are coming back now. Waiting (bounded) for that many,
            // and no more, keeps them in step: one pass per round rather than two half passes that
            // each caller waits through. The estimate is the highest of the last few rounds, so one
            // straggler's pass does not break the step for the next round. (The peak restarts from 0,
            // not from the current level, so a peak raised between a read and the reset is never
            // lost; the requests in flight now are counted by the Max.)
            int peak = Math.Max(Interlocked.Exchange(ref _peakInFlight, 0), Volatile.Read(ref _inFlight));
            recentRounds[roundIndex] = Math.Min(max, peak);
            roundIndex = (roundIndex + 1) % recentRounds.Length;
            int expected = recentRounds.Max();
            if (n < expected && waitTicks > 0 && previousBatch > 1)
                n = await TopUpAsync(reader, pendings, n, expected, waitTicks, first + MicroBatcherOptions.WaitLimitFactor * waitTicks).ConfigureAwait(false);

            for (int i = 0; i < n; i++) requests[i] = pendings[i].Request;
            try
            {
                _recommender.Complete(requests.AsSpan(0, n), results.AsSpan(0, n));
                RecordPass(n);
                for (int i = 0; i < n; i++) pendings[i].TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                RecordPass(n);
                for (int i = 0; i < n; i++) pendings[i].TrySetException(e);
            }
            previousBatch = n;
            Array.Clear(pendings, 0, n);
            Array.Clear(requests, 0, n);
            Array.Clear(results, 0, n);
        }
    }

    /// <summary>
    /// Called before a pass's callers hear back: a caller's next request must see this pass's size
    /// (or it could take the lone inline path ahead of the others), never count twice in flight,
    /// and find its own request in the counters.
    /// </summary>
    private void RecordPass(int n)
    {
        Volatile.Write(ref _lastBatch, n);
        Interlocked.Add(ref _inFlight, -n);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _requests, n);
        _passCompleted?.Invoke(n);
    }

    private void RaisePeak(int inFlight)
    {
        int peak = Volatile.Read(ref _peakInFlight);
        while (inFlight > peak)
        {
            int seen = Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak);
            if (seen == peak) return;
            peak = seen;
        }
    }

    /// <summary>
    /// Adds requests until the batch holds <paramref name="target"/>, each arriving within
    /// <paramref name="gapTicks"/> of the previous one (or of the start), none after <paramref name="limit"/>.
    /// The round of a few dozen closed-loop clients arrives over a few milliseconds, as fast as the
    /// server answers the previous round; a fixed bound from the first request cut such a round in
    /// two whenever the server's answering took longer than the bound.
    /// </summary>
    private async Task<int> TopUpAsync(ChannelReader<Pending> reader, Pending[] pendings, int n, int target, long gapTicks, long limit)
    {
        long deadline = Math.Min(limit, _time.GetTimestamp() + gapTicks);
        while (n < target)
        {
            if (reader.TryRead(out var p))
            {
                pendings[n++] = p;
                deadline = Math.Min(limit, _time.GetTimestamp() + gapTicks);
                continue;
            }
            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero) break;
            using var timeout = new CancellationTokenSource(remaining, _time);
            Task<bool> waiting = reader.WaitToReadAsync(timeout.Token).AsTask();
            await ((Task)waiting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // Timed out, or the queue was completed (disposal): nothing more will come.
            if (timeout.IsCancellationRequested || (waiting.IsCompletedSuccessfully && !waiting.Result)) break;
        }
        while (n < pendings.Length && reader.TryRead(out var late)) pendings[n++] = late;
        return n;
    }

    /// <summary>Stops taking requests, answers the queued ones, and waits for the loop to end.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private sealed class Pending(PreparedRequest request) : TaskCompletionSource<RecommendationResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public PreparedRequest Request { get; } = request;
    }
}
