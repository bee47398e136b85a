using System.Diagnostics;

namespace VaeCf.Distributed;

/// <summary>One process, no MPI loaded: every reduction over one contribution is that contribution.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>The one instance: it holds no state.</summary>
    public static readonly SingleProcessCommunicator Instance = new();

    private static readonly long Started = Stopwatch.GetTimestamp();

    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;
    /// <inheritdoc/>
    public string Description => "one process";
    /// <inheritdoc/>
    public void Sum(Span<float> values) { }
    /// <inheritdoc/>
    public void Sum(Span<double> values) { }
    /// <inheritdoc/>
    public void Max(Span<long> values) { }
    /// <inheritdoc/>
    public void Min(Span<long> values) { }
    /// <inheritdoc/>
    public INonBlockingSum PrepareSum(float[] buffer, int offset, int count) => Done.Instance;
    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root) { }
    /// <inheritdoc/>
    public void Barrier() { }
    /// <inheritdoc/>
    public double Seconds => Stopwatch.GetElapsedTime(Started).TotalSeconds;
    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);
    /// <inheritdoc/>
    public void Dispose() { }

    private sealed class Done : INonBlockingSum
    {
        public static readonly Done Instance = new();
        public void Start() { }
        public bool Test() => true;
        public void Wait() { }
        public void Dispose() { }
    }
}
