namespace VaeCf.Tests;

/// <summary>
/// A clock that moves only when a test calls <see cref="Advance"/>, so timing rules (a wait that
/// restarts with each arrival, an overall bound) are checked step by step, whatever the machine's
/// load. Timers fire inside <see cref="Advance"/>; each new timer is announced through
/// <see cref="WaitForTimerAsync"/>, which tells a test that the code under test is now waiting.
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly SemaphoreSlim _created = new(0);
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        _created.Release();
        return timer;
    }

    /// <summary>Completes when a timer has been created since the last call (the code under test is waiting on it).</summary>
    public async Task WaitForTimerAsync()
    {
        // A hang guard only: the test fails instead of hanging if the code never waits.
        if (!await _created.WaitAsync(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("The code under test never started a timer.");
    }

    /// <summary>Moves the clock forward and fires, in due order, every timer that falls due on the way.</summary>
    public void Advance(TimeSpan by)
    {
        long target = Interlocked.Read(ref _ticks) + by.Ticks;
        while (true)
        {
            ManualTimer? next;
            lock (_gate) next = _timers.Where(t => t.DueTicks <= target).MinBy(t => t.DueTicks);
            if (next is null) break;
            Interlocked.Exchange(ref _ticks, Math.Max(Interlocked.Read(ref _ticks), next.DueTicks));
            next.Fire();
        }
        Interlocked.Exchange(ref _ticks, target);
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public long DueTicks { get; private set; } = long.MaxValue;
        private long _periodTicks;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                clock._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                DueTicks = clock.GetTimestamp() + dueTime.Ticks;
                _periodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                clock._timers.Add(this);
            }
            return true;
        }

        public void Fire()
        {
            lock (clock._gate)
            {
                clock._timers.Remove(this);
                if (_periodTicks > 0) { DueTicks += _periodTicks; clock._timers.Add(this); }
            }
            callback(state);
        }

        public void Dispose() { lock (clock._gate) clock._timers.Remove(this); }
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}
