using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Model.RecVae;
using VaeCf.Numerics;
using VaeCf.Training;

namespace VaeCf.Benchmarks;

/// <summary>Medians of RecVAE's two kinds of training step, by phase, and what follows for an epoch.</summary>
public sealed record RecVaeStepBenchmark
{
    /// <summary>"encoder" (input dropout, composite-prior KL, encoder Adam) or "decoder" (no dropout, no KL, decoder Adam).</summary>
    public required string Step { get; init; }
    public required double StepSeconds { get; init; }
    public required double StepSecondsMin { get; init; }
    public required double StepSecondsMax { get; init; }
    public required double ForwardSeconds { get; init; }
    /// <summary>Negative log-likelihood, plus the composite-prior KL on encoder steps.</summary>
    public required double LossSeconds { get; init; }
    public required double BackwardSeconds { get; init; }
    public required double OptimizerSeconds { get; init; }
    public required double StepCpuSeconds { get; init; }
    /// <summary>Steps of this kind per epoch: passes x batches per pass.</summary>
    public required int StepsPerEpoch { get; init; }
    public required double EpochShareSeconds { get; init; }
    /// <summary>Step seconds over the median of the three output-layer GEMMs alone.</summary>
    public required double StepOverOutputGemm { get; init; }
}

/// <summary>What <c>vaecf bench --kind recvae</c> measured.</summary>
public sealed record RecVaeBenchmarkReport
{
    public required string Cpu { get; init; }
    public required int LogicalCores { get; init; }
    public required int Threads { get; init; }
    public required string Runtime { get; init; }
    public required double LoadAverageBefore { get; init; }
    public required double LoadAverageAfter { get; init; }
    public required int Items { get; init; }
    public required int Users { get; init; }
    public required int BatchSize { get; init; }
    public required long NonZeros { get; init; }
    /// <summary>Layer widths: items, hidden, latent, items.</summary>
    public required int[] Architecture { get; init; }
    public required int EncoderPasses { get; init; }
    public required int DecoderPasses { get; init; }
    public required int BatchesPerPass { get; init; }
    public required int BatchesTimed { get; init; }
    public required double GemmPeakGflops { get; init; }
    public required RecVaeStepBenchmark Encoder { get; init; }
    public required RecVaeStepBenchmark Decoder { get; init; }
    /// <summary>encoder passes x batches x encoder step + decoder passes x batches x decoder step.</summary>
    public required double EpochSeconds { get; init; }
    /// <summary>3 x 2 x batch x latent x items: logits, decoder-weight gradient, code gradient.</summary>
    public required double OutputLayerGflopPerBatch { get; init; }
    public required double OutputGemmSeconds { get; init; }
    public required double OutputGemmGflops { get; init; }
    /// <summary>Output-layer FLOPs of every step of an epoch (both kinds) / the GEMM peak.</summary>
    public required double FloorSeconds { get; init; }
    public required double EpochOverFloor { get; init; }
    public required double PeakRssMb { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

/// <summary>
/// Times RecVAE's encoder step and decoder step (forward, loss, backward, Adam) on a synthetic click
/// matrix, as <see cref="RecVaeTrainer"/> runs them, against the floor of the decoder's three
/// output-layer GEMMs (latent -> items) at the GEMM peak of the same run. No timing is asserted.
/// </summary>
public static class RecVaeBenchmark
{
    public static RecVaeBenchmarkReport Run(BenchmarkOptions o, Action<string>? log = null)
    {
        o.Validate();
        log ??= _ => { };
        double loadBefore = TrainingBenchmark.LoadAverage();
        TrainingBenchmark.ResetPeakRss();
        int threads = o.Threads == 0 ? Environment.ProcessorCount : o.Threads;
        var gemm = new GemmEngine(threads);
        log($"GEMM peak on {o.PeakSize}^3 ...");
        var (ours, oneDnn) = TrainingBenchmark.MeasurePeak(gemm, o);
        double peak = Math.Max(ours, oneDnn ?? 0);

        log($"generating {o.Users:N0} users x {o.Items:N0} items ...");
        int rowsNeeded = Math.Min(o.Users, (o.WarmupBatches + o.Batches) * o.BatchSize);
        var clicks = SyntheticClicks.Generate(rowsNeeded, o.Items, o.MeanClicksPerUser, seed: o.Seed);
        var config = new RecVaeConfig { ItemCount = o.Items };
        var training = new RecVaeTrainingOptions { BatchSize = o.BatchSize };
        var network = new RecVaeNetwork(config, gemm);
        network.Initialize(o.Seed);
        var encoderAdam = new AdamOptimizer(network.Encoder.Parameters, OptimizerKind.Adam, training.LearningRate, 0f, threads);
        var decoderAdam = new AdamOptimizer(network.DecoderParameters, OptimizerKind.Adam, training.LearningRate, 0f, threads);
        var prior = new RecVaeEncoder(config);
        prior.CopyFrom(network.Encoder);
        int batch = Math.Min(o.BatchSize, clicks.Rows);
        var ws = network.CreateWorkspace(batch, training: true, gemm);
        var rng = new Random(o.Seed);
        var order = Enumerable.Range(0, clicks.Rows).ToArray();
        rng.Shuffle(order);
        int batchesInData = (clicks.Rows + o.BatchSize - 1) / o.BatchSize;
        int batchesPerPass = (o.Users + o.BatchSize - 1) / o.BatchSize;

        RecVaeStepBenchmark Measure(bool encoder, int passes)
        {
            log($"RecVAE {(encoder ? "encoder" : "decoder")} step: {o.WarmupBatches} warm-up + {o.Batches} timed ...");
            var wall = new double[4][];
            var total = new double[o.Batches];
            var cpu = new double[o.Batches];
            for (int p = 0; p < 4; p++) wall[p] = new double[o.Batches];
            Span<long> w = stackalloc long[5];
            Span<double> c = stackalloc double[5];
            for (int b = 0; b < o.WarmupBatches + o.Batches; b++)
            {
                int timed = b - o.WarmupBatches;
                if (timed == 0) GC.Collect();
                int start = (b % batchesInData) * o.BatchSize;
                var rows = order.AsSpan(start, Math.Min(o.BatchSize, clicks.Rows - start));
                TrainingBenchmark.Mark(w, c, 0);
                network.ForwardTraining(ws, clicks, rows, encoder ? config.InputDropout : 0f, new TrainingDraws(o.Seed, b + 1));
                TrainingBenchmark.Mark(w, c, 1);
                network.NegativeLogLikelihood(ws, clicks, rows);
                if (encoder) network.PriorKl(ws, prior, clicks, rows, training.Gamma, training.Beta);
                TrainingBenchmark.Mark(w, c, 2);
                if (encoder) network.BackwardEncoder(ws); else network.BackwardDecoder(ws);
                TrainingBenchmark.Mark(w, c, 3);
                if (encoder) encoderAdam.Step(network.Encoder.Gradients); else decoderAdam.Step(network.DecoderGradients);
                TrainingBenchmark.Mark(w, c, 4);
                if (timed < 0) continue;
                for (int p = 0; p < 4; p++) wall[p][timed] = TrainingBenchmark.Seconds(w[p], w[p + 1]);
                total[timed] = TrainingBenchmark.Seconds(w[0], w[4]);
                cpu[timed] = c[4] - c[0];
            }
            double median = TrainingBenchmark.Median(total);
            return new RecVaeStepBenchmark
            {
                Step = encoder ? "encoder" : "decoder",
                StepSeconds = median,
                StepSecondsMin = total.Min(),
                StepSecondsMax = total.Max(),
                ForwardSeconds = TrainingBenchmark.Median(wall[0]),
                LossSeconds = TrainingBenchmark.Median(wall[1]),
                BackwardSeconds = TrainingBenchmark.Median(wall[2]),
                OptimizerSeconds = TrainingBenchmark.Median(wall[3]),
                StepCpuSeconds = TrainingBenchmark.Median(cpu),
                StepsPerEpoch = passes * batchesPerPass,
                EpochShareSeconds = passes * batchesPerPass * median,
                StepOverOutputGemm = double.NaN,
            };
        }

        var enc = Measure(encoder: true, training.EncoderPasses);
        var dec = Measure(encoder: false, training.DecoderPasses);
        int latent = config.LatentSize;
        double gemmSeconds = TimeOutputLayer(gemm, batch, latent, o.Items, Math.Max(3, o.Batches / 2), o.Seed);
        double flopsPerBatch = 3 * 2.0 * batch * latent * o.Items;
        double flopsPerEpoch = 3 * 2.0 * ((double)o.Users * (training.EncoderPasses + training.DecoderPasses)) * latent * o.Items;
        double floor = flopsPerEpoch / (peak * 1e9);
        double epoch = enc.EpochShareSeconds + dec.EpochShareSeconds;
        return new RecVaeBenchmarkReport
        {
            Cpu = TrainingBenchmark.CpuName(),
            LogicalCores = Environment.ProcessorCount,
            Threads = threads,
            Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            LoadAverageBefore = loadBefore,
            LoadAverageAfter = TrainingBenchmark.LoadAverage(),
            Items = o.Items,
            Users = o.Users,
            BatchSize = o.BatchSize,
            NonZeros = clicks.NonZeros,
            Architecture = [o.Items, config.HiddenSize, latent, o.Items],
            EncoderPasses = training.EncoderPasses,
            DecoderPasses = training.DecoderPasses,
            BatchesPerPass = batchesPerPass,
            BatchesTimed = o.Batches,
            GemmPeakGflops = peak,
            Encoder = enc with { StepOverOutputGemm = enc.StepSeconds / gemmSeconds },
            Decoder = dec with { StepOverOutputGemm = dec.StepSeconds / gemmSeconds },
            EpochSeconds = epoch,
            OutputLayerGflopPerBatch = flopsPerBatch / 1e9,
            OutputGemmSeconds = gemmSeconds,
            OutputGemmGflops = flopsPerBatch / gemmSeconds / 1e9,
            FloorSeconds = floor,
            EpochOverFloor = epoch / floor,
            PeakRssMb = TrainingBenchmark.PeakRssMb(),
        };
    }

    /// <summary>logits = z . W, dW = z^T . dY, dz = dY . W^T on scratch buffers of the decoder's shapes; median of the sums.</summary>
    private static double TimeOutputLayer(GemmEngine g, int rows, int latent, int items, int repeats, int seed)
    {
        var rng = new Random(seed);
        var z = new float[rows * latent];
        var weight = new float[latent * items];
        for (int i = 0; i < z.Length; i++) z[i] = rng.NextSingle() - 0.5f;
        for (int i = 0; i < weight.Length; i++) weight[i] = rng.NextSingle() - 0.5f;
        var y = new float[rows * items];
        var dWeight = new float[latent * items];
        var dz = new float[rows * latent];
        var times = new double[repeats];
        for (int r = -1; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            g.Multiply(Transpose.No, Transpose.No, rows, items, latent, 1f, z, latent, weight, items, 0f, y, items);
            g.Multiply(Transpose.Yes, Transpose.No, latent, items, rows, 1f, z, latent, y, items, 0f, dWeight, items);
            g.Multiply(Transpose.No, Transpose.Yes, rows, latent, items, 1f, y, items, weight, items, 0f, dz, latent);
            if (r >= 0) times[r] = TrainingBenchmark.Seconds(t0, Stopwatch.GetTimestamp());
        }
        return TrainingBenchmark.Median(times);
    }
}
