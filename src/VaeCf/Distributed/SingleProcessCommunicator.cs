using System.Diagnostics;

namespace VaeCf.Distributed;

/// <summary>One process, no MPI loaded: every reduction over one contribution is that contribution.</summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    public static readonly SingleProcessCommunicator Instance = new();

    private static readonly long Started = Stopwatch.GetTimestamp();

    public int Rank => 0;
    public int Size => 1;
    public string Description => "one process";
    public void Sum(Span<float> values) { }
    public void Sum(Span<double> values) { }
    public void Max(Span<long> values) { }
    public void Min(Span<long> values) { }
    public INonBlockingSum PrepareSum(float[] buffer, int offset, int count) => Done.Instance;
    public void Broadcast(Span<byte> values, int root) { }
    public void Barrier() { }
    public double Seconds => Stopwatch.GetElapsedTime(Started).TotalSeconds;
    public void Abort(int exitCode) => Environment.Exit(exitCode);
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
