using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using VaeCf.Baselines;
using VaeCf.Catalogue;
using VaeCf.Catalogue.Kinds;
using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Persistence;
using VaeCf.Serving;
using VaeCf.Split;
using VaeCf.Training;

namespace VaeCf.Benchmarks;

/// <summary>What the scale suite runs; <see cref="Parse"/> reads it from command-line flags.</summary>
public sealed record ScaleOptions
{
    /// <summary>Catalogue sizes of the Mult-VAE runs: ML-20M's 20,108 items, Gowalla's 40,981, and 100,000.</summary>
    public IReadOnlyList<int> Items { get; init; } = [20108, 40981, 100000];
    /// <summary>Catalogue size of the EASE run; 0 skips it.</summary>
    public int EaseItems { get; init; } = 25000;
    /// <summary>Adam batches the Mult-VAE gets (one epoch over this many batches of training users), so its weights are not the initializer's.</summary>
    public int TrainBatches { get; init; } = 8;
    public int BatchSize { get; init; } = TrainingDefaults.BatchSize;
    /// <summary>Held-out users: 80% of each one's clicks fold in, 20% are the targets of NDCG@100 and the histories of the serving requests.</summary>
    public int EvalUsers { get; init; } = 2000;
    /// <summary>Training users of the EASE fit (ML-20M's 116,677 by default: the Gram matrix costs clicks x clicks per user).</summary>
    public int EaseUsers { get; init; } = 116677;
    public float EaseLambda { get; init; } = EaseOptions.DefaultLambda;
    /// <summary>Mean clicks per user (ML-20M: about 86 after preprocessing).</summary>
    public double ClicksPerUser { get; init; } = 86;
    /// <summary>Sequential single-user requests timed one by one (after the recommender's own warm-up).</summary>
    public int LoneRequests { get; init; } = 200;
    /// <summary>Requests of the concurrent burst through the <see cref="MicroBatcher"/> (what the HTTP service uses).</summary>
    public int BurstRequests { get; init; } = 2000;
    public int BurstConcurrency { get; init; } = 32;
    public int K { get; init; } = 100;
    /// <summary>0: all cores.</summary>
    public int Threads { get; init; }
    public int Seed { get; init; } = 98765;
    /// <summary>Where model folders are written; null: a fresh temporary folder, removed at the end.</summary>
    public string? WorkDirectory { get; init; }

    public const string Usage =
        "VaeCf.Bench scale [--items 20108,40981,100000] [--ease-items 25000|0] [--train-batches 8] [--batch-size 500]\n" +
        "       [--eval-users 2000] [--ease-users 116677] [--clicks-per-user 86] [--lambda 500] [--lone 200] [--burst 2000]\n" +
        "       [--concurrency 32] [-k 100] [--threads 0] [--seed 98765] [--work DIR] [--json]";

    /// <summary>Reads the flags (all but --json, which the caller handles); a mistake is a <see cref="VaeCfException"/> naming the flag.</summary>
    public static ScaleOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ScaleOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new VaeCfException($"{flag} needs a value.");
            o = flag switch
            {
                "--items" => o with { Items = ParseSizes(Next(), flag) },
                "--ease-items" => o with { EaseItems = ParseCount(Next(), flag, allowZero: true) },
                "--train-batches" => o with { TrainBatches = ParseCount(Next(), flag) },
                "--batch-size" => o with { BatchSize = ParseCount(Next(), flag) },
                "--eval-users" => o with { EvalUsers = ParseCount(Next(), flag) },
                "--ease-users" => o with { EaseUsers = ParseCount(Next(), flag) },
                "--clicks-per-user" => o with { ClicksPerUser = ParsePositive(Next(), flag) },
                "--lambda" => o with { EaseLambda = (float)ParsePositive(Next(), flag) },
                "--lone" => o with { LoneRequests = ParseCount(Next(), flag) },
                "--burst" => o with { BurstRequests = ParseCount(Next(), flag, allowZero: true) },
                "--concurrency" => o with { BurstConcurrency = ParseCount(Next(), flag) },
                "-k" => o with { K = ParseCount(Next(), flag) },
                "--threads" => o with { Threads = ParseCount(Next(), flag, allowZero: true) },
                "--seed" => o with { Seed = int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : throw new VaeCfException($"{flag} takes an integer, got '{args[i]}'.") },
                "--work" => o with { WorkDirectory = Next() },
                _ => throw new VaeCfException($"unknown option '{flag}'. Usage: {Usage}"),
            };
        }
        return o;
    }

    /// <summary>
    /// A comma-separated list of catalogue sizes: plain integers, or with a k suffix for thousands
    /// ("20k,40981,100k"); each at least 2, no duplicates, kept in the order given.
    /// </summary>
    public static IReadOnlyList<int> ParseSizes(string text, string flag = "--items")
    {
        var sizes = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) throw new VaeCfException($"{flag}: an empty entry in '{text}'.");
            bool thousands = part.EndsWith('k') || part.EndsWith('K');
            string digits = thousands ? part[..^1] : part;
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw new VaeCfException($"{flag}: '{part}' is not a catalogue size (a whole number, or one with a k suffix: 20k).");
            if (thousands) value *= 1000;
            if (value < 2 || value > int.MaxValue) throw new VaeCfException($"{flag}: {part} is out of range (2 to {int.MaxValue:N0} items).");
            if (sizes.Contains((int)value)) throw new VaeCfException($"{flag}: {part} is listed twice.");
            sizes.Add((int)value);
        }
        return sizes;
    }

    private static int ParseCount(string text, string flag, bool allowZero = false)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && (value > 0 || allowZero && value == 0)) return value;
        throw new VaeCfException($"{flag} takes a {(allowZero ? "non-negative" : "positive")} whole number, got '{text}'.");
    }

    private static double ParsePositive(string text, string flag) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value > 0
            ? value : throw new VaeCfException($"{flag} takes a positive number, got '{text}'.");
}

/// <summary>One timed step: wall seconds, the process's RSS when it began and its peak while it ran (MiB).</summary>
public sealed record ScaleStep(string Name, double Seconds, double RssAtStartMb, double PeakRssMb, string Detail);

/// <summary>Latency percentiles of a set of requests, in milliseconds.</summary>
public sealed record LatencySummary(int Requests, double P50Ms, double P95Ms, double MaxMs, double RequestsPerSecond, double MeanBatch);

/// <summary>Everything one catalogue size (one model) measured.</summary>
public sealed class ScaleRun
{
    public required string Model { get; init; }
    public int Items { get; init; }
    public int TrainingUsers { get; init; }
    public long TrainingClicks { get; init; }
    public int EvalUsers { get; init; }
    public long Parameters { get; init; }
    public double ModelFileMb { get; init; }
    /// <summary>The loaded model's scores for the first held-out user equal the saved model's, bit for bit.</summary>
    public bool LoadedScoresIdentical { get; init; }
    public double Ndcg100 { get; init; }
    public double Ndcg100StandardError { get; init; }
    public required LatencySummary Lone { get; init; }
    public LatencySummary? Burst { get; init; }
    /// <summary>EASE only: X^T X, Cholesky, L^-1, L^-T L^-1, B (seconds).</summary>
    public IReadOnlyDictionary<string, double>? FitPhases { get; init; }
    public required IReadOnlyList<ScaleStep> Steps { get; init; }
    public double LoadAverageBefore { get; init; }
    public double LoadAverageAfter { get; init; }
    public double PeakRssMb => Steps.Count == 0 ? 0 : Steps.Max(s => s.PeakRssMb);
}

public sealed class ScaleReport
{
    public required string Cpu { get; init; }
    public int LogicalCores { get; init; }
    public int Threads { get; init; }
    public required string Runtime { get; init; }
    public bool PeakResetPerStep { get; init; }
    public required ScaleOptions Options { get; init; }
    public required IReadOnlyList<ScaleRun> Runs { get; init; }
    public double TotalSeconds { get; init; }
    public double LoadAverageBefore { get; init; }
    public double LoadAverageAfter { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });
}

/// <summary>Resident memory of this process from /proc/self/status (Linux), with a resettable high-water mark.</summary>
public static class ProcessMemory
{
    /// <summary>Starts a new peak window: "5" into /proc/self/clear_refs sets VmHWM to the current RSS. False where that is not possible (the peak then stays the process's).</summary>
    public static bool ResetPeak() => TrainingBenchmark.ResetPeakRss();

    /// <summary>VmRSS in MiB; NaN where /proc is missing.</summary>
    public static double RssMb() => Read("VmRSS:");

    /// <summary>VmHWM (the peak since start or the last <see cref="ResetPeak"/>) in MiB; NaN where /proc is missing.</summary>
    public static double PeakMb() => Read("VmHWM:");

    private static double Read(string field)
    {
        try { return StatusFieldMb(File.ReadAllText("/proc/self/status"), field); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return double.NaN; }
    }

    /// <summary>A "Field:   1234 kB" line of a /proc status text, in MiB; NaN when absent or malformed.</summary>
    public static double StatusFieldMb(string statusText, string field)
    {
        foreach (var line in statusText.Split('\n'))
        {
            if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
            var rest = line.AsSpan(field.Length).Trim();
            if (!rest.EndsWith("kB", StringComparison.Ordinal)) return double.NaN;
            return long.TryParse(rest[..^2].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb / 1024.0 : double.NaN;
        }
        return double.NaN;
    }
}

/// <summary>
/// Beyond ML-20M's catalogue, end to end: for each catalogue size a synthetic click matrix
/// (<see cref="SyntheticClicks"/>: Zipf popularity, ML-20M's clicks per user) and a Mult-VAE
/// [I-600-200-600-I] briefly trained on it, then save, load (every checksum verified), evaluate
/// NDCG@100 on held-out users, recommend for all of them in one batch, and a short serving load
/// through the same <see cref="Recommender"/> and <see cref="MicroBatcher"/> the HTTP service uses;
/// then an EASE fitted, saved, loaded, evaluated and served the same way. Each step's wall time
/// and peak RSS (the high-water mark is reset at each step start, after a full collection, so it
/// is the step's) are reported.
/// </summary>
public static class ScaleSuite
{
    public static ScaleReport Run(ScaleOptions options, Action<string>? log = null)
    {
        log ??= _ => { };
        if (options.Items.Count == 0 && options.EaseItems == 0) throw new VaeCfException("Nothing to run: --items is empty and --ease-items is 0.");
        int threads = options.Threads == 0 ? Environment.ProcessorCount : options.Threads;
        string work = options.WorkDirectory ?? Path.Combine(Path.GetTempPath(), "vaecf-scale-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        bool removeWork = options.WorkDirectory is null;
        Directory.CreateDirectory(work);
        double loadBefore = TrainingBenchmark.LoadAverage();
        var clock = Stopwatch.StartNew();
        var runs = new List<ScaleRun>();
        bool resets = ProcessMemory.ResetPeak();
        try
        {
            foreach (int items in options.Items) runs.Add(RunAutoencoder(items, options, threads, Path.Combine(work, $"vae-{items}"), log));
            if (options.EaseItems > 0) runs.Add(RunEase(options.EaseItems, options, threads, Path.Combine(work, $"ease-{options.EaseItems}"), log));
        }
        finally
        {
            if (removeWork) try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
        return new ScaleReport
        {
            Cpu = TrainingBenchmark.CpuName(),
            LogicalCores = Environment.ProcessorCount,
            Threads = threads,
            Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            PeakResetPerStep = resets,
            Options = options,
            Runs = runs,
            TotalSeconds = clock.Elapsed.TotalSeconds,
            LoadAverageBefore = loadBefore,
            LoadAverageAfter = TrainingBenchmark.LoadAverage(),
        };
    }

    private sealed class Steps(Action<string> log, string run)
    {
        public List<ScaleStep> List { get; } = [];

        /// <summary>Runs one step after a full, compacting collection (so the RSS it starts from is what is alive) in a fresh peak window.</summary>
        public T Measure<T>(string name, Func<(T Value, string Detail)> body)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            double rss = ProcessMemory.RssMb();
            ProcessMemory.ResetPeak();
            long start = Stopwatch.GetTimestamp();
            var (value, detail) = body();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double peak = Math.Max(ProcessMemory.RssMb(), ProcessMemory.PeakMb());
            var step = new ScaleStep(name, seconds, rss, peak, detail);
            List.Add(step);
            log($"{run} {name,-9} {seconds,8:F2} s  RSS {rss,7:F0} -> peak {peak,7:F0} MiB  {detail}");
            return value;
        }
    }

    private static ScaleRun RunAutoencoder(int items, ScaleOptions o, int threads, string folder, Action<string> log)
    {
        double loadBefore = TrainingBenchmark.LoadAverage();
        string run = $"mult-vae {items,7:N0}";
        var steps = new Steps(log, run);
        int trainUsers = o.TrainBatches * o.BatchSize;
        var (data, foldIn, targets) = steps.Measure("generate", () =>
        {
            var generated = Generate(items, trainUsers, o);
            return (generated, $"{trainUsers:N0} training users ({generated.Data.Train.NonZeros:N0} clicks), {o.EvalUsers:N0} held-out users");
        });
        var (parameters, reference) = TrainAndSave(items, o, threads, folder, data, History(data.ItemIds, foldIn, 0), steps);
        return Finish(run, "mult-vae", items, data, foldIn, targets, parameters, folder, reference, steps, o, threads, loadBefore, null);
    }

    // The trained model lives only in this method's frame (and the fit and save steps' closures), so
    // once it returns only the loaded copy is alive and the later steps' RSS is the served model's.
    // Not inlined, for that reason: unoptimized (tier-0) code keeps a method's temporaries alive to its end.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (long Parameters, float[] Reference) TrainAndSave(int items, ScaleOptions o, int threads, string folder, SplitDataset data,
        string[] probe, Steps steps)
    {
        var manifest = new ModelManifest { Model = ModelCatalogue.MultVae.Name, Items = data.ItemIds, Notes = "Synthetic, briefly trained: VaeCf.Bench scale." };
        var network = steps.Measure("train", () =>
        {
            var net = new AutoencoderNetwork(ModelConfig.Default(ModelKind.MultVae, items), new GemmEngine(threads));
            net.Initialize(Trainer.InitializationSeed(o.Seed));
            var result = new Trainer(new TrainingOptions { Epochs = 1, BatchSize = o.BatchSize, Threads = threads, Seed = o.Seed }).Train(net, data);
            return (result.Network, $"{o.TrainBatches} Adam batches of {o.BatchSize}, loss {result.History[^1].TrainLoss:F1}");
        });
        steps.Measure("save", () =>
        {
            AutoencoderModel.SaveNetwork(folder, network, manifest);
            return (0, $"{FileMb(folder):F0} MB on disk, SHA-256 of each file in config.json");
        });
        return (network.Parameters.Count, new Recommender(network, manifest).Score(probe));
    }

    private static ScaleRun RunEase(int items, ScaleOptions o, int threads, string folder, Action<string> log)
    {
        double loadBefore = TrainingBenchmark.LoadAverage();
        string run = $"ease     {items,7:N0}";
        var steps = new Steps(log, run);
        var (data, foldIn, targets) = steps.Measure("generate", () =>
        {
            var generated = Generate(items, o.EaseUsers, o);
            return (generated, $"{o.EaseUsers:N0} training users ({generated.Data.Train.NonZeros:N0} clicks), {o.EvalUsers:N0} held-out users");
        });
        var (phases, reference) = FitAndSave(items, o, threads, folder, data, History(data.ItemIds, foldIn, 0), steps);
        return Finish(run, "ease", items, data, foldIn, targets, (long)items * items, folder, reference, steps, o, threads, loadBefore, phases);
    }

    /// <summary>As <see cref="TrainAndSave"/>: the fitted weights (items^2 floats) are garbage once this returns.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (Dictionary<string, double> Phases, float[] Reference) FitAndSave(int items, ScaleOptions o, int threads, string folder,
        SplitDataset data, string[] probe, Steps steps)
    {
        var ease = steps.Measure("fit", () =>
        {
            var fitted = EaseScorer.Fit(data.Train, new EaseOptions { Lambda = o.EaseLambda, Threads = threads });
            var t = fitted.FitTimings!;
            return (fitted, string.Create(CultureInfo.InvariantCulture,
                $"X^T X {t.Gram.TotalSeconds:F1} s, Cholesky {t.Factor.TotalSeconds:F1} s, L^-1 {t.InvertFactor.TotalSeconds:F1} s, L^-T L^-1 {t.MultiplyInverse.TotalSeconds:F1} s, B {t.Weights.TotalSeconds:F1} s"));
        });
        var timings = ease.FitTimings!;
        var phases = new Dictionary<string, double>
        {
            ["gram"] = timings.Gram.TotalSeconds,
            ["cholesky"] = timings.Factor.TotalSeconds,
            ["invert_factor"] = timings.InvertFactor.TotalSeconds,
            ["multiply_inverse"] = timings.MultiplyInverse.TotalSeconds,
            ["weights"] = timings.Weights.TotalSeconds,
        };
        var manifest = new ModelManifest
        {
            Model = ModelCatalogue.Ease.Name,
            Items = data.ItemIds,
            Hyperparameters = new Dictionary<string, double> { ["lambda"] = ease.Lambda },
            Notes = "Synthetic: VaeCf.Bench scale.",
        };
        steps.Measure("save", () =>
        {
            // The tensor EaseModel.ToSaved writes, through the same store.
            ModelStore.Save(folder, manifest, [new NamedTensor(EaseModel.WeightsTensor, [items, items], ease.Weights)]);
            return (0, $"{FileMb(folder):F0} MB on disk, SHA-256 of each file in config.json");
        });
        return (phases, new Recommender(ease, manifest).Score(probe));
    }

    private static ScaleRun Finish(string run, string model, int items, SplitDataset data, CsrMatrix foldIn, CsrMatrix targets, long parameters,
        string folder, float[] reference, Steps steps, ScaleOptions o, int threads, double loadBefore, IReadOnlyDictionary<string, double>? phases)
    {
        var recommender = steps.Measure("load", () =>
        {
            var loaded = Recommender.Load(folder, gemm: new GemmEngine(threads));
            return (loaded, "config.json and every file's checksum verified, tensors validated");
        });
        bool identical = recommender.Score(History(data.ItemIds, foldIn, 0)).AsSpan().SequenceEqual(reference);
        if (!identical) log(run, "the loaded model's scores differ from the saved model's");

        var evaluation = steps.Measure("evaluate", () =>
        {
            var result = new Evaluator(threads: threads).Evaluate(recommender.Scorer, foldIn, targets);
            var ndcg = result.Get(MetricKind.Ndcg, 100);
            return (result, string.Create(CultureInfo.InvariantCulture, $"NDCG@100 {ndcg.Mean:F4} ±{ndcg.StandardError:F4} on {result.UsersEvaluated:N0} users"));
        });
        var requests = Enumerable.Range(0, foldIn.Rows).Select(u => new RecommendationRequest(History(data.ItemIds, foldIn, u), o.K)).ToArray();
        steps.Measure("recommend", () =>
        {
            long start = Stopwatch.GetTimestamp();
            var answers = recommender.RecommendBatch(requests);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return (answers.Length, $"{answers.Length:N0} users in one batch, top {o.K}: {answers.Length / seconds:N0} users/s");
        });
        steps.Measure("warm-up", () =>
        {
            recommender.PrepareForServing();
            return (0, "serving copies of the output layer and the JIT warm-up (PrepareForServing)");
        });
        var lone = steps.Measure("lone", () =>
        {
            var summary = Lone(recommender, requests, o.LoneRequests);
            return (summary, string.Create(CultureInfo.InvariantCulture, $"{summary.Requests} sequential requests: p50 {summary.P50Ms:F2} ms, p95 {summary.P95Ms:F2} ms, max {summary.MaxMs:F1} ms"));
        });
        LatencySummary? burst = null;
        if (o.BurstRequests > 0)
            burst = steps.Measure("burst", () =>
            {
                var summary = Burst(recommender, requests, o.BurstRequests, o.BurstConcurrency);
                return (summary, string.Create(CultureInfo.InvariantCulture,
                    $"{summary.Requests:N0} requests, {o.BurstConcurrency} in flight, micro-batched: {summary.RequestsPerSecond:N0}/s, p50 {summary.P50Ms:F1} ms, p95 {summary.P95Ms:F1} ms, mean batch {summary.MeanBatch:F1}"));
            });
        var ndcg = evaluation.Get(MetricKind.Ndcg, 100);
        return new ScaleRun
        {
            Model = model,
            Items = items,
            TrainingUsers = data.Train.Rows,
            TrainingClicks = data.Train.NonZeros,
            EvalUsers = foldIn.Rows,
            Parameters = parameters,
            ModelFileMb = FileMb(folder),
            LoadedScoresIdentical = identical,
            Ndcg100 = ndcg.Mean,
            Ndcg100StandardError = ndcg.StandardError,
            Lone = lone,
            Burst = burst,
            FitPhases = phases,
            Steps = steps.List,
            LoadAverageBefore = loadBefore,
            LoadAverageAfter = TrainingBenchmark.LoadAverage(),
        };

        static void log(string run, string message) => Console.Error.WriteLine($"{run}: {message}");
    }

    /// <summary>A training matrix and held-out users (80/20, as the protocol splits them) over item IDs "0".."items-1".</summary>
    private static (SplitDataset Data, CsrMatrix FoldIn, CsrMatrix Targets) Generate(int items, int trainUsers, ScaleOptions o)
    {
        var train = SyntheticClicks.Generate(trainUsers, items, o.ClicksPerUser, seed: o.Seed);
        var (foldIn, targets) = TrainingBenchmark.HeldOut(SyntheticClicks.Generate(o.EvalUsers, items, o.ClicksPerUser, seed: o.Seed + 1), o.Seed + 2);
        // No validation users: the trainer would evaluate them after the epoch, which is the evaluate step's job.
        var none = new HeldOutSet { UserIds = [], FoldIn = new CsrMatrix(0, items, [0], []), Targets = new CsrMatrix(0, items, [0], []) };
        var data = new SplitDataset
        {
            ItemIds = Enumerable.Range(0, items).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(),
            TrainUserIds = Enumerable.Range(0, trainUsers).Select(u => "u" + u.ToString(CultureInfo.InvariantCulture)).ToArray(),
            Train = train,
            Validation = none,
            Test = none,
        };
        return (data, foldIn, targets);
    }

    private static string[] History(string[] itemIds, CsrMatrix foldIn, int user)
    {
        var columns = foldIn.RowIndices(user);
        var ids = new string[columns.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = itemIds[columns[i]];
        return ids;
    }

    /// <summary>
    /// Single requests one after another, as a lone client sends them, after as many untimed ones
    /// (at least 50): on a loaded machine the runtime's background JIT promotes the scoring code
    /// late, and 60 warm-up calls left the first few hundred requests at 40,981 items 2-3x slower.
    /// </summary>
    private static LatencySummary Lone(Recommender recommender, RecommendationRequest[] requests, int count)
    {
        for (int i = 0; i < Math.Max(50, count); i++) recommender.Recommend(requests[(count + i) % requests.Length]);
        var latencies = new double[count];
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            recommender.Recommend(requests[i % requests.Length]);
            latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return Summarize(latencies, Stopwatch.GetElapsedTime(start).TotalSeconds, 1);
    }

    /// <summary>
    /// <paramref name="concurrency"/> callers, each sending its next request as soon as the last is
    /// answered, through the <see cref="MicroBatcher"/> with the service's default settings.
    /// </summary>
    private static LatencySummary Burst(Recommender recommender, RecommendationRequest[] requests, int count, int concurrency)
    {
        var batcher = new MicroBatcher(recommender);
        try
        {
            var latencies = new double[count];
            int next = -1;
            long start = Stopwatch.GetTimestamp();
            var callers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                {
                    long t0 = Stopwatch.GetTimestamp();
                    await batcher.RecommendAsync(requests[i % requests.Length]).ConfigureAwait(false);
                    latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
            })).ToArray();
            Task.WaitAll(callers);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return Summarize(latencies, seconds, batcher.Batches == 0 ? 0 : (double)batcher.Requests / batcher.Batches);
        }
        finally { batcher.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }

    /// <summary>Nearest-rank percentiles of <paramref name="latencies"/> (sorted in place).</summary>
    public static LatencySummary Summarize(double[] latencies, double seconds, double meanBatch)
    {
        Array.Sort(latencies);
        double Percentile(double p) => latencies.Length == 0 ? double.NaN : latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Length) - 1, 0, latencies.Length - 1)];
        return new LatencySummary(latencies.Length, Percentile(0.50), Percentile(0.95), latencies.Length == 0 ? double.NaN : latencies[^1],
            seconds > 0 ? latencies.Length / seconds : double.NaN, meanBatch);
    }

    private static double FileMb(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Sum(f => new FileInfo(f).Length) / (1024.0 * 1024.0) : 0;
}
