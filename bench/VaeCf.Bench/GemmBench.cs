using VaeCf.Benchmarks;
using System.Diagnostics;
using VaeCf.Numerics;

namespace VaeCf.Bench;

/// <summary>
/// GFLOP/s of GemmEngine against oneDNN on the Mult-VAE output-layer shapes and square products.
/// Each cell runs one warm-up call, then repeats until a time budget is spent; it reports the best
/// and the median call, because the machine is shared and the best is the least disturbed.
/// </summary>
public static class GemmBench
{
    public sealed record Shape(string Name, Transpose TransA, Transpose TransB, int M, int N, int K)
    {
        public double Flops => 2.0 * M * N * K;
    }

    public static readonly Shape[] DefaultShapes =
    [
        new("fwd logits", Transpose.No, Transpose.No, 500, 20108, 600),
        new("weight grad", Transpose.Yes, Transpose.No, 600, 20108, 500),
        new("input grad", Transpose.No, Transpose.Yes, 500, 600, 20108),
        new("hidden 600x200", Transpose.No, Transpose.No, 500, 200, 600),
        new("square NN", Transpose.No, Transpose.No, 2048, 2048, 2048),
        new("square NT", Transpose.No, Transpose.Yes, 2048, 2048, 2048),
        new("square TN", Transpose.Yes, Transpose.No, 2048, 2048, 2048),
    ];

    /// <summary>
    /// The calls EASE's dense stages are made of (<c>--shape ease</c>), at a 256 block and the middle
    /// of a 40,981-item fit (20,480 trailing rows; the Gram matrix's own leading dimension is not
    /// reproduced): a Cholesky trailing update of one block row, a triangular-inverse update of
    /// one block, one block row of L^-T L^-1 (half its depth, to stay under a gigabyte).
    /// </summary>
    public static readonly Shape[] EaseShapes =
    [
        new("ease potrf row", Transpose.No, Transpose.Yes, 256, 20480, 256),
        new("ease trtri block", Transpose.No, Transpose.No, 256, 256, 20480),
        new("ease lauum row", Transpose.Yes, Transpose.No, 256, 20480, 8192),
        new("square NN", Transpose.No, Transpose.No, 2048, 2048, 2048),
    ];

    public record struct Timing(double BestSeconds, double MedianSeconds, int Runs);

    /// <summary>CPU time of the calling thread: with one thread it hides time stolen by other processes.</summary>
    public static unsafe double ThreadCpuSeconds()
    {
        Timespec ts;
        if (clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, &ts) != 0) throw new InvalidOperationException("clock_gettime failed");
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    private struct Timespec { public long Seconds; public long Nanoseconds; }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern unsafe int clock_gettime(int clock, Timespec* ts);

    public static unsafe Timing Time(Action call, double budgetSeconds, int minRuns = 3, bool threadCpu = false)
    {
        call(); // warm-up: JIT tiers, buffer growth, page faults
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < minRuns || total.Elapsed.TotalSeconds < budgetSeconds)
        {
            if (threadCpu)
            {
                double c0 = ThreadCpuSeconds();
                call();
                times.Add(ThreadCpuSeconds() - c0);
            }
            else
            {
                long t0 = Stopwatch.GetTimestamp();
                call();
                times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            if (times.Count >= 200) break;
        }
        times.Sort();
        return new Timing(times[0], times[times.Count / 2], times.Count);
    }

    public static unsafe int Run(string[] args)
    {
        int[] threads = [1, Environment.ProcessorCount];
        double budget = 1.0;
        SimdLevel? simd = null;
        string? only = null;
        int kc = 0, mc = 0, nc = 0;
        bool? rowsOuter = null;
        bool skipDnnl = false, threadCpu = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--seconds": budget = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--simd": simd = Enum.Parse<SimdLevel>(args[++i], ignoreCase: true); break;
                case "--shape": only = args[++i]; break;
                case "--kc": kc = int.Parse(args[++i]); break; // blocking overrides, for tuning
                case "--mc": mc = int.Parse(args[++i]); break;
                case "--nc": nc = int.Parse(args[++i]); break;
                case "--order": rowsOuter = args[++i] == "rows"; break;
                case "--no-onednn": skipDnnl = true; break;
                case "--thread-cpu": threadCpu = true; break; // 1-thread runs only: time on CPU, not wall time
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        threads = threads.Distinct().ToArray();
        bool dnnl = !skipDnnl && OneDnn.TryLoad();
        var level = simd ?? SimdCapabilities.Best;
        Console.WriteLine($"GEMM GFLOP/s, SIMD {level}, {Environment.ProcessorCount} logical cores, oneDNN {(dnnl ? "loaded" : "not installed")}; best (median) of repeated calls, {budget:0.#} s each");
        Console.WriteLine($"{"shape",-16} {"op",-3} {"m x n x k",-20} {"thr",3} {"ours",16} {"oneDNN",16} {"ratio",6}");
        var rng = new Random(42);
        bool ease = only != null && only.Equals("ease", StringComparison.OrdinalIgnoreCase);
        foreach (var s in ease ? EaseShapes : DefaultShapes)
        {
            if (!ease && only != null && !s.Name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            int lda = s.TransA == Transpose.No ? s.K : s.M, ldb = s.TransB == Transpose.No ? s.N : s.K;
            var a = Fill(rng, (long)s.M * s.K); var b = Fill(rng, (long)s.K * s.N); var c = new float[(long)s.M * s.N];
            foreach (int t in threads)
            {
                var engine = kc + mc + nc > 0 || rowsOuter != null ? new GemmEngine(t, level, kc, mc, nc, rowsOuter) : new GemmEngine(t, level);
                var ours = Time(() => engine.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N), budget, threadCpu: threadCpu && t == 1);
                string theirs = "n/a", ratio = "n/a";
                if (dnnl)
                {
                    OneDnn.SetThreads(t);
                    var r = Time(() => OneDnn.Sgemm(s.TransA == Transpose.Yes, s.TransB == Transpose.Yes, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N), budget, threadCpu: threadCpu && t == 1);
                    theirs = Cell(s.Flops, r);
                    ratio = $"{r.BestSeconds / ours.BestSeconds:0.00}";
                }
                string op = $"{(s.TransA == Transpose.No ? 'N' : 'T')}{(s.TransB == Transpose.No ? 'N' : 'T')}";
                Console.WriteLine($"{s.Name,-16} {op,-3} {$"{s.M}x{s.N}x{s.K}",-20} {t,3} {Cell(s.Flops, ours),16} {theirs,16} {ratio,6}");
            }
        }
        return 0;
    }

    private static string Cell(double flops, Timing t) => $"{flops / t.BestSeconds / 1e9,6:0.0} ({flops / t.MedianSeconds / 1e9,5:0.0})";

    private static float[] Fill(Random rng, long length)
    {
        var x = GC.AllocateUninitializedArray<float>(checked((int)length));
        for (long i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() - 0.5);
        return x;
    }
}
