using VaeCf.Distributed;

namespace VaeCf.Tests;

/// <summary>
/// P "processes" as P threads of one test, for the data-parallel steps' logic without MPI. Every
/// collective is a rendezvous: each rank leaves a copy of its values, then each sums all copies in
/// rank order (the same order everywhere, so every rank gets the same bits), as MPI_Allreduce would.
/// A non-blocking sum does its exchange at <see cref="INonBlockingSum.Wait"/>; since every rank
/// waits in the same order as its other collectives, the rendezvous still pair up.
/// </summary>
internal sealed class ThreadCommunicator : ICommunicator
{
    private sealed class Group(int size)
    {
        public readonly Barrier Barrier = new(size);
        public readonly double[]?[] Slots = new double[size][];
    }

    private readonly Group _group;

    private ThreadCommunicator(Group group, int rank)
    {
        _group = group;
        Rank = rank;
    }

    /// <summary>One communicator per rank, sharing one rendezvous.</summary>
    public static ThreadCommunicator[] Create(int size)
    {
        var group = new Group(size);
        return Enumerable.Range(0, size).Select(r => new ThreadCommunicator(group, r)).ToArray();
    }

    public int Rank { get; }
    public int Size => _group.Slots.Length;
    public string Description => $"{Size} threads";
    /// <summary>Collectives this rank took part in, in order (their lengths): equal lists show the ranks stayed in step.</summary>
    public List<int> Calls { get; } = new();

    private double[] Exchange(double[] mine, Func<double, double, double> combine)
    {
        Calls.Add(mine.Length);
        _group.Slots[Rank] = mine;
        _group.Barrier.SignalAndWait();
        var result = (double[])_group.Slots[0]!.Clone();
        for (int r = 1; r < Size; r++)
        {
            var other = _group.Slots[r]!;
            if (other.Length != result.Length) throw new InvalidOperationException($"rank {Rank}: collective of {result.Length} against {other.Length} elements");
            for (int i = 0; i < result.Length; i++) result[i] = combine(result[i], other[i]);
        }
        _group.Barrier.SignalAndWait();
        return result;
    }

    public void Sum(Span<float> values)
    {
        var mine = new double[values.Length];
        for (int i = 0; i < mine.Length; i++) mine[i] = values[i];
        // Summed in float, rank by rank, as MPI sums floats.
        var result = ExchangeFloats(mine);
        for (int i = 0; i < values.Length; i++) values[i] = result[i];
    }

    private float[] ExchangeFloats(double[] mine)
    {
        Calls.Add(mine.Length);
        _group.Slots[Rank] = mine;
        _group.Barrier.SignalAndWait();
        var result = new float[mine.Length];
        for (int r = 0; r < Size; r++)
        {
            var other = _group.Slots[r]!;
            for (int i = 0; i < result.Length; i++) result[i] = r == 0 ? (float)other[i] : result[i] + (float)other[i];
        }
        _group.Barrier.SignalAndWait();
        return result;
    }

    public void Sum(Span<double> values) => Exchange(values.ToArray(), (a, b) => a + b).CopyTo(values);
    public void Max(Span<long> values) => Copy(Exchange(values.ToArray().Select(v => (double)v).ToArray(), Math.Max), values);
    public void Min(Span<long> values) => Copy(Exchange(values.ToArray().Select(v => (double)v).ToArray(), Math.Min), values);

    private static void Copy(double[] from, Span<long> to)
    {
        for (int i = 0; i < to.Length; i++) to[i] = (long)from[i];
    }

    public INonBlockingSum PrepareSum(float[] buffer, int offset, int count) => new Deferred(this, buffer, offset, count);

    public void Broadcast(Span<byte> values, int root) => throw new NotSupportedException();
    public void Barrier() => _group.Barrier.SignalAndWait();
    public double Seconds => 0;
    public void Abort(int exitCode) => throw new InvalidOperationException($"abort {exitCode}");
    public void Dispose() { }

    private sealed class Deferred(ThreadCommunicator owner, float[] buffer, int offset, int count) : INonBlockingSum
    {
        private bool _inFlight;
        public void Start() => _inFlight = true;
        public bool Test() => !_inFlight;
        public void Wait()
        {
            if (!_inFlight) return;
            owner.Sum(buffer.AsSpan(offset, count));
            _inFlight = false;
        }
        public void Dispose() { }
    }

    /// <summary>Runs <paramref name="work"/> for every rank on its own thread and waits for all.</summary>
    public static void RunAll(ThreadCommunicator[] ranks, Action<ThreadCommunicator> work)
    {
        Exception? failure = null;
        var threads = ranks.Select(rank => new Thread(() =>
        {
            try { work(rank); }
            catch (Exception e) { failure ??= e; }
        }) { IsBackground = true }).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(1)), "a rank hung in a collective");
        if (failure is not null) throw new AggregateException(failure);
    }
}
