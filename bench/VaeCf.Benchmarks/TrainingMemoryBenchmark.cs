using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Benchmarks;

/// <summary>One epoch of the real training loop: its peak RSS (validation included) and the managed heap at its end.</summary>
public sealed record MemoryEpoch(int Epoch, double Seconds, double PeakRssMb, double RssMb, double GcHeapMb, double GcCommittedMb,
    double AllocatedMb, double ValidationNdcg100);

/// <summary>A buffer group the run holds, computed from the sizes of the actual buffers.</summary>
public sealed record MemoryPart(string Name, double Mb, string Detail);

public sealed class TrainingMemoryReport
{
    public required string Model { get; init; }
    public int Users { get; init; }
    public int Items { get; init; }
    public long NonZeros { get; init; }
    public int ValidationUsers { get; init; }
    public int BatchSize { get; init; }
    public int EvaluationBatchSize { get; init; }
    public int Threads { get; init; }
    public double LoadAverageBefore { get; init; }
    public double LoadAverageAfter { get; init; }
    /// <summary>Whether /proc/self/clear_refs reset the high-water mark at each epoch start (else the peaks are cumulative).</summary>
    public bool PeakResetPerEpoch { get; init; }
    public double RuntimeRssMb { get; init; }
    public required IReadOnlyList<MemoryPart> Parts { get; init; }
    public double AccountedMb { get; init; }
    public required IReadOnlyList<MemoryEpoch> Epochs { get; init; }
    /// <summary>(largest - smallest) / smallest peak RSS over epochs 2 onwards.</summary>
    public double PeakSpreadFromEpoch2 { get; init; }
    /// <summary>Peak RSS from the last epoch's start to after the final test evaluation.</summary>
    public double PeakWithTestMb { get; init; }
}

/// <summary>
/// Runs the real <see cref="Trainer"/> (shuffled batches, Adam, validation NDCG@100 and loss after
/// every epoch, the best model kept) on a synthetic matrix of a given shape, and reports the peak
/// RSS of each epoch beside what each buffer group takes. Linux figures come from /proc/self/status;
/// the high-water mark is reset at each epoch start by writing 5 to /proc/self/clear_refs.
/// </summary>
public static class TrainingMemoryBenchmark
{
    public static IReadOnlyList<TrainingMemoryReport> Run(BenchmarkOptions options, int epochs, Action<string>? log = null)
    {
        options.Validate();
        if (epochs < 1) throw new VaeCfException($"--epochs must be positive, got {epochs}.");
        if (options.EvalUsers < 1) throw new VaeCfException("The memory run validates every epoch: --eval-users must be positive.");
        log ??= _ => { };
        double runtimeRss = ProcStatusMb("VmRSS:");
        log($"generating {options.Users:N0} users x {options.Items:N0} items, {options.EvalUsers:N0} validation users ...");
        var train = SyntheticClicks.Generate(options.Users, options.Items, options.MeanClicksPerUser, seed: options.Seed);
        var (foldIn, targets) = TrainingBenchmark.HeldOut(
            SyntheticClicks.Generate(options.EvalUsers, options.Items, options.MeanClicksPerUser, seed: options.Seed + 1), options.Seed + 2);
        // The same held-out users serve as the test set, so the final test evaluation is timed too but adds no data.
        var heldOut = new HeldOutSet { UserIds = Ids("v", foldIn.Rows), FoldIn = foldIn, Targets = targets };
        var data = new SplitDataset
        {
            ItemIds = Ids("i", options.Items),
            TrainUserIds = Ids("u", train.Rows),
            Train = train,
            Validation = heldOut,
            Test = heldOut,
        };

        var reports = new List<TrainingMemoryReport>();
        foreach (var kind in options.Models)
        {
            // What generation left behind (and the previous model) goes back to the OS, so the peaks are this run's.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            reports.Add(RunModel(kind, data, options, epochs, runtimeRss, log));
        }
        return reports;
    }

    private static TrainingMemoryReport RunModel(ModelKind kind, SplitDataset data, BenchmarkOptions o, int epochs, double runtimeRss, Action<string> log)
    {
        double loadBefore = LoadAverage();
        int threads = o.Threads == 0 ? Environment.ProcessorCount : o.Threads;
        var trainingOptions = new TrainingOptions { Epochs = epochs, BatchSize = o.BatchSize, EvaluationBatchSize = o.EvalBatchSize, Threads = threads, Seed = o.Seed };
        var network = new AutoencoderNetwork(ModelConfig.Default(kind, o.Items), new Numerics.GemmEngine(threads));
        network.Initialize(Trainer.InitializationSeed(o.Seed));
        var observer = new EpochMemoryObserver(log, TrainingBenchmark.Name(kind));
        var result = new Trainer(trainingOptions, observer).Train(network, data);
        double peakWithTest = TrainingBenchmark.PeakRssMb();

        var parts = Parts(network, data, trainingOptions, threads);
        var from2 = observer.Epochs.Skip(1).Select(e => e.PeakRssMb).ToArray();
        double spread = from2.Length == 0 ? 0 : (from2.Max() - from2.Min()) / from2.Min();
        GC.KeepAlive(result);
        return new TrainingMemoryReport
        {
            Model = TrainingBenchmark.Name(kind),
            Users = data.Train.Rows,
            Items = data.ItemCount,
            NonZeros = data.Train.NonZeros,
            ValidationUsers = data.Validation.UserCount,
            BatchSize = o.BatchSize,
            EvaluationBatchSize = o.EvalBatchSize,
            Threads = threads,
            LoadAverageBefore = loadBefore,
            LoadAverageAfter = LoadAverage(),
            PeakResetPerEpoch = observer.ResetWorks,
            RuntimeRssMb = runtimeRss,
            Parts = parts,
            AccountedMb = runtimeRss + parts.Sum(p => p.Mb),
            Epochs = observer.Epochs,
            PeakSpreadFromEpoch2 = spread,
            PeakWithTestMb = peakWithTest,
        };
    }

    /// <summary>What the trainer holds, from the buffers' sizes: the same formulas the trainer and workspaces size them with.</summary>
    private static List<MemoryPart> Parts(AutoencoderNetwork network, SplitDataset data, TrainingOptions o, int threads)
    {
        const double mb = 1024 * 1024;
        long parameters = 4L * network.Parameters.Count;
        int evalRows = Math.Min(o.EvaluationBatchSize, data.Validation.UserCount);
        long evaluation = NetworkWorkspace.BytesFor(network, evalRows) + 4L * threads * 100 + 8L * 3 * data.Validation.UserCount;
        long trainingWorkspace = NetworkWorkspace.BytesFor(network, Math.Min(o.BatchSize, data.Train.Rows));
        long order = 4L * data.Train.Rows;
        return
        [
            new("parameters", parameters / mb, $"{network.Parameters.Count:N0} floats"),
            new("Adam moments", 2 * parameters / mb, "m and v, one float each per parameter"),
            new("gradients", parameters / mb, "one float per parameter"),
            new("best-epoch copy", parameters / mb, "the parameters of the best validation epoch"),
            new("training data", (CsrBytes(data.Train) + order) / mb, $"{data.Train.NonZeros:N0} clicks as CSR, and the shuffle order"),
            new("validation data", (CsrBytes(data.Validation.FoldIn) + CsrBytes(data.Validation.Targets)) / mb, "fold-in and targets (also the test set here)"),
            new("training workspace", trainingWorkspace / mb, $"activations, gradients and logits of a {Math.Min(o.BatchSize, data.Train.Rows)}-row batch"),
            new("evaluation workspace", evaluation / mb, $"a {evalRows}-row network workspace (scores ranked in place; the validation loss reuses it), rankings, per-user values"),
        ];
    }

    private static long CsrBytes(CsrMatrix m) => 4L * m.RowPointers.Length + 4L * m.ColumnIndices.Length + 4L * (m.Values?.LongLength ?? 0);

    private static string[] Ids(string prefix, int count)
    {
        var ids = new string[count];
        for (int i = 0; i < count; i++) ids[i] = prefix + i;
        return ids;
    }

    private sealed class EpochMemoryObserver(Action<string> log, string model) : ITrainingObserver
    {
        private long _allocated;
        private long _started;
        public bool ResetWorks { get; private set; } = true;
        public List<MemoryEpoch> Epochs { get; } = [];

        public void OnEpochStart(int epoch, int batches)
        {
            ResetWorks &= TrainingBenchmark.ResetPeakRss();
            _allocated = GC.GetTotalAllocatedBytes(precise: true);
            _started = Stopwatch.GetTimestamp();
        }

        public void OnEpochEnd(EpochRecord record)
        {
            const double mb = 1024 * 1024;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
            var gc = GC.GetGCMemoryInfo();
            // RSS first: the high-water mark read after it covers it (reading the files touches a few pages).
            double rss = ProcStatusMb("VmRSS:");
            double peak = Math.Max(rss, TrainingBenchmark.PeakRssMb());
            var e = new MemoryEpoch(record.Epoch, Stopwatch.GetElapsedTime(_started).TotalSeconds, peak, rss,
                gc.HeapSizeBytes / mb, gc.TotalCommittedBytes / mb, allocated / mb, record.Ndcg100);
            Epochs.Add(e);
            log($"{model} epoch {e.Epoch}: {e.Seconds:F1} s, peak RSS {e.PeakRssMb:F0} MB, RSS at end {e.RssMb:F0} MB, GC heap {e.GcHeapMb:F0} MB, allocated {e.AllocatedMb:F2} MB");
        }
    }

    /// <summary>A size field of /proc/self/status in MB (VmRSS:, VmHWM:); NaN off Linux.</summary>
    public static double ProcStatusMb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim()) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return double.NaN;
    }

    private static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return double.NaN; }
    }

    public static string ToJson(IReadOnlyList<TrainingMemoryReport> reports) => JsonSerializer.Serialize(new { training_memory = reports },
        new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals });
}
