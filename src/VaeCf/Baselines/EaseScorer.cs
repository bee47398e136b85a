using System.Diagnostics;
using System.Numerics.Tensors;
using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Baselines;

/// <summary>Options of <see cref="EaseScorer.Fit"/>.</summary>
public sealed record EaseOptions
{
    /// <summary>Steck's value for ML-20M-like data; larger for sparser, smaller catalogues.</summary>
    public const float DefaultLambda = 500f;

    /// <summary>L2 penalty on B.</summary>
    public float Lambda { get; init; } = DefaultLambda;

    /// <summary>Threads for the fit and for scoring; 0 means all cores. Ignored for the fit when a
    /// <see cref="GemmEngine"/> is passed in (its thread count wins).</summary>
    public int Threads { get; init; }

    /// <summary>Cholesky block size; see <see cref="Cholesky.DefaultBlockSize"/>.</summary>
    public int BlockSize { get; init; } = Cholesky.DefaultBlockSize;

    /// <summary>Memory the fit may use. Null: what the runtime reports as available
    /// (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/> less the managed heap already in use).</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Throws a <see cref="VaeCfException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        if (!float.IsFinite(Lambda) || Lambda <= 0) throw new VaeCfException($"EASE lambda must be a positive number, got {Lambda}.");
        if (Threads < 0) throw new VaeCfException($"Thread count must be 0 (all cores) or positive, got {Threads}.");
        if (BlockSize < 1) throw new VaeCfException($"Cholesky block size must be positive, got {BlockSize}.");
        if (MemoryLimitBytes is < 0) throw new VaeCfException($"Memory limit must be non-negative, got {MemoryLimitBytes}.");
    }
}

/// <summary>What an EASE fit will allocate, known before anything big is allocated.</summary>
public sealed record EaseMemoryPlan(int Items, long RequiredBytes, long AvailableBytes)
{
    /// <summary>.NET arrays hold at most <see cref="Array.MaxLength"/> elements, so B (items^2
    /// floats in one array) caps the catalogue at 46,340 items whatever the memory.</summary>
    public bool FitsInOneArray => (long)Items * Items <= Array.MaxLength;

    /// <summary>Whether the fit can run: B fits in one .NET array and the bytes needed are available.</summary>
    public bool Fits => FitsInOneArray && RequiredBytes <= AvailableBytes;

    /// <summary>One line for the user: the bytes needed against the bytes available (the message when <see cref="Fits"/> is false).</summary>
    public string Describe() =>
        $"EASE on {Items:N0} items needs about {FormatBytes(RequiredBytes)} ({Items:N0} x {Items:N0} float32 weights plus scratch); {FormatBytes(AvailableBytes)} is available.";

    internal static string FormatBytes(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";
}

/// <summary>The stages of an EASE fit, in order; each is reported once when it ends (<see cref="EaseFitEvent"/>).</summary>
public enum EaseFitStage
{
    /// <summary>Memory checked against <see cref="EaseMemoryPlan"/>.</summary>
    Planned,
    /// <summary>X^T X + lambda I computed.</summary>
    GramBuilt,
    /// <summary>Cholesky factor L computed.</summary>
    Factored,
    /// <summary>L^-1 computed.</summary>
    FactorInverted,
    /// <summary>P = (X^T X + lambda I)^-1 computed.</summary>
    InverseBuilt,
    /// <summary>B computed from P: the model is ready.</summary>
    WeightsReady,
}

/// <summary>Progress of a fit: each stage reports once when it ends, with the time it took.</summary>
public sealed record EaseFitEvent(EaseFitStage Stage, TimeSpan Elapsed, string Message);

/// <summary>Wall-clock time of each fit stage and the memory the plan reserved.</summary>
public sealed record EaseFitTimings(TimeSpan Gram, TimeSpan Factor, TimeSpan InvertFactor, TimeSpan MultiplyInverse,
    TimeSpan Weights, long PlannedBytes)
{
    /// <summary>The fit's wall-clock time, all stages together.</summary>
    public TimeSpan Total => Gram + Factor + InvertFactor + MultiplyInverse + Weights;
}

/// <summary>
/// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): an item x item
/// weight matrix B with zero diagonal, in closed form
///   P = (X^T X + lambda I)^-1,  B_ij = -P_ij / P_jj (i != j),  B_jj = 0,
/// and scores x_u B. The fit is one dense items x items buffer holding, in turn, the Gram matrix,
/// its Cholesky factor, the inverse and B; everything else is O(items * block + clicks).
/// </summary>
public sealed class EaseScorer : IScorer
{
    /// <inheritdoc/>
    public int ItemCount { get; }

    /// <summary>B, row-major ItemCount x ItemCount: row i holds what item i adds to every item's score.</summary>
    public float[] Weights { get; }

    /// <summary>The L2 penalty B was fitted with (NaN for weights loaded from a folder that did not record it).</summary>
    public float Lambda { get; }

    /// <summary>Stage timings when this instance came from <see cref="Fit"/>; null when built from saved weights.</summary>
    public EaseFitTimings? FitTimings { get; }

    private readonly int _threads;

    /// <summary>Rebuilds a fitted model from its persisted state (e.g. a safetensors tensor).</summary>
    public EaseScorer(int itemCount, float[] weights, float lambda, int threads = 0)
        : this(itemCount, weights, lambda, threads, null) { }

    private EaseScorer(int itemCount, float[] weights, float lambda, int threads, EaseFitTimings? timings)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (itemCount < 0) throw new VaeCfException($"EASE item count must be non-negative, got {itemCount}.");
        if (weights.Length != (long)itemCount * itemCount)
            throw new VaeCfException($"EASE weights hold {weights.Length} floats; {itemCount} items need {(long)itemCount * itemCount}.");
        if (threads < 0) throw new VaeCfException($"Thread count must be 0 (all cores) or positive, got {threads}.");
        ItemCount = itemCount;
        Weights = weights;
        Lambda = lambda;
        _threads = threads == 0 ? Environment.ProcessorCount : threads;
        FitTimings = timings;
    }

    /// <summary>The memory a fit on <paramref name="items"/> items and <paramref name="nonZeros"/>
    /// training clicks will allocate, against what is available.</summary>
    public static EaseMemoryPlan PlanMemory(int items, long nonZeros, bool weighted = false, EaseOptions? options = null)
    {
        options ??= new EaseOptions();
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        ArgumentOutOfRangeException.ThrowIfNegative(nonZeros);
        long block = Math.Min(options.BlockSize, Math.Max(items, 1));
        long weights = 4L * items * items;
        long choleskyScratch = 4L * items * block + (4L + 8L + 8L) * block * block;
        long transposedClicks = 4L * (items + 1) + (weighted ? 8L : 4L) * nonZeros;
        long required = weights + Math.Max(choleskyScratch, transposedClicks) + 4L * items;
        long available = options.MemoryLimitBytes
            ?? Math.Max(0, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(forceFullCollection: false));
        return new EaseMemoryPlan(items, required, available);
    }

    /// <summary>Fits B on <paramref name="training"/> (rows are users, binary or weighted).</summary>
    /// <param name="gemm">Engine for the dense solve; by default one with <see cref="EaseOptions.Threads"/> threads.</param>
    /// <param name="onEvent">Told the memory plan before anything big is allocated, then each stage as it ends.</param>
    /// <exception cref="VaeCfException">The fit would not fit in memory, or X^T X + lambda I is not
    /// positive definite in float32 (lambda too small for the data).</exception>
    public static EaseScorer Fit(CsrMatrix training, EaseOptions? options = null, GemmEngine? gemm = null, Action<EaseFitEvent>? onEvent = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        options ??= new EaseOptions();
        options.Validate();
        gemm ??= new GemmEngine(options.Threads);
        int n = training.Columns;

        var clock = Stopwatch.StartNew();
        EaseMemoryPlan plan = PlanMemory(n, training.NonZeros, training.Values is not null, options);
        if (!plan.FitsInOneArray)
            throw new VaeCfException($"EASE on {n:N0} items needs an {n:N0} x {n:N0} weight matrix ({EaseMemoryPlan.FormatBytes(4L * n * n)}), more than one .NET array can hold (46,340 items at most). Filter rare items first.");
        if (!plan.Fits)
            throw new VaeCfException($"Not enough memory for EASE: {plan.Describe()} Filter rare items, or use a machine with more memory.");
        onEvent?.Invoke(new EaseFitEvent(EaseFitStage.Planned, clock.Elapsed, plan.Describe()));

        var matrix = new float[(long)n * n];
        var stage = Stopwatch.StartNew();
        TimeSpan Lap(EaseFitStage done, string message)
        {
            TimeSpan elapsed = stage.Elapsed;
            onEvent?.Invoke(new EaseFitEvent(done, elapsed, message));
            stage.Restart();
            return elapsed;
        }

        AccumulateGramLower(training, matrix, options.Lambda, gemm.Threads);
        TimeSpan gramTime = Lap(EaseFitStage.GramBuilt, $"X^T X + lambda I from {training.NonZeros:N0} clicks");
        try
        {
            Cholesky.Factor(matrix, n, gemm, options.BlockSize);
        }
        catch (NotPositiveDefiniteException e)
        {
            throw new VaeCfException(
                $"EASE could not factor X^T X + lambda I in float32 (pivot at item {e.Pivot} is {e.PivotValue:G4}); increase lambda (now {options.Lambda}).", e);
        }
        TimeSpan factorTime = Lap(EaseFitStage.Factored, "Cholesky factor L");
        Cholesky.InvertLower(matrix, n, gemm, options.BlockSize);
        TimeSpan invertTime = Lap(EaseFitStage.FactorInverted, "L^-1");
        Cholesky.LowerTransposeTimesLower(matrix, n, gemm, options.BlockSize);
        Cholesky.MirrorLowerToUpper(matrix, n, gemm.Threads);
        TimeSpan multiplyTime = Lap(EaseFitStage.InverseBuilt, "P = L^-T L^-1");
        InverseToWeights(matrix, n, options.Lambda, gemm.Threads);
        TimeSpan weightsTime = Lap(EaseFitStage.WeightsReady, "B = -P diag(1/diag P), zero diagonal");

        var timings = new EaseFitTimings(gramTime, factorTime, invertTime, multiplyTime, weightsTime, plan.RequiredBytes);
        return new EaseScorer(n, matrix, options.Lambda, gemm.Threads, timings);
    }

    /// <inheritdoc/>
    public unsafe void Score(CsrMatrix histories, int rowStart, int rowCount, Span<float> scores)
    {
        ScorerArguments.Validate(histories, rowStart, rowCount, scores, ItemCount);
        int n = ItemCount;
        fixed (float* scoresPointer = scores)
        {
            nint address = (nint)scoresPointer;
            Cholesky.ForEachChunk(rowCount, rowCount * (long)n < 1 << 16 ? 1 : _threads, (first, end) =>
            {
                for (int r = first; r < end; r++)
                {
                    var output = new Span<float>((float*)address + (long)r * n, n);
                    output.Clear();
                    int user = rowStart + r;
                    ReadOnlySpan<int> items = histories.RowIndices(user);
                    ReadOnlySpan<float> values = histories.RowValues(user);
                    for (int e = 0; e < items.Length; e++)
                    {
                        ReadOnlySpan<float> row = Weights.AsSpan(items[e] * n, n);
                        if (values.IsEmpty) TensorPrimitives.Add(output, row, output);
                        else TensorPrimitives.MultiplyAdd(row, values[e], output, output);
                    }
                }
            });
        }
    }

    /// <summary>
    /// Lower triangle of X^T X + lambda I. Row a of G is the sum of the click rows of the users who
    /// clicked a, cut at column a: scattering whole user rows into one G row at a time keeps the
    /// writes inside one cached row (instead of random writes over items^2 floats), costs
    /// O(sum over users of clicks^2 / 2), and makes each G row the work of one thread in user order,
    /// so the sums are deterministic.
    /// </summary>
    internal static unsafe void AccumulateGramLower(CsrMatrix x, float[] gram, float lambda, int threads)
    {
        int n = x.Columns;
        // Transpose to find, for each item, the users who clicked it, in ascending user order.
        var columnPointers = new int[n + 1];
        foreach (int c in x.ColumnIndices) columnPointers[c + 1]++;
        for (int c = 0; c < n; c++) columnPointers[c + 1] += columnPointers[c];
        var usersOfItem = new int[x.NonZeros];
        float[]? valuesOfItem = x.Values is null ? null : new float[x.NonZeros];
        var fill = columnPointers[..n];
        for (int u = 0; u < x.Rows; u++)
            for (int e = x.RowPointers[u]; e < x.RowPointers[u + 1]; e++)
            {
                int slot = fill[x.ColumnIndices[e]]++;
                usersOfItem[slot] = u;
                if (valuesOfItem is not null) valuesOfItem[slot] = x.Values![e];
            }

        int[] rowPointers = x.RowPointers, columnIndices = x.ColumnIndices;
        float[]? values = x.Values;
        int chunks = Math.Min(n, Math.Max(1, threads * 32));
        fixed (float* gramPointer = gram)
        {
            nint address = (nint)gramPointer;
            void Rows(int chunk)
            {
                int first = (int)((long)n * chunk / chunks), end = (int)((long)n * (chunk + 1) / chunks);
                for (int a = first; a < end; a++)
                {
                    float* g = (float*)address + (long)a * n;
                    for (int e = columnPointers[a]; e < columnPointers[a + 1]; e++)
                    {
                        int user = usersOfItem[e];
                        int start = rowPointers[user], stop = rowPointers[user + 1];
                        if (values is null)
                        {
                            for (int q = start; q < stop; q++)
                            {
                                int b = columnIndices[q];
                                if (b > a) break;
                                g[b] += 1f;
                            }
                        }
                        else
                        {
                            float va = valuesOfItem![e];
                            for (int q = start; q < stop; q++)
                            {
                                int b = columnIndices[q];
                                if (b > a) break;
                                g[b] += va * values[q];
                            }
                        }
                    }
                    g[a] += lambda;
                }
            }
            if (threads <= 1) for (int c = 0; c < chunks; c++) Rows(c);
            else Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, Rows);
        }
    }

    /// <summary>P (full, symmetric) -> B in place: column j scaled by -1/P_jj, diagonal zeroed.</summary>
    private static unsafe void InverseToWeights(float[] matrix, int n, float lambda, int threads)
    {
        var negativeReciprocal = new float[n];
        for (int j = 0; j < n; j++)
        {
            float pjj = matrix[(long)j * n + j];
            if (!float.IsFinite(pjj) || pjj <= 0)
                throw new VaeCfException($"EASE's inverse has a non-positive or non-finite diagonal at item {j} ({pjj}); float32 is not enough at lambda {lambda}, increase it.");
            negativeReciprocal[j] = -1f / pjj;
        }
        int badRow = -1;
        fixed (float* basePointer = matrix)
        {
            nint address = (nint)basePointer;
            Cholesky.ForEachChunk(n, threads, (first, end) =>
            {
                for (int i = first; i < end; i++)
                {
                    var row = new Span<float>((float*)address + (long)i * n, n);
                    TensorPrimitives.Multiply(row, negativeReciprocal, row);
                    row[i] = 0f;
                    if (!float.IsFinite(TensorPrimitives.SumOfMagnitudes(row))) Interlocked.CompareExchange(ref badRow, i, -1);
                }
            });
        }
        if (badRow >= 0)
            throw new VaeCfException($"EASE produced non-finite weights (row of item {badRow}); float32 is not enough at lambda {lambda}, increase it.");
    }
}
