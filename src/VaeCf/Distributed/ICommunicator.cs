namespace VaeCf.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, over the processes of one job. Every
/// process must call the same collectives in the same order with the same lengths (MPI's rule);
/// the training loop guarantees it by taking every decision from reduced values.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index in [0, <see cref="Size"/>).</summary>
    int Rank { get; }
    /// <summary>Processes in the job (1 without MPI).</summary>
    int Size { get; }
    /// <summary>Rank 0 prints progress and writes files; the others stay quiet.</summary>
    bool IsRoot => Rank == 0;
    /// <summary>What this is, for the run's first line (e.g. "MPICH 4.0.2, 2 processes").</summary>
    string Description { get; }

    /// <summary>Element-wise sum over all processes, in place; every process receives the result.</summary>
    void Sum(Span<float> values);
    /// <inheritdoc cref="Sum(Span{float})"/>
    void Sum(Span<double> values);
    /// <summary>Element-wise maximum over all processes, in place.</summary>
    void Max(Span<long> values);
    /// <summary>Element-wise minimum over all processes, in place.</summary>
    void Min(Span<long> values);
    /// <summary>
    /// An in-place sum of buffer[offset, offset + count) that is started, and later finished, as often
    /// as needed (MPI_Iallreduce): the buffer stays pinned until the handle is disposed, so a start
    /// allocates nothing. Every process must start its sums in the same order as its other collectives.
    /// </summary>
    INonBlockingSum PrepareSum(float[] buffer, int offset, int count);
    /// <summary>Copies rank <paramref name="root"/>'s bytes to every process.</summary>
    void Broadcast(Span<byte> values, int root);
    /// <summary>Returns once every process has called it.</summary>
    void Barrier();
    /// <summary>Seconds on a clock that only differences mean anything on (MPI_Wtime under MPI).</summary>
    double Seconds { get; }
    /// <summary>Ends every process of the job with <paramref name="exitCode"/>: one failing process must not leave the others waiting in a collective.</summary>
    void Abort(int exitCode);
}

/// <summary>A sum that runs while the caller computes (see <see cref="ICommunicator.PrepareSum"/>).</summary>
public interface INonBlockingSum : IDisposable
{
    /// <summary>Starts the sum and returns at once; its range must not be touched until <see cref="Test"/> says true or <see cref="Wait"/> returns.</summary>
    void Start();
    /// <summary>
    /// True once the result is in the buffer (or nothing is in flight). Without an MPI progress
    /// thread, MPICH moves a transfer on only inside MPI calls, so calling this between pieces of
    /// work is what lets it progress.
    /// </summary>
    bool Test();
    /// <summary>Returns when the result is in the buffer (at once when nothing is in flight).</summary>
    void Wait();
}
