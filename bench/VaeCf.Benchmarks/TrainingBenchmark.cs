using System.Diagnostics;
using VaeCf.Catalogue;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Training;

namespace VaeCf.Benchmarks;

/// <summary>
/// Times the Mult-VAE / Mult-DAE training step and evaluation on a synthetic click matrix of a given
/// shape, against a floor set by the GEMM peak measured in the same run. Nothing here asserts a
/// time: the numbers are for people, and the machine may be shared.
/// </summary>
public static class TrainingBenchmark
{
    public static BenchmarkReport Run(BenchmarkOptions options, Action<string>? log = null)
    {
        options.Validate();
        log ??= _ => { };
        double loadBefore = LoadAverage();
        int threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
        var gemm = new GemmEngine(threads);

        log($"GEMM peak on {options.PeakSize}^3 ...");
        var (ours, oneDnn) = MeasurePeak(gemm, options);
        double peak = Math.Max(ours, oneDnn ?? 0);
        var (coreOurs, coreOneDnn) = MeasurePeak(new GemmEngine(1), options, threadCpu: true);
        double corePeak = Math.Max(coreOurs, coreOneDnn ?? 0);

        log($"generating {options.Users:N0} users x {options.Items:N0} items ...");
        var clicks = SyntheticClicks.Generate(options.Users, options.Items, options.MeanClicksPerUser, seed: options.Seed);
        var (foldIn, targets) = options.EvalUsers > 0
            ? HeldOut(SyntheticClicks.Generate(options.EvalUsers, options.Items, options.MeanClicksPerUser, seed: options.Seed + 1), options.Seed + 2)
            : (null, null);

        var models = new List<ModelBenchmark>();
        foreach (var kind in options.Models)
        {
            log($"{Name(kind)}: {options.WarmupBatches} warm-up + {options.Batches} timed batches ...");
            models.Add(MeasureModel(kind, clicks, options.Users, foldIn, targets, gemm, peak, corePeak, options, log));
            // Hand the previous model's buffers back to the OS so the next one's RSS is its own.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        return new BenchmarkReport
        {
            Cpu = CpuName(),
            LogicalCores = Environment.ProcessorCount,
            Threads = threads,
            SimdWidthBits = (int)gemm.Simd,
            Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            LoadAverageBefore = loadBefore,
            LoadAverageAfter = LoadAverage(),
            Items = options.Items,
            Users = options.Users,
            BatchSize = options.BatchSize,
            NonZeros = clicks.NonZeros,
            PeakSize = options.PeakSize,
            GemmPeakOursGflops = ours,
            GemmPeakOneDnnGflops = oneDnn,
            GemmPeakGflops = peak,
            GemmPeakCoreOursGflops = coreOurs,
            GemmPeakCoreOneDnnGflops = coreOneDnn,
            GemmPeakCoreGflops = corePeak,
            PeakRssMb = models.Max(m => m.PeakRssMb),
            Models = models,
        };
    }

    /// <summary>
    /// Cost against the catalogue size and the thread count: for each pair, the training batch of
    /// each model on a freshly generated matrix with just enough rows for the timed batches (the
    /// epoch estimate is still for <see cref="BenchmarkOptions.Users"/>). No evaluation.
    /// </summary>
    public static IReadOnlyList<ScalingPoint> Scaling(BenchmarkOptions options, IReadOnlyList<int> itemCounts, IReadOnlyList<int> threadCounts,
        Action<string>? log = null)
    {
        options.Validate();
        log ??= _ => { };
        var points = new List<ScalingPoint>();
        var (coreOurs, coreOneDnn) = MeasurePeak(new GemmEngine(1), options, threadCpu: true);
        double corePeak = Math.Max(coreOurs, coreOneDnn ?? 0);
        foreach (int threads in threadCounts)
        {
            var gemm = new GemmEngine(threads);
            var (ours, oneDnn) = MeasurePeak(gemm, options);
            double peak = Math.Max(ours, oneDnn ?? 0);
            foreach (int items in itemCounts)
            {
                var o = options with { Items = items, Threads = threads, EvalUsers = 0, FullEpochMaxBatches = 0 };
                o.Validate();
                int rows = Math.Min(o.Users, (o.WarmupBatches + o.Batches) * o.BatchSize);
                var clicks = SyntheticClicks.Generate(rows, items, o.MeanClicksPerUser, seed: o.Seed);
                foreach (var kind in o.Models)
                {
                    log($"{threads} thread(s), {items:N0} items, {Name(kind)} ...");
                    var m = MeasureModel(kind, clicks, o.Users, null, null, gemm, peak, corePeak, o, log);
                    points.Add(new ScalingPoint(m.Model, items, threads, m.BatchSeconds, m.EpochSeconds, m.FloorSeconds, m.EpochOverFloor,
                        m.OutputGemmGflops, peak, m.BatchSeconds * 1e6 / items, m.BatchCpuSeconds, m.EpochCpuOverCpuFloor, PeakRssMb(),
                        m.OutputGemmSeconds, m.PhaseSeconds.Values.Sum() / m.OutputGemmPhaseClockSeconds, m.PhaseClock));
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                }
            }
        }
        return points;
    }

    /// <summary>The kind's short name, as the catalogue spells it ("vae", "dae").</summary>
    public static string Name(ModelKind kind) => (kind == ModelKind.MultVae ? ModelCatalogue.MultVae : ModelCatalogue.MultDae).ShortName;

    /// <param name="epochUsers">Users of the epoch the estimate is for; <paramref name="clicks"/> may hold fewer rows (they are cycled).</param>
    private static ModelBenchmark MeasureModel(ModelKind kind, CsrMatrix clicks, int epochUsers, CsrMatrix? foldIn, CsrMatrix? targets,
        GemmEngine gemm, double peakGflops, double corePeakGflops, BenchmarkOptions o, Action<string> log)
    {
        ResetPeakRss();
        var config = ModelConfig.Default(kind, o.Items);
        var network = new AutoencoderNetwork(config, gemm);
        network.Initialize(o.Seed);
        int batch = Math.Min(o.BatchSize, clicks.Rows);
        float decay = Trainer.DefaultWeightDecay(kind, o.BatchSize, OptimizerKind.Adam);
        var optimizer = new AdamOptimizer(network.Parameters, OptimizerKind.Adam, 1e-3f, decay, gemm.Threads);
        var ws = network.CreateWorkspace(batch, gemm);
        var rng = new Random(o.Seed);
        var order = Enumerable.Range(0, clicks.Rows).ToArray();
        rng.Shuffle(order);
        float beta = network.IsVariational ? 0.2f : 0f;
        int batchesPerEpoch = (epochUsers + o.BatchSize - 1) / o.BatchSize;
        int batchesInData = (clicks.Rows + o.BatchSize - 1) / o.BatchSize;

        int total = o.WarmupBatches + o.Batches;
        // Per phase (forward, loss, backward, Adam): wall seconds and process CPU seconds of each timed batch.
        var wallPhases = new double[4][];
        var cpuPhases = new double[4][];
        for (int p = 0; p < 4; p++) { wallPhases[p] = new double[o.Batches]; cpuPhases[p] = new double[o.Batches]; }
        var batchTimes = new double[o.Batches];
        var batchCpu = new double[o.Batches];
        long allocated = 0;
        // One thread: the calling thread's CPU time, which other processes on a shared machine do not inflate.
        bool threadClock = gemm.Threads == 1 && OperatingSystem.IsLinux();
        var profile = threadClock ? new PhaseProfile(ThreadCpuNanoseconds, 1_000_000_000) : new PhaseProfile();
        Span<long> wallMarks = stackalloc long[5];
        Span<double> cpuMarks = stackalloc double[5];
        for (int b = 0; b < total; b++)
        {
            int timed = b - o.WarmupBatches;
            if (timed == 0)
            {
                GC.Collect();
                ws.Profile = profile;
            }
            int start = (b % batchesInData) * o.BatchSize;
            var rows = order.AsSpan(start, Math.Min(o.BatchSize, clicks.Rows - start));
            long alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            Mark(wallMarks, cpuMarks, 0);
            network.Forward(ws, clicks, rows, training: true, new TrainingDraws(o.Seed, 1 + b / batchesInData));
            Mark(wallMarks, cpuMarks, 1);
            network.ComputeLoss(ws, clicks, rows, beta);
            Mark(wallMarks, cpuMarks, 2);
            network.Backward(ws);
            Mark(wallMarks, cpuMarks, 3);
            optimizer.Step(network.Gradients);
            ws.Profile?.Mark(TrainingPhase.Optimizer);
            Mark(wallMarks, cpuMarks, 4);
            long alloc1 = GC.GetTotalAllocatedBytes(precise: true);
            if (timed < 0) continue;
            for (int p = 0; p < 4; p++)
            {
                wallPhases[p][timed] = Seconds(wallMarks[p], wallMarks[p + 1]);
                cpuPhases[p][timed] = cpuMarks[p + 1] - cpuMarks[p];
            }
            batchTimes[timed] = Seconds(wallMarks[0], wallMarks[4]);
            batchCpu[timed] = cpuMarks[4] - cpuMarks[0];
            allocated += alloc1 - alloc0;
        }
        ws.Profile = null;
        double rssAfterTraining = PeakRssMb();
        var phaseSeconds = Enum.GetValues<TrainingPhase>().ToDictionary(p => p.ToString(), p => profile.Seconds(p) / o.Batches);

        double? measuredEpoch = null;
        if (o.FullEpochMaxBatches > 0 && batchesPerEpoch <= o.FullEpochMaxBatches && epochUsers == clicks.Rows)
        {
            rng.Shuffle(order);
            long e0 = Stopwatch.GetTimestamp();
            for (int b = 0; b < batchesPerEpoch; b++)
            {
                int start = b * o.BatchSize;
                var rows = order.AsSpan(start, Math.Min(o.BatchSize, clicks.Rows - start));
                network.Forward(ws, clicks, rows, training: true, new TrainingDraws(o.Seed, 0));
                network.ComputeLoss(ws, clicks, rows, beta);
                network.Backward(ws);
                optimizer.Step(network.Gradients);
            }
            measuredEpoch = Seconds(e0, Stopwatch.GetTimestamp());
        }

        int hidden = network.Shapes[^1].Inputs;
        var (outputGemmSeconds, outputGemmClockSeconds) = TimeOutputLayer(network, ws, batch, hidden, o.Items, Math.Max(3, o.Batches / 2), threadClock);
        double flopsPerBatch = 3 * 2.0 * batch * hidden * o.Items;
        double flopsPerEpoch = 3 * 2.0 * epochUsers * hidden * o.Items;
        double median = Median(batchTimes);
        double estimated = batchesPerEpoch * median;
        double epoch = measuredEpoch ?? estimated;
        double floor = flopsPerEpoch / (peakGflops * 1e9);
        double epochCpu = batchesPerEpoch * Median(batchCpu);
        double cpuFloor = flopsPerEpoch / (corePeakGflops * 1e9);

        double? evalSeconds = null, ndcg = null;
        if (foldIn is not null && targets is not null)
        {
            log($"{Name(kind)}: evaluating {foldIn.Rows:N0} users ...");
            var evaluator = new Evaluator(o.EvalBatchSize, gemm.Threads);
            int warm = Math.Min(foldIn.Rows, 200);
            evaluator.Evaluate(network, foldIn.SelectRows(Enumerable.Range(0, warm).ToArray()), targets.SelectRows(Enumerable.Range(0, warm).ToArray()));
            var result = evaluator.Evaluate(network, foldIn, targets);
            evalSeconds = result.Seconds;
            ndcg = result.Get(MetricKind.Ndcg, 100).Mean;
        }

        return new ModelBenchmark
        {
            Model = Name(kind),
            Architecture = [network.Shapes[0].Inputs, .. network.Config.EffectiveQDims, .. network.Config.PDims.Skip(1), o.Items],
            BatchesTimed = o.Batches,
            BatchSeconds = median,
            BatchSecondsMin = batchTimes.Min(),
            BatchSecondsMax = batchTimes.Max(),
            ForwardSeconds = Median(wallPhases[0]),
            LossSeconds = Median(wallPhases[1]),
            BackwardSeconds = Median(wallPhases[2]),
            OptimizerSeconds = Median(wallPhases[3]),
            PhaseSeconds = phaseSeconds,
            PhaseClock = threadClock ? "thread CPU" : "wall",
            OutputGemmPhaseClockSeconds = outputGemmClockSeconds,
            BatchCpuSeconds = Median(batchCpu),
            ForwardCpuSeconds = Median(cpuPhases[0]),
            LossCpuSeconds = Median(cpuPhases[1]),
            BackwardCpuSeconds = Median(cpuPhases[2]),
            OptimizerCpuSeconds = Median(cpuPhases[3]),
            CpuPerWall = batchCpu.Sum() / batchTimes.Sum(),
            AllocatedBytesPerBatch = (double)allocated / o.Batches,
            BatchesPerEpoch = batchesPerEpoch,
            EpochSecondsEstimated = estimated,
            EpochSecondsMeasured = measuredEpoch,
            EpochSeconds = epoch,
            OutputLayerGflopPerBatch = flopsPerBatch / 1e9,
            OutputGemmSeconds = outputGemmSeconds,
            OutputGemmGflops = flopsPerBatch / outputGemmSeconds / 1e9,
            OutputGemmShare = outputGemmSeconds / median,
            FloorSeconds = floor,
            EpochOverFloor = epoch / floor,
            EpochCpuSeconds = epochCpu,
            CpuFloorSeconds = cpuFloor,
            EpochCpuOverCpuFloor = epochCpu / cpuFloor,
            EvalSeconds = evalSeconds,
            EvalUsers = foldIn?.Rows ?? 0,
            EvalNdcg100 = ndcg,
            RssAfterTrainingMb = rssAfterTraining,
            PeakRssMb = PeakRssMb(),
        };
    }

    /// <summary>
    /// The three output-layer products of a step, run alone on the network's own engine and buffers
    /// (so no memory is added): logits = h . W, dW = h^T . dY, dh = dY . W^T. Median of the sums,
    /// on the wall clock and on the phase profile's clock (the thread's CPU time when <paramref name="threadClock"/>).
    /// </summary>
    private static (double Wall, double PhaseClock) TimeOutputLayer(AutoencoderNetwork network, NetworkWorkspace ws, int rows, int hidden, int items,
        int repeats, bool threadClock)
    {
        int last = network.LayerCount - 1;
        var weight = network.Parameters.View(network.WeightSlot(last));
        var dWeight = network.Gradients.AsSpan(network.WeightSlot(last).Offset, hidden * items);
        var h = ws.Activations[last - 1].AsSpan(0, rows * hidden);
        var y = ws.Logits.AsSpan(0, rows * items);
        var dh = ws.GradientA.AsSpan(0, rows * hidden);
        var g = network.Gemm;
        var times = new double[repeats];
        var clockTimes = new double[repeats];
        for (int r = -1; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            double c0 = threadClock ? ThreadCpuSeconds() : 0;
            g.Multiply(Transpose.No, Transpose.No, rows, items, hidden, 1f, h, hidden, weight, items, 0f, y, items);
            g.Multiply(Transpose.Yes, Transpose.No, hidden, items, rows, 1f, h, hidden, y, items, 0f, dWeight, items);
            g.Multiply(Transpose.No, Transpose.Yes, rows, hidden, items, 1f, y, items, weight, items, 0f, dh, hidden);
            if (r < 0) continue;
            times[r] = Seconds(t0, Stopwatch.GetTimestamp());
            clockTimes[r] = threadClock ? ThreadCpuSeconds() - c0 : times[r];
        }
        // The gradient buffer was scribbled on; leave it as a fresh network has it.
        network.ClearGradients();
        return (Median(times), Median(clockTimes));
    }

    /// <summary>GFLOP/s of our GEMM and (where libdnnl is installed) oneDNN's on one square NN product, best call of a time budget.</summary>
    /// <param name="threadCpu">Time by the calling thread's CPU time (one-thread engines only): time other processes take is not counted.</param>
    public static (double Ours, double? OneDnn) MeasurePeak(GemmEngine gemm, BenchmarkOptions o, bool threadCpu = false)
    {
        if (threadCpu && gemm.Threads != 1) throw new ArgumentException("CPU-time peaks need a one-thread engine.", nameof(gemm));
        int n = o.PeakSize;
        var rng = new Random(o.Seed);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (int i = 0; i < a.Length; i++) { a[i] = rng.NextSingle() - 0.5f; b[i] = rng.NextSingle() - 0.5f; }
        double flops = 2.0 * n * n * n;
        double ours = flops / Best(() => gemm.Multiply(Transpose.No, Transpose.No, n, n, n, 1f, a, n, b, n, 0f, c, n), o.PeakSeconds, threadCpu) / 1e9;
        double? dnnl = null;
        if (o.UseOneDnn && OneDnn.TryLoad())
        {
            OneDnn.SetThreads(gemm.Threads);
            dnnl = flops / Best(() => OneDnn.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n), o.PeakSeconds, threadCpu) / 1e9;
        }
        return (ours, dnnl);
    }

    /// <summary>Fastest call after one warm-up, over a time budget (at least 3 calls): the least disturbed on a shared machine.</summary>
    private static double Best(Action call, double budgetSeconds, bool threadCpu)
    {
        call();
        double best = double.PositiveInfinity;
        var clock = Stopwatch.StartNew();
        for (int runs = 0; runs < 3 || (clock.Elapsed.TotalSeconds < budgetSeconds && runs < 500); runs++)
        {
            if (threadCpu)
            {
                double c0 = ThreadCpuSeconds();
                call();
                best = Math.Min(best, ThreadCpuSeconds() - c0);
                continue;
            }
            long t0 = Stopwatch.GetTimestamp();
            call();
            best = Math.Min(best, Seconds(t0, Stopwatch.GetTimestamp()));
        }
        return best;
    }

    /// <summary>Held-out users as the protocol splits them: a seeded 20% of each history is the target set, the rest the fold-in.</summary>
    internal static (CsrMatrix FoldIn, CsrMatrix Targets) HeldOut(CsrMatrix users, int seed)
    {
        var rng = new Random(seed);
        var foldIn = new List<int[]>(users.Rows);
        var targets = new List<int[]>(users.Rows);
        for (int u = 0; u < users.Rows; u++)
        {
            var row = users.RowIndices(u).ToArray();
            rng.Shuffle(row);
            int held = row.Length >= 5 ? (int)(0.2 * row.Length) : 0;
            var t = row[..held]; Array.Sort(t);
            var f = row[held..]; Array.Sort(f);
            targets.Add(t);
            foldIn.Add(f);
        }
        return (CsrMatrix.FromRows(users.Columns, foldIn), CsrMatrix.FromRows(users.Columns, targets));
    }

    internal static void Mark(Span<long> wall, Span<double> cpu, int index)
    {
        cpu[index] = ProcessCpuSeconds();
        wall[index] = Stopwatch.GetTimestamp();
    }

    /// <summary>CPU seconds of every thread of this process; without allocating on Linux, where it is one clock_gettime.</summary>
    public static unsafe double ProcessCpuSeconds()
    {
        if (OperatingSystem.IsLinux())
        {
            Timespec ts;
            if (clock_gettime(2 /* CLOCK_PROCESS_CPUTIME_ID */, &ts) == 0) return ts.Seconds + ts.Nanoseconds * 1e-9;
        }
        return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }

    private static long ThreadCpuNanoseconds() => (long)(ThreadCpuSeconds() * 1e9);

    private static unsafe double ThreadCpuSeconds()
    {
        Timespec ts;
        if (OperatingSystem.IsLinux() && clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, &ts) == 0) return ts.Seconds + ts.Nanoseconds * 1e-9;
        return ProcessCpuSeconds();
    }

    private struct Timespec { public long Seconds; public long Nanoseconds; }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern unsafe int clock_gettime(int clock, Timespec* ts);

    internal static double Seconds(long from, long to) => (double)(to - from) / Stopwatch.Frequency;

    internal static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /// <summary>
    /// Starts a new peak-RSS window (Linux: "5" into /proc/self/clear_refs sets VmHWM to the current
    /// RSS), so each model's peak is its own and not the previous model's evaluation. Where that is
    /// not possible the peak stays the process's.
    /// </summary>
    public static bool ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { return false; }
    }

    /// <summary>VmHWM from /proc/self/status (Linux), else the process's peak working set.</summary>
    public static double PeakRssMb()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) / 1024.0;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
    }

    internal static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return double.NaN; }
    }

    internal static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}
