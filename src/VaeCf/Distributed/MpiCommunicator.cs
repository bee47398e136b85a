using System.Runtime.InteropServices;

namespace VaeCf.Distributed;

/// <summary>
/// MPI_COMM_WORLD through <see cref="MpiLibrary"/>. MPI is initialized with MPI_THREAD_SERIALIZED:
/// only one thread calls MPI at a time (the training loop), while the compute threads never do.
/// The communicator's default error handler is MPI's "errors are fatal", so a failed collective
/// ends the whole job instead of leaving the other processes waiting.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    /// <summary>MPI counts are ints; longer buffers go in pieces of this many elements.</summary>
    private const int MaxCount = 1 << 30;

    private readonly MpiLibrary _mpi;
    private readonly bool _initializedHere;
    private bool _disposed;

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }
    /// <inheritdoc/>
    public string Description { get; }

    private MpiCommunicator(MpiLibrary mpi)
    {
        _mpi = mpi;
        int already = 0;
        Check(mpi.Initialized(&already), "MPI_Initialized");
        if (already == 0)
        {
            int provided = 0;
            Check(mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
            _initializedHere = true;
            if (provided < MpiLibrary.ThreadSerialized)
            {
                mpi.Abort(MpiLibrary.CommWorld, 1);
                throw new VaeCfException($"The MPI library provides thread level {provided}; training needs MPI_THREAD_SERIALIZED ({MpiLibrary.ThreadSerialized}).");
            }
        }
        int rank = 0, size = 0;
        Check(mpi.CommRank(MpiLibrary.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi.CommSize(MpiLibrary.CommWorld, &size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        Description = $"{mpi.Version()}, {size} process{(size == 1 ? "" : "es")}";
    }

    /// <summary>Loads the library (<paramref name="library"/> first when given) and joins MPI_COMM_WORLD.</summary>
    public static MpiCommunicator Start(string? library = null) => new(MpiLibrary.Load(library));

    /// <inheritdoc/>
    public void Sum(Span<float> values) => Reduce(values, MpiLibrary.Float, MpiLibrary.OpSum);
    /// <inheritdoc/>
    public void Sum(Span<double> values) => Reduce(values, MpiLibrary.Double, MpiLibrary.OpSum);
    /// <inheritdoc/>
    public void Max(Span<long> values) => Reduce(values, MpiLibrary.Int64, MpiLibrary.OpMax);
    /// <inheritdoc/>
    public void Min(Span<long> values) => Reduce(values, MpiLibrary.Int64, MpiLibrary.OpMin);

    private void Reduce<T>(Span<T> values, int type, int op) where T : unmanaged
    {
        fixed (T* p = values)
            for (long start = 0; start < values.Length; start += MaxCount)
            {
                int count = (int)Math.Min(MaxCount, values.Length - start);
                Check(_mpi.Allreduce(MpiLibrary.InPlace, p + start, count, type, op, MpiLibrary.CommWorld), "MPI_Allreduce");
            }
    }

    /// <inheritdoc/>
    public INonBlockingSum PrepareSum(float[] buffer, int offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)offset + count > buffer.Length) throw new ArgumentOutOfRangeException(nameof(count));
        return new NonBlockingSum(this, buffer, offset, count);
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> values, int root)
    {
        fixed (byte* p = values)
            for (long start = 0; start < values.Length; start += MaxCount)
                Check(_mpi.Bcast(p + start, (int)Math.Min(MaxCount, values.Length - start), MpiLibrary.Byte, root, MpiLibrary.CommWorld), "MPI_Bcast");
    }

    /// <inheritdoc/>
    public void Barrier() => Check(_mpi.Barrier(MpiLibrary.CommWorld), "MPI_Barrier");

    /// <inheritdoc/>
    public double Seconds => _mpi.Wtime();

    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(300);

    /// <inheritdoc/>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        // The launcher forwards each process's output through its own pipes and stops reading them
        // once the job is torn down; a moment's grace lets the error line just written reach the user.
        Thread.Sleep(AbortGrace);
        _mpi.Abort(MpiLibrary.CommWorld, exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is for a library that does.
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        int finalized = 0;
        _mpi.Finalized(&finalized);
        if (_initializedHere && finalized == 0) _mpi.Finalize();
    }

    private static void Check(int code, string call)
    {
        if (code != MpiLibrary.Success) throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }

    /// <summary>Non-blocking sums (MPI_Iallreduce) over an array pinned for the handle's life, one request per piece of at most <see cref="MaxCount"/>.</summary>
    private sealed class NonBlockingSum : INonBlockingSum
    {
        private readonly MpiCommunicator _owner;
        private GCHandle _pin;
        private readonly float* _start;
        private readonly int _count;
        private readonly int[] _requests;
        private bool _inFlight;

        public NonBlockingSum(MpiCommunicator owner, float[] buffer, int offset, int count)
        {
            _owner = owner;
            _pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            _start = (float*)_pin.AddrOfPinnedObject() + offset;
            _count = count;
            _requests = new int[(count + MaxCount - 1) / MaxCount];
        }

        public void Start()
        {
            ObjectDisposedException.ThrowIf(!_pin.IsAllocated, this);
            if (_inFlight) throw new InvalidOperationException("This sum is already in flight.");
            for (int i = 0; i < _requests.Length; i++)
            {
                int piece = Math.Min(MaxCount, _count - i * MaxCount);
                fixed (int* request = &_requests[i])
                    Check(_owner._mpi.Iallreduce(MpiLibrary.InPlace, _start + (long)i * MaxCount, piece, MpiLibrary.Float, MpiLibrary.OpSum,
                        MpiLibrary.CommWorld, request), "MPI_Iallreduce");
            }
            _inFlight = _requests.Length > 0;
        }

        public bool Test()
        {
            if (!_inFlight) return true;
            // A completed request becomes MPI_REQUEST_NULL, which MPI_Test reports as complete again.
            for (int i = 0; i < _requests.Length; i++)
            {
                int flag = 0;
                fixed (int* r = &_requests[i]) Check(_owner._mpi.Test(r, &flag, MpiLibrary.StatusIgnore), "MPI_Test");
                if (flag == 0) return false;
            }
            _inFlight = false;
            return true;
        }

        public void Wait()
        {
            if (!_inFlight) return;
            for (int i = 0; i < _requests.Length; i++)
                fixed (int* r = &_requests[i]) Check(_owner._mpi.Wait(r, MpiLibrary.StatusIgnore), "MPI_Wait");
            _inFlight = false;
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (!_pin.IsAllocated) return;
            // MPI may still write into the buffer: finish first, unless MPI is already gone.
            int finalized = 0;
            _owner._mpi.Finalized(&finalized);
            if (finalized == 0) Wait();
            _pin.Free();
        }
    }
}
