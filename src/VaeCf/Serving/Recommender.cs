using VaeCf.Data;
using VaeCf.Evaluation;
using VaeCf.Model;
using VaeCf.Numerics;
using VaeCf.Catalogue;
using VaeCf.Persistence;

namespace VaeCf.Serving;

/// <summary>
/// Top-k recommendations from any saved model (Mult-VAE/DAE, EASE, popularity: anything that is an
/// <see cref="IScorer"/> with a manifest naming its items) for histories of original item IDs.
/// Thread-safe: scoring is serialized behind one gate, because a network's workspace and its GEMM
/// engine's packing buffers are single-caller; a batch is one forward pass, so callers that want
/// throughput should batch (see <see cref="MicroBatcher"/>) rather than call in parallel.
/// </summary>
public sealed class Recommender
{
    /// <summary>Rows scored per forward pass; bounds the score buffer at ScoreChunkRows x items floats.</summary>
    public const int ScoreChunkRows = 128;

    private static readonly string[] NoStrings = [];

    private readonly Dictionary<string, int> _indexOf;
    private readonly string?[]? _titles;
    private readonly object _scoreGate = new();
    // Guarded by _scoreGate.
    private NetworkWorkspace? _workspace;
    private float[] _scores = [];
    // Packed on first use: a copy of the output weights (48 MB for ML-20M) only a server needs.
    private readonly Lazy<PackedOutputLayer?> _packedOutput;
    // Built with the packed layer: an 8-bit copy (12 MB for ML-20M) plus an item-major fp32 one (48 MB) for exact rescoring.
    private readonly Lazy<ScreenedOutputLayer?> _screenedOutput;
    private float[] _hidden = []; // a pass's output-layer inputs, read by the parallel selections

    /// <summary>False sends every pass through full scoring even where the screen would take it (benchmarks compare the two; the answers are the same).</summary>
    internal bool ScreeningEnabled { get; set; } = true;

    /// <summary>The model that scores every item for a history.</summary>
    public IScorer Scorer { get; }
    /// <summary>The model's config.json: kind, item IDs (column j is <c>Manifest.Items[j]</c>), training options, metrics.</summary>
    public ModelManifest Manifest { get; }
    /// <summary>Titles for item IDs, when given; results then carry a title per item.</summary>
    public ItemMetadata? Metadata { get; }
    /// <summary>The number of items the model ranks.</summary>
    public int ItemCount => Scorer.ItemCount;
    /// <summary>Where the model was loaded from, when it came from a folder.</summary>
    public string? Source { get; init; }

    /// <summary>A recommender over a model already in memory (<see cref="Load"/> reads one from a folder).</summary>
    /// <param name="scorer">Any model: Mult-VAE, Mult-DAE, EASE, popularity.</param>
    /// <param name="manifest">Its manifest; the item IDs must match the scorer's item count.</param>
    /// <param name="metadata">Optional titles for the results.</param>
    public Recommender(IScorer scorer, ModelManifest manifest, ItemMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.Items.Length != scorer.ItemCount)
            throw new VaeCfException($"The model's manifest lists {manifest.Items.Length:N0} items but the model scores {scorer.ItemCount:N0}.");
        Scorer = scorer;
        Manifest = manifest;
        Metadata = metadata;
        _packedOutput = new Lazy<PackedOutputLayer?>(() => scorer is AutoencoderNetwork network ? PackedOutputLayer.TryCreate(network) : null);
        _screenedOutput = new Lazy<ScreenedOutputLayer?>(() =>
            scorer is AutoencoderNetwork network && _packedOutput.Value is not null ? ScreenedOutputLayer.TryCreate(network) : null);
        _indexOf = new Dictionary<string, int>(manifest.Items.Length, StringComparer.Ordinal);
        for (int i = 0; i < manifest.Items.Length; i++)
            if (!_indexOf.TryAdd(manifest.Items[i], i))
                throw new VaeCfException($"The model's manifest lists item '{manifest.Items[i]}' twice (columns {_indexOf[manifest.Items[i]]} and {i}).");
        if (metadata is not null)
        {
            // Looked up once here so answering a request is an array read, not a dictionary probe per item.
            _titles = new string?[manifest.Items.Length];
            for (int i = 0; i < _titles.Length; i++)
                _titles[i] = metadata.Titles.TryGetValue(manifest.Items[i], out var title) ? title : null;
        }
    }

    /// <summary>Opens a model folder (any kind the catalogue knows) and, optionally, an item metadata file for titles.</summary>
    public static Recommender Load(string directory, string? metadataPath = null, GemmEngine? gemm = null)
    {
        var (scorer, manifest) = ModelFolder.Load(directory, gemm);
        var metadata = metadataPath is null ? null : ItemMetadata.Load(metadataPath);
        return new Recommender(scorer, manifest, metadata) { Source = Path.GetFullPath(directory) };
    }

    /// <summary>
    /// Builds the serving copies of the output layer (pre-packed fp32 panels, the 8-bit screen and
    /// its item-major rescoring copy) now instead of on the first request, which would otherwise
    /// wait for them (about 0.3 s at ML-20M size). A server calls this before taking traffic.
    /// </summary>
    public void PrepareForServing()
    {
        _ = _packedOutput.Value;
        _ = _screenedOutput.Value;
        WarmUp();
    }

    /// <summary>Lone requests run per path before traffic: enough calls for the JIT to promote the scoring code past tier 0.</summary>
    private const int WarmUpCalls = 40;

    /// <summary>
    /// Answers a few dozen empty-history requests along each path a lone request can take (the
    /// screen where there is one, and full scoring), so the first real requests do not pay for
    /// unoptimized code: at 40,981 items they took 10-20 ms each for their first dozen, against
    /// about 3 ms later.
    /// </summary>
    private void WarmUp()
    {
        if (ItemCount == 0) return;
        var request = new RecommendationRequest([], Math.Max(1, Math.Min(100, ItemCount / 16)));
        for (int i = 0; i < WarmUpCalls; i++) Recommend(request);
        bool screening = ScreeningEnabled;
        ScreeningEnabled = false;
        try { for (int i = 0; i < WarmUpCalls; i++) Recommend(request); }
        finally { ScreeningEnabled = screening; }
    }

    /// <summary>
    /// Passes of up to this many rows (with k at most 1/16 of the catalogue) go through the exact
    /// 8-bit screen of the output layer; 0 where there is none (not an autoencoder, or a CPU without
    /// AVX-512 and AVX-VNNI), and then every pass scores all items in fp32. The answers are the same.
    /// </summary>
    public int ScreenedPassRows => _screenedOutput.Value is null ? 0 : ScreenedOutputLayer.MaxRows;

    /// <summary>The model's column for an original item ID.</summary>
    public bool TryGetIndex(string itemId, out int index) => _indexOf.TryGetValue(itemId, out index);

    /// <summary>The top <paramref name="k"/> items for one history of original item IDs.</summary>
    /// <param name="history">Item IDs the user interacted with; unknown IDs are ignored and reported, duplicates count once, empty is allowed (the model's prior ranking).</param>
    /// <param name="k">How many items to return; more than the catalogue returns every remaining item.</param>
    /// <param name="excludeHistory">Leave the history's own items out of the answer (the default).</param>
    /// <param name="exclude">Further item IDs to leave out; unknown ones are ignored.</param>
    public RecommendationResult Recommend(IReadOnlyList<string> history, int k, bool excludeHistory = true, IReadOnlyList<string>? exclude = null) =>
        Recommend(new RecommendationRequest(history, k) { ExcludeHistory = excludeHistory, Exclude = exclude });

    /// <summary>The top items for one request (history, k, exclusions); see the other overload for the rules.</summary>
    public RecommendationResult Recommend(RecommendationRequest request)
    {
        var prepared = Prepare(request);
        var results = new RecommendationResult[1];
        Complete(new ReadOnlySpan<PreparedRequest>(ref prepared), results);
        return results[0];
    }

    /// <summary>Many histories, scored together: one forward pass per <see cref="ScoreChunkRows"/> rows.</summary>
    public RecommendationResult[] RecommendBatch(IReadOnlyList<RecommendationRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var prepared = new PreparedRequest[requests.Count];
        for (int i = 0; i < prepared.Length; i++) prepared[i] = Prepare(requests[i]);
        var results = new RecommendationResult[prepared.Length];
        Complete(prepared, results);
        return results;
    }

    /// <summary>
    /// Raw scores (logits, nothing masked) for one history, as the model computes them; for checks
    /// and for callers that rank by their own rules.
    /// </summary>
    public float[] Score(IReadOnlyList<string> history)
    {
        var prepared = Prepare(new RecommendationRequest(history, 1));
        var scores = new float[ItemCount];
        lock (_scoreGate)
        {
            ScoreRows(BuildHistories(new ReadOnlySpan<PreparedRequest>(ref prepared)), 1);
            _scores.AsSpan(0, ItemCount).CopyTo(scores);
        }
        return scores;
    }

    /// <summary>
    /// Checks a request and maps its IDs to columns, outside the scoring gate. Throws
    /// <see cref="VaeCfException"/> for requests that cannot be answered (k below 1, no item list).
    /// </summary>
    internal PreparedRequest Prepare(RecommendationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Items is null) throw new VaeCfException("The request has no item list; send an empty list for a user without history.");
        if (request.K < 1) throw new VaeCfException($"k must be at least 1, got {request.K}.");
        var history = Columns(request.Items, out var unknown);
        int[] excluded = request.Exclude is { Count: > 0 } exclude ? Columns(exclude, out _) : [];
        return new PreparedRequest(history, excluded, unknown, request.K, request.ExcludeHistory);
    }

    /// <summary>Known IDs as sorted, distinct columns (the order a dataset's CSR row has, so scores match evaluation bit for bit).</summary>
    private int[] Columns(IReadOnlyList<string> ids, out string[] unknown)
    {
        unknown = NoStrings;
        if (ids.Count == 0) return [];
        var columns = new int[ids.Count];
        int n = 0;
        List<string>? missing = null;
        for (int i = 0; i < ids.Count; i++)
        {
            string? id = ids[i];
            if (id is not null && _indexOf.TryGetValue(id, out int column)) columns[n++] = column;
            else
            {
                missing ??= new List<string>();
                string shown = id ?? "";
                if (!missing.Contains(shown)) missing.Add(shown);
            }
        }
        Array.Sort(columns, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++)
            if (distinct == 0 || columns[i] != columns[distinct - 1]) columns[distinct++] = columns[i];
        if (missing is not null) unknown = missing.ToArray();
        return distinct == columns.Length ? columns : columns.AsSpan(0, distinct).ToArray();
    }

    /// <summary>Scores prepared requests in chunks and writes one result per request.</summary>
    internal void Complete(ReadOnlySpan<PreparedRequest> batch, Span<RecommendationResult> results)
    {
        lock (_scoreGate)
        {
            for (int start = 0; start < batch.Length; start += ScoreChunkRows)
            {
                int rows = Math.Min(ScoreChunkRows, batch.Length - start);
                var chunk = batch.Slice(start, rows);
                if (!TryScreened(chunk, results.Slice(start, rows)))
                {
                    ScoreRows(BuildHistories(chunk), rows);
                    SelectAll(chunk, results.Slice(start, rows));
                }
                RefuseNonFinite(results.Slice(start, rows));
            }
        }
    }

    /// <summary>
    /// Loading refuses non-finite weights, so a non-finite score can only come from weights large
    /// enough to overflow float32; such an answer is refused rather than given (a NaN would also
    /// have scrambled the ranking). k scores per request: nothing next to the forward pass.
    /// </summary>
    private static void RefuseNonFinite(ReadOnlySpan<RecommendationResult> results)
    {
        foreach (var result in results)
            foreach (var item in result.Items)
                if (!float.IsFinite(item.Score))
                    throw new NonFiniteScoreException(item.Id, item.Score);
    }

    private CsrMatrix BuildHistories(ReadOnlySpan<PreparedRequest> batch)
    {
        var pointers = new int[batch.Length + 1];
        for (int r = 0; r < batch.Length; r++) pointers[r + 1] = pointers[r] + batch[r].History.Length;
        var columns = new int[pointers[^1]];
        for (int r = 0; r < batch.Length; r++) batch[r].History.CopyTo(columns, pointers[r]);
        return new CsrMatrix(batch.Length, ItemCount, pointers, columns);
    }

    /// <summary>Fills _scores[0 .. rows x items) with the model's scores; caller holds the gate.</summary>
    private void ScoreRows(CsrMatrix histories, int rows)
    {
        long needed = (long)rows * ItemCount;
        if (_scores.Length < needed) _scores = new float[checked((int)Math.Min((long)ScoreChunkRows * ItemCount, Math.Max(needed, 2L * _scores.Length)))];
        var output = _scores.AsSpan(0, (int)needed);
        if (Scorer is AutoencoderNetwork network)
        {
            // The network's own Score(histories, ...) sizes its workspace by its first caller, which
            // for a server is one row; ours holds a full chunk so a micro-batch is one forward pass.
            _workspace ??= network.CreateWorkspace(ScoreChunkRows);
            if (_packedOutput.Value is { } packed)
            {
                network.ForwardHidden(_workspace, histories, _workspace.RowRange(0, rows));
                packed.Forward(network.OutputLayerInput(_workspace, rows), rows, output);
            }
            else network.Score(_workspace, histories, 0, rows, output);
        }
        else Scorer.Score(histories, 0, rows, output);
    }

    /// <summary>
    /// Answers a chunk through the screened output layer (exact top k without every item's exact
    /// score) when the model has one and every k in the chunk is small enough for it to pay; false
    /// leaves the chunk to full scoring. Rows the screen cannot answer are scored in full here.
    /// Caller holds the gate.
    /// </summary>
    private bool TryScreened(ReadOnlySpan<PreparedRequest> chunk, Span<RecommendationResult> results)
    {
        if (!ScreeningEnabled || Scorer is not AutoencoderNetwork network || _screenedOutput.Value is not { } screened) return false;
        foreach (var request in chunk) if (!screened.Suits(chunk.Length, Math.Min(request.K, ItemCount))) return false;
        int rows = chunk.Length;
        _workspace ??= network.CreateWorkspace(ScoreChunkRows);
        network.ForwardHidden(_workspace, BuildHistories(chunk), _workspace.RowRange(0, rows));
        var input = network.OutputLayerInput(_workspace, rows);
        if (_hidden.Length < input.Length) _hidden = new float[ScoreChunkRows * (input.Length / rows)];
        input.CopyTo(_hidden);
        screened.Screen(input, rows);
        int depth = input.Length / rows;
        var requests = chunk.ToArray();
        var answers = new RecommendationResult?[rows];
        var hidden = _hidden;
        EachRow(rows, r => answers[r] = SelectScreened(screened, requests[r], hidden.AsSpan(r * depth, depth), r));
        for (int r = 0; r < rows; r++)
        {
            if (answers[r] is { } answer) { results[r] = answer; continue; }
            // Not screenable (non-finite input, too few items left, loose bounds): this row in full.
            if (_scores.Length < ItemCount) _scores = new float[ItemCount];
            _packedOutput.Value!.Forward(hidden.AsSpan(r * depth, depth), 1, _scores.AsSpan(0, ItemCount));
            results[r] = Select(requests[r], 0);
        }
        return true;
    }

    private RecommendationResult? SelectScreened(ScreenedOutputLayer screened, in PreparedRequest request, ReadOnlySpan<float> hidden, int row)
    {
        int k = Math.Min(request.K, ItemCount);
        var top = new int[k];
        var scores = new float[k];
        int found = screened.SelectTop(row, hidden, k, request.ExcludeHistory ? request.History : [], request.Excluded, top, scores, out _);
        if (found < 0) return null;
        var items = new RecommendedItem[found];
        for (int i = 0; i < found; i++) items[i] = Item(top[i], scores[i]);
        return new RecommendationResult(items, request.Unknown);
    }

    /// <summary>Top-k for every scored row; rows are independent, so a micro-batch's selections run on all cores after its forward pass.</summary>
    private void SelectAll(ReadOnlySpan<PreparedRequest> chunk, Span<RecommendationResult> results)
    {
        var requests = chunk.ToArray();
        var answers = new RecommendationResult[requests.Length];
        EachRow(requests.Length, r => answers[r] = Select(requests[r], r));
        answers.CopyTo(results);
    }

    /// <summary>Runs <paramref name="body"/> for rows [0, rows): on all cores when there are several rows and cores.</summary>
    private static void EachRow(int rows, Action<int> body)
    {
        if (rows == 1 || Environment.ProcessorCount == 1)
            for (int r = 0; r < rows; r++) body(r);
        else Parallel.For(0, rows, body);
    }

    private static int FirstNaN(ReadOnlySpan<float> scores)
    {
        for (int i = 0; i < scores.Length; i++) if (float.IsNaN(scores[i])) return i;
        return -1;
    }

    private RecommendedItem Item(int column, float score) => new(Manifest.Items[column], score, _titles?[column]);

    private RecommendationResult Select(in PreparedRequest request, int row)
    {
        var scores = _scores.AsSpan(row * ItemCount, ItemCount);
        if (request.ExcludeHistory) foreach (int c in request.History) scores[c] = float.NegativeInfinity;
        foreach (int c in request.Excluded) scores[c] = float.NegativeInfinity;
        int k = Math.Min(request.K, ItemCount);
        var top = new int[k];
        int found = TopK.Select(scores, k, top);
        // Top-k never ranks a NaN, so one would vanish from the answer unnoticed (an all-NaN model
        // answered []). It is passed on instead, for RefuseNonFinite to refuse on the caller's thread.
        int nan = System.Numerics.Tensors.TensorPrimitives.IsNaNAny<float>(scores) ? FirstNaN(scores) : -1;
        var items = new RecommendedItem[found + (nan >= 0 ? 1 : 0)];
        for (int i = 0; i < found; i++) items[i] = Item(top[i], scores[top[i]]);
        if (nan >= 0) items[found] = Item(nan, float.NaN);
        return new RecommendationResult(items, request.Unknown);
    }
}

/// <summary>A request mapped to model columns: sorted distinct history columns, excluded columns, unknown history IDs.</summary>
internal readonly record struct PreparedRequest(int[] History, int[] Excluded, string[] Unknown, int K, bool ExcludeHistory);

/// <summary>The model scored an item NaN or infinite: a fault of the model's weights, not of the request; no answer is given.</summary>
public sealed class NonFiniteScoreException(string itemId, float score)
    : VaeCfException($"The model scored item '{itemId}' {(float.IsNaN(score) ? "NaN" : score > 0 ? "+Infinity" : "-Infinity")}: its weights overflow float32, so no answer is given. Retrain or check the model folder.")
{
    /// <summary>The original ID of the first item scored non-finite.</summary>
    public string ItemId { get; } = itemId;
}
