using System.Runtime.InteropServices;

namespace VaeCf.Benchmarks;

/// <summary>
/// Benchmark-only binding to oneDNN's <c>dnnl_sgemm</c> (Debian's libdnnl2), used as the hardware
/// reference for our GEMM. Optional: <see cref="TryLoad"/> returns false when the library is absent.
/// Only the benchmarks (<see cref="TrainingBenchmark"/>, bench/VaeCf.Bench) call it; training and
/// scoring never do.
/// </summary>
public static unsafe class OneDnn
{
    private static delegate* unmanaged<sbyte, sbyte, long, long, long, float, float*, long, float*, long, float, float*, long, int> s_sgemm;
    private static delegate* unmanaged<int, void> s_ompSetNumThreads;
    private static bool s_tried;

    public static bool IsLoaded => s_sgemm != null;

    /// <summary>Loads libdnnl once; false (and no exception) when it is not installed.</summary>
    public static bool TryLoad()
    {
        if (s_tried) return IsLoaded;
        s_tried = true;
        // libgomp reads OMP_WAIT_POLICY when it loads. Passive stops oneDNN's idle OpenMP threads from
        // spinning on the cores while our engine is timed. .NET's Environment API does not reach the
        // C environment on Unix, hence setenv. An explicit setting from the user wins (overwrite = 0).
        if (OperatingSystem.IsLinux())
        {
            try { setenv("OMP_WAIT_POLICY", "PASSIVE", 0); } catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        foreach (var name in new[] { "libdnnl.so.3", "libdnnl.so.2", "libdnnl.so", "dnnl.dll", "libdnnl.dylib" })
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "dnnl_sgemm", out var sgemm)) continue;
            s_sgemm = (delegate* unmanaged<sbyte, sbyte, long, long, long, float, float*, long, float*, long, float, float*, long, int>)sgemm;
            foreach (var omp in new[] { "libgomp.so.1", "libiomp5.so", "libomp.so" })
            {
                if (NativeLibrary.TryLoad(omp, out var ompHandle) && NativeLibrary.TryGetExport(ompHandle, "omp_set_num_threads", out var set))
                {
                    s_ompSetNumThreads = (delegate* unmanaged<int, void>)set;
                    break;
                }
            }
            return true;
        }
        return false;
    }

    /// <summary>Threads oneDNN uses for calls from this thread; false if the OpenMP runtime was not found.</summary>
    public static bool SetThreads(int threads)
    {
        if (s_ompSetNumThreads == null) return false;
        s_ompSetNumThreads(threads);
        return true;
    }

    /// <summary>Row-major C = alpha * op(A) * op(B) + beta * C, same contract as GemmEngine.Multiply.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (!IsLoaded) throw new InvalidOperationException("oneDNN is not loaded; call TryLoad first.");
        fixed (float* pa = a, pb = b, pc = c)
        {
            int status = s_sgemm((sbyte)(transA ? 'T' : 'N'), (sbyte)(transB ? 'T' : 'N'), m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            if (status != 0) throw new InvalidOperationException($"dnnl_sgemm failed with status {status}.");
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);
}
