using VaeCf.Data;
using VaeCf.Distributed;
using VaeCf.Model;

namespace VaeCf.Evaluation;

/// <summary>A ranking metric (docs/protocol.md defines each); <see cref="MetricSpec"/> adds the cutoff.</summary>
public enum MetricKind
{
    /// <summary>Normalized discounted cumulative gain@k with binary relevance.</summary>
    Ndcg,
    /// <summary>The paper's recall: hits@k / min(k, held-out items).</summary>
    Recall,
    /// <summary>The textbook recall: hits@k / held-out items.</summary>
    StandardRecall,
    /// <summary>hits@k / k.</summary>
    Precision,
    /// <summary>Average precision@k over min(k, held-out items) (MAP when averaged).</summary>
    AveragePrecision,
    /// <summary>1 / rank of the first hit (MRR when averaged); 0 without a hit in the cutoff.</summary>
    ReciprocalRank,
    /// <summary>1 when the top k holds any held-out item, else 0.</summary>
    HitRate,
    /// <summary>The share of the catalogue in at least one user's top k: one number, not a per-user mean.</summary>
    Coverage,
}

/// <summary>
/// A metric at a cutoff: NDCG@k, Recall@k (paper: / min(k, n)), StdRecall@k (/ n), Precision@k,
/// MAP@k, MRR@k, HitRate@k, or Coverage@k (catalogue-level). <see cref="K"/> = <see cref="NoCutoff"/>
/// ranks every item (only MRR takes it: "mrr").
/// </summary>
public readonly record struct MetricSpec(MetricKind Kind, int K)
{
    /// <summary><see cref="K"/> for "rank every item" (MRR without a cutoff).</summary>
    public const int NoCutoff = int.MaxValue;

    /// <summary>The name reports and results.csv use: "NDCG@100", "Recall@20", "MRR".</summary>
    public string Name => (Kind switch
    {
        MetricKind.Ndcg => "NDCG",
        MetricKind.Recall => "Recall",
        MetricKind.StandardRecall => "StdRecall",
        MetricKind.Precision => "Precision",
        MetricKind.AveragePrecision => "MAP",
        MetricKind.ReciprocalRank => "MRR",
        MetricKind.HitRate => "HitRate",
        _ => "Coverage",
    }) + (K == NoCutoff ? "" : $"@{K}");

    /// <summary>Whether the metric is a mean over users (everything but coverage).</summary>
    public bool IsPerUser => Kind != MetricKind.Coverage;

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>The paper's three metrics, NDCG@100, Recall@20 and Recall@50: what an evaluation measures unless asked for others.</summary>
    public static readonly MetricSpec[] Paper = [new(MetricKind.Ndcg, 100), new(MetricKind.Recall, 20), new(MetricKind.Recall, 50)];

    /// <summary>Parses "ndcg@100", "recall@20", "stdrecall@20", "precision@10", "map@10", "mrr@10" or "mrr"
    /// (no cutoff), "hitrate@10" (or "hr@10"), "coverage@10" (case-insensitive).</summary>
    public static MetricSpec Parse(string text)
    {
        const string names = "ndcg, recall (the paper's, / min(k, n)), stdrecall (/ n), precision, map, mrr, hitrate or coverage";
        var parts = text.Trim().Split('@');
        var kind = parts[0].Trim().ToLowerInvariant().Replace("-", "").Replace("_", "") switch
        {
            "ndcg" => MetricKind.Ndcg,
            "recall" => MetricKind.Recall,
            "stdrecall" or "recallstd" or "standardrecall" => MetricKind.StandardRecall,
            "precision" or "prec" => MetricKind.Precision,
            "map" => MetricKind.AveragePrecision,
            "mrr" => MetricKind.ReciprocalRank,
            "hitrate" or "hr" or "hit" => MetricKind.HitRate,
            "coverage" or "itemcoverage" => MetricKind.Coverage,
            _ => throw new VaeCfException($"Unknown metric '{parts[0]}' in '{text}': use {names}."),
        };
        if (parts.Length == 1 && kind == MetricKind.ReciprocalRank) return new MetricSpec(kind, NoCutoff);
        if (parts.Length != 2 || !int.TryParse(parts[1], out int k) || k <= 0)
            throw new VaeCfException($"Metric '{text}' is not of the form name@k with k > 0 (e.g. ndcg@100, recall@20, precision@10; mrr alone ranks every item).");
        return new MetricSpec(kind, k);
    }
}

/// <summary>Mean and standard error (population std / sqrt(n), as the paper's code) of one metric.</summary>
public readonly record struct MetricValue(double Mean, double StandardError);

/// <summary>The metrics of one evaluation over a set of held-out users, each a mean with its standard error.</summary>
public sealed class EvaluationResult
{
    /// <summary>Every metric asked for; per-user metrics average the users with targets, coverage has a standard error of 0.</summary>
    public required IReadOnlyDictionary<MetricSpec, MetricValue> Metrics { get; init; }
    /// <summary>Users that had targets and entered the averages.</summary>
    public int UsersEvaluated { get; init; }
    /// <summary>Users left out of the averages because they had no held-out items (IDCG = 0).</summary>
    public int UsersWithoutTargets { get; init; }
    /// <summary>Wall-clock seconds the evaluation took.</summary>
    public double Seconds { get; init; }

    /// <summary>The mean of <paramref name="spec"/>; throws if it was not measured.</summary>
    public double this[MetricSpec spec] => Metrics[spec].Mean;
    /// <summary>The value of metric <paramref name="kind"/> at cutoff <paramref name="k"/>, e.g. <c>Get(MetricKind.Ndcg, 100)</c>; throws if it was not measured.</summary>
    public MetricValue Get(MetricKind kind, int k) => Metrics[new MetricSpec(kind, k)];
}

/// <summary>
/// Ranks every item for held-out users (all items, never a sample), removes their fold-in items by
/// setting those scores to -inf, and averages the metrics over users that have targets. Buffers live
/// in <see cref="Workspace"/> and are reused by the next call, so one evaluator is for one caller at
/// a time.
/// </summary>
public sealed class Evaluator
{
    /// <summary>Users scored per forward pass.</summary>
    public int BatchSize { get; }
    /// <summary>Threads for scoring and ranking (all cores when constructed with 0).</summary>
    public int Threads { get; }
    /// <summary>The reusable buffers; pass one workspace to successive evaluators to avoid reallocating them.</summary>
    public EvaluationWorkspace Workspace { get; }
    /// <summary>Processes that split the users (a contiguous share each) and combine the per-user values.</summary>
    public ICommunicator Communicator { get; }

    /// <summary>Users scored at once unless told otherwise: large enough to keep the GEMMs busy, small enough that the score block stays modest.</summary>
    public const int DefaultBatchSize = 1000;

    /// <summary>An evaluator scoring <paramref name="batchSize"/> users at a time on <paramref name="threads"/> threads (0: all cores).</summary>
    public Evaluator(int batchSize = DefaultBatchSize, int threads = 0, EvaluationWorkspace? workspace = null, ICommunicator? communicator = null)
    {
        if (batchSize <= 0) throw new VaeCfException($"Evaluation batch size must be positive, got {batchSize}.");
        BatchSize = batchSize;
        Threads = threads <= 0 ? Environment.ProcessorCount : threads;
        Workspace = workspace ?? new EvaluationWorkspace();
        Communicator = communicator ?? SingleProcessCommunicator.Instance;
    }

    /// <summary>Scores every item for each user of <paramref name="foldIn"/> (their history), ranks all items but the history, and measures <paramref name="metrics"/> (default <see cref="MetricSpec.Paper"/>) against <paramref name="targets"/> (the same users' held-out items). Users without targets are counted, not averaged.</summary>
    public EvaluationResult Evaluate(IScorer scorer, CsrMatrix foldIn, CsrMatrix targets, IReadOnlyList<MetricSpec>? metrics = null,
        IProgress<(int Done, int Total)>? progress = null)
    {
        metrics ??= MetricSpec.Paper;
        if (metrics.Count == 0) throw new VaeCfException("At least one metric is needed.");
        if (foldIn.Rows != targets.Rows) throw new VaeCfException($"Fold-in has {foldIn.Rows} users but targets have {targets.Rows}.");
        if (foldIn.Columns != scorer.ItemCount || targets.Columns != scorer.ItemCount)
            throw new VaeCfException($"Data has {foldIn.Columns} items but the model scores {scorer.ItemCount}.");
        var started = System.Diagnostics.Stopwatch.StartNew();
        int users = foldIn.Rows, items = scorer.ItemCount;
        int maxK = 0;
        for (int m = 0; m < metrics.Count; m++) maxK = Math.Max(maxK, metrics[m].K);
        maxK = Math.Min(maxK, items);
        // Only asked-for coverage costs an allocation: the paper's metrics, evaluated every epoch, allocate nothing here.
        ItemCoverage?[]? coverage = null;
        for (int m = 0; m < metrics.Count; m++)
            if (!metrics[m].IsPerUser) (coverage ??= new ItemCoverage?[metrics.Count])[m] = new ItemCoverage(items, metrics[m].K);
        var perUser = Workspace.PerUser(metrics.Count, users);
        // Each process scores its own users; the others' per-user values are zeroed before the sum fills them in.
        var (first, share) = DataParallelStep.Slice(users, Communicator.Rank, Communicator.Size);
        int batch = Math.Min(BatchSize, Math.Max(share, 1));
        var rankings = Workspace.Rankings(Threads, Math.Min(maxK, items));

        for (int start = first; start < first + share; start += batch)
        {
            int count = Math.Min(batch, first + share - start);
            float[] scores = Workspace.Score(scorer, foldIn, start, count);
            int workers = Math.Min(Threads, count);
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = Threads }, w =>
            {
                var ranked = rankings[w].AsSpan(0, Math.Min(maxK, items));
                for (int i = count * w / workers; i < count * (w + 1) / workers; i++)
                {
                    int user = start + i;
                    var row = scores.AsSpan(i * items, items);
                    foreach (int seen in foldIn.RowIndices(user)) row[seen] = float.NegativeInfinity;
                    var userTargets = targets.RowIndices(user);
                    int n = TopK.Select(row, maxK, ranked);
                    var top = ranked[..n];
                    for (int m = 0; m < metrics.Count; m++)
                        perUser[m][user] = RankingMetrics.PerUser(metrics[m], top, userTargets);
                    if (coverage is not null && !userTargets.IsEmpty) foreach (var c in coverage) c?.Mark(top);
                }
            });
            progress?.Report((start + count - first, share));
        }
        if (Communicator.Size > 1)
        {
            // The workspace's buffers hold earlier evaluations: other processes' users are zeroed, and
            // adding exact zeros changes no bits, so every process ends with the one-process values.
            for (int m = 0; m < metrics.Count; m++)
            {
                perUser[m].AsSpan(0, first).Clear();
                perUser[m].AsSpan(first + share, users - first - share).Clear();
                Communicator.Sum(perUser[m].AsSpan(0, users));
            }
            if (coverage is not null) foreach (var c in coverage) c?.CombineAcross(Communicator);
        }

        int evaluated = 0;
        for (int u = 0; u < users; u++) if (targets.RowLength(u) > 0) evaluated++;
        var results = new Dictionary<MetricSpec, MetricValue>();
        // Coverage is one number for the catalogue, not a mean over users: it has no standard error.
        for (int m = 0; m < metrics.Count; m++)
            results[metrics[m]] = coverage?[m] is { } c ? new MetricValue(evaluated == 0 ? double.NaN : c.Share, double.NaN) : Summarize(perUser[m].AsSpan(0, users), targets);
        return new EvaluationResult
        {
            Metrics = results,
            UsersEvaluated = evaluated,
            UsersWithoutTargets = users - evaluated,
            Seconds = started.Elapsed.TotalSeconds,
        };
    }

    private static MetricValue Summarize(ReadOnlySpan<double> values, CsrMatrix targets)
    {
        double sum = 0, squares = 0;
        int n = 0;
        for (int u = 0; u < values.Length; u++)
        {
            if (targets.RowLength(u) == 0) continue;
            sum += values[u]; n++;
        }
        if (n == 0) return new MetricValue(double.NaN, double.NaN);
        double mean = sum / n;
        for (int u = 0; u < values.Length; u++)
            if (targets.RowLength(u) > 0) squares += (values[u] - mean) * (values[u] - mean);
        return new MetricValue(mean, Math.Sqrt(squares / n) / Math.Sqrt(n));
    }
}
