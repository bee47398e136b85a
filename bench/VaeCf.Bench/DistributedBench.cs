using System.Diagnostics;
using System.Globalization;
using VaeCf.Data;
using VaeCf.Distributed;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Training;

namespace VaeCf.Bench;

/// <summary>
/// Data-parallel measurements, run under mpiexec (or alone for P = 1). Only rank 0 prints.
/// <c>allreduce</c>: latency and bandwidth of an in-place float sum from 4 B to 64 MB.
/// <c>data-parallel</c>: the training step on the ML-20M shape, split into compute and communication.
/// The machine may be shared; times are medians over repeats.
/// </summary>
public static class DistributedBench
{
    public static int RunAllreduce(string[] args)
    {
        long maxBytes = Option(args, "--max-bytes", 64L << 20);
        double seconds = Option(args, "--seconds", 0.5);
        using var comm = CommunicatorFactory.Create(DistributedMode.Auto);
        if (comm.IsRoot)
        {
            Console.WriteLine($"# allreduce (in-place float sum), {comm.Description}");
            Console.WriteLine("bytes,repeats,median_us,best_us,algorithm_GBps,bus_GBps");
        }
        var buffer = new float[Math.Max(1, maxBytes / sizeof(float))];
        for (long bytes = 4; bytes <= maxBytes; bytes *= 4)
        {
            int count = (int)(bytes / sizeof(float));
            var span = buffer.AsSpan(0, count);
            comm.Sum(span); // warm-up (connection set-up, page faults)
            var times = new List<double>();
            double started = comm.Seconds;
            // Every process must run the same number of repeats: rank 0 decides when the budget is spent.
            Span<double> go = [1];
            while (true)
            {
                comm.Barrier();
                double t0 = comm.Seconds;
                comm.Sum(span);
                Span<double> elapsed = [comm.Seconds - t0];
                comm.Sum(elapsed); // slowest-process view: the mean over processes
                times.Add(elapsed[0] / comm.Size);
                go[0] = comm.IsRoot && (comm.Seconds - started < seconds || times.Count < 5) && times.Count < 100_000 ? 1 : 0;
                comm.Sum(go);
                if (go[0] == 0) break;
            }
            times.Sort();
            double median = times[times.Count / 2], best = times[0];
            double algorithm = bytes / median / 1e9;
            double bus = comm.Size > 1 ? algorithm * 2 * (comm.Size - 1) / comm.Size : double.NaN;
            if (comm.IsRoot)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bytes},{times.Count},{median * 1e6:F1},{best * 1e6:F1},{algorithm:F3},{bus:F3}"));
        }
        return 0;
    }

    public static int RunDataParallel(string[] args)
    {
        int items = (int)Option(args, "--items", 20108);
        int batch = (int)Option(args, "--batch-size", 500);
        int batches = (int)Option(args, "--batches", 12);
        int warmup = (int)Option(args, "--warmup", 3);
        int threads = (int)Option(args, "--threads", 1);
        string model = args.SkipWhile(a => a != "--model").Skip(1).FirstOrDefault() ?? "vae";
        using var comm = CommunicatorFactory.Create(DistributedMode.Auto);
        var kind = model == "dae" ? ModelKind.MultDae : ModelKind.MultVae;
        var clicks = SyntheticClicks.Generate(batch * 4, items, seed: 98765);
        var gemm = new GemmEngine(threads);
        var network = new AutoencoderNetwork(ModelConfig.Default(kind, items), gemm);
        network.Initialize(1);
        var optimizer = new AdamOptimizer(network.Parameters, OptimizerKind.Adam, 1e-3f, 0f, threads);
        string reductionName = args.SkipWhile(a => a != "--reduction").Skip(1).FirstOrDefault() ?? "touched";
        var reduction = reductionName == "touched" ? GradientReduction.TouchedRows : GradientReduction.Dense;
        // "alternate" runs both on alternating batches of one run, so the machine's changing load falls on both alike.
        string overlapName = args.SkipWhile(a => a != "--overlap").Skip(1).FirstOrDefault() ?? "none";
        ReductionOverlap[] overlaps = overlapName switch
        {
            "none" => [ReductionOverlap.None],
            "output" => [ReductionOverlap.OutputLayer],
            "alternate" => [ReductionOverlap.None, ReductionOverlap.OutputLayer],
            _ => throw new ArgumentException($"--overlap takes none, output or alternate, got {overlapName}"),
        };
        int buckets = (int)Option(args, "--buckets", 8);
        string asyncProgress = Environment.GetEnvironmentVariable("MPICH_ASYNC_PROGRESS") is "1" ? ", MPICH_ASYNC_PROGRESS=1" : "";
        var steps = overlaps.Select(o => new DataParallelStep(network, comm, batch, gemm) { Reduction = reduction, Overlap = o, OverlapBuckets = buckets }).ToArray();
        var order = Enumerable.Range(0, clicks.Rows).ToArray();
        new Random(1).Shuffle(order);
        var batchTimes = steps.Select(_ => new List<double>()).ToArray();
        var commTimes = steps.Select(_ => new List<double>()).ToArray();
        var adamTimes = steps.Select(_ => new List<double>()).ToArray();
        for (int b = 0; b < warmup + batches * steps.Length; b++)
        {
            int mode = b % steps.Length;
            var step = steps[mode];
            int start = b * batch % clicks.Rows;
            var rows = order.AsSpan(start, Math.Min(batch, clicks.Rows - start));
            comm.Barrier();
            double commBefore = step.CommunicationSeconds;
            long t0 = Stopwatch.GetTimestamp();
            step.Run(clicks, rows, 0.2f, new TrainingDraws(1, 1 + b), stopRequested: false);
            long t1 = Stopwatch.GetTimestamp();
            optimizer.Step(network.Gradients);
            step.AfterUpdate();
            long t2 = Stopwatch.GetTimestamp();
            if (b < warmup) continue;
            batchTimes[mode].Add(Stopwatch.GetElapsedTime(t0, t2).TotalSeconds);
            commTimes[mode].Add(step.CommunicationSeconds - commBefore);
            adamTimes[mode].Add(Stopwatch.GetElapsedTime(t1, t2).TotalSeconds);
        }
        if (comm.IsRoot)
        {
            Console.WriteLine($"# data-parallel step, {Name(kind)} [{items}-600-200-600-{items}], global batch {batch}, {comm.Description} x {threads} thread(s), {reductionName} reduction, " +
                $"overlap {overlapName}{(overlapName != "none" ? $" in {buckets} bucket(s)" : "")}{asyncProgress}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            Console.WriteLine("processes,threads,batch_ms,compute_ms,allreduce_ms,adam_ms,communication_share,bytes_reduced_per_batch,overlap");
        }
        for (int m = 0; m < steps.Length; m++)
        {
            // Each process's medians, averaged over processes.
            Span<double> figures = [Median(batchTimes[m]), Median(commTimes[m]), Median(adamTimes[m])];
            comm.Sum(figures);
            for (int i = 0; i < figures.Length; i++) figures[i] /= comm.Size;
            long bytesPerBatch = comm.Size > 1 ? steps[m].BytesReduced / steps[m].Steps : 0;
            if (comm.IsRoot)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{comm.Size},{threads},{figures[0] * 1e3:F1},{(figures[0] - figures[1] - figures[2]) * 1e3:F1},{figures[1] * 1e3:F1},{figures[2] * 1e3:F1},{figures[1] / figures[0]:F3},{bytesPerBatch},{(overlaps[m] == ReductionOverlap.None ? "none" : "output")}"));
        }
        foreach (var step in steps) step.Dispose();
        // Equal hashes across reductions and overlaps (same P) show they sum the same numbers.
        if (comm.IsRoot) Console.WriteLine($"# parameter hash after {warmup + batches * steps.Length} steps: {ParameterCheck.Hash(network.Parameters.Values):x16}");
        return 0;
    }

    private static string Name(ModelKind kind) => kind == ModelKind.MultVae ? "Mult-VAE" : "Mult-DAE";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    private static long Option(string[] args, string name, long fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static double Option(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
