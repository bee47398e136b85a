using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaeCf.Benchmarks;

/// <summary>Medians of one model's training batches, split by phase, and what follows for an epoch.</summary>
public sealed record ModelBenchmark
{
    public required string Model { get; init; }
    /// <summary>Layer widths, e.g. [20108, 600, 200, 600, 20108].</summary>
    public required int[] Architecture { get; init; }
    public required int BatchesTimed { get; init; }
    public required double BatchSeconds { get; init; }
    public required double BatchSecondsMin { get; init; }
    public required double BatchSecondsMax { get; init; }
    public required double ForwardSeconds { get; init; }
    public required double LossSeconds { get; init; }
    public required double BackwardSeconds { get; init; }
    public required double OptimizerSeconds { get; init; }
    /// <summary>Mean wall seconds per timed batch of each <see cref="VaeCf.Model.TrainingPhase"/>, by its name (finer than the four phases above).</summary>
    public required IReadOnlyDictionary<string, double> PhaseSeconds { get; init; }
    /// <summary>What <see cref="PhaseSeconds"/> measures: "wall", or "thread CPU" for a one-thread run (steady under other processes' load).</summary>
    public required string PhaseClock { get; init; }
    /// <summary><see cref="OutputGemmSeconds"/> on the phases' clock: the phases' sum over it is the step's cost beside its three output products.</summary>
    public required double OutputGemmPhaseClockSeconds { get; init; }
    /// <summary>Process CPU seconds (all threads) of the median batch and of its phases: steadier than wall time when other processes take the cores.</summary>
    public required double BatchCpuSeconds { get; init; }
    public required double ForwardCpuSeconds { get; init; }
    public required double LossCpuSeconds { get; init; }
    public required double BackwardCpuSeconds { get; init; }
    public required double OptimizerCpuSeconds { get; init; }
    /// <summary>Process CPU seconds per batch over wall seconds per batch: close to the thread count on an idle machine.</summary>
    public required double CpuPerWall { get; init; }
    /// <summary>Bytes the whole process allocated per timed batch (every thread).</summary>
    public required double AllocatedBytesPerBatch { get; init; }
    public required int BatchesPerEpoch { get; init; }
    /// <summary>Batches per epoch x median batch.</summary>
    public required double EpochSecondsEstimated { get; init; }
    /// <summary>A real, shuffled epoch timed end to end; null when the epoch was too long to run.</summary>
    public double? EpochSecondsMeasured { get; init; }
    public required double EpochSeconds { get; init; }
    /// <summary>Forward logits, weight gradient and input gradient of the output layer: 3 x 2 x batch x hidden x items.</summary>
    public required double OutputLayerGflopPerBatch { get; init; }
    /// <summary>Median of the three output-layer products run alone on the same engine and buffers.</summary>
    public required double OutputGemmSeconds { get; init; }
    public required double OutputGemmGflops { get; init; }
    /// <summary>Share of a training batch that the three output-layer products take.</summary>
    public required double OutputGemmShare { get; init; }
    /// <summary>Output-layer FLOPs of an epoch / the better GEMM peak.</summary>
    public required double FloorSeconds { get; init; }
    public required double EpochOverFloor { get; init; }
    /// <summary>Batches per epoch x median process CPU seconds per batch: what the epoch costs in core-seconds.</summary>
    public required double EpochCpuSeconds { get; init; }
    /// <summary>Output-layer FLOPs of an epoch / the one-core peak timed by CPU time: the floor in core-seconds.</summary>
    public required double CpuFloorSeconds { get; init; }
    /// <summary>Core-seconds over the core-second floor: the ratio that time taken by other processes does not move.</summary>
    public required double EpochCpuOverCpuFloor { get; init; }
    public double? EvalSeconds { get; init; }
    public int EvalUsers { get; init; }
    public double? EvalNdcg100 { get; init; }
    /// <summary>Peak RSS from this model's start to the end of its training (the data and the GEMM peak's buffers included; evaluation not).</summary>
    public required double RssAfterTrainingMb { get; init; }
    /// <summary>Peak RSS of this model's whole window, evaluation included.</summary>
    public required double PeakRssMb { get; init; }
}

/// <summary>Everything one <c>vaecf bench</c> run measured. The top-level shortcuts refer to the first model.</summary>
public sealed record BenchmarkReport
{
    public required string Cpu { get; init; }
    public required int LogicalCores { get; init; }
    public required int Threads { get; init; }
    public required int SimdWidthBits { get; init; }
    public required string Runtime { get; init; }
    public required double LoadAverageBefore { get; init; }
    public required double LoadAverageAfter { get; init; }
    public required int Items { get; init; }
    public required int Users { get; init; }
    public required int BatchSize { get; init; }
    public required long NonZeros { get; init; }
    public required int PeakSize { get; init; }
    public required double GemmPeakOursGflops { get; init; }
    public double? GemmPeakOneDnnGflops { get; init; }
    /// <summary>The better of our peak and oneDNN's, on the same product in the same run.</summary>
    public required double GemmPeakGflops { get; init; }
    /// <summary>One thread, timed by the thread's CPU time (ours, oneDNN, the better): a core's peak that other processes cannot lower by taking turns on it.</summary>
    public required double GemmPeakCoreOursGflops { get; init; }
    public double? GemmPeakCoreOneDnnGflops { get; init; }
    public required double GemmPeakCoreGflops { get; init; }
    /// <summary>The largest model window's peak RSS (training and evaluation); see <see cref="ModelBenchmark.RssAfterTrainingMb"/> for training alone.</summary>
    public required double PeakRssMb { get; init; }
    public required IReadOnlyList<ModelBenchmark> Models { get; init; }

    public double EpochSeconds => Models[0].EpochSeconds;
    public double FloorSeconds => Models[0].FloorSeconds;
    public double EpochOverFloor => Models[0].EpochOverFloor;
    public double BatchSeconds => Models[0].BatchSeconds;
    public double? EvalSeconds => Models[0].EvalSeconds;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

/// <summary>One cell of the scaling table: a model at a catalogue size and a thread count.</summary>
public sealed record ScalingPoint(string Model, int Items, int Threads, double BatchSeconds, double EpochSeconds, double FloorSeconds,
    double EpochOverFloor, double OutputGemmGflops, double GemmPeakGflops, double MillisecondsPerBatchPer1kItems,
    double BatchCpuSeconds, double EpochCpuOverCpuFloor, double PeakRssMb, double OutputGemmSeconds = 0, double PhasesOverOutputGemms = 0,
    string PhaseClock = "wall");
