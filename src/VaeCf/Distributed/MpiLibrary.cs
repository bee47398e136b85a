using System.Runtime.InteropServices;

namespace VaeCf.Distributed;

/// <summary>
/// The dozen MPI entry points training needs, bound at run time from a library with the MPICH ABI
/// (MPICH, Intel MPI, MVAPICH, Cray MPICH). Handles are plain ints in that ABI; their values are
/// mpi.h's (Debian: /usr/include/x86_64-linux-gnu/mpich/mpi.h), checked by a test that reads the header.
/// Loaded only when asked for, so a process without MPI never touches it.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    public const int CommWorld = 0x44000000;
    public const int Float = 0x4c00040a;
    public const int Double = 0x4c00080b;
    public const int Int64 = 0x4c00083a;
    public const int Byte = 0x4c00010d;
    public const int OpMax = 0x58000001;
    public const int OpMin = 0x58000002;
    public const int OpSum = 0x58000003;
    public const int ThreadSerialized = 2;
    public const int Success = 0;
    /// <summary>MPI_IN_PLACE is (void*)-1 in the MPICH ABI.</summary>
    public static readonly void* InPlace = (void*)-1;
    /// <summary>MPI_STATUS_IGNORE is (MPI_Status*)1.</summary>
    public static readonly void* StatusIgnore = (void*)1;

    /// <summary>Names tried in order; VAECF_MPI_LIBRARY (a path or name) goes first when set.</summary>
    public static readonly string[] Candidates = ["libmpich.so.12", "libmpi.so.12", "libmpich.so", "libmpi.so", "libmpich.dylib"];

    public string LoadedFrom { get; }

    public readonly delegate* unmanaged<int*, void*, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<int, int*, int> CommRank;
    public readonly delegate* unmanaged<int, int*, int> CommSize;
    public readonly delegate* unmanaged<void*, void*, int, int, int, int, int> Allreduce;
    public readonly delegate* unmanaged<void*, void*, int, int, int, int, int*, int> Iallreduce;
    public readonly delegate* unmanaged<int*, void*, int> Wait;
    public readonly delegate* unmanaged<int*, int*, void*, int> Test;
    public readonly delegate* unmanaged<void*, int, int, int, int, int> Bcast;
    public readonly delegate* unmanaged<int, int> Barrier;
    public readonly delegate* unmanaged<int, int, int> Abort;
    public readonly delegate* unmanaged<double> Wtime;
    public readonly delegate* unmanaged<byte*, int*, int> GetLibraryVersion;

    private MpiLibrary(nint handle, string loadedFrom)
    {
        LoadedFrom = loadedFrom;
        nint Get(string name) => NativeLibrary.TryGetExport(handle, name, out var address)
            ? address
            : throw new VaeCfException($"The MPI library '{loadedFrom}' has no {name}: it is not an MPI-3 library with the MPICH ABI.");
        InitThread = (delegate* unmanaged<int*, void*, int, int*, int>)Get("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Get("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Get("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Get("MPI_Finalize");
        CommRank = (delegate* unmanaged<int, int*, int>)Get("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<int, int*, int>)Get("MPI_Comm_size");
        Allreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int>)Get("MPI_Allreduce");
        Iallreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int*, int>)Get("MPI_Iallreduce");
        Wait = (delegate* unmanaged<int*, void*, int>)Get("MPI_Wait");
        Test = (delegate* unmanaged<int*, int*, void*, int>)Get("MPI_Test");
        Bcast = (delegate* unmanaged<void*, int, int, int, int, int>)Get("MPI_Bcast");
        Barrier = (delegate* unmanaged<int, int>)Get("MPI_Barrier");
        Abort = (delegate* unmanaged<int, int, int>)Get("MPI_Abort");
        Wtime = (delegate* unmanaged<double>)Get("MPI_Wtime");
        GetLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Get("MPI_Get_library_version");
    }

    /// <summary>Loads the first candidate that opens, or says which were tried.</summary>
    public static MpiLibrary Load(string? preferred)
    {
        var names = preferred is { Length: > 0 } ? new[] { preferred }.Concat(Candidates) : Candidates;
        var tried = new List<string>();
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var handle)) return new MpiLibrary(handle, name);
            tried.Add(name);
        }
        throw new VaeCfException($"No MPI library with the MPICH ABI could be loaded (tried {string.Join(", ", tried)}): " +
            "install MPICH (Debian: apt-get install mpich) or set VAECF_MPI_LIBRARY to the library's path.");
    }

    public string Version()
    {
        const int maxLength = 8192; // MPI_MAX_LIBRARY_VERSION_STRING is 8192 in MPICH
        var buffer = stackalloc byte[maxLength];
        int length = 0;
        if (GetLibraryVersion(buffer, &length) != Success) return "MPI";
        var text = new string((sbyte*)buffer, 0, Math.Clamp(length, 0, maxLength));
        // MPICH's first line is "MPICH Version:<tab>4.0.2": one line, single spaces.
        string first = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "MPI";
        return string.Join(' ', first.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }
}
